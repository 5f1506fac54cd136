"""Demo coaching: volunteer profiles, coaching sessions with their hours, case notes (one of
them confidential in every organisation) and action plans.

Every volunteer login gets a profile (expertise, languages, availability, a maximum a few
above the clients they coach). The volunteer logs sessions with each client assigned to them,
every two to five weeks over the last four months and at least twice in the current month,
so their dashboard's "my sessions and hours this month" and /coaching/me/ are filled, and
writes a note now and then. Advisers log sessions and write notes on some clients with an
open route and keep those routes' action plans (done, open and overdue actions); the main
adviser login writes one confidential note, which only they and the organisation admin read.

Dated back from the day the demo is built, not from the demo's reference date, like the
access log: the pages count "this month" and "overdue" from today, and the services refuse a
session or an action done in the future. Everything goes through the coaching services; only
the notes' timestamps are set back afterwards (the service writes them as "now"), to the day
of the conversation. Deterministic for a seed, a number of clients and the day it is built.
"""

from __future__ import annotations

import datetime
import random
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from opstap.clients.models import Client, ClientCoach
from opstap.coaching import services
from opstap.coaching.choices import Expertise, Topic
from opstap.coaching.models import CaseNote
from opstap.core.access import activate
from opstap.core.models import MembershipRole, Organisation, User
from opstap.core.roles import Role
from opstap.journeys.models import Trajectory

# Sessions and notes of the last four months; advisers coach at most this many clients of an
# organisation in the demo (each session is a service call with its audit event), and keep
# the action plans of the first few of them.
HISTORY_DAYS = 120
STAFF_CLIENTS = 15
ACTION_CLIENTS = 5
# The volunteer meets each client every 14 to 35 days, and at least twice this month.
VOLUNTEER_EVERY = (14, 35)
THIS_MONTH_AT_LEAST = 2
DURATIONS = (30, 45, 45, 60, 60, 60, 75, 90, 90, 120)
VOLUNTEER_TOPICS = (
    (Topic.BUSINESS_PLAN, 30),
    (Topic.MARKETING, 20),
    (Topic.ADMINISTRATION, 20),
    (Topic.FINANCE, 15),
    (Topic.LANGUAGE, 10),
    (Topic.PERSONAL, 5),
)
STAFF_TOPICS = (
    (Topic.BUSINESS_PLAN, 25),
    (Topic.FINANCE, 25),
    (Topic.ADMINISTRATION, 15),
    (Topic.LEGAL, 10),
    (Topic.PERSONAL, 15),
    (Topic.MARKETING, 5),
    (Topic.OTHER, 5),
)

# Each organisation's volunteer: expertise, languages and when they are there.
PROFILES: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    "microkrediet-brussel": (
        (Expertise.FINANCE, Expertise.ADMINISTRATION, Expertise.SECTOR_FOOD),
        ("fr", "nl", "ar"),
        "Mardi et jeudi après-midi, au bureau de Molenbeek / "
        "Dinsdag- en donderdagnamiddag, op het kantoor in Molenbeek",
    ),
    "starterspunt-gent": (
        (Expertise.MARKETING, Expertise.DIGITAL, Expertise.SECTOR_RETAIL),
        ("nl", "en", "tr"),
        "Maandagavond en zaterdagvoormiddag, in het Starterspunt of online",
    ),
    "emmerveen": (
        (Expertise.FINANCE, Expertise.LEGAL, Expertise.ADMINISTRATION),
        ("nl", "en", "de"),
        "Woensdag de hele dag, op het gemeentehuis (gepensioneerd boekhouder)",
    ),
}
OTHER_PROFILE = ((Expertise.FINANCE, Expertise.MARKETING), ("nl", "fr", "en"), "")

