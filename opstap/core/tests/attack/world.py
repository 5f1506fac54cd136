"""One of everything, in two organisations, and every URL of our apps filled with its ids.

`build()` makes the world through the services (the factories and helpers of each app's
tests), `url_cases()` walks the root URLconf and fills each pattern's arguments from
`ARGUMENTS`. A pattern that `ARGUMENTS` does not know fails `test_urls.py`, so a new page
joins the attack suite the day it is written.
"""

from __future__ import annotations

import datetime
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.contrib.auth.tokens import default_token_generator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as HttpClient
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from opstap.activities import services as activity_services
from opstap.clients import services as client_services
from opstap.coaching import services as coaching_services
from opstap.coaching.tests.factories import starter_route
from opstap.core.access import activate
from opstap.core.models import Membership, Organisation, User
from opstap.core.roles import Role
from opstap.core.signin import AUTHENTICATED_AT
from opstap.core.tests.factories import OrganisationFactory, member
from opstap.journeys import services as journey_services
from opstap.journeys.models import CheckIn
from opstap.lending import services as lending_services
from opstap.lending.choices import Vote
from opstap.lending.models import Loan
from opstap.lending.tests.helpers import make_product
from opstap.plans import services as plan_services
from opstap.plans.tests.helpers import sample_financial, with_assumptions
from opstap.referrals import services as referral_services

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
ROLES = list(Role.values)
EVERYONE = "everyone"
# Larger than any id the world has, within the id converter's bound.
MISSING_ID = 987_654_321


def plain(label: str) -> str:
    return label


# Every text of the other organisation carries this word: a page of ours that shows it leaks.
THEIRS = "Theirs"


def theirs(label: str) -> str:
    return f"{label} {THEIRS}"


@dataclass
class Side:
    """One organisation with a member per role and one object of every kind."""

    org: Organisation
    users: dict[str, User]
    objects: dict[str, Any] = field(default_factory=dict)

    # The lending and plans helpers take a `world` with `.own` and `world[role]`.
    @property
    def own(self) -> Organisation:
        return self.org

    def __getitem__(self, role: str) -> User:
        return self.users[role]


@dataclass
class AttackWorld:
    own: Side
    other: Side

    def __getitem__(self, role: str) -> User:
        return self.own.users[role]


