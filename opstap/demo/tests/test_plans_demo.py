"""The demo's business plans: every status, verdict and assessment state, figures that are the
calculation's own, and volunteers who comment only on their own clients' plans."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command

from opstap.clients.models import ClientCoach
from opstap.core.models import MembershipRole, Organisation
from opstap.core.roles import Role
from opstap.demo import generator as g
from opstap.demo import plans
from opstap.demo.tests.test_demo import wipe
from opstap.demo.tests.test_lending_demo import wipe_lending
from opstap.journeys.models import PhaseChange
from opstap.plans import services
from opstap.plans.choices import AssessmentOutcome, Verdict, VersionStatus
from opstap.plans.models import (
    BusinessPlan,
    PlanAssumptions,
    PlanComment,
    PlanVersion,
    ViabilityAssessment,
)

# 60 clients at Emmerveen: enough plans for every kind of viability assessment.
N = 240
SEED = 5


@pytest.fixture
def demo_settings(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "documents")},
        },
    }
    return settings


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


def test_about_one_plan_per_eight_clients_with_a_cap():
    assert plans.plan_targets({1: 7, 2: 16}) == {1: 0, 2: 2}
    assert plans.plan_targets({1: 135, 2: 90, 3: 75}) == {1: 16, 2: 11, 3: 9}
    big = plans.plan_targets({1: 45_000, 2: 30_000, 3: 25_000})
    assert sum(big.values()) <= plans.MAX_PLANS and big[1] > big[2] > big[3] > 0


def test_decision_reasons_follow_the_figures():
    evaluation = {
        "checks": [
            {"code": "financing_gap", "passed": False, "params": {"financing_gap": "1250.00"}},
            {
                "code": "sufficient_income",
                "passed": True,
                "params": {"gross_income_needed": "20571.43"},
            },
        ],
        "conditions": [],
    }
    reasons = plans.decision_reasons(AssessmentOutcome.NOT_VIABLE, evaluation)
    assert "tekort €\u00a01.250,00" in reasons and "bruto-inkomen" not in reasons
    assert "€\u00a020.571,43" in plans.decision_reasons(AssessmentOutcome.VIABLE, evaluation)


@pytest.mark.django_db
def test_the_demo_business_plans(demo_settings):
    out = run("--clients", str(N), "--seed", str(SEED))
    today = g.REFERENCE_DATE
    organisations = {o.slug: o for o in Organisation.objects.all()}
    assert "business plans with" in out and "viability assessments" in out

    # Assumptions for every organisation from 2025, and a newer row for Emmerveen.
    for slug, organisation in organisations.items():
        rows = list(
            PlanAssumptions.objects.filter(organisation=organisation)
            .order_by("valid_from")
            .values_list("valid_from", "tax_and_contributions_rate")
        )
        assert rows[0][0] == datetime.date(2025, 1, 1)
        assert str(rows[0][1]) == ("0.3000" if organisation.country == "NL" else "0.3500")
        assert len(rows) == (2 if slug == "emmerveen" else 1)

    # Plans at every organisation, linked to a route of the client that reached guidance.
    all_plans = BusinessPlan.objects.select_related("client", "trajectory", "organisation")
    for organisation in organisations.values():
        assert all_plans.filter(organisation=organisation).exists()
    for plan in all_plans:
        assert plan.trajectory is not None and plan.trajectory.client_id == plan.client_id
        assert PhaseChange.objects.filter(trajectory=plan.trajectory, to_phase="guidance").exists()
        first = plan.versions.get(number=1).narrative.get("entrepreneur", "")
        if plan.organisation.slug == "emmerveen":
            assert first.startswith("Ik ben ")
        if plan.organisation.slug == "microkrediet-brussel" and plan.client.preferred_language in (
            "fr",
            "ar",
        ):
            assert first.startswith("Je m'appelle ")
    # Drafts do not have every section written.
    drafts = PlanVersion.objects.filter(status=VersionStatus.DRAFT, number=1)
    assert any(len(v.narrative) < 9 for v in drafts)

    # Every status and every verdict.
    versions = PlanVersion.objects.select_related("plan__organisation")
    assert set(versions.values_list("status", flat=True)) == set(VersionStatus.values)
    assert set(versions.exclude(verdict="").values_list("verdict", flat=True)) == set(
        Verdict.values
    )
    second_drafts = versions.filter(number=2, status=VersionStatus.DRAFT)
    assert second_drafts.exists()
    for draft in second_drafts:
        assert draft.plan.versions.get(number=1).status != VersionStatus.DRAFT

    # The stored evaluation is the calculation's, with the assumptions of its day: a
    # submitted version's of the day it was submitted, a draft's of one of the rows.
    for version in versions.exclude(evaluation=None):
        organisation = version.plan.organisation
        if version.submitted_on is not None:
            days = [version.submitted_on]
        else:
            days = list(
                PlanAssumptions.objects.filter(organisation=organisation).values_list(
                    "valid_from", flat=True
                )
            )
        fresh = [services.evaluate_financial(version.financial, organisation, d) for d in days]
        assert version.evaluation in fresh, version
        assert version.verdict == version.evaluation["verdict"]

    # Assessments at Emmerveen, by its benefits officer, in every state.
    assessments = ViabilityAssessment.objects.select_related(
        "organisation", "created_by", "decided_by", "version"
    )
    officer = g.ORGANISATIONS_BY_SLUG["emmerveen"].login(Role.BENEFITS_OFFICER)
    for assessment in assessments:
        assert assessment.organisation.slug == "emmerveen"
        assert assessment.created_by.email == officer
        assert assessment.version.submitted_on <= assessment.requested_on <= today
    pending = assessments.filter(outcome=AssessmentOutcome.PENDING)
    soon = [a for a in pending if 0 <= (a.decision_due - today).days <= 14]
    assert soon and not any(a.extended_on for a in soon)
    assert any(a.decision_due < today and a.extended_on is None for a in pending)
    extended = pending.filter(extended_on__isnull=False)
    assert extended.count() == 1
    assert extended.get().extension_reason and extended.get().decision_due > today
    decided = assessments.exclude(outcome=AssessmentOutcome.PENDING)
    assert set(decided.values_list("outcome", flat=True)) == set(AssessmentOutcome.values) - {
        AssessmentOutcome.PENDING
    }
    for assessment in decided:
        assert assessment.reasons and assessment.decided_by.email == officer
        assert assessment.requested_on <= assessment.decided_on <= today
        assert assessment.version.status == VersionStatus.ASSESSED
        assert assessment.version.verdict == assessment.outcome
    assert versions.filter(status=VersionStatus.ASSESSED).count() == decided.count()

    # Comments by advisers and volunteers; a volunteer only on an assigned client's plan.
    volunteers = set(
        MembershipRole.objects.filter(role=Role.VOLUNTEER).values_list(
            "membership__user_id", flat=True
        )
    )
    comments = PlanComment.objects.select_related("version__plan")
    by_volunteers = [c for c in comments if c.author_id in volunteers]
    assert by_volunteers and len(by_volunteers) < comments.count()
    for comment in by_volunteers:
        client_id = comment.version.plan.client_id
        assert ClientCoach.objects.filter(client_id=client_id, coach_id=comment.author_id).exists()
    for comment in comments:
        if comment.author_id not in volunteers:
            assert comment.author_id == comment.version.plan.client.adviser_id

    # The same seed gives the same plans.
    first = plan_book()
    ViabilityAssessment.objects.all().delete()  # it protects the version it assessed
    wipe_lending()
    wipe()
    run("--clients", str(N), "--seed", str(SEED))
    assert plan_book() == first


def plan_book() -> list[tuple]:
    book = []
    for plan in BusinessPlan.objects.select_related("client").order_by(
        "organisation__slug", "client__external_reference"
    ):
        book.append(
            (
                plan.client.external_reference,
                plan.title,
                list(
                    plan.versions.order_by("number").values_list(
                        "number", "status", "verdict", "submitted_on", "narrative", "financial"
                    )
                ),
                list(
                    PlanComment.objects.filter(version__plan=plan)
                    .order_by("id")
                    .values_list("version__number", "section", "author__email", "text")
                ),
                list(
                    plan.assessments.values_list(
                        "requested_on", "decision_due", "extended_on", "outcome", "reasons"
                    )
                ),
            )
        )
    return book