# (Dutch, French): written in French in the organisation that works in French, unless the
# client prefers Dutch.
# fmt: off
NEXT_STEPS = (
    ("Offertes voor de inrichting opvragen en vergelijken.",
     "Demander et comparer des devis pour l'aménagement."),
    ("Inschrijving als ondernemer voorbereiden.", "Préparer l'inscription comme indépendant."),
    ("Prijzen van drie concurrenten noteren.", "Noter les prix de trois concurrents."),
    ("Maandbudget invullen met de echte vaste kosten.",
     "Compléter le budget mensuel avec les vrais frais fixes."),
    ("Flyer ontwerpen en volgende keer meebrengen.",
     "Concevoir un flyer et l'apporter la prochaine fois."),
    ("Voorwaarden van de huurovereenkomst navragen.", "Se renseigner sur les conditions du bail."),
    ("Eerste klanten bellen voor een proefopdracht.",
     "Appeler les premiers clients pour une mission test."),
    ("Facturen van deze maand in de boekhouding zetten.",
     "Encoder les factures du mois dans la comptabilité."),
)
STAFF_NOTES = (
    ("Gesprek over het ondernemingsplan: het marktonderzoek is klaar, de financiële kant nog niet.",
     "Entretien sur le plan d'affaires : l'étude de marché est faite, le volet financier pas "
     "encore."),
    ("Heeft de cursus boekhouden afgerond en wil verder met het plan.",
     "A terminé la formation en comptabilité et veut avancer avec le plan."),
    ("Afspraak gemist; telefonisch verzet naar volgende week.",
     "Rendez-vous manqué ; reporté par téléphone à la semaine prochaine."),
    ("Samen de offertes voor het materiaal bekeken: de goedkoopste is niet de beste keuze.",
     "Examiné ensemble les devis pour le matériel : le moins cher n'est pas le meilleur choix."),
    ("Eerste maand na de start: omzet iets onder de prognose, kosten onder controle.",
     "Premier mois après le lancement : chiffre d'affaires un peu sous la prévision, coûts "
     "maîtrisés."),
    ("Vraagt hulp bij de btw-aangifte van het eerste kwartaal.",
     "Demande de l'aide pour la déclaration TVA du premier trimestre."),
    ("Heeft een locatie gevonden; de huurprijs past in het budget.",
     "A trouvé un local ; le loyer rentre dans le budget."),
    ("Wil een taalcursus volgen om klantgesprekken vlotter te voeren.",
     "Veut suivre un cours de langue pour mieux mener les entretiens avec les clients."),
)
VOLUNTEER_NOTES = (
    ("Samen de website doorgenomen; de teksten worden eenvoudiger.",
     "Parcouru le site web ensemble ; les textes seront simplifiés."),
    ("Oefengesprek met een leverancier gedaan. Ging goed.",
     "Fait un entretien d'entraînement avec un fournisseur. Ça s'est bien passé."),
    ("Kasboek van de eerste weken nagekeken: alles klopt.",
     "Vérifié le livre de caisse des premières semaines : tout est correct."),
    ("Prijzen berekend voor de eerste opdrachten; de klant rekende te laag.",
     "Calculé les prix des premières missions ; le client comptait trop bas."),
)
CONFIDENTIAL_NOTES = (
    ("Vertrouwelijk: vertelde over schulden bij familie en spanningen thuis. Niet in het dossier "
     "voor de commissie; eerst met de schuldhulp bespreken.",
     "Confidentiel : a parlé de dettes envers la famille et de tensions à la maison. Pas dans le "
     "dossier pour le comité ; d'abord en parler avec la médiation de dettes."),
    ("Vertrouwelijk: gezondheidsproblemen maken voltijds werken voorlopig moeilijk; de start "
     "wordt uitgesteld.",
     "Confidentiel : des problèmes de santé rendent le travail à temps plein difficile pour "
     "l'instant ; le lancement est reporté."),
)
ACTIONS = (
    ("Ondernemingsplan afwerken", "Terminer le plan d'affaires"),
    ("Offertes voor het materiaal opvragen", "Demander des devis pour le matériel"),
    ("Afspraak met een boekhouder maken", "Prendre rendez-vous avec un comptable"),
    ("Verzekering burgerlijke aansprakelijkheid afsluiten",
     "Souscrire une assurance responsabilité civile"),
    ("Inschrijving als ondernemer in orde brengen", "Régler l'inscription comme indépendant"),
    ("Zakelijke bankrekening openen", "Ouvrir un compte bancaire professionnel"),
)
# fmt: on


COUNTS = ("profiles", "sessions", "minutes", "notes", "confidential", "actions")