def _side(org: Organisation, text: Callable[[str], str]) -> Side:
    users = {role: member(org, role, email=f"{role}@{org.slug}.example") for role in ROLES}
    # Every role at once: the member who gets furthest into every view.
    users[EVERYONE] = member(org, *ROLES, email=f"everyone@{org.slug}.example")
    side = Side(org=org, users=users)
    adviser, admin = users[Role.ADVISER], users[Role.ORG_ADMIN]
    for user in users.values():
        activate(user, org)
    today = timezone.localdate()
    o = side.objects
    o["member"] = Membership.objects.get(user=users[Role.JOB_COACH], organisation=org)
    o["volunteer"] = users[Role.VOLUNTEER]
    coaching_services.volunteer_profile_save(
        actor=admin,
        organisation=org,
        volunteer=users[Role.VOLUNTEER],
        expertise=["finance"],
        languages=["nl"],
        availability=text("Dinsdagavond"),
        max_clients=3,
    )
    client = client_services.client_create(
        actor=adviser,
        organisation=org,
        data={
            "first_name": text("Amina"),
            "last_name": text("Haddou"),
            "birth_date": datetime.date(1985, 7, 30),
            "gender": "woman",
            "street": text("Gentsesteenweg 12"),
            "postcode": "1080",
            "municipality": text("Molenbeek"),
            "neighbourhood": text("Oud-Molenbeek"),
            "adviser": adviser,
        },
        duplicate_override_reason=text("Tweede dossier"),
    )
    o["client"] = client
    o["consent"] = client_services.consent_record(
        actor=adviser,
        client=client,
        purpose="case_management",
        given_on=today - datetime.timedelta(days=10),
        text_version="2026-01",
    )
    o["document"] = client_services.document_add(
        actor=adviser,
        client=client,
        kind="id_copy",
        upload=SimpleUploadedFile(text("identiteitskaart") + ".pdf", PDF, "application/pdf"),
    )
    o["assignment"] = client_services.coach_assign(
        actor=adviser, client=client, coach=users[Role.VOLUNTEER]
    )
    programme = journey_services.programme_save(
        actor=admin,
        organisation=org,
        code=f"prog-{org.slug}",
        name=text("Ondernemen in Molenbeek"),
        starts_on=datetime.date(2020, 1, 1),
        ends_on=datetime.date(2030, 12, 31),
        description=text("Begeleiding naar zelfstandig ondernemen"),
    )
    o["programme"] = programme
    o["route_type"] = journey_services.route_type_adapt(
        actor=admin, organisation=org, route_type=starter_route()
    )
    trajectory = journey_services.trajectory_open(
        actor=adviser,
        client=client,
        route_type=o["route_type"],
        on=today - datetime.timedelta(days=60),
        phase="intake",
        adviser=adviser,
        programmes=[programme],
        reason=text("Wil een naaiatelier starten"),
    )
    o["trajectory"] = trajectory
    o["check_in"] = CheckIn.objects.create(
        trajectory=trajectory, months_after_start=6, due_on=today + datetime.timedelta(days=30)
    )
    o["note"] = coaching_services.note_add(
        actor=adviser, client=client, text=text("Eerste gesprek"), trajectory=trajectory
    )
    o["session"] = coaching_services.session_log(
        actor=adviser,
        client=client,
        coach=users[Role.VOLUNTEER],
        on=today - datetime.timedelta(days=3),
        duration_minutes=45,
        topics=["finance"],
        next_steps=text("Offerte opvragen"),
        trajectory=trajectory,
    )
    o["action"] = coaching_services.action_add(
        actor=adviser, trajectory=trajectory, title=text("KBO-inschrijving"), owner=adviser
    )
    series = activity_services.series_create(
        actor=admin, organisation=org, title=text("Ladder naar succes"), planned_sessions=3
    )
    o["series"] = series
    starts = timezone.now() + datetime.timedelta(days=7)
    activity = activity_services.activity_create(
        actor=adviser,
        organisation=org,
        kind="info_session",
        title=text("Infosessie starten"),
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=2),
        place=text("Buurthuis De Vaart"),
        neighbourhood=text("Oud-Molenbeek"),
        facilitator_name=text("Sara"),
        capacity=20,
        programmes=[programme],
        series=series,
    )
    o["activity"] = activity
    o["registration"] = activity_services.registration_add(
        actor=adviser, activity=activity, client=client
    )
    outreach = activity_services.activity_create(
        actor=adviser,
        organisation=org,
        kind="outreach",
        title=text("Straatwerk"),
        starts_at=timezone.now() - datetime.timedelta(days=2),
        ends_at=timezone.now() - datetime.timedelta(days=2, hours=-2),
        place=text("Markt"),
    )
    o["outreach"] = outreach
    o["outreach_count"] = activity_services.outreach_count_record(
        actor=adviser,
        activity=outreach,
        neighbourhood=text("Heyvaert"),
        channel="street",
        people_reached=12,
    )
    o["referral"] = referral_services.referral_create(
        actor=adviser,
        organisation=org,
        client=client,
        direction="outbound",
        partner_name=text("VDAB"),
        reason=text("Hulp bij de KBO-inschrijving"),
        sent_on=today - datetime.timedelta(days=5),
    )
    with_assumptions(side)
    plan = plan_services.plan_create(
        actor=adviser, organisation=org, client=client, title=text("Naaiatelier"), today=today
    )
    version = plan.versions.get(number=1)
    for section in ("entrepreneur", "idea", "market", "risks"):
        version = plan_services.plan_section_save(
            actor=adviser, version=version, section=section, text=text(f"Tekst {section}")
        )
    version = plan_services.plan_financial_save(
        actor=adviser, version=version, financial=sample_financial()
    )
    plan_services.comment_add(actor=adviser, version=version, section="idea", text=text("Goed"))
    plan_services.plan_submit(actor=adviser, version=version, today=today)
    o["plan"] = plan
    o["version"] = version
    o["assessment"] = plan_services.assessment_request(
        actor=adviser,
        plan=plan,
        requested_on=today,
        external_adviser=text("Ondernemerscentrum"),
        today=today,
    )
    product = make_product(
        org, admin, name=text("Startlening"), description=text("Voor starters zonder bank")
    )
    o["product"] = product
    o["loan"] = loan = _loan(side, product, client, text)
    o["application"] = loan.application
    o["transaction"] = loan.transactions.order_by("pk").first()
    _privacy(side, text)
    return side


