"""The business plan pages: a client's plans, the guided editor's narrative and financial
steps, errors at their field, htmx autosave, summary, versions, comments, the viability
assessment and the assumptions page."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from opstap.clients.models import ClientDocument
from opstap.clients.tests.factories import ClientFactory
from opstap.core.models import AuditEvent
from opstap.plans import services
from opstap.plans.choices import AssessmentOutcome, Section, VersionStatus
from opstap.plans.models import BusinessPlan, PlanAssumptions, PlanComment, ViabilityAssessment

from .helpers import TODAY, new_plan, sample_financial, with_assumptions

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def section_url(plan, section="idea", number=1):
    return reverse("plans:section", args=[plan.pk, number, section])


def step_url(plan, step, number=1):
    return reverse("plans:financial", args=[plan.pk, number, step])


def with_financial(world, name="bakery"):
    with_assumptions(world)
    plan = new_plan(world)
    services.plan_financial_save(
        actor=world["adviser"], version=plan.versions.get(), financial=sample_financial(name)
    )
    return plan


def error_of(page: str, field_id: str) -> str:
    match = re.search(rf'id="{re.escape(field_id)}_error">(.*?)</div>', page, re.S)
    assert match, f"no error message for {field_id}"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


# --- a client's plans --------------------------------------------------------------------------


def test_a_plan_is_started_from_the_clients_plans_page(world, login):
    client = ClientFactory(organisation=world.own)
    http = login(world["adviser"])
    url = reverse("plans:client_plans", args=[client.pk])
    assert "Start a new plan" in http.get(url).content.decode()

    response = http.post(url, {"title": "Naaiatelier Amal", "trajectory": ""})

    plan = BusinessPlan.objects.get(client=client)
    assert plan.title == "Naaiatelier Amal"
    assert response["Location"] == section_url(plan, Section.ENTREPRENEUR)
    page = http.get(url).content.decode()
    assert "Naaiatelier Amal" in page and "version 1, Draft" in page


def test_a_plan_needs_a_title(world, login):
    client = ClientFactory(organisation=world.own)
    response = login(world["adviser"]).post(
        reverse("plans:client_plans", args=[client.pk]), {"title": "  "}
    )
    assert response.status_code == 200
    assert not BusinessPlan.objects.exists()
    assert 'aria-invalid="true"' in response.content.decode()


def test_the_client_file_links_to_the_plans(world, login):
    client = ClientFactory(organisation=world.own)
    page = login(world["adviser"]).get(reverse("clients:detail", args=[client.pk])).content
    assert reverse("plans:client_plans", args=[client.pk]).encode() in page


# --- narrative sections ------------------------------------------------------------------------


@pytest.mark.parametrize("section", Section.values)
def test_each_section_renders_with_its_guidance_and_saves(world, login, section):
    plan = new_plan(world)
    http = login(world["adviser"])
    page = http.get(section_url(plan, section)).content.decode()
    assert str(Section(section).label) in page
    assert f'id="guidance-{section}"' in page
    assert 'hx-trigger="keyup changed delay:800ms, change"' in page

    response = http.post(section_url(plan, section), {"text": f"Over {section}"})

    assert response.status_code == 302
    assert plan.versions.get().narrative == {section: f"Over {section}"}


def test_save_and_next_goes_to_the_next_step(world, login):
    plan = new_plan(world)
    response = login(world["adviser"]).post(
        section_url(plan, "entrepreneur"), {"text": "Ik ben fietsenmaker.", "next": "1"}
    )
    assert response["Location"] == section_url(plan, "idea")


def test_htmx_autosave_of_a_section_answers_a_status(world, login):
    plan = new_plan(world)
    response = login(world["adviser"]).post(
        section_url(plan, "market"), {"text": "Buurtbewoners"}, **HTMX
    )
    assert response.status_code == 200
    assert response.content.decode().strip().startswith("Saved at")
    assert plan.versions.get().narrative == {"market": "Buurtbewoners"}


def test_a_submitted_version_is_read_only_and_refuses_a_save(world, login):
    plan = with_financial(world)
    version = plan.versions.get()
    services.plan_submit(actor=world["adviser"], version=version)
    http = login(world["adviser"])
    page = http.get(section_url(plan, "idea")).content.decode()
    assert "can no longer be changed" in page and "<textarea" not in page.split("Comments")[0]

    response = http.post(section_url(plan, "idea"), {"text": "Nieuw"}, **HTMX)
    assert "Not saved" in response.content.decode()
    assert plan.versions.get().narrative == {}


def test_a_volunteer_sees_only_the_narrative_steps(world, login):
    from opstap.clients.services import coach_assign

    plan = with_financial(world)
    coach_assign(actor=world["adviser"], client=plan.client, coach=world["volunteer"])
    page = login(world["volunteer"]).get(section_url(plan, "idea")).content.decode()
    assert "Investment budget" not in page and "Summary and checks" not in page


# --- financial steps ---------------------------------------------------------------------------


STEP_POSTS = {
    "start": {"start_month": "2027-03"},
    "investments": {
        "investments-count": "2",
        "investments-0-description": "Werkbank",
        "investments-0-amount": "1.250,50",
        "investments-0-month": "1",
        "investments-0-depreciation_years": "5",
        "investments-1-description": "",
        "investments-1-amount": "",
        "start_up_costs-count": "1",
        "start_up_costs-0-description": "KBO",
        "start_up_costs-0-amount": "95",
        "working_capital": "500",
    },
    "financing": {
        "own_contribution_amount": "1000",
        "own_contribution_month": "",
        "loans-count": "1",
        "loans-0-description": "Microkrediet",
        "loans-0-amount": "5000",
        "loans-0-interest_rate": "8,5",
        "loans-0-term_months": "36",
        "loans-0-grace_months": "3",
        "loans-0-month": "1",
        "loans-0-amortization": "equal_installments",
        "grants-count": "0",
    },
    "operating": {
        "revenue_mode": "monthly",
        "revenue_monthly": "3000",
        "growth_per_year": "10",
        "cost_of_sales_rate": "30",
        "revenue_lines-count": "0",
        "fixed_costs-count": "1",
        "fixed_costs-0-description": "Huur",
        "fixed_costs-0-monthly_amount": "400",
    },
    "personal": {
        "household_expenses-count": "1",
        "household_expenses-0-description": "Huur en eten",
        "household_expenses-0-amount": "1500",
        "other_household_income-count": "1",
        "other_household_income-0-description": "Kinderbijslag",
        "other_household_income-0-amount": "300",
    },
}
EXPECTED = {
    "start": {"start_month": "2027-03"},
    "investments": {
        "investments": [
            {"description": "Werkbank", "amount": "1250.50", "month": 1, "depreciation_years": 5}
        ],
        "start_up_costs": [{"description": "KBO", "amount": "95.00", "month": 1}],
        "working_capital": "500.00",
    },
    "financing": {
        "own_contribution": {"amount": "1000.00", "month": 1},
        "loans": [
            {
                "description": "Microkrediet",
                "amount": "5000.00",
                "interest_rate": "8.5",
                "term_months": 36,
                "grace_months": 3,
                "month": 1,
                "amortization": "equal_installments",
            }
        ],
    },
    "operating": {
        "revenue": {"monthly": "3000.00", "growth_per_year": "0.1"},
        "cost_of_sales_rate": "0.3",
        "fixed_costs": [{"description": "Huur", "monthly_amount": "400.00"}],
    },
    "personal": {
        "household_expenses": [{"description": "Huur en eten", "amount": "1500.00"}],
        "other_household_income": [{"description": "Kinderbijslag", "amount": "300.00"}],
    },
}


@pytest.mark.parametrize("step", list(STEP_POSTS))
def test_each_financial_step_renders_and_saves(world, login, step):
    with_assumptions(world)
    plan = new_plan(world)
    http = login(world["adviser"])
    assert http.get(step_url(plan, step)).status_code == 200

    response = http.post(step_url(plan, step), STEP_POSTS[step])

    assert response.status_code == 302, response.content.decode()[:3000]
    version = plan.versions.get()
    for key, value in EXPECTED[step].items():
        assert version.financial[key] == value
    assert version.evaluation is not None and version.verdict
    # The step shows what was saved.
    page = http.get(step_url(plan, step)).content.decode()
    assert 'data-figure="financing_gap"' in page


def test_until_revenue_is_given_it_counts_as_zero_and_the_page_says_so(world, login):
    with_assumptions(world)
    plan = new_plan(world)
    http = login(world["adviser"])
    http.post(step_url(plan, "investments"), STEP_POSTS["investments"])
    version = plan.versions.get()
    # Nothing invented is stored: the zero is the evaluation's, not the plan's.
    assert "revenue" not in version.financial
    assert version.evaluation["years"][0]["revenue"] == "0.00"
    page = http.get(step_url(plan, "financing")).content.decode()
    assert "revenue counts as zero" in page


def test_a_bad_amount_is_shown_at_its_field_and_nothing_is_saved(world, login):
    plan = with_financial(world)
    before = plan.versions.get().financial
    data = {**STEP_POSTS["investments"], "investments-0-amount": "twaalf"}

    response = login(world["adviser"]).post(step_url(plan, "investments"), data)

    assert response.status_code == 200
    page = response.content.decode()
    assert error_of(page, "id_investments-0-amount") == (
        "Enter a number, for example 1250.00 or 1250,00."
    )
    assert re.search(r'id="id_investments-0-amount"[^>]*aria-invalid="true"', page) or re.search(
        r'aria-invalid="true"[^>]*id="id_investments-0-amount"', page
    )
    assert "Nothing was saved" in page
    assert plan.versions.get().financial == before


def test_a_value_the_calculation_refuses_is_shown_at_its_row_in_plain_words(world, login):
    """The service names the key (loans[0].grace_months); the page shows the field."""
    plan = with_financial(world)
    before = plan.versions.get().financial
    data = {**STEP_POSTS["financing"], "loans-0-grace_months": "36"}

    response = login(world["adviser"]).post(step_url(plan, "financing"), data)

    page = response.content.decode()
    assert error_of(page, "id_loans-0-grace_months") == (
        "Grace (months) in row 1: the grace period must be shorter than the term"
    )
    assert "must be less than term_months" not in page  # not the calculation's English
    assert plan.versions.get().financial == before


def test_an_amount_beyond_the_limit_is_reported_at_the_right_row(world, login):
    plan = with_financial(world)
    data = {
        **STEP_POSTS["investments"],
        "investments-count": "3",
        "investments-1-description": "",  # a blank row in between is skipped
        "investments-2-description": "Pand",
        "investments-2-amount": "2000000000",
    }
    page = login(world["adviser"]).post(step_url(plan, "investments"), data).content.decode()
    assert error_of(page, "id_investments-2-amount") == (
        "Amount excl. VAT in row 3: enter at most 1,000,000,000"
    )


def test_without_assumptions_the_step_says_what_is_missing(world, login):
    plan = new_plan(world)
    page = login(world["adviser"]).post(step_url(plan, "start"), {"start_month": "2027-02"})
    assert "has not set its calculation assumptions" in page.content.decode()
    assert plan.versions.get().evaluation is None


def test_add_and_remove_a_row_without_javascript_save_nothing(world, login):
    plan = with_financial(world)
    before = plan.versions.get().financial
    http = login(world["adviser"])
    data = {**STEP_POSTS["investments"], "investments-count": "1", "add_row": "investments"}

    page = http.post(step_url(plan, "investments"), data).content.decode()

    assert 'name="investments-count" value="2"' in page
    assert 'id="id_investments-1-amount"' in page
    assert 'value="1.250,50"' in page  # what was typed is kept
    assert plan.versions.get().financial == before

    data = {**STEP_POSTS["investments"], "remove_row": "investments-0"}
    page = http.post(step_url(plan, "investments"), data).content.decode()
    assert 'name="investments-count" value="1"' in page and "Werkbank" not in page


def test_htmx_save_answers_the_form_and_fresh_key_figures(world, login):
    plan = with_financial(world)
    response = login(world["adviser"]).post(
        step_url(plan, "operating"), STEP_POSTS["operating"], **HTMX
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert page.startswith("<form") and 'id="step-form"' in page
    assert 'id="key-figures"' in page and 'hx-swap-oob="true"' in page
    version = plan.versions.get()
    profit = version.evaluation["years"][0]["profit_before_tax"]
    assert f"{float(profit):,.2f}" in page


def test_revenue_per_month_and_per_product(world, login):
    plan = with_financial(world)
    http = login(world["adviser"])
    months = {f"month_{i}": str(1000 + i * 100) for i in range(1, 13)}
    http.post(
        step_url(plan, "operating"),
        {**STEP_POSTS["operating"], "revenue_mode": "months", "revenue_monthly": "", **months},
    )
    revenue = plan.versions.get().financial["revenue"]
    assert revenue["year1_monthly"][0] == "1100.00" and len(revenue["year1_monthly"]) == 12

    http.post(
        step_url(plan, "operating"),
        {
            **STEP_POSTS["operating"],
            "revenue_mode": "lines",
            "revenue_lines-count": "1",
            "revenue_lines-0-description": "Herstelling",
            "revenue_lines-0-price": "35",
            "revenue_lines-0-volume_per_month": "60",
            "revenue_lines-0-growth_per_year": "5",
        },
    )
    financial = plan.versions.get().financial
    assert "revenue" not in financial
    assert financial["revenue_lines"] == [
        {
            "description": "Herstelling",
            "price": "35",
            "volume_per_month": "60",
            "growth_per_year": "0.05",
        }
    ]


# --- summary, versions, comments ---------------------------------------------------------------


def test_the_summary_shows_translated_checks_verdict_and_charts_with_tables(world, login):
    plan = with_financial(world, "negative_cash")
    version = plan.versions.get()
    page = login(world["adviser"]).get(reverse("plans:summary", args=[plan.pk, 1])).content
    page = page.decode()
    for check in version.evaluation["checks"]:
        assert f'data-check="{check["code"]}"' in page
        assert check["reason"] not in page  # the calculation's English is never shown
    assert 'data-testid="verdict"' in page
    assert page.count("<svg") == 2
    assert 'aria-describedby="cash-table"' in page and 'id="cash-table"' in page
    assert 'aria-describedby="break-even-table"' in page and 'id="break-even-table"' in page
    if version.evaluation["conditions"]:
        assert 'data-testid="conditions"' in page


def test_a_viable_plan_offers_a_loan_application_to_who_prepares_them(world, login):
    plan = with_financial(world)
    assert plan.versions.get().verdict == "viable"
    url = reverse("plans:summary", args=[plan.pk, 1])
    link = f"/loans/applications/new/?client={plan.client_id}&amp;plan={plan.pk}"
    assert link in login(world["adviser"]).get(url).content.decode()
    assert link not in login(world["org_admin"]).get(url).content.decode()


def test_a_plan_that_is_not_viable_offers_no_loan_application(world, login):
    plan = with_financial(world, "financing_gap")
    assert plan.versions.get().verdict == "not_viable"
    page = login(world["adviser"]).get(reverse("plans:summary", args=[plan.pk, 1])).content
    assert b"/loans/applications/new/" not in page


def test_submit_start_a_new_version_and_compare(world, login):
    plan = with_financial(world)
    http = login(world["adviser"])

    response = http.post(reverse("plans:submit", args=[plan.pk, 1]))
    assert response["Location"] == reverse("plans:detail", args=[plan.pk])
    assert plan.versions.get().status == VersionStatus.SUBMITTED

    response = http.post(reverse("plans:new_version", args=[plan.pk]))
    assert response["Location"] == section_url(plan, "entrepreneur", number=2)
    assert plan.versions.filter(number=2, status=VersionStatus.DRAFT).exists()
    # A second draft is refused.
    http.post(reverse("plans:new_version", args=[plan.pk]))
    assert plan.versions.count() == 2

    data = {**STEP_POSTS["investments"], "working_capital": "4000"}
    http.post(step_url(plan, "investments", number=2), data)
    response = http.get(reverse("plans:compare", args=[plan.pk]), {"a": 1, "b": 2})
    page = response.content.decode()
    assert 'data-testid="compare"' in page
    v1, v2 = (v.evaluation for v in plan.versions.order_by("number"))
    assert f"{float(v1['investment_total']):,.2f}" in page
    assert f"{float(v2['investment_total']):,.2f}" in page
    assert "changed" in page


def test_comments_are_shown_next_to_their_section_and_volunteers_may_comment(world, login):
    from opstap.clients.services import coach_assign

    plan = new_plan(world)
    coach_assign(actor=world["adviser"], client=plan.client, coach=world["volunteer"])
    http = login(world["volunteer"])
    url = reverse("plans:comment", args=[plan.pk, 1])

    response = http.post(url, {"section": "market", "text": "Wie zijn je klanten?"})

    assert response["Location"] == section_url(plan, "market")
    comment = PlanComment.objects.get()
    assert (comment.section, comment.author) == ("market", world["volunteer"])
    assert "Wie zijn je klanten?" in http.get(section_url(plan, "market")).content.decode()
    assert "Wie zijn je klanten?" not in http.get(section_url(plan, "idea")).content.decode()

    response = http.post(url, {"section": "idea", "text": "Mooi idee"}, **HTMX)
    assert response.status_code == 200 and "Mooi idee" in response.content.decode()
    # The financial part is not theirs to comment on.
    assert http.post(url, {"section": "financial", "text": "x"}).status_code == 404
    assert PlanComment.objects.count() == 2


def test_an_empty_comment_is_refused(world, login):
    plan = new_plan(world)
    login(world["adviser"]).post(
        reverse("plans:comment", args=[plan.pk, 1]), {"section": "idea", "text": " "}
    )
    assert not PlanComment.objects.exists()


def test_a_refused_comment_comes_back_in_its_panel_beside_the_field(world, login):
    """Issue 9: with htmx the panel is swapped in with the message at the text box."""
    plan = new_plan(world)
    http = login(world["adviser"])
    url = reverse("plans:comment", args=[plan.pk, 1])
    response = http.post(url, {"section": "idea", "text": " "}, **HTMX)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<html" not in page
    assert 'id="id_comment_text_error"' in page and 'aria-invalid="true"' in page
    assert not PlanComment.objects.exists()


# --- the viability assessment --------------------------------------------------------------


def submitted_plan(world):
    plan = with_financial(world)
    services.plan_submit(actor=world["adviser"], version=plan.versions.get())
    return plan


def test_the_assessment_flow_request_extend_once_report_and_decide(world, login):
    plan = submitted_plan(world)
    officer = world["benefits_officer"]
    http = login(officer)
    requested = timezone.localdate() - datetime.timedelta(days=7)

    response = http.post(
        reverse("plans:assessment_request", args=[plan.pk]),
        {"requested_on": requested.isoformat(), "external_adviser": "Bureau Zelfstandigen"},
    )
    assessment = ViabilityAssessment.objects.get()
    assert response["Location"] == reverse("plans:assessment", args=[assessment.pk])
    assert assessment.decision_due == requested + datetime.timedelta(weeks=13)
    page = http.get(reverse("plans:assessment", args=[assessment.pk])).content.decode()
    assert assessment.decision_due.strftime("%Y") in page and "Extend by 13 weeks" in page

    extend = reverse("plans:assessment_extend", args=[assessment.pk])
    response = http.post(extend, {"reason": "Wachten op het rapport"})
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.decision_due == requested + datetime.timedelta(weeks=26)
    # A second extension is refused, and says why.
    response = http.post(extend, {"reason": "Nog eens"})
    assert response.status_code == 200
    assert "can be extended only once" in response.content.decode()
    assessment.refresh_from_db()
    assert assessment.decision_due == requested + datetime.timedelta(weeks=26)
    assert assessment.extension_reason == "Wachten op het rapport"

    report = ClientDocument.objects.create(
        client=plan.client,
        kind="other",
        file="reports/rapport.pdf",
        original_name="rapport.pdf",
        content_type="application/pdf",
        size=10,
        uploaded_by=officer,
    )
    response = http.post(
        reverse("plans:assessment_update", args=[assessment.pk]),
        {"external_adviser": "Bureau Zelfstandigen", "report": str(report.pk)},
    )
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.report == report

    response = http.post(
        reverse("plans:assessment_decide", args=[assessment.pk]),
        {
            "outcome": "viable_with_conditions",
            "reasons": "Haalbaar, met begeleiding in jaar 1.",
            "decided_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.outcome == AssessmentOutcome.VIABLE_WITH_CONDITIONS
    assert plan.versions.get().status == VersionStatus.ASSESSED
    page = http.get(reverse("plans:assessment", args=[assessment.pk])).content.decode()
    assert "Record the decision" not in page  # decided: no forms any more


def test_a_report_of_another_client_cannot_be_attached(world, login):
    plan = submitted_plan(world)
    officer = world["benefits_officer"]
    assessment = services.assessment_request(
        actor=officer, plan=plan, requested_on=timezone.localdate()
    )
    other = ClientDocument.objects.create(
        client=ClientFactory(organisation=world.own),
        kind="other",
        file="x.pdf",
        original_name="x.pdf",
        content_type="application/pdf",
        size=1,
        uploaded_by=officer,
    )
    response = login(officer).post(
        reverse("plans:assessment_update", args=[assessment.pk]), {"report": str(other.pk)}
    )
    assert response.status_code == 200
    assessment.refresh_from_db()
    assert assessment.report is None


def test_the_open_assessments_are_listed_by_decision_due_with_badges(world, login):
    officer = world["benefits_officer"]
    today = timezone.localdate()
    rows = {}
    for name, weeks_ago in (("late", 14), ("soon", 12), ("later", 2)):
        plan = submitted_plan(world) if not rows else None
        if plan is None:
            plan = new_plan(world, title=name)
            services.plan_financial_save(
                actor=world["adviser"], version=plan.versions.get(), financial=sample_financial()
            )
            services.plan_submit(actor=world["adviser"], version=plan.versions.get())
        rows[name] = services.assessment_request(
            actor=officer, plan=plan, requested_on=today - datetime.timedelta(weeks=weeks_ago)
        )
    page = login(officer).get(reverse("plans:assessments")).content.decode()
    order = [int(pk) for pk in re.findall(r'href="/plans/assessments/(\d+)/"', page)]
    assert order == [rows["late"].pk, rows["soon"].pk, rows["later"].pk]
    assert 'data-due="overdue"' in page and 'data-due="soon"' in page

    dashboard = login(officer).get(reverse("dashboard")).content.decode()
    assert 'data-testid="viability-due"' in dashboard
    assert dashboard.count('href="/plans/assessments/') - 1 == 2  # late and soon, + "all"


# --- assumptions ---------------------------------------------------------------------------


def test_the_assumptions_page_lists_and_adds(world, login):
    with_assumptions(world)
    http = login(world["org_admin"])
    page = http.get(reverse("plans:assumptions")).content.decode()
    assert "in force" in page and "0.3000" in page

    response = http.post(
        reverse("plans:assumptions"),
        {
            "valid_from": "2027-01-01",
            "tax_and_contributions_rate": "0.35",
            "dscr_threshold": "1.3",
            "cash_shortfall_tolerance_rate": "0.05",
        },
    )
    assert response.status_code == 302
    latest = PlanAssumptions.objects.get(valid_from=TODAY.replace(year=2027, month=1, day=1))
    assert latest.dscr_threshold == Decimal("1.3")
    assert AuditEvent.objects.filter(action="plan_assumptions.save").count() == 2


def test_assumptions_out_of_range_are_refused_at_the_field(world, login):
    response = login(world["org_admin"]).post(
        reverse("plans:assumptions"),
        {
            "valid_from": "2027-01-01",
            "tax_and_contributions_rate": "1.5",
            "dscr_threshold": "0",
            "cash_shortfall_tolerance_rate": "0.1",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "The rate must be at least 0 and below 1" in page
    assert "must be more than 0" in page
    assert not PlanAssumptions.objects.exists()


def test_the_plan_list_shows_the_organisations_plans(world, login):
    plan = with_financial(world)
    page = login(world["adviser"]).get(reverse("plans:list")).content.decode()
    assert plan.title in page and "Viable" in page
    page = login(world["job_coach"]).get(reverse("plans:list")).content.decode()
    assert plan.title in page and "Viable" not in page  # no financial figures


# --- the assessment's dates ------------------------------------------------------------------


def test_a_decision_cannot_be_dated_before_the_request(world):
    from django.core.exceptions import ValidationError

    plan = submitted_plan(world)
    today = timezone.localdate()
    assessment = services.assessment_request(
        actor=world["benefits_officer"], plan=plan, requested_on=today
    )
    with pytest.raises(ValidationError) as error:
        services.assessment_decide(
            actor=world["benefits_officer"],
            assessment=assessment,
            outcome="viable",
            reasons="Haalbaar",
            decided_on=today - datetime.timedelta(days=30),
        )
    assert error.value.error_dict["decided_on"][0].code == "before_request"
