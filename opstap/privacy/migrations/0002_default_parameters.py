"""The default retention periods and legal holds (docs/privacy.md, "Retention" and "Legal holds").

Retention periods are the organisation's policy, not law: the GDPR only says "no longer than
necessary" (art. 5(1)(e)). The holds carry their legal basis; where the research notes
(rules_nl_be.md) hold no value, the default is marked "not verified" in its text.
"""

import datetime

from django.db import migrations

FROM = datetime.date(2018, 5, 25)  # the day the GDPR applies

RETENTION_YEARS = {
    "identity": 2,
    "contact": 2,
    "situation": 2,
    "financial": 2,
    "special": 1,
    "consents": 2,
    "documents": 1,
    "trajectories": 2,
    "case_notes": 2,
    "activities": 2,
    "referrals": 2,
    "business_plans": 2,
    # Loan records and Bbz decisions are kept by their legal hold; this period only counts
    # for what no hold covers (a refused application, a plan never assessed).
    "loan_records": 1,
    "bbz_decisions": 1,
}
POLICY = "Default policy of Opstap (GDPR art. 5(1)(e)); set your organisation's own."

HOLDS = [
    {
        "code": "nl-fiscal-awr-52",
        "name": "Fiscal retention NL (AWR art. 52)",
        "category": "loan_records",
        "country": "NL",
        "years": 7,
        "starts": "loan_ended",
        "legal_basis": "Algemene wet inzake rijksbelastingen, art. 52: the administration "
        "(books, records and data carriers) is kept for 7 years.",
        "url": "https://wetten.overheid.nl/BWBR0002320",
    },
    {
        "code": "be-fiscal-wib-315",
        "name": "Fiscal retention BE (WIB 92 art. 315)",
        "category": "loan_records",
        "country": "BE",
        "years": 7,
        "starts": "loan_ended",
        "legal_basis": "Wetboek van de inkomstenbelastingen 1992, art. 315: books and documents "
        "are kept for 7 years. Accounting law can ask 10 years for some documents: raise the "
        "period if yours are among them (not verified in the research notes).",
        "url": "",
    },
    {
        "code": "nl-bbz-archive",
        "name": "Archive period of Bbz decisions (NL)",
        "category": "bbz_decisions",
        "country": "NL",
        "years": 10,
        "starts": "decided",
        "legal_basis": "Archiefwet 1995 and the municipalities' selection list. NOT FOUND in "
        "the research notes: 10 years is an unverified default; check it with your archivist.",
        "url": "",
    },
]


def forwards(apps, schema_editor):
    RetentionPeriod = apps.get_model("privacy", "RetentionPeriod")
    LegalHold = apps.get_model("privacy", "LegalHold")
    for category, years in RETENTION_YEARS.items():
        RetentionPeriod.objects.get_or_create(
            category=category, valid_from=FROM, defaults={"years": years, "basis": POLICY}
        )
    for hold in HOLDS:
        LegalHold.objects.get_or_create(
            code=hold["code"], valid_from=FROM, defaults={k: v for k, v in hold.items() if k != "code"}
        )


def backwards(apps, schema_editor):
    apps.get_model("privacy", "RetentionPeriod").objects.filter(
        valid_from=FROM, category__in=RETENTION_YEARS
    ).delete()
    apps.get_model("privacy", "LegalHold").objects.filter(
        valid_from=FROM, code__in=[h["code"] for h in HOLDS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("privacy", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
