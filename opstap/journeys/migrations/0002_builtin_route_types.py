"""The built-in route types of DOMAIN.md, as data an organisation admin can adapt."""

from django.db import migrations

OUTCOMES = {
    "started_off_benefits": ({"en": "Started a business and off benefits", "nl": "Gestart en uit de uitkering",
                              "fr": "Entreprise lancée, sans allocation"}, True),
    "started_on_benefits": ({"en": "Started a business, still on benefits", "nl": "Gestart, nog met uitkering",
                             "fr": "Entreprise lancée, encore avec allocation"}, True),
    "successful_restart": ({"en": "Successful restart", "nl": "Geslaagde herstart", "fr": "Relance réussie"}, True),
    "orderly_stop": ({"en": "Orderly stop", "nl": "Ordelijke stopzetting", "fr": "Cessation ordonnée"}, True),
    "debt_settled": ({"en": "Debts settled", "nl": "Schulden geregeld", "fr": "Dettes réglées"}, True),
    "employment": ({"en": "Employment", "nl": "Werk in loondienst", "fr": "Emploi salarié"}, True),
    "education": ({"en": "Education", "nl": "Opleiding", "fr": "Formation"}, True),
    "back_to_benefit": ({"en": "Back to benefit", "nl": "Terug naar uitkering", "fr": "Retour à l'allocation"}, False),
    "moved": ({"en": "Moved away", "nl": "Verhuisd", "fr": "A déménagé"}, False),
    "dropped_out": ({"en": "Dropped out", "nl": "Afgehaakt", "fr": "Abandon"}, False),
    "other": ({"en": "Other", "nl": "Andere", "fr": "Autre"}, False),
}
CLOSE = "closed"
ROUTES = [
    {
        "code": "starter",
        "names": {"en": "Starter", "nl": "Starter", "fr": "Starter"},
        "phases": ["outreach", "informed", "intake", "guidance", "financing", "started", "aftercare", CLOSE],
        "transitions": {
            "outreach": ["informed", "intake", CLOSE],
            "informed": ["intake", CLOSE],
            "intake": ["guidance", CLOSE],
            "guidance": ["financing", "started", CLOSE],
            "financing": ["guidance", "started", CLOSE],
            "started": ["aftercare", CLOSE],
            "aftercare": [CLOSE],
        },
        "outcomes": ["started_off_benefits", "started_on_benefits", "employment", "education",
                     "back_to_benefit", "moved", "dropped_out", "other"],
    },
    {
        "code": "established",
        "names": {"en": "Established entrepreneur in trouble", "nl": "Ondernemer in moeilijkheden",
                  "fr": "Entrepreneur en difficulté"},
        "phases": ["intake", "guidance", "financing", "aftercare", CLOSE],
        "transitions": {
            "intake": ["guidance", CLOSE],
            "guidance": ["financing", "aftercare", CLOSE],
            "financing": ["guidance", "aftercare", CLOSE],
            "aftercare": [CLOSE],
        },
        "outcomes": ["successful_restart", "orderly_stop", "employment", "back_to_benefit", "moved",
                     "dropped_out", "other"],
    },
    {
        "code": "part_time",
        "names": {"en": "Part-time entrepreneurship", "nl": "Parttime ondernemen",
                  "fr": "Entrepreneuriat à temps partiel"},
        "phases": ["intake", "guidance", "started", "aftercare", CLOSE],
        "transitions": {
            "intake": ["guidance", CLOSE],
            "guidance": ["started", CLOSE],
            "started": ["aftercare", CLOSE],
            "aftercare": [CLOSE],
        },
        "outcomes": ["started_off_benefits", "started_on_benefits", "employment", "back_to_benefit",
                     "moved", "dropped_out", "other"],
    },
    {
        "code": "stopping",
        "names": {"en": "Stopping a business", "nl": "Stoppen met de onderneming", "fr": "Cessation d'activité"},
        "phases": ["intake", "guidance", CLOSE],
        "transitions": {"intake": ["guidance", CLOSE], "guidance": [CLOSE]},
        "outcomes": ["orderly_stop", "employment", "education", "back_to_benefit", "moved", "dropped_out", "other"],
    },
    {
        "code": "internship",
        "names": {"en": "Internship at a small business", "nl": "Stage bij een kleine ondernemer",
                  "fr": "Stage dans une petite entreprise"},
        "phases": ["intake", "guidance", "aftercare", CLOSE],
        "transitions": {"intake": ["guidance", CLOSE], "guidance": ["aftercare", CLOSE], "aftercare": [CLOSE]},
        "outcomes": ["employment", "education", "started_off_benefits", "back_to_benefit", "moved",
                     "dropped_out", "other"],
    },
    {
        "code": "debt_counselling",
        "names": {"en": "Debt counselling", "nl": "Schuldhulpverlening", "fr": "Médiation de dettes"},
        "phases": ["intake", "guidance", "aftercare", CLOSE],
        "transitions": {"intake": ["guidance", CLOSE], "guidance": ["aftercare", CLOSE], "aftercare": [CLOSE]},
        "outcomes": ["debt_settled", "successful_restart", "orderly_stop", "back_to_benefit", "moved",
                     "dropped_out", "other"],
    },
]


def forwards(apps, schema_editor):
    RouteType = apps.get_model("journeys", "RouteType")
    RouteOutcome = apps.get_model("journeys", "RouteOutcome")
    for route in ROUTES:
        route_type, _ = RouteType.objects.update_or_create(
            organisation=None, code=route["code"],
            defaults={"names": route["names"], "phases": route["phases"], "transitions": route["transitions"]},
        )
        for position, code in enumerate(route["outcomes"]):
            names, success = OUTCOMES[code]
            RouteOutcome.objects.update_or_create(
                route_type=route_type, code=code,
                defaults={"names": names, "success": success, "position": position},
            )


def backwards(apps, schema_editor):
    apps.get_model("journeys", "RouteType").objects.filter(organisation=None).delete()


class Migration(migrations.Migration):
    dependencies = [("journeys", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
