"""Demo referrals: every organisation refers clients to partners and receives some, in every
status of the state machine (sent, accepted, declined, completed).

Three kinds: an outbound referral to another demo organisation, answered by that partner's
adviser (for a client who consented to sharing with that partner, the partner then sees the
file; without the consent it sees that a referral exists, and the sender sees the warning);
an outbound referral to an external partner (Actiris, VDAB, UWV, …), whose answers the
organisation records itself; and an inbound referral from an external partner, which the
organisation answers. Each organisation first gets one of each kind and status worth showing,
then ordinary ones, about one per ten clients and at most MAX_REFERRALS.

Through the referrals services, dated back from the day the demo is built (the services
refuse a date in the future, and "sent" referrals should be recent). Deterministic for a
seed, a number of clients and the day it is built.
"""

from __future__ import annotations

import datetime
import random
from collections import Counter
from typing import Any

from opstap.clients.choices import ConsentPurpose
from opstap.clients.models import Client, Consent
from opstap.core.models import MembershipRole, Organisation, User
from opstap.core.roles import Role
from opstap.referrals import services
from opstap.referrals.choices import Direction, Status
from opstap.referrals.models import Referral

CLIENTS_PER_REFERRAL = 10
MAX_REFERRALS = 30
PARTNER, EXTERNAL, INBOUND = "partner", "external", "inbound"
SHOWCASE = (
    (PARTNER, Status.SENT),
    (PARTNER, Status.ACCEPTED),
    (EXTERNAL, Status.DECLINED),
    (EXTERNAL, Status.COMPLETED),
    (INBOUND, Status.ACCEPTED),
    (INBOUND, Status.COMPLETED),
    (PARTNER, Status.COMPLETED),
    (EXTERNAL, Status.SENT),
)
KINDS = ((PARTNER, 25), (EXTERNAL, 50), (INBOUND, 25))
STATUSES = (
    (Status.SENT, 15),
    (Status.ACCEPTED, 25),
    (Status.DECLINED, 20),
    (Status.COMPLETED, 40),
)

# fmt: off
# External partners: (name, reason (Dutch, French)). Emmerveen and its Werkplein are invented.
EXTERNAL_PARTNERS: dict[str, tuple[tuple[str, tuple[str, str]], ...]] = {
    "microkrediet-brussel": (
        ("Actiris", ("Begeleiding naar werk naast een opstart in bijberoep.",
                     "Accompagnement vers l'emploi en parallèle d'un lancement à titre "
                     "complémentaire.")),
        ("CPAS / OCMW", ("Budgetbegeleiding en een opstartpremie aanvragen.",
                         "Guidance budgétaire et demande d'une prime de lancement.")),
        ("hub.brussels", ("Advies over vergunningen en een handelspand.",
                          "Conseils sur les autorisations et un local commercial.")),
        ("Médiation de dettes / Schuldbemiddeling",
         ("Schulden in kaart brengen vóór een kredietaanvraag.",
          "Faire le point sur les dettes avant une demande de crédit.")),
    ),
    "starterspunt-gent": (
        ("VDAB", ("Opleiding boekhouden voor zelfstandigen.", "")),
        ("OCMW Gent", ("Budgetbegeleiding tijdens de opstart.", "")),
        ("Unizo Startersservice", ("Advies over het statuut van zelfstandige in bijberoep.", "")),
        ("CAW Oost-Vlaanderen", ("Schuldhulpverlening vóór een kredietaanvraag.", "")),
    ),
    "emmerveen": (
        ("UWV", ("Afstemming van de uitkering op de start van de onderneming.", "")),
        ("KvK", ("Inschrijving en startersadvies.", "")),
        ("Schuldhulpverlening Emmerveen", ("Schulden in kaart brengen vóór een Bbz-aanvraag.", "")),
        ("Werkplein Emmerveen", ("Begeleiding naar werk naast de onderneming.", "")),
    ),
}
INBOUND_PARTNERS: dict[str, tuple[tuple[str, tuple[str, str]], ...]] = {
    "microkrediet-brussel": (
        ("CPAS d'Anderlecht / OCMW Anderlecht",
         ("Wil vanuit het leefloon een eigen zaak starten en vraagt een microkrediet.",
          "Souhaite lancer une activité depuis le revenu d'intégration et demande un "
          "microcrédit.")),
        ("Actiris", ("Werkzoekende met een concreet ondernemingsidee.",
                     "Chercheur d'emploi avec un projet d'entreprise concret.")),
    ),
    "starterspunt-gent": (
        ("OCMW Gent", ("Wil vanuit het leefloon een eigen zaak starten.", "")),
        ("VDAB", ("Werkzoekende met een concreet ondernemingsidee.", "")),
    ),
    "emmerveen": (
        ("UWV", ("Uitkeringsgerechtigde met een ondernemingsplan; vraagt Bbz.", "")),
        ("Werkplein Emmerveen", ("Wil als zelfstandige starten vanuit de bijstand.", "")),
    ),
}
OTHER_EXTERNAL = (
    ("Partner", ("Begeleiding door een partner.", "Accompagnement par un partenaire.")),
)
# What the organisation asks of another demo organisation, by the partner's slug.
TO_PARTNER = {
    "microkrediet-brussel": ("Vraagt een microkrediet voor de opstart; het plan is klaar.",
                             "Demande un microcrédit pour le lancement ; le plan est prêt."),
    "starterspunt-gent": ("Begeleiding bij het ondernemingsplan in Gent.",
                          "Accompagnement du plan d'affaires à Gand."),
    "emmerveen": ("Verhuist naar Emmerveen en vraagt daar begeleiding en Bbz.",
                  "Déménage à Emmerveen et y demande un accompagnement et le Bbz."),
}
ACCEPT_NOTES = (("Intakegesprek gepland.", "Entretien d'accueil planifié."),
                ("Neemt deel aan de volgende infosessie.", "Participera à la prochaine séance "
                 "d'information."))