def _loan(side: Side, product: Any, client: Any, text: Callable[[str], str]) -> Loan:
    """What lending/tests/helpers.py `disbursed_loan` does, with our own texts."""
    officer, committee = side.users[Role.LOAN_OFFICER], side.users[Role.COMMITTEE]
    on = timezone.localdate()
    application = lending_services.application_create(
        actor=officer,
        organisation=side.org,
        client=client,
        product=product,
        amount=Decimal("5000.00"),
        purpose=text("Foodtruck: keuken en eerste voorraad"),
        number_of_repayments=12,
        interest_rate=None,
        expected_disbursement_date=on,
    )
    lending_services.application_submit(
        actor=officer, application=application, assessment=text("Solide plan"), today=on
    )
    lending_services.application_vote(
        actor=committee, application=application, vote=Vote.APPROVE, today=on
    )
    loan = Loan.objects.get(application=application)
    lending_services.loan_disburse(actor=officer, loan=loan, on=on, today=on)
    loan.refresh_from_db()
    return loan


def _privacy(side: Side, text: Callable[[str], str]) -> None:
    ExportRequest = apps.get_model("privacy", "ExportRequest")
    RetentionRun = apps.get_model("privacy", "RetentionRun")
    DataBreach = apps.get_model("privacy", "DataBreach")
    o, org, admin = side.objects, side.org, side.users[Role.ORG_ADMIN]
    o["export"] = ExportRequest.objects.create(
        organisation=org, client=o["client"], requested_by=admin, language="nl"
    )
    o["retention_run"] = RetentionRun.objects.create(
        organisation=org, on=timezone.localdate(), dry_run=True
    )
    o["breach"] = DataBreach.objects.create(
        organisation=org,
        found_at=timezone.now() - datetime.timedelta(hours=5),
        nature=text("Laptop verloren"),
        categories=["contact"],
        approximate_people=3,
        consequences=text("Adressen mogelijk gelezen"),
        measures=text("Wachtwoorden gewijzigd"),
        recorded_by=admin,
    )


def build(text: Callable[[str], str] = plain) -> AttackWorld:
    own = OrganisationFactory(slug="own", name=text("Microkrediet Brussel"), country="BE")
    other = OrganisationFactory(slug="other", name="Gemeente Emmerveen", country="BE")
    return AttackWorld(own=_side(own, text), other=_side(other, theirs))


def _reset_token(side: Side) -> tuple[str, str]:
    user = side.users[Role.ADVISER]
    return urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)


Value = Callable[[Side], Any]


def obj(name: str, attribute: str = "pk") -> Value:
    return lambda side: getattr(side.objects[name], attribute)


def const(value: Any) -> Value:
    return lambda side: value


# Every id-bearing URL: its arguments, each from an object of the side the URL is filled for.
# Per app namespace: the kwarg's default meaning, then the URLs where the same name means
# something else.
ARGUMENTS: dict[str, dict[str, Value]] = {
    "clients": {
        "pk": obj("client"),
        "consent_pk": obj("consent"),
        "document_pk": obj("document"),
        "assignment_pk": obj("assignment"),
    },
    "journeys": {
        "client_pk": obj("client"),
        "pk": obj("trajectory"),
        "check_in_pk": obj("check_in"),
    },
    "journeys:programme_edit": {"pk": obj("programme")},
    "journeys:route_type": {"pk": obj("route_type")},
    "activities": {
        "pk": obj("activity"),
        "registration_pk": obj("registration"),
        "count_pk": obj("outreach_count"),
    },
    "activities:outreach": {"pk": obj("outreach")},
    "activities:outreach_count_delete": {"pk": obj("outreach"), "count_pk": obj("outreach_count")},
    "activities:series_detail": {"pk": obj("series")},
    "coaching": {
        "client_pk": obj("client"),
        "user_pk": obj("volunteer"),
        "note_pk": obj("note"),
        "trajectory_pk": obj("trajectory"),
        "action_pk": obj("action"),
    },
    "referrals": {"pk": obj("referral")},
    "lending": {"pk": obj("loan"), "transaction_pk": obj("transaction")},
    **{f"lending:{name}": {"pk": obj("product")} for name in ("product_detail", "product_edit")},
    **{
        f"lending:application_{name}": {"pk": obj("application")}
        for name in ("detail", "edit", "submit", "withdraw", "vote")
    },
    "plans": {
        "pk": obj("plan"),
        "client_pk": obj("client"),
        "number": obj("version", "number"),
        "section": const("idea"),
        "step": const("operating"),
    },
    **{
        f"plans:{name}": {"pk": obj("assessment")}
        for name in ("assessment", "assessment_extend", "assessment_update", "assessment_decide")
    },
    "privacy": {"pk": obj("client")},
    **{f"privacy:{name}": {"pk": obj("export")} for name in ("export_status", "export_download")},
    "privacy:retention_run": {"pk": obj("retention_run")},
    "privacy:breach_edit": {"pk": obj("breach")},
    "reporting": {"pk": obj("programme"), "fmt": const("xlsx")},
    "imports": {"kind": const("clients"), "extension": const("csv")},
    "": {"pk": obj("member")},
    "password_reset_confirm": {
        "uidb64": lambda side: _reset_token(side)[0],
        "token": lambda side: _reset_token(side)[1],
    },
}

