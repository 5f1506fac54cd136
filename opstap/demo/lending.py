"""Demo lending: loan products, applications, committee decisions and loans with a history.

Only the organisations that lend get a loan book: the microfinance institution (microStart-like
products) and the municipality (Bbz business capital, run by its benefits officer). Loans go to
clients whose route reached the financing phase and are linked to that route: a route that
went on to "started" or "aftercare" got its loan disbursed on that day; a route still in
financing has an application in preparation, with the committee, or approved and awaiting
disbursement; a route that went back has a refused application.

Everything goes through the lending services with `today=` set to the day it happened, so
the schedules, the transactions and the double-entry ledger are exactly what the application
itself would have written. Each organisation first gets one loan of every kind worth showing
(late, partly paid, prepaid, a bounced direct debit reversed, a payment holiday, a write-off,
a gift, …); the rest are ordinary loans. The close of business then runs once, for `today`
(the demo's reference date), so arrears, buckets and the portfolio snapshot exist.

The pages count arrears up to the real today, so the book is then carried forward to the day
the demo is built (`close_until`, at most a year): every day after the reference date the
loans that keep paying post what falls due (the late loan just enough to stay 31–60 days
late, the long-late one nothing), and the close of business runs for that day, as the
daily job would have. Loan pages then show today's arrears, days past due and buckets, and
the portfolio has a snapshot for each of those days.

Deterministic for a seed, a number of clients and the day it is built: candidates are taken in
primary-key order (the routes are written in a fixed order) and every choice comes from one
`random.Random`; what happens after the reference date from another one.
"""

from __future__ import annotations

import datetime
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from opstap.core.models import MembershipRole, Organisation, User
from opstap.core.roles import Role
from opstap.journeys.models import PhaseChange, Trajectory
from opstap.journeys.phases import Phase
from opstap.journeys.services import add_months
from opstap.lending import services
from opstap.lending.choices import (
    ApplicationStatus,
    Channel,
    LoanStatus,
    PrepaymentMode,
    TransactionKind,
    Vote,
)
from opstap.lending.closing import close_of_business
from opstap.lending.models import Installment, Loan, LoanApplication, LoanProduct

# About one loan application per 15 clients of a lending organisation, at most 200 in all:
# every repayment goes through the services (some 40 ms each on SQLite), so the cap keeps
# `--clients 100000` within a couple of minutes more.
CLIENTS_PER_APPLICATION = 15
MAX_APPLICATIONS = 200
# Loans were disbursed in the last 30 months (or a little longer for a scenario that needs
# more history): a shorter history to post, and older loans would mostly be repaid anyway.
ORDINARY_MONTHS = 30
# Below this many clients at the lending organisations (about 70 in the demo) the demo has no
# lending at all: too few routes reach financing for a loan book worth showing, and the tiny
# demos of opstap/demo/tests/test_demo.py can then still delete their clients (loans and
# products protect them).
MIN_CLIENTS = 50
PRODUCTS_VALID_FROM = datetime.date(2021, 1, 1)
# The book is carried forward from the reference date to the day the demo is built, one close
# of business a day, for at most this many days (a demo built years later stops there).
MAX_CARRY_DAYS = 366
CENT = Decimal("0.01")

LENDING_KINDS = (Organisation.Kind.MICROFINANCE, Organisation.Kind.MUNICIPALITY)
OFFICER_ROLE = {
    Organisation.Kind.MICROFINANCE: Role.LOAN_OFFICER,
    Organisation.Kind.MUNICIPALITY: Role.BENEFITS_OFFICER,
}


def _money(value: Decimal | int | str) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


# --------------------------------------------------------------------------------------
# Products
# --------------------------------------------------------------------------------------

# Monthly annuities on the declining balance, to the cent (the engine's JSON keys).
ANNUITY = {
    "interest_method": "declining_balance",
    "amortization": "equal_installments",
    "interest_period": "same_as_repayment",
    "repayment_every": 1,
    "repayment_unit": "months",
    "installment_multiple_of": "0.01",
}


@dataclass(frozen=True)
class ProductSpec:
    key: str
    name: str
    description: str
    amounts: tuple[int, int]  # the product's range
    rates: tuple[str, str, str]  # min, max, default (% per year)
    repayments: tuple[int, int]
    settings: dict[str, Any]
    typical: tuple[int, int, int]  # low, high, mode of the amounts asked (triangular)
    rate_choices: tuple[str, ...] = ()
    may_convert_to_gift: bool = False
    arrears_tolerance: str = "5.00"