DECLINE_NOTES = (("Valt buiten ons werkgebied.", "Hors de notre zone d'action."),
                 ("Eerst de schulden regelen, daarna opnieuw aanvragen.",
                  "D'abord régler les dettes, puis refaire une demande."),
                 ("De klant zag er zelf van af.", "Le client y a renoncé lui-même."))
OUTCOMES = (("Traject afgerond; de klant start in bijberoep.",
             "Parcours terminé ; le client se lance à titre complémentaire."),
            ("Opleiding afgerond, certificaat behaald.", "Formation terminée, certificat obtenu."),
            ("Budgetplan opgesteld en schulden in kaart gebracht.",
             "Plan budgétaire établi et dettes inventoriées."),
            ("Financiering rond; de zaak is geopend.",
             "Financement bouclé ; l'activité a démarré."))
# fmt: on


def _pick(rng: random.Random, pairs: tuple[tuple[Any, int], ...]) -> Any:
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


def _first_member(organisation: Organisation, role: str) -> User:
    grant = (
        MembershipRole.objects.filter(membership__organisation=organisation, role=role)
        .select_related("membership__user")
        .order_by("membership__user_id")
        .first()
    )
    if grant is None:  # pragma: no cover - every demo organisation has every role
        raise LookupError(f"{organisation.slug} has no {role}")
    return grant.membership.user