def _pick(rng: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


def _members(organisation: Organisation, role: str) -> list[User]:
    grants = (
        MembershipRole.objects.filter(membership__organisation=organisation, role=role)
        .select_related("membership__user")
        .order_by("membership__user_id")
    )
    return [grant.membership.user for grant in grants]


def build_coaching(
    *, organisations: list[Organisation], seed: int, today: datetime.date
) -> dict[str, int]:
    """Profiles, sessions, notes and action plans for every organisation, up to `today`."""
    rng = random.Random(seed * 1_000_081 + 53)
    counts = dict.fromkeys(COUNTS, 0)
    for organisation in organisations:
        book = _Coaching(organisation, rng, today)
        book.build()
        for key, value in book.counts.items():
            counts[key] += value
    return counts


class _Coaching:
    """One organisation's coaching."""

    def __init__(self, organisation: Organisation, rng: random.Random, today: datetime.date):
        self.organisation = organisation
        self.rng = rng
        self.today = today
        self.month_start = today.replace(day=1)
        self.french = organisation.default_language == "fr"
        self.users: dict[int, User] = {}
        self.admin = self._acting(_members(organisation, Role.ORG_ADMIN)[0])
        self.volunteers = [self._acting(v) for v in _members(organisation, Role.VOLUNTEER)]
        advisers = [self._acting(a) for a in _members(organisation, Role.ADVISER)]
        main = f"adviser@{organisation.slug}.demo"  # OrgSpec.login(Role.ADVISER)
        self.main_adviser = next((a for a in advisers if a.email == main), advisers[0])
        self.counts = dict.fromkeys(COUNTS, 0)
        self.note_times: list[tuple[CaseNote, datetime.datetime]] = []
        self.open_routes = self._open_routes()

    # Helpers ----------------------------------------------------------------------------
    def _text(self, pair: tuple[str, str], client: Client) -> str:
        return pair[1] if self.french and client.preferred_language != "nl" else pair[0]

    def _acting(self, user: User) -> User:
        """The one object for this member, acting for this organisation (as a command
        does): the services then read the membership from it instead of the database."""
        if user.pk not in self.users:
            activate(user, self.organisation)
            self.users[user.pk] = user
        return self.users[user.pk]

    def _user(self, pk: int) -> User:
        return self.users.get(pk) or self._acting(User.objects.get(pk=pk))

    def _open_routes(self) -> dict[int, Trajectory]:
        """Each client's most recent open route."""
        routes: dict[int, Trajectory] = {}
        for trajectory in Trajectory.objects.filter(
            organisation=self.organisation, closed_on__isnull=True
        ).order_by("client_id", "-opened_on", "-pk"):
            routes.setdefault(trajectory.client_id, trajectory)
        return routes

    def _at(self, day: datetime.date) -> datetime.datetime:
        moment = datetime.datetime.combine(
            day,
            datetime.time(self.rng.randint(9, 17), self.rng.choice((0, 15, 30, 45))),
            tzinfo=ZoneInfo(settings.TIME_ZONE),
        )
        return min(moment, timezone.now())

    def _topics(self, weights: tuple[tuple[str, int], ...]) -> list[str]:
        return list(dict.fromkeys(_pick(self.rng, weights) for _ in range(self.rng.randint(1, 3))))

    def _session(
        self, *, actor: User, client: Client, coach: User, on: datetime.date, staff: bool
    ) -> None:
        minutes = self.rng.choice(DURATIONS)
        next_steps = self._text(self.rng.choice(NEXT_STEPS), client)
        services.session_log(
            actor=actor,
            client=client,
            coach=coach,
            on=on,
            duration_minutes=minutes,
            topics=self._topics(STAFF_TOPICS if staff else VOLUNTEER_TOPICS),
            next_steps=next_steps if self.rng.random() < 0.8 else "",
            trajectory=self.open_routes.get(client.pk),
        )
        self.counts["sessions"] += 1
        self.counts["minutes"] += minutes

    def _note(
        self,
        *,
        actor: User,
        client: Client,
        text: str,
        on: datetime.date,
        confidential: bool = False,
    ) -> None:
        note = services.note_add(
            actor=actor,
            client=client,
            text=text,
            confidential=confidential,
            trajectory=self.open_routes.get(client.pk),
        )
        self.note_times.append((note, self._at(on)))
        self.counts["notes"] += 1
        self.counts["confidential"] += confidential

    def _days(self, start: datetime.date, every: tuple[int, int]) -> list[datetime.date]:
        days = []
        day = start + datetime.timedelta(days=self.rng.randint(0, every[0]))
        while day <= self.today:
            days.append(day)
            day += datetime.timedelta(days=self.rng.randint(*every))
        return days

    # Building ---------------------------------------------------------------------------
    def build(self) -> None:
        clients = {
            c.pk: c
            for c in Client.objects.filter(
                organisation=self.organisation, processing_restricted=False
            ).order_by("pk")
        }
        if not clients:
            return
        for volunteer in self.volunteers:
            self._volunteer(volunteer, clients)
        self._advisers(clients)
        self._backdate_notes()

    def _volunteer(self, volunteer: User, clients: dict[int, Client]) -> None:
        assigned = list(
            ClientCoach.objects.filter(coach=volunteer, client_id__in=clients)
            .order_by("client_id")
            .values_list("client_id", "assigned_on")
        )
        expertise, languages, availability = PROFILES.get(self.organisation.slug, OTHER_PROFILE)
        services.volunteer_profile_save(
            actor=self.admin,
            organisation=self.organisation,
            volunteer=volunteer,
            expertise=expertise,
            languages=languages,
            availability=availability,
            max_clients=max(
                3, min(services.MAX_CLIENTS_LIMIT, len(assigned) + self.rng.randint(2, 4))
            ),
        )
        self.counts["profiles"] += 1
        earliest = self.today - datetime.timedelta(days=HISTORY_DAYS)
        for index, (client_id, assigned_on) in enumerate(assigned):
            client = clients[client_id]
            start = min(self.today, max(assigned_on, earliest))
            days = self._days(start, VOLUNTEER_EVERY)
            if index < THIS_MONTH_AT_LEAST and not any(d >= self.month_start for d in days):
                low = max(self.month_start, days[-1] + datetime.timedelta(1) if days else start)
                if low <= self.today:
                    spread = self.rng.randint(0, (self.today - low).days)
                    days.append(low + datetime.timedelta(days=spread))
            for day in days:
                self._session(actor=volunteer, client=client, coach=volunteer, on=day, staff=False)
                if self.rng.random() < 0.3:
                    self._note(
                        actor=volunteer,
                        client=client,
                        text=self._text(self.rng.choice(VOLUNTEER_NOTES), client),
                        on=day,
                    )

    def _advisers(self, clients: dict[int, Client]) -> None:
        # A sample of the clients with an open route, taken in primary-key order.
        candidates = [pk for pk in clients if pk in self.open_routes]
        chosen = sorted(self.rng.sample(candidates, min(STAFF_CLIENTS, len(candidates))))
        earliest = self.today - datetime.timedelta(days=HISTORY_DAYS)
        for index, client_id in enumerate(chosen):
            client = clients[client_id]
            adviser = self._user(client.adviser_id) if client.adviser_id else self.main_adviser
            route = self.open_routes[client_id]
            start = min(self.today, max(route.opened_on, earliest))
            days = self._days(start, (14, 45))[-4:]
            for day in days:
                self._session(actor=adviser, client=client, coach=adviser, on=day, staff=True)
                if self.rng.random() < 0.5:
                    self._note(
                        actor=adviser,
                        client=client,
                        text=self._text(self.rng.choice(STAFF_NOTES), client),
                        on=day,
                    )
            if index < ACTION_CLIENTS:
                self._actions(adviser, client, route)
        # One confidential note by the main adviser, on one of their own clients if they have
        # one: they and the organisation admin read it, their colleagues do not.
        own = [c for c in clients.values() if c.adviser_id == self.main_adviser.pk]
        client = (own or list(clients.values()))[0]
        self._note(
            actor=self.main_adviser,
            client=client,
            text=self._text(self.rng.choice(CONFIDENTIAL_NOTES), client),
            on=self.today - datetime.timedelta(days=self.rng.randint(3, 30)),
            confidential=True,
        )
        if not any(not n.confidential for n, _ in self.note_times):
            self._note(
                actor=self.main_adviser,
                client=client,
                text=self._text(STAFF_NOTES[0], client),
                on=self.today - datetime.timedelta(days=self.rng.randint(1, 30)),
            )

    def _actions(self, adviser: User, client: Client, route: Trajectory) -> None:
        """An action done, one open and one overdue, owned by the client, the adviser or the
        client's volunteer coach."""
        titles = self.rng.sample(ACTIONS, 3)
        coach_ids = set(
            ClientCoach.objects.filter(client=client).values_list("coach_id", flat=True)
        )
        volunteer = next((v for v in self.volunteers if v.pk in coach_ids), None)
        plans = (
            (titles[0], -self.rng.randint(20, 60), adviser),
            (titles[1], self.rng.randint(7, 40), volunteer or adviser),
            (titles[2], -self.rng.randint(3, 20), None if self.rng.random() < 0.5 else adviser),
        )
        for index, (title, days, owner) in enumerate(plans):
            action = services.action_add(
                actor=adviser,
                trajectory=route,
                title=self._text(title, client),
                owner=owner,
                due_on=self.today + datetime.timedelta(days=days),
            )
            self.counts["actions"] += 1
            if index == 0:
                done = self.today + datetime.timedelta(days=days + self.rng.randint(-5, 5))
                services.action_complete(actor=adviser, action=action, on=min(done, self.today))

    def _backdate_notes(self) -> None:
        """The service dates a note "now": set it back to the day of the conversation."""
        for note, moment in self.note_times:
            note.created_at = note.updated_at = moment
        CaseNote.objects.bulk_update(
            [note for note, _ in self.note_times], ["created_at", "updated_at"]
        )


def summary(counts: dict[str, Any]) -> str:
    hours = counts["minutes"] / 60
    return (
        f"{counts['profiles']} volunteer profiles, {counts['sessions']:,} coaching sessions "
        f"({hours:,.0f} hours), {counts['notes']:,} case notes ({counts['confidential']} "
        f"confidential) and {counts['actions']} actions"
    )
