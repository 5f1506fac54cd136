"""Business plan services: versions, sections, comments, the viability assessment."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from opstap.core.models import AuditEvent
from opstap.plans import services
from opstap.plans.choices import AssessmentOutcome, Section, VersionStatus

from .helpers import TODAY, new_plan, sample_financial, with_assumptions

pytestmark = pytest.mark.django_db


def codes(error: ValidationError, field: str) -> list[str]:
    return [e.code for e in error.error_dict[field]]


def test_a_new_plan_starts_with_a_draft_beginning_next_month(world):
    plan = new_plan(world)
    version = plan.versions.get()
    assert version.number == 1 and version.status == VersionStatus.DRAFT
    assert version.financial == {"start_month": "2026-12"}
    assert AuditEvent.objects.filter(action="plan.create").count() == 1


def test_sections_save_only_on_a_draft_and_only_known_sections(world):
    plan = new_plan(world)
    version = plan.versions.get()
    services.plan_section_save(
        actor=world["adviser"], version=version, section=Section.IDEA, text="Fietsen herstellen"
    )
    version.refresh_from_db()
    assert version.narrative == {"idea": "Fietsen herstellen"}
    with pytest.raises(ValidationError) as error:
        services.plan_section_save(actor=world["adviser"], version=version, section="x", text="")
    assert codes(error.value, "section") == ["section_unknown"]


def test_without_assumptions_the_financial_plan_is_refused_with_a_pointer(world):
    plan = new_plan(world)
    with pytest.raises(ValidationError) as error:
        services.plan_financial_save(
            actor=world["adviser"],
            version=plan.versions.get(),
            financial=sample_financial(),
            today=TODAY,
        )
    assert codes(error.value, "financial") == ["no_assumptions"]
    assert plan.versions.get().evaluation is None


def test_financial_plan_is_evaluated_and_a_bad_one_changes_nothing(world):
    with_assumptions(world)
    plan = new_plan(world)
    version = plan.versions.get()
    services.plan_financial_save(
        actor=world["adviser"], version=version, financial=sample_financial(), today=TODAY
    )
    version.refresh_from_db()
    assert version.verdict in ("viable", "viable_with_conditions", "not_viable")
    assert version.evaluation["verdict"] == version.verdict
    before = (version.financial, version.evaluation)
    broken = {**version.financial, "start_month": "januari"}
    with pytest.raises(ValidationError) as error:
        services.plan_financial_save(
            actor=world["adviser"], version=version, financial=broken, today=TODAY
        )
    assert codes(error.value, "financial") == ["invalid"]
    assert "start_month" in str(error.value)
    version.refresh_from_db()
    assert (version.financial, version.evaluation) == before


def test_submit_freezes_and_a_new_version_copies(world):
    with_assumptions(world)
    plan = new_plan(world)
    version = plan.versions.get()
    services.plan_financial_save(
        actor=world["adviser"], version=version, financial=sample_financial(), today=TODAY
    )
    services.plan_section_save(
        actor=world["adviser"], version=version, section=Section.MARKET, text="Buurt"
    )
    services.plan_submit(actor=world["adviser"], version=version, today=TODAY)
    version.refresh_from_db()
    assert version.status == VersionStatus.SUBMITTED and version.submitted_on == TODAY
    with pytest.raises(ValidationError) as error:
        services.plan_section_save(
            actor=world["adviser"], version=version, section=Section.MARKET, text="Stad"
        )
    assert codes(error.value, "version") == ["not_draft"]
    second = services.plan_new_version(actor=world["adviser"], plan=plan)
    assert second.number == 2 and second.narrative == {"market": "Buurt"}
    assert second.financial == version.financial
    with pytest.raises(ValidationError) as error:
        services.plan_new_version(actor=world["adviser"], plan=plan)
    assert codes(error.value, "version") == ["draft_exists"]


def test_comments_need_text_and_a_known_section(world):
    plan = new_plan(world)
    version = plan.versions.get()
    comment = services.comment_add(
        actor=world["volunteer"], version=version, section="risks", text="Wat als je ziek wordt?"
    )
    assert comment.section_label == "Risks and what-ifs"
    with pytest.raises(ValidationError) as error:
        services.comment_add(actor=world["volunteer"], version=version, section="risks", text=" ")
    assert codes(error.value, "text") == ["empty"]


def test_viability_assessment_is_due_in_13_weeks_extendable_once(world):
    with_assumptions(world)
    plan = new_plan(world)
    version = plan.versions.get()
    officer = world["benefits_officer"]
    with pytest.raises(ValidationError) as error:
        services.assessment_request(actor=officer, plan=plan, requested_on=TODAY, today=TODAY)
    assert codes(error.value, "version") == ["nothing_submitted"]
    services.plan_financial_save(
        actor=world["adviser"], version=version, financial=sample_financial(), today=TODAY
    )
    services.plan_submit(actor=world["adviser"], version=version, today=TODAY)
    requested = datetime.date(2026, 11, 2)
    assessment = services.assessment_request(
        actor=officer,
        plan=plan,
        requested_on=requested,
        external_adviser="Ondernemersklankbord",
        today=TODAY,
    )
    assert assessment.decision_due == datetime.date(2027, 2, 1)
    with pytest.raises(ValidationError) as error:
        services.assessment_request(actor=officer, plan=plan, requested_on=TODAY, today=TODAY)
    assert codes(error.value, "plan") == ["assessment_open"]
    services.assessment_extend(
        actor=officer, assessment=assessment, reason="Wachten op rapport", today=TODAY
    )
    assessment.refresh_from_db()
    assert assessment.decision_due == datetime.date(2027, 5, 3)
    with pytest.raises(ValidationError) as error:
        services.assessment_extend(actor=officer, assessment=assessment, reason="x", today=TODAY)
    assert codes(error.value, "extension_reason") == ["already_extended"]
    with pytest.raises(ValidationError) as error:
        services.assessment_decide(
            actor=officer,
            assessment=assessment,
            outcome="viable",
            reasons="",
            decided_on=TODAY,
            today=TODAY,
        )
    assert codes(error.value, "reasons") == ["reason_missing"]
    services.assessment_decide(
        actor=officer,
        assessment=assessment,
        outcome=AssessmentOutcome.VIABLE_WITH_CONDITIONS,
        reasons="Levensvatbaar mits boekhouder",
        decided_on=TODAY,
        today=TODAY,
    )
    version.refresh_from_db()
    assert version.status == VersionStatus.ASSESSED and version.assessed_on == TODAY