# Arguments that are not ids: the same value on both sides, never swapped for another's.
NOT_IDS = {"number", "section", "step", "fmt", "kind", "extension", "uidb64", "token"}

# Pages not about an organisation's data: the sign-in flow and the visitor's own account.
OUTSIDE_ORGANISATIONS = {
    "login",
    "logout",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "two_factor_verify",
}


@dataclass(frozen=True)
class Pattern:
    name: str  # "clients:detail", or "dashboard" for the root namespace
    namespace: str
    kwargs: tuple[str, ...]
    route: str

    @property
    def id_kwargs(self) -> tuple[str, ...]:
        return tuple(k for k in self.kwargs if k not in NOT_IDS)


def patterns() -> list[Pattern]:
    """Every named pattern of the root URLconf, the admin and the language switch left out."""
    found: list[Pattern] = []

    def walk(resolver: URLResolver, prefix: str, namespace: str) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                route = str(entry.pattern)
                if route.startswith(("admin/", "i18n/")):
                    continue
                walk(entry, prefix + route, entry.namespace or namespace)
            elif isinstance(entry, URLPattern):
                assert entry.name, f"unnamed URL pattern {prefix}{entry.pattern}"
                name = f"{namespace}:{entry.name}" if namespace else entry.name
                kwargs = tuple(entry.pattern.converters)
                found.append(Pattern(name, namespace, kwargs, prefix + str(entry.pattern)))

    walk(get_resolver(), "", "")
    return found


def argument(pattern: Pattern, kwarg: str) -> Value | None:
    for key in (pattern.name, pattern.namespace):
        if kwarg in ARGUMENTS.get(key, {}):
            return ARGUMENTS[key][kwarg]
    return None


def unmapped(pattern: Pattern) -> list[str]:
    return [k for k in pattern.kwargs if argument(pattern, k) is None]


def url(pattern: Pattern, sides: dict[str, Side], *, missing: frozenset[str] = frozenset()) -> str:
    """The pattern filled with each kwarg's object from `sides[kwarg]` (default `sides["*"]`);
    kwargs in `missing` get an id no object has."""
    kwargs = {}
    for kwarg in pattern.kwargs:
        value = argument(pattern, kwarg)
        assert value is not None, f"{pattern.name}: no mapping for <{kwarg}> in ARGUMENTS"
        side = sides.get(kwarg, sides["*"])
        kwargs[kwarg] = MISSING_ID if kwarg in missing else value(side)
    return reverse(pattern.name, kwargs=kwargs)


def fresh_login(user: User) -> HttpClient:
    """Signed in just now (the sensitive pages ask again after ten minutes), CSRF unchecked."""
    return _signed_in(HttpClient(), user)


def _signed_in(http: HttpClient, user: User) -> HttpClient:
    http.force_login(user)
    session = http.session
    session[AUTHENTICATED_AT] = time.time()
    session.save()
    return http


def csrf_login(user: User) -> HttpClient:
    return _signed_in(HttpClient(enforce_csrf_checks=True), user)