# The engine's disbursement fee is a fixed amount, not a percentage: €150 is the 1.5 % fee
# of a typical €10,000 microcredit.
PRODUCTS: dict[str, tuple[ProductSpec, ...]] = {
    Organisation.Kind.MICROFINANCE: (
        ProductSpec(
            "starter",
            "Microcrédit starter / Microkrediet starter",
            "Pour lancer une activité indépendante / Om een zaak te starten. "
            "€500–€25.000, 12–60 mois/maanden.",
            (500, 25_000),
            ("9", "12", "11"),
            (12, 60),
            {**ANNUITY, "charges": [{"kind": "disbursement_fee", "amount": "150.00"}]},
            (1_500, 20_000, 6_000),
            ("9.5", "10", "11", "11", "11.5", "12"),
        ),
        ProductSpec(
            "existing",
            "Microcrédit entreprise existante / Microkrediet bestaande zaak",
            "Pour développer ou relancer une activité / Om een zaak uit te breiden of te "
            "herstarten. €1.000–€25.000, 6–48 mois/maanden.",
            (1_000, 25_000),
            ("9", "12", "10"),
            (6, 48),
            {**ANNUITY, "charges": [{"kind": "disbursement_fee", "amount": "150.00"}]},
            (2_000, 25_000, 8_000),
            ("9", "9.5", "10", "10.5"),
        ),
        ProductSpec(
            "honour",
            "Prêt d'honneur / Erelening",
            "Prêt subordonné à taux réduit, six mois sans remboursement du capital / "
            "Achtergestelde lening tegen lage rente, zes maanden zonder aflossing.",
            (1_000, 10_000),
            ("0", "4", "2"),
            (24, 60),
            {**ANNUITY, "grace_on_principal": 6},
            (1_000, 10_000, 4_000),
            ("0", "2", "2", "4"),
        ),
    ),
    Organisation.Kind.MUNICIPALITY: (
        ProductSpec(
            "bbz_starter",
            "Bbz bedrijfskapitaal starters",
            "Lening voor bedrijfskapitaal bij de start, naast de Bbz-uitkering. Vaste rente; "
            "wat niet terugbetaald kan worden, kan worden omgezet in een schenking.",
            (500, 12_000),
            ("4", "4", "4"),
            (12, 120),
            {**ANNUITY, "grace_on_principal": 6},
            (1_000, 12_000, 5_000),
            may_convert_to_gift=True,
        ),
        ProductSpec(
            "bbz_established",
            "Bbz bedrijfskapitaal gevestigde ondernemers",
            "Lening voor bedrijfskapitaal van een gevestigde ondernemer in tijdelijke "
            "financiële problemen. Vaste rente; omzetting in een schenking mogelijk.",
            (500, 12_500),
            ("4", "4", "4"),
            (12, 120),
            dict(ANNUITY),
            (2_000, 12_500, 6_000),
            may_convert_to_gift=True,
        ),
    ),
}
PRODUCT_FOR_ROUTE = {
    Organisation.Kind.MICROFINANCE: {"starter": "starter", "established": "existing"},
    Organisation.Kind.MUNICIPALITY: {"starter": "bbz_starter", "established": "bbz_established"},
}
TERMS = (12, 18, 24, 30, 36, 48, 60, 72, 84, 96, 120)

# --------------------------------------------------------------------------------------
# Words
# --------------------------------------------------------------------------------------

# fmt: off
PURPOSES = (
    ("Foodtruck: keuken en eerste voorraad", "Food truck : cuisine et premier stock"),
    ("Kapsalon: stoelen, spiegels en inrichting", "Salon de coiffure : fauteuils et aménagement"),
    ("Naaiatelier: twee industriële naaimachines", "Atelier couture : deux machines pros"),
    ("Schoonmaakbedrijf: bestelwagen en materiaal", "Nettoyage : camionnette et matériel"),
    ("Webwinkel: eerste voorraad en website", "Boutique en ligne : premier stock et site web"),
    ("Bakkerij: oven en koelkast", "Boulangerie : four et frigo"),
    ("Fietsherstelplaats: gereedschap en onderdelen", "Atelier vélo : outillage et pièces"),
    ("Catering: koelcel en vervoer", "Traiteur : chambre froide et transport"),
    ("Kruidenierszaak: voorraad en kassasysteem", "Épicerie : stock et caisse"),
    ("Klusbedrijf: gereedschap en aanhangwagen", "Petits travaux : outillage et remorque"),
    ("Fotostudio: camera en verlichting", "Studio photo : appareil et éclairage"),
    ("Kinderopvang aan huis: inrichting en speelgoed", "Accueil d'enfants : aménagement et jouets"),
)
ASSESSMENTS = (
    ("Haalbaar plan, ervaring in de sector, realistische omzetprognose.",
     "Plan réaliste, expérience dans le secteur, prévisions prudentes."),
    ("Klein risico: eigen inbreng en eerste klanten al gevonden.",
     "Risque limité : apport personnel et premiers clients trouvés."),
    ("Krappe marge in het eerste jaar; begeleiding blijft nodig.",
     "Marge serrée la première année ; l'accompagnement reste nécessaire."),
)
CONDITIONS = (
    ("Boekhouding per kwartaal aan de begeleider bezorgen.",
     "Transmettre la comptabilité chaque trimestre au conseiller."),
    ("Verzekering van het materiaal afsluiten vóór de uitbetaling.",
     "Assurer le matériel avant le décaissement."),
)
REFUSALS = (
    ("De terugbetaling past niet in het huidige budget; eerst het plan verder uitwerken.",
     "Le remboursement ne tient pas dans le budget actuel ; retravailler d'abord le plan."),
    ("Te weinig zicht op de markt: eerst een testperiode met eerste klanten.",
     "Pas assez de visibilité sur le marché : d'abord une période de test."),
)
# fmt: on


# --------------------------------------------------------------------------------------
# Candidates and cases
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    trajectory_id: int
    client_id: int
    route: str
    financing_on: datetime.date  # when the route entered financing
    left_to: str  # where it went next ("" while still in financing)
    left_on: datetime.date | None

    @property
    def forward(self) -> bool:
        return self.left_to in (Phase.STARTED, Phase.AFTERCARE)

    @property
    def current(self) -> bool:
        return not self.left_to

    @property
    def back(self) -> bool:
        return self.left_to in (Phase.GUIDANCE, Phase.CLOSED)