def referral_targets(client_counts: dict[int, int]) -> dict[int, int]:
    """Referrals per organisation (by id): the showcase, or one per ten clients, a cap."""
    return {
        organisation_id: min(MAX_REFERRALS, max(len(SHOWCASE), count // CLIENTS_PER_REFERRAL))
        if count
        else 0
        for organisation_id, count in client_counts.items()
    }


def build_referrals(
    *, organisations: list[Organisation], seed: int, today: datetime.date
) -> dict[str, Any]:
    rng = random.Random(seed * 1_000_099 + 61)
    by_slug = {o.slug: o for o in organisations}
    advisers = {o.pk: _first_member(o, Role.ADVISER) for o in organisations}
    clients = {
        o.pk: list(
            Client.objects.filter(organisation=o, processing_restricted=False)
            .select_related("adviser")
            .order_by("pk")
        )
        for o in organisations
    }
    targets = referral_targets({pk: len(rows) for pk, rows in clients.items()})
    for organisation in organisations:
        _Referrals(organisation, rng, today, by_slug, advisers).build(
            clients[organisation.pk], targets[organisation.pk]
        )
    return {
        "statuses": Counter(
            Referral.objects.filter(organisation__in=organisations).values_list("status", flat=True)
        )
    }


class _Referrals:
    """The referrals one organisation records."""

    def __init__(
        self,
        organisation: Organisation,
        rng: random.Random,
        today: datetime.date,
        by_slug: dict[str, Organisation],
        advisers: dict[int, User],
    ) -> None:
        self.organisation = organisation
        self.rng = rng
        self.today = today
        self.french = organisation.default_language == "fr"
        self.partners = [o for o in by_slug.values() if o.pk != organisation.pk]
        self.advisers = advisers
        self.external = EXTERNAL_PARTNERS.get(organisation.slug, OTHER_EXTERNAL)
        self.inbound = INBOUND_PARTNERS.get(organisation.slug, OTHER_EXTERNAL)

    def _text(self, pair: tuple[str, str], client: Client, french: bool | None = None) -> str:
        french = self.french if french is None else french
        return pair[1] if french and pair[1] and client.preferred_language != "nl" else pair[0]

    def build(self, clients: list[Client], target: int) -> None:
        if not clients or target <= 0 or not self.partners:
            return
        # Clients who consent to sharing with another demo organisation: referred there first.
        partner_ids = {o.pk for o in self.partners}
        consenting: dict[int, int] = {}
        for client_id, partner_id in (
            Consent.objects.active(self.today)
            .for_purpose(ConsentPurpose.PARTNER_SHARING)
            .filter(client__organisation=self.organisation, partner_id__in=partner_ids)
            .order_by("client_id", "pk")
            .values_list("client_id", "partner_id")
        ):
            consenting.setdefault(client_id, partner_id)
        pool = list(clients)
        self.rng.shuffle(pool)
        with_consent = [c for c in pool if c.pk in consenting]
        others = [c for c in pool if c.pk not in consenting]
        plans = list(SHOWCASE[:target])
        while len(plans) < target:
            plans.append((_pick(self.rng, KINDS), _pick(self.rng, STATUSES)))
        for kind, status in plans:
            if kind == PARTNER and with_consent:
                client = with_consent.pop()
                partner = next(o for o in self.partners if o.pk == consenting[client.pk])
            else:
                if not others and not with_consent:
                    # A small demo: some clients get a second referral.
                    others = list(pool)
                client = (others or with_consent).pop()
                partner = None
                if kind == PARTNER:
                    partner = next(
                        (o for o in self.partners if o.pk == consenting.get(client.pk)),
                        self.rng.choice(self.partners),
                    )
            self._one(client, kind, status, partner)

    def _one(
        self, client: Client, kind: str, status: str, partner: Organisation | None
    ) -> Referral:
        rng, today = self.rng, self.today
        ago = {
            Status.SENT: (1, 20),
            Status.ACCEPTED: (20, 100),
            Status.DECLINED: (15, 200),
            Status.COMPLETED: (90, 400),
        }[status]
        sent_on = today - datetime.timedelta(days=rng.randint(*ago))
        author = client.adviser or self.advisers[self.organisation.pk]
        if kind == PARTNER and partner is not None:
            referral = services.referral_create(
                actor=author,
                organisation=self.organisation,
                client=client,
                direction=Direction.OUTBOUND,
                reason=self._text(TO_PARTNER.get(partner.slug, TO_PARTNER["emmerveen"]), client),
                sent_on=sent_on,
                partner=partner,
            )
            answering, answerer = partner, self.advisers[partner.pk]
            french = partner.default_language == "fr"
        else:
            name, reason = rng.choice(self.inbound if kind == INBOUND else self.external)
            referral = services.referral_create(
                actor=author,
                organisation=self.organisation,
                client=client,
                direction=Direction.INBOUND if kind == INBOUND else Direction.OUTBOUND,
                reason=self._text(reason, client),
                sent_on=sent_on,
                partner_name=name,
            )
            answering, answerer, french = self.organisation, author, self.french
        if status == Status.SENT:
            return referral
        answered_on = min(today, sent_on + datetime.timedelta(days=rng.randint(2, 21)))
        to = Status.DECLINED if status == Status.DECLINED else Status.ACCEPTED
        notes = DECLINE_NOTES if to == Status.DECLINED else ACCEPT_NOTES
        referral = services.referral_transition(
            actor=answerer,
            organisation=answering,
            referral=referral,
            to=to,
            on=answered_on,
            note=self._text(rng.choice(notes), client, french) if rng.random() < 0.7 else "",
        )
        if status == Status.COMPLETED:
            completed_on = min(today, answered_on + datetime.timedelta(days=rng.randint(30, 120)))
            referral = services.referral_transition(
                actor=answerer,
                organisation=answering,
                referral=referral,
                to=Status.COMPLETED,
                on=completed_on,
                outcome=self._text(rng.choice(OUTCOMES), client, french),
            )
        return referral


def summary(counts: dict[str, Any]) -> str:
    statuses: Counter = counts["statuses"]
    spelled = ", ".join(f"{statuses[s]} {s}" for s in Status.values if statuses[s])
    return f"{sum(statuses.values())} referrals ({spelled or 'none'})"