# The models whose rows an attack must never change: every concrete field of every row.
WATCHED = [
    "core.Organisation",
    "core.Membership",
    "core.MembershipRole",
    "clients.Client",
    "clients.Consent",
    "clients.ClientDocument",
    "clients.ClientCoach",
    "journeys.Programme",
    "journeys.RouteType",
    "journeys.Trajectory",
    "journeys.PhaseChange",
    "journeys.CheckIn",
    "activities.ActivitySeries",
    "activities.Activity",
    "activities.Registration",
    "activities.OutreachCount",
    "coaching.CaseNote",
    "coaching.CoachingSession",
    "coaching.ActionItem",
    "coaching.VolunteerProfile",
    "referrals.Referral",
    "plans.BusinessPlan",
    "plans.PlanVersion",
    "plans.PlanComment",
    "plans.ViabilityAssessment",
    "plans.PlanAssumptions",
    "lending.LoanProduct",
    "lending.LoanApplication",
    "lending.CommitteeVote",
    "lending.Loan",
    "lending.LoanTransaction",
    "lending.JournalEntry",
    "privacy.ExportRequest",
    "privacy.RetentionRun",
    "privacy.DataBreach",
    "privacy.Erasure",
]
# The logs: only their row count per organisation (a refused request may log the refusal).
COUNTED = ["core.AuditEvent", "core.FileAccess"]


def snapshot(organisation: Organisation | None = None) -> dict[str, Any]:
    """A digest of every watched row and a count of the log rows: of `organisation`, or all."""
    state: dict[str, Any] = {}
    for label in WATCHED:
        model = apps.get_model(label)
        rows = model._base_manager.order_by("pk")
        if organisation is not None:
            path = "pk" if model is Organisation else _organisation_paths(model)[0]
            rows = rows.filter(**{path: organisation.pk})
        state[label] = hashlib.sha256(repr(list(rows.values_list())).encode()).hexdigest()
    for label in COUNTED:
        rows = apps.get_model(label).objects.all()
        if organisation is not None:
            rows = rows.filter(organisation=organisation)
        state[label] = rows.count()
    return state


def changed(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [label for label in before if before[label] != after[label]]


def report(request: Any, line: str) -> None:
    """A figure of the suite on the terminal (not under xdist, whose workers have none)."""
    plugins = request.config.pluginmanager
    reporter, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.ensure_newline()
            reporter.write_line(line)


# Links that cross organisations by design: a referral to a partner and the partner's answer,
# a programme shared with partners.
CROSSING = {"referrals.Referral", "referrals.ReferralEvent", "journeys.ProgrammePartner"}


def _organisation_paths(model: Any, depth: int = 2) -> list[str]:
    """The ways from a row to the organisation it belongs to: its own `organisation`, and
    each foreign key's (a key's key's, when the row has no nearer one)."""
    paths = []
    relations = [f for f in model._meta.concrete_fields if f.is_relation]
    for f in relations:
        if f.name == "organisation":
            paths.append("organisation")
        elif any(g.name == "organisation" for g in f.related_model._meta.concrete_fields):
            paths.append(f"{f.name}__organisation")
    if not paths and depth > 1:
        for f in relations:
            if f.related_model is not model:
                paths += [f"{f.name}__{p}" for p in _organisation_paths(f.related_model, 1)]
    return paths


def cross_links() -> list[str]:
    """Rows whose foreign keys lead to two organisations, or name a user who is not a member
    of the row's organisation: what a form that takes another organisation's id would write."""
    from django.db.models import Exists, F, OuterRef, Q

    found = []
    for model in apps.get_models():
        label = model._meta.label
        if not model.__module__.startswith("opstap") or label in CROSSING | set(COUNTED):
            continue
        if model._meta.proxy or label.split(".")[1].startswith("Historical"):
            continue
        paths = _organisation_paths(model)
        if not paths:
            continue
        rows = model._base_manager.all()
        first = paths[0]
        for path in paths[1:]:
            bad = rows.filter(**{f"{first}__isnull": False, f"{path}__isnull": False}).exclude(
                **{first: F(path)}
            )
            found += [f"{label} {pk}: {first} ≠ {path}" for pk in bad.values_list("pk", flat=True)]
        for f in model._meta.concrete_fields:
            if f.is_relation and f.related_model is User:
                member_of = Membership.objects.filter(
                    user=OuterRef(f.name), organisation=OuterRef(first)
                )
                bad = rows.filter(Q(**{f"{f.name}__isnull": False}), ~Exists(member_of))
                found += [
                    f"{label} {pk}: {f.name} not a member"
                    for pk in bad.values_list("pk", flat=True)
                ]
    return found