def _months_between(start: datetime.date, end: datetime.date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day)


def _candidates(organisation: Organisation) -> list[Candidate]:
    """Routes of the organisation that reached financing, in primary-key order."""
    first: dict[int, tuple[int, str, datetime.date]] = {}
    for trajectory_id, client_id, route, on in (
        PhaseChange.objects.filter(trajectory__organisation=organisation, to_phase=Phase.FINANCING)
        .order_by("trajectory_id", "on", "id")
        .values_list("trajectory_id", "client_id", "trajectory__route_type__code", "on")
    ):
        first.setdefault(trajectory_id, (client_id, route, on))
    leaving: dict[int, tuple[str, datetime.date]] = {}
    for trajectory_id, to_phase, on in (
        PhaseChange.objects.filter(
            trajectory__organisation=organisation, from_phase=Phase.FINANCING
        )
        .order_by("trajectory_id", "on", "id")
        .values_list("trajectory_id", "to_phase", "on")
    ):
        if trajectory_id in first and trajectory_id not in leaving:
            leaving[trajectory_id] = (to_phase, on)
    result = []
    for trajectory_id, (client_id, route, on) in sorted(first.items()):
        to_phase, left_on = leaving.get(trajectory_id, ("", None))
        result.append(Candidate(trajectory_id, client_id, route, on, to_phase, left_on))
    return result


@dataclass(frozen=True)
class Scenario:
    name: str
    kind: str  # "pending", "refused" or "disbursed"
    min_months: int = 0  # disbursed at least this many months ago
    stays_active: bool = False  # needs instalments falling due after today


SCENARIOS = {
    s.name: s
    for s in (
        Scenario("preparation", "pending"),
        Scenario("committee", "pending"),
        Scenario("approved", "pending"),
        Scenario("refused", "refused"),
        Scenario("written_off", "disbursed", 14),
        Scenario("gift", "disbursed", 10),
        Scenario("closed", "disbursed", 15),
        Scenario("late_long", "disbursed", 8, True),
        Scenario("restructured", "disbursed", 7, True),
        Scenario("partial", "disbursed", 6, True),
        Scenario("late", "disbursed", 4, True),
        Scenario("prepaid_part", "disbursed", 4, True),
        Scenario("bounced", "disbursed", 3, True),
        Scenario("prepaid_full", "disbursed", 3),
        Scenario("slightly_late", "disbursed", 1, True),
        Scenario("on_time", "disbursed"),
    )
}
# One of each first (the most demanding on the disbursement date first), then ordinary loans.
SHOWCASE = {
    Organisation.Kind.MICROFINANCE: (
        "written_off",
        "closed",
        "late_long",
        "restructured",
        "partial",
        "late",
        "prepaid_part",
        "bounced",
        "prepaid_full",
        "slightly_late",
        "on_time",
        "on_time",
        "preparation",
        "committee",
        "approved",
        "refused",
    ),
    Organisation.Kind.MUNICIPALITY: (
        "gift",
        "late_long",
        "late",
        "slightly_late",
        "on_time",
        "on_time",
        "preparation",
        "committee",
        "refused",
    ),
}
ORDINARY_DISBURSED = (
    ("on_time", 70),
    ("slightly_late", 14),
    ("late", 6),
    ("partial", 4),
    ("prepaid_part", 3),
    ("late_long", 3),
)
ORDINARY_PENDING = (("preparation", 1), ("committee", 1), ("approved", 1))


def _pick(rng: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    names, weights = zip(*pairs, strict=True)
    return rng.choices(names, weights=weights)[0]


def application_targets(client_counts: dict[int, int]) -> dict[int, int]:
    """Applications per lending organisation (by id): one per 15 clients, a cap in all."""
    total = sum(client_counts.values())
    if total < MIN_CLIENTS:
        return dict.fromkeys(client_counts, 0)
    wanted = min(MAX_APPLICATIONS, total // CLIENTS_PER_APPLICATION)
    return {
        organisation_id: round(wanted * count / total) if total else 0
        for organisation_id, count in client_counts.items()
    }


# --------------------------------------------------------------------------------------
# Building
# --------------------------------------------------------------------------------------


def close_until(today: datetime.date, built_on: datetime.date | None) -> datetime.date:
    """The last day the demo's close of business runs for: the day it is built, never before
    the reference date `today` and at most MAX_CARRY_DAYS after it."""
    if built_on is None:
        return today
    return max(today, min(built_on, today + datetime.timedelta(days=MAX_CARRY_DAYS)))


def build_lending(
    *,
    organisations: list[Organisation],
    seed: int,
    today: datetime.date,
    built_on: datetime.date | None = None,
) -> dict[str, Any]:
    """Products and loans for every lending organisation, then the close of business for
    `today` and for every day after it up to `built_on` (see close_until)."""
    rng = random.Random(seed * 1_000_003 + 29)
    lenders = [o for o in organisations if o.kind in LENDING_KINDS]
    client_counts = {o.pk: o.clients.count() for o in lenders}
    targets = application_targets(client_counts)
    counts: dict[str, Any] = {"products": 0, "skipped": 0, "scenarios": {}, "carried": 0}
    books: list[_Book] = []
    for organisation in lenders:
        if not targets[organisation.pk]:
            continue
        book = _Book(organisation, rng, today)
        counts["products"] += len(book.products)
        book.build(targets[organisation.pk])
        books.append(book)
        counts["scenarios"].update(book.scenarios)
    counts["closed_until"], counts["reference"] = None, today
    if books:
        for book in books:
            book.close(today)
        until = close_until(today, built_on)
        counts["carried"] = _carry_forward(
            books, start=today, until=until, rng=random.Random(seed * 1_000_037 + 31)
        )
        counts["closed_until"] = until
        counts["stalled"] = [(b.organisation.name, *b.stalled) for b in books if b.stalled]
    counts["skipped"] = sum(book.skipped for book in books)
    counts["applications"] = _count_by(LoanApplication, lenders)
    counts["loans"] = _count_by(Loan, lenders)
    return counts


# After the reference date, how each scenario's loans go on paying: the days after each due
# date (never later than the day paid for) and the share of the instalment paid (None: what is
# open of it). "late" pays just enough to stay 31–60 days late; "late_long" pays nothing.
KEEPS_PAYING: dict[str, tuple[tuple[int, int], tuple[float, float] | None]] = {
    "on_time": ((-2, 3), None),
    "closed": ((-2, 3), None),
    "bounced": ((-2, 3), None),
    "restructured": ((-2, 3), None),
    "prepaid_part": ((-2, 3), None),
    "prepaid_full": ((-2, 3), None),
    "slightly_late": ((3, 24), None),
    "partial": ((0, 6), (0.6, 0.9)),
}
LATE_PAYS_AFTER = (35, 50)  # the late loan pays each instalment about six weeks late


def _carry_forward(
    books: list[_Book], *, start: datetime.date, until: datetime.date, rng: random.Random
) -> int:
    """Post what the active loans pay after `start`, day by day up to `until`, each day
    followed by that day's close of business; the number of repayments posted."""
    if until <= start:
        return 0
    first = start + datetime.timedelta(days=1)
    planned: list[tuple[datetime.date, int, int, _Life, Decimal]] = []
    lives = sorted(
        ((life, name) for book in books for life, name in book.lives),
        key=lambda pair: pair[0].loan.pk,
    )
    for life, name in lives:
        if life.status() != LoanStatus.ACTIVE:
            continue
        life.today = until
        for on, amount in _payments_after(life, name, start, first, until, rng):
            planned.append((on, life.loan.pk, len(planned), life, amount))
    planned.sort(key=lambda row: row[:3])
    posted = 0
    index = 0
    day = first
    while day <= until:
        while index < len(planned) and planned[index][0] == day:
            _, _, _, life, amount = planned[index]
            index += 1
            if life.status() == LoanStatus.ACTIVE and life.pay(amount, day) is not None:
                posted += 1
        for book in books:
            book.close(day)
        day += datetime.timedelta(days=1)
    return posted


def _payments_after(
    life: _Life,
    name: str,
    start: datetime.date,
    first: datetime.date,
    until: datetime.date,
    rng: random.Random,
) -> list[tuple[datetime.date, Decimal]]:
    """The (date, amount) of what this loan pays from `first` to `until`, in date order."""
    rows = [row for row in life.rows() if row[0] > 0]
    payments: list[tuple[datetime.date, Decimal]] = []
    last = max(first, life.last)

    def add(due: datetime.date, days: tuple[int, int], amount: Decimal) -> bool:
        nonlocal last
        on = max(last, due + datetime.timedelta(days=rng.randint(*days)))
        if on > until:
            return False
        payments.append((on, amount))
        last = on
        return True

    if name in KEEPS_PAYING:
        delay, share = KEEPS_PAYING[name]
        for _, due, total, open_amount in rows:
            if due > until:
                break
            if share is None:
                if open_amount == 0:  # paid already, or ahead by a prepayment
                    continue
                amount = open_amount
            elif due <= start:  # partly paid before: stays as it is
                continue
            else:
                amount = total * Decimal(str(rng.uniform(*share)))
            if not add(due, delay, amount):
                break
    elif name == "late":
        # Pay the oldest open instalments until the oldest still open is 31 or more days late.
        dues = [due for _, due, _, _ in rows]
        unpaid = max((d for d in dues if (until - d).days >= 31), default=None)
        for _, due, _, open_amount in rows:
            if unpaid is None or due >= unpaid:
                break
            if open_amount and not add(due, LATE_PAYS_AFTER, open_amount):
                break
    return payments


def _count_by(model: type[Loan] | type[LoanApplication], organisations: list[Organisation]):
    return Counter(
        model.objects.filter(organisation__in=organisations).values_list("status", flat=True)
    )


def _member(organisation: Organisation, role: str) -> User:
    grant = (
        MembershipRole.objects.filter(membership__organisation=organisation, role=role)
        .select_related("membership__user")
        .order_by("membership__user_id")
        .first()
    )
    if grant is None:  # pragma: no cover - every demo organisation has every role
        raise LookupError(f"{organisation.slug} has no {role}")
    return grant.membership.user


class _Book:
    """One organisation's loan book."""

    def __init__(self, organisation: Organisation, rng: random.Random, today: datetime.date):
        self.organisation = organisation
        self.kind = organisation.kind
        self.rng = rng
        self.today = today
        self.skipped = 0
        self.scenarios: dict[int, str] = {}  # loan id → the scenario it lived
        self.lives: list[tuple[_Life, str]] = []  # the disbursed loans and their scenarios
        self.stalled: tuple[datetime.date, str] | None = None  # a close of business refused
        self.dutch = organisation.country == "NL"
        self.officer = _member(organisation, OFFICER_ROLE[self.kind])
        self.committee = _member(organisation, Role.COMMITTEE)
        admin = _member(organisation, Role.ORG_ADMIN)
        self.specs = {spec.key: spec for spec in PRODUCTS[self.kind]}
        self.products: dict[str, LoanProduct] = {}
        for spec in PRODUCTS[self.kind]:
            low_rate, high_rate, default_rate = (Decimal(r) for r in spec.rates)
            self.products[spec.key] = services.loan_product_save(
                actor=admin,
                organisation=organisation,
                name=spec.name,
                description=spec.description,
                valid_from=PRODUCTS_VALID_FROM,
                min_amount=_money(spec.amounts[0]),
                max_amount=_money(spec.amounts[1]),
                min_rate=low_rate,
                max_rate=high_rate,
                default_rate=default_rate,
                min_repayments=spec.repayments[0],
                max_repayments=spec.repayments[1],
                schedule_settings=spec.settings,
                arrears_tolerance=_money(spec.arrears_tolerance),
                may_convert_to_gift=spec.may_convert_to_gift,
            )

    def close(self, day: datetime.date) -> None:
        """The close of business for `day`, in its own savepoint. When it refuses (an
        unbalanced accrual: on SQLite the batch accrual of opstap.lending sums a loan's
        journal lines in floating point), this book's days stop there, its loans keep the
        arrears of the day before and the console says so, rather than the whole demo
        failing."""
        if self.stalled:
            return
        try:
            with transaction.atomic():
                close_of_business(on=day, organisation_id=self.organisation.pk)
        except AssertionError as exc:
            self.stalled = (day, str(exc))

    # Choosing ---------------------------------------------------------------------------
    def build(self, target: int) -> None:
        if target <= 0:
            return
        candidates = _candidates(self.organisation)
        self.rng.shuffle(candidates)
        used: set[int] = set()
        cases: list[tuple[str, Candidate]] = []

        def take(test: Callable[[Candidate], bool], youngest: bool) -> Candidate | None:
            fitting = [c for c in candidates if c.client_id not in used and test(c)]
            if not fitting:
                return None
            if youngest:
                # Of the loans old enough for the scenario, one of the youngest: a shorter
                # history to post keeps the demo quick.
                fitting.sort(key=lambda c: c.left_on, reverse=True)
                fitting = fitting[: self.rng.randint(1, 3)]
            candidate = fitting[-1] if youngest else fitting[0]
            used.add(candidate.client_id)
            return candidate

        for name in SHOWCASE[self.kind]:
            candidate = None
            for test in self._tests(SCENARIOS[name]):
                candidate = take(test, SCENARIOS[name].kind == "disbursed")
                if candidate is not None:
                    break
            if candidate is not None:
                cases.append((name, candidate))
        for candidate in candidates:
            if len(cases) >= target:
                break
            if candidate.client_id in used:
                continue
            name = self._ordinary(candidate)
            if name is not None:
                used.add(candidate.client_id)
                cases.append((name, candidate))
        trajectories = Trajectory.objects.select_related("client", "route_type").in_bulk(
            [c.trajectory_id for _, c in cases]
        )
        for name, candidate in cases:
            self._run(SCENARIOS[name], trajectories[candidate.trajectory_id], candidate)

    def _tests(self, scenario: Scenario) -> list[Callable[[Candidate], bool]]:
        if scenario.kind == "pending":
            return [lambda c: c.current, lambda c: True]
        if scenario.kind == "refused":
            return [lambda c: c.back, lambda c: True]
        return [lambda c: c.forward and self._fits(scenario, c.left_on)]

    def _fits(self, scenario: Scenario, disbursed_on: datetime.date | None) -> bool:
        if disbursed_on is None or disbursed_on > self.today:
            return False
        months = _months_between(disbursed_on, self.today)
        if not scenario.min_months <= months <= max(ORDINARY_MONTHS, scenario.min_months + 18):
            return False
        longest = max(spec.repayments[1] for spec in self.specs.values())
        return not scenario.stays_active or months + 3 <= longest

    def _ordinary(self, candidate: Candidate) -> str | None:
        if candidate.current:
            return _pick(self.rng, ORDINARY_PENDING)
        if candidate.back:
            return "refused" if self.rng.random() < 0.3 else None
        for _ in range(3):
            name = _pick(self.rng, ORDINARY_DISBURSED)
            if self._fits(SCENARIOS[name], candidate.left_on):
                return name
        return "on_time" if self._fits(SCENARIOS["on_time"], candidate.left_on) else None

    # Applying ---------------------------------------------------------------------------
    def _text(self, pair: tuple[str, str], client) -> str:
        return pair[1] if not self.dutch and client.preferred_language != "nl" else pair[0]

    def _product(self, trajectory: Trajectory) -> ProductSpec:
        key = PRODUCT_FOR_ROUTE[self.kind].get(trajectory.route_type.code, "")
        if key == "starter" and self.rng.random() < 0.2:
            key = "honour"
        return self.specs.get(key) or next(iter(self.specs.values()))

    def _amount(self, spec: ProductSpec) -> Decimal:
        low, high, mode = spec.typical
        step = 250 if high <= 12_500 else 500
        amount = round(self.rng.triangular(low, high, mode) / step) * step
        return _money(min(max(amount, spec.amounts[0]), spec.amounts[1]))

    def _term(self, spec: ProductSpec, low: int = 0, high: int = 10_000) -> int:
        low, high = max(low, spec.repayments[0]), min(high, spec.repayments[1])
        choices = [n for n in TERMS if low <= n <= high]
        return self.rng.choice(choices) if choices else max(min(low, high), spec.repayments[0])

    def _rate(self, spec: ProductSpec) -> Decimal:
        return Decimal(self.rng.choice(spec.rate_choices) if spec.rate_choices else spec.rates[2])

    def _run(self, scenario: Scenario, trajectory: Trajectory, candidate: Candidate) -> None:
        spec = self._product(trajectory)
        product = self.products[spec.key]
        client = trajectory.client
        today, rng = self.today, self.rng
        if scenario.kind == "pending":
            created = max(candidate.financing_on, today - datetime.timedelta(rng.randint(10, 40)))
            expected = today + datetime.timedelta(rng.randint(7, 40))
            application = self._apply(spec, product, trajectory, self._term(spec), expected)
            if scenario.name == "preparation":
                return
            submitted = min(today, created + datetime.timedelta(rng.randint(2, 9)))
            self._submit(application, submitted)
            if scenario.name == "approved":
                self._approve(application, min(today, submitted + datetime.timedelta(3)))
            return
        if scenario.kind == "refused":
            decided = candidate.left_on or min(
                today, candidate.financing_on + datetime.timedelta(rng.randint(20, 60))
            )
            start = candidate.financing_on
            application = self._apply(spec, product, trajectory, self._term(spec), decided)
            self._submit(application, start + (decided - start) / 2)
            services.application_vote(
                actor=self.committee,
                application=application,
                vote=Vote.REFUSE,
                reason=self._text(rng.choice(REFUSALS), client),
                today=decided,
            )
            return
        disbursed_on = candidate.left_on
        assert disbursed_on is not None  # noqa: S101 for mypy: funded candidates left financing
        months = _months_between(disbursed_on, today)
        if scenario.name == "closed":
            term = self._term(spec, high=months - 1)
        elif scenario.name == "on_time":
            term = self._term(spec)
        else:
            term = self._term(spec, low=months + 3)
        application = self._apply(spec, product, trajectory, term, disbursed_on)
        start = candidate.financing_on
        self._submit(application, start + (disbursed_on - start) / 3)
        loan = self._approve(application, start + (disbursed_on - start) * 2 / 3)
        services.loan_disburse(actor=self.officer, loan=loan, on=disbursed_on, today=disbursed_on)
        life = _Life(self, loan, disbursed_on)
        life.run(scenario.name)
        self.lives.append((life, scenario.name))
        self.scenarios[loan.pk] = scenario.name

    def _apply(
        self,
        spec: ProductSpec,
        product: LoanProduct,
        trajectory: Trajectory,
        term: int,
        expected: datetime.date,
    ) -> LoanApplication:
        return services.application_create(
            actor=self.officer,
            organisation=self.organisation,
            client=trajectory.client,
            product=product,
            amount=self._amount(spec),
            purpose=self._text(self.rng.choice(PURPOSES), trajectory.client),
            number_of_repayments=term,
            interest_rate=self._rate(spec),
            expected_disbursement_date=expected,
            trajectory=trajectory,
        )

    def _submit(self, application: LoanApplication, on: datetime.date) -> None:
        services.application_submit(
            actor=self.officer,
            application=application,
            assessment=self._text(self.rng.choice(ASSESSMENTS), application.client),
            today=on,
        )

    def _approve(self, application: LoanApplication, on: datetime.date) -> Loan:
        rng = self.rng
        amount, conditions = None, ""
        minimum = application.product.min_amount
        if rng.random() < 0.15 and application.amount >= minimum + 1000:
            amount = _money(application.amount - 500 * rng.randint(1, 2))
        if rng.random() < 0.3:
            conditions = self._text(rng.choice(CONDITIONS), application.client)
        services.application_vote(
            actor=self.committee,
            application=application,
            vote=Vote.APPROVE,
            approved_amount=amount,
            conditions=conditions,
            today=on,
        )
        return Loan.objects.get(application=application)


class _Life:
    """One disbursed loan's history, posted in date order (each call's `today` is its date)."""

    def __init__(self, book: _Book, loan: Loan, disbursed_on: datetime.date) -> None:
        self.book = book
        self.rng = book.rng
        self.today = book.today
        self.loan = loan
        self.last = disbursed_on
        self.actor = book.officer
        self.channel = Channel.BENEFIT_DEDUCTION if book.dutch else Channel.DIRECT_DEBIT
        self.paid = 0

    # Reading ----------------------------------------------------------------------------
    def rows(self) -> list[tuple[int, datetime.date, Decimal, Decimal]]:
        """The current instalments: number, due date, total and what is still open."""
        return [
            (number, due, principal + interest + fees, open_amount)
            for number, due, principal, interest, fees, open_amount in Installment.objects.filter(
                loan=self.loan, is_current=True
            )
            .order_by("number")
            .values_list("number", "due_date", "principal", "interest", "fees", "open_amount")
        ]

    def status(self) -> str:
        return Loan.objects.values_list("status", flat=True).get(pk=self.loan.pk)

    # Writing ----------------------------------------------------------------------------
    def attempt(self, call: Callable[[], Any]) -> Any:
        """Run one service call in its own savepoint; a refusal skips that step of the
        story (and is counted) instead of stopping the whole demo."""
        try:
            with transaction.atomic():
                return call()
        except ValidationError:
            self.book.skipped += 1
            return None

    def pay(
        self,
        amount: Decimal,
        on: datetime.date,
        *,
        channel: str | None = None,
        mode: str = PrepaymentMode.REDUCE_TERM,
    ):
        on = max(on, self.last)
        if on > self.today or amount <= 0:
            return None
        self.paid += 1

        def post():
            return services.repayment_post(
                actor=self.actor,
                loan=self.loan,
                amount=_money(amount),
                on=on,
                channel=channel or self.channel,
                reference=f"{self.loan.reference}/{self.paid}",
                prepayment_mode=mode,
                today=on,
            )

        posted = self.attempt(post)
        if posted is not None:
            self.last = on
        return posted

    def schedule(
        self,
        *,
        until: datetime.date,
        after: datetime.date | None = None,
        delay: tuple[int, int] = (-2, 3),
        share: tuple[float, float] | None = None,
        on_each: Callable[[Any, datetime.date], None] | None = None,
    ) -> None:
        """Pay the instalments falling due after `after` up to `until`, each `delay` days
        from its due date (never after today), in full or a `share` of it; stop when the
        loan is repaid."""
        for number, due, total, open_amount in self.rows():
            if number == 0:  # the fee at disbursement, paid on the day
                if open_amount > 0:
                    self.pay(open_amount, due, channel=Channel.BANK_TRANSFER)
                continue
            if after is not None and due <= after:
                continue
            if due > until:
                break
            on = due + datetime.timedelta(self.rng.randint(*delay))
            if on > self.today:
                break
            if share is None:
                if open_amount == 0:  # paid ahead by a prepayment
                    continue
                amount = open_amount
            else:
                amount = total * Decimal(str(self.rng.uniform(*share)))
            posted = self.pay(amount, on)
            if posted is None:
                break
            if on_each is not None:
                on_each(posted, on)
            if self.status() != LoanStatus.ACTIVE:
                break

    def payoff(self, on: datetime.date, *, channel: str = Channel.BANK_TRANSFER) -> None:
        """Repay everything in one go: what is due, the current instalment and the principal
        of the instalments after it (their interest is never owed)."""
        on = max(on, self.last)
        rows = Installment.objects.filter(loan=self.loan, is_current=True, open_amount__gt=0)
        amount = Decimal(0)
        current_seen = False
        for due, open_amount, principal, principal_paid in rows.order_by("number").values_list(
            "due_date", "open_amount", "principal", "principal_paid"
        ):
            if due <= on:
                amount += open_amount
            elif not current_seen:
                amount += open_amount
                current_seen = True
            else:
                amount += principal - principal_paid
        self.pay(amount, on, channel=channel)

    def close_later(self) -> None:
        loan = Loan.objects.get(pk=self.loan.pk)
        if loan.status != LoanStatus.REPAID:
            return
        day = max(loan.ended_on or self.last, self.last) + datetime.timedelta(
            self.rng.randint(3, 25)
        )
        if day <= self.today:
            services.loan_close(actor=self.actor, loan=loan, today=day)
            self.last = day

    # Scenarios --------------------------------------------------------------------------
    def run(self, name: str) -> None:
        getattr(self, f"_{name}")()

    def _on_time(self) -> None:
        self.schedule(until=self.today)
        if self.rng.random() < 0.5:
            self.close_later()

    def _slightly_late(self) -> None:
        self.schedule(until=self.today, delay=(3, 24))

    def _closed(self) -> None:
        self.schedule(until=self.today)
        self.close_later()

    def stop_paying(self, late: int) -> None:
        """Pay on time until the instalment that is now at least `late` days overdue."""
        dues = [due for number, due, _, _ in self.rows() if number > 0]
        unpaid = max((d for d in dues if (self.today - d).days >= late), default=None)
        if unpaid is not None:
            self.schedule(until=unpaid - datetime.timedelta(1))

    def _late(self) -> None:
        # The oldest unpaid instalment is 31-60 days late.
        self.stop_paying(31)

    def _late_long(self) -> None:
        # Nothing paid for three to six months: more than 90 days late, non-performing.
        self.stop_paying(self.rng.randint(95, 180))

    def _partial(self) -> None:
        # On time, then for the last half year only part of each instalment.
        since = add_months(self.today, -6)
        self.schedule(until=since)
        self.schedule(until=self.today, after=since, delay=(0, 6), share=(0.6, 0.9))
        # A gesture on the interest that fell due, after a budget talk.
        on = max(self.last, self.today - datetime.timedelta(10))
        state = services.loan_state(Loan.objects.get(pk=self.loan.pk))
        waivable = state.interest_due(on)
        amount = min(waivable, _money(40))
        if amount > 0:
            waived = self.attempt(
                lambda: services.loan_waive(
                    actor=self.actor,
                    loan=self.loan,
                    kind=TransactionKind.WAIVE_INTEREST,
                    amount=amount,
                    on=on,
                    reason=self._word(
                        "Intrest kwijtgescholden na budgetgesprek.",
                        "Intérêts remis après un entretien budgétaire.",
                    ),
                    today=on,
                )
            )
            if waived is not None:
                self.last = on

    def _word(self, dutch: str, french: str) -> str:
        return self.book._text((dutch, french), self.loan.client)

    def _middle(self) -> datetime.date:
        """A due date about halfway between the disbursement and today."""
        dues = [due for number, due, _, _ in self.rows() if number > 0 and due < self.today]
        return dues[len(dues) // 2] if dues else self.last

    def _bounced(self) -> None:
        target = self._middle()
        bounced = []

        def bounce(posted, on: datetime.date) -> None:
            if not bounced and on >= target and on + datetime.timedelta(14) <= self.today:
                bounced.append(posted)
                returned = on + datetime.timedelta(5)
                reversed_ = self.attempt(
                    lambda: services.transaction_reverse(
                        actor=self.actor,
                        transaction_=posted.transaction,
                        reason=self._word(
                            "Domiciliëring geweigerd door de bank (onvoldoende saldo).",
                            "Domiciliation refusée par la banque (provision insuffisante).",
                        ),
                        today=returned,
                    )
                )
                if reversed_ is None:
                    return
                self.last = max(self.last, returned)
                self.pay(
                    posted.transaction.amount,
                    on + datetime.timedelta(12),
                    channel=Channel.BANK_TRANSFER,
                )

        self.schedule(until=self.today, on_each=bounce)

    def _restructured(self) -> None:
        middle = self._middle()
        self.schedule(until=middle)
        effective = max(self.last, middle + datetime.timedelta(10))
        if effective > self.today:  # pragma: no cover - scenarios need 7 months of history
            return
        version = self.attempt(
            lambda: services.loan_restructure(
                actor=self.actor,
                loan=self.loan,
                effective_from=effective,
                holiday_periods=3,
                today=effective,
            )
        )
        if version is not None:
            self.last = max(self.last, version.effective_from)
        self.schedule(until=self.today, after=self.last)

    def _prepaid_part(self) -> None:
        middle = self._middle()
        self.schedule(until=middle)
        on = max(self.last, middle + datetime.timedelta(self.rng.randint(5, 20)))
        outstanding = Loan.objects.values_list("principal_outstanding", flat=True).get(
            pk=self.loan.pk
        )
        share = Decimal(str(self.rng.uniform(0.25, 0.5)))
        if self.pay(
            outstanding * share,
            on,
            channel=Channel.BANK_TRANSFER,
            mode=PrepaymentMode.REDUCE_INSTALLMENT,
        ):
            self.schedule(until=self.today, after=on)

    def _prepaid_full(self) -> None:
        middle = self._middle()
        self.schedule(until=middle)
        self.payoff(max(self.last, middle + datetime.timedelta(self.rng.randint(3, 20))))

    def _ending(self, kind: str) -> None:
        rows = [r for r in self.rows() if r[0] > 0]
        paying = rows[self.rng.randint(2, 5)][1] if len(rows) > 6 else rows[0][1]
        self.schedule(until=paying)
        unpaid = next((due for number, due, _, open_ in self.rows() if number and open_), None)
        if unpaid is None:  # pragma: no cover - the loan was repaid
            return
        later = unpaid + datetime.timedelta(self.rng.randint(190, 260))
        on = max(self.last, min(self.today, later))
        if kind == TransactionKind.WRITE_OFF:
            service, reference = services.loan_write_off, f"CC-{on.year}-{self.loan.pk:03d}"
            reason = self._word(
                "Zaak gesloten, geen verhaal mogelijk na aanmaningen en bemiddeling.",
                "Activité arrêtée, aucun recouvrement possible après rappels et médiation.",
            )
        else:
            service, reference = services.loan_convert_to_gift, f"BBZ-{on.year}-{self.loan.pk:04d}"
            reason = (
                "Onderneming beëindigd; terugbetaling niet mogelijk zonder terugval onder het "
                "bestaansminimum."
            )
        ending = self.attempt(
            lambda: service(
                actor=self.actor,
                loan=self.loan,
                on=on,
                reason=reason,
                decision_reference=reference,
                today=on,
            )
        )
        if ending is not None:
            self.last = max(self.last, ending.value_date)

    def _written_off(self) -> None:
        self._ending(TransactionKind.WRITE_OFF)

    def _gift(self) -> None:
        self._ending(TransactionKind.CONVERT_TO_GIFT)


def summary(counts: dict[str, Any]) -> str:
    """One line for the console: applications and loans by status."""
    applications, loans = counts["applications"], counts["loans"]

    def spelled(counter: Counter, statuses) -> str:
        return ", ".join(f"{counter[s]} {s.replace('_', ' ')}" for s in statuses if counter[s])

    pending = spelled(
        applications,
        (
            ApplicationStatus.IN_PREPARATION,
            ApplicationStatus.IN_COMMITTEE,
            ApplicationStatus.REFUSED,
        ),
    )
    text = (
        f"{counts['products']} loan products, {sum(applications.values())} loan applications "
        f"({pending or 'none open'}) and {sum(loans.values())} loans "
        f"({spelled(loans, LoanStatus.values) or 'none'})"
    )
    until = counts.get("closed_until")
    if until and until > counts.get("reference", until):
        text += f"; the close of business ran daily up to {until:%Y-%m-%d}"
        if counts.get("carried"):
            text += f" ({counts['carried']} repayments after the reference date)"
    for name, day, error in counts.get("stalled", ()):
        text += (
            f" (but for {name} it stopped on {day:%Y-%m-%d}, refused: {error}; its loans "
            "keep the arrears of the close before)"
        )
    if counts.get("skipped"):
        text += f" ({counts['skipped']} loan events refused by the services and left out)"
    return text
