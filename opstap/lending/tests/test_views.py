"""The loan pages end to end: products, applications, the committee, loans and their
actions, the portfolio, and the languages."""

from __future__ import annotations

import datetime
import re

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from opstap.clients.tests.factories import ClientFactory
from opstap.core.models import ACTION_LABELS, AuditEvent
from opstap.core.roles import Role
from opstap.core.tests.factories import member
from opstap.lending import services
from opstap.lending.choices import (
    ApplicationStatus,
    Bucket,
    LoanStatus,
    TransactionKind,
    Vote,
)
from opstap.lending.closing import close_of_business
from opstap.lending.models import Loan, LoanApplication, LoanProduct

from .helpers import D, approved_loan, assert_books_balance, disbursed_loan, make_product

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
TODAY = timezone.localdate()
RECENT = TODAY - datetime.timedelta(days=10)


def flashed(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def field_errors(response, form: str = "form") -> dict[str, list[str]]:
    return {
        name: [str(e) for e in errors] for name, errors in response.context[form].errors.items()
    }


def product_post(**overrides) -> dict[str, str]:
    data = {
        "name": "Microkrediet Start",
        "description": "Voor starters",
        "valid_from": "2025-01-01",
        "valid_until": "",
        "currency": "eur",
        "min_amount": "500",
        "max_amount": "15000",
        "min_rate": "0",
        "max_rate": "12",
        "default_rate": "8.5",
        "min_repayments": "6",
        "max_repayments": "48",
        "allocation_order": "penalties_fees_interest_principal",
        "arrears_tolerance": "5.00",
        "days_until_non_performing": "90",
        "approvals_required": "1",
        "may_convert_to_gift": "on",
        "interest_method": "declining_balance",
        "amortization": "equal_installments",
        "fixed_principal_percentage": "",
        "interest_period": "same_as_repayment",
        "repayment_every": "1",
        "repayment_unit": "months",
        "days_in_year": "actual",
        "days_in_month": "actual",
        "grace_on_principal": "0",
        "grace_on_interest_payment": "0",
        "grace_on_interest_charged": "0",
        "rounding_mode": "half_even",
        "currency_decimals": "2",
        "installment_multiple_of": "0.01",
        "disbursement_fee": "25.00",
        "installment_fee_kind": "installment_fee_flat",
        "installment_fee_amount": "2.50",
        "sample_amount": "5000",
        "sample_repayments": "12",
    }
    data.update(overrides)
    return data


@pytest.fixture
def product(world) -> LoanProduct:
    return make_product(world.own, world["org_admin"])


@pytest.fixture
def client_(world):
    return ClientFactory(organisation=world.own, first_name="Amina", last_name="Haddou")


def prepared(world, client, product, *, by=None, amount=None) -> LoanApplication:
    return services.application_create(
        actor=by or world["loan_officer"],
        organisation=world.own,
        client=client,
        product=product,
        amount=amount or D("6000.00"),
        purpose="Naaiatelier: machines en stoffen",
        number_of_repayments=12,
        expected_disbursement_date=RECENT,
    )


def submitted(world, client, product, *, by=None) -> LoanApplication:
    application = prepared(world, client, product, by=by)
    return services.application_submit(
        actor=by or world["loan_officer"], application=application, assessment="Goed plan."
    )


# --- products --------------------------------------------------------------------------------


def test_product_form_assembles_the_schedule_settings(world, login):
    http = login(world["org_admin"])
    assert http.get(reverse("lending:product_create")).status_code == 200
    response = http.post(reverse("lending:product_create"), product_post())
    product = LoanProduct.objects.get(name="Microkrediet Start")
    assert response.status_code == 302
    assert response["Location"] == reverse("lending:product_detail", args=[product.pk])
    assert product.currency == "EUR"
    assert product.default_rate == D("8.5")
    settings_ = product.schedule_settings
    assert settings_["interest_method"] == "declining_balance"
    assert settings_["repayment_unit"] == "months"
    assert settings_["installment_multiple_of"] == "0.01"
    assert settings_["charges"] == [
        {"kind": "disbursement_fee", "amount": "25.00"},
        {"kind": "installment_fee_flat", "amount": "2.5"},
    ]
    detail = http.get(response["Location"])
    assert detail.status_code == 200
    assert detail.context["preview"].rows[0].fees == D("25.00")  # the fee at disbursement
    listing = http.get(reverse("lending:products")).content.decode()
    assert "Microkrediet Start" in listing


def test_product_form_shows_errors_at_their_fields(world, login):
    http = login(world["org_admin"])
    response = http.post(
        reverse("lending:product_create"),
        product_post(min_amount="20000", fixed_principal_percentage="10", grace_on_principal="6"),
    )
    assert response.status_code == 200
    errors = field_errors(response)
    assert "fixed_principal_percentage" in errors
    assert "grace_on_principal" in errors
    assert LoanProduct.objects.count() == 0
    # The service's range check lands at the field too.
    response = http.post(reverse("lending:product_create"), product_post(min_amount="20000"))
    assert field_errors(response)["max_amount"] == [str(services.PRODUCT_RANGE_INVALID)]


def test_an_engine_setting_error_lands_at_its_field(world, login):
    http = login(world["org_admin"])
    response = http.post(
        reverse("lending:product_create"),
        product_post(installment_multiple_of="0.001"),
    )
    assert response.status_code == 200
    assert "installment_multiple_of" in field_errors(response)
    assert not LoanProduct.objects.exists()


def test_product_edit_keeps_the_settings(world, login, product):
    http = login(world["org_admin"])
    page = http.get(reverse("lending:product_edit", args=[product.pk]))
    assert page.status_code == 200
    assert page.context["form"].initial["installment_multiple_of"] == D("0.01")
    response = http.post(
        reverse("lending:product_edit", args=[product.pk]),
        product_post(
            name="Startlening 2027",
            disbursement_fee="",
            installment_fee_kind="",
            installment_fee_amount="",
        ),
    )
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.name == "Startlening 2027"
    assert product.schedule_settings["charges"] == []


def test_product_preview_calls_the_engine(world, login):
    http = login(world["org_admin"])
    response = http.get(reverse("lending:product_preview"), product_post(), **HTMX)
    assert response.status_code == 200
    preview = response.context["preview"]
    assert preview.error == ""
    assert len(preview.rows) == 13  # the fee at disbursement + 12 instalments
    assert preview.totals["principal"] == D("5000")
    bad = http.get(reverse("lending:product_preview"), product_post(repayment_every="0"), **HTMX)
    assert "Repayment every" in bad.context["preview"].error


# --- applications ----------------------------------------------------------------------------


def test_new_application_from_the_client_file(world, login, product, client_):
    http = login(world["loan_officer"])
    file = http.get(reverse("clients:detail", args=[client_.pk])).content.decode()
    create_url = reverse("lending:application_create") + f"?client={client_.pk}"
    assert create_url.replace("&", "&amp;") in file
    page = http.get(create_url)
    assert page.status_code == 200
    response = http.post(
        create_url,
        {
            "product": product.pk,
            "amount": "6000",
            "purpose": "Naaiatelier",
            "number_of_repayments": "12",
            "interest_rate": "",
            "expected_disbursement_date": RECENT.isoformat(),
        },
    )
    application = LoanApplication.objects.get()
    assert response.status_code == 302
    assert application.interest_rate == product.default_rate  # the product's standard rate
    assert application.prepared_by == world["loan_officer"]
    assert application.status == ApplicationStatus.IN_PREPARATION


def test_application_errors_are_at_their_fields(world, login, product, client_):
    http = login(world["loan_officer"])
    url = reverse("lending:application_create") + f"?client={client_.pk}"
    response = http.post(
        url,
        {
            "product": product.pk,
            "amount": "90000",
            "purpose": "Naaiatelier",
            "number_of_repayments": "12",
            "interest_rate": "40",
            "expected_disbursement_date": RECENT.isoformat(),
        },
    )
    assert response.status_code == 200
    errors = field_errors(response)
    assert "amount" in errors and "interest_rate" in errors
    assert not LoanApplication.objects.exists()
    # The live preview still shows the schedule as typed.
    assert response.context["preview"].rows


def test_application_preview_follows_the_typing(world, login, product):
    http = login(world["loan_officer"])
    params = {
        "product": product.pk,
        "amount": "1200",
        "number_of_repayments": "12",
        "interest_rate": "0",
        "expected_disbursement_date": "2026-03-01",
    }
    response = http.get(reverse("lending:application_preview"), params, **HTMX)
    preview = response.context["preview"]
    assert [row.principal for row in preview.rows] == [D("100.00")] * 12
    assert preview.totals["interest"] == 0
    half = http.get(reverse("lending:application_preview"), {**params, "amount": ""}, **HTMX)
    assert (
        half.context["preview"].error
        == "Fill in the product, amount, number of repayments and date to see the schedule."
    )


def test_pick_a_client_first(world, login, client_):
    http = login(world["loan_officer"])
    page = http.get(reverse("lending:application_create"), {"q": "Haddou"})
    assert page.status_code == 200
    assert [c.pk for c in page.context["clients"]] == [client_.pk]


def test_submit_needs_the_assessment_then_goes_to_the_committee(world, login, product, client_):
    application = prepared(world, client_, product)
    http = login(world["loan_officer"])
    detail = http.get(reverse("lending:application_detail", args=[application.pk]))
    assert detail.status_code == 200
    assert detail.context["preview"].totals["principal"] == D("6000.00")
    url = reverse("lending:application_submit", args=[application.pk])
    response = http.post(url, {"assessment": "  "})
    assert response.status_code == 200
    assert field_errors(response, "assessment_form")["assessment"] == [
        str(services.ASSESSMENT_MISSING)
    ]
    response = http.post(url, {"assessment": "Sterk plan, twee jaar ervaring."})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.IN_COMMITTEE
    assert application.assessment == "Sterk plan, twee jaar ervaring."


def test_edit_an_application_in_preparation(world, login, product, client_):
    application = prepared(world, client_, product)
    http = login(world["loan_officer"])
    url = reverse("lending:application_edit", args=[application.pk])
    assert http.get(url).status_code == 200
    response = http.post(
        url,
        {
            "product": product.pk,
            "amount": "7000",
            "purpose": "Naaiatelier en website",
            "number_of_repayments": "18",
            "interest_rate": "",
            "expected_disbursement_date": RECENT.isoformat(),
        },
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert (application.amount, application.number_of_repayments) == (D("7000"), 18)


def test_withdraw(world, login, product, client_):
    application = submitted(world, client_, product)
    response = login(world["loan_officer"]).post(
        reverse("lending:application_withdraw", args=[application.pk])
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.WITHDRAWN


# --- the committee ---------------------------------------------------------------------------


def test_committee_queue_shows_assessment_preview_and_votes(world, login, product, client_):
    product.approvals_required = 2
    product.save()
    application = submitted(world, client_, product)
    second = member(world.own, Role.COMMITTEE, email="second@own.example")
    from opstap.core.access import activate

    activate(second, world.own)
    services.application_vote(actor=second, application=application, vote=Vote.APPROVE)
    response = login(world["committee"]).get(reverse("lending:committee"))
    assert response.status_code == 200
    [item] = response.context["items"]
    assert item["application"] == application
    assert item["preview"].totals["principal"] == D("6000.00")
    assert [v.member for v in item["votes"]] == [second]
    assert item["vote_form"] is not None
    page = response.content.decode()
    assert "Goed plan." in page


def test_committee_approves_a_lower_amount_with_conditions(world, login, product, client_):
    application = submitted(world, client_, product)
    http = login(world["committee"])
    prefix = f"vote-{application.pk}"
    response = http.post(
        reverse("lending:application_vote", args=[application.pk]),
        {
            f"{prefix}-vote": "approve",
            f"{prefix}-approved_amount": "5000",
            f"{prefix}-conditions": "Borgstelling door partner",
        },
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED
    assert application.approved_amount == D("5000.00")
    loan = Loan.objects.get(application=application)
    assert loan.terms["principal"] == "5000.00"
    assert "Borgstelling door partner" in application.conditions


def test_a_refusal_needs_a_reason(world, login, product, client_):
    application = submitted(world, client_, product)
    http = login(world["committee"])
    prefix = f"vote-{application.pk}"
    url = reverse("lending:application_vote", args=[application.pk])
    response = http.post(url, {f"{prefix}-vote": "refuse", f"{prefix}-reason": ""})
    assert response.status_code == 200
    assert field_errors(response, "vote_form")["reason"] == [str(services.REFUSAL_REASON_MISSING)]
    response = http.post(url, {f"{prefix}-vote": "approve", f"{prefix}-approved_amount": "9000"})
    assert "approved_amount" in field_errors(response, "vote_form")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.IN_COMMITTEE


def test_the_preparer_cannot_decide(world, login, product, client_):
    # A committee member who prepared the application (the service allows anyone to prepare).
    application = submitted(world, client_, product, by=world["committee"])
    http = login(world["committee"])
    queue = http.get(reverse("lending:committee"))
    [item] = queue.context["items"]
    assert item["is_preparer"] and item["vote_form"] is None
    assert str(services.MAKER_CANNOT_DECIDE) in queue.content.decode()
    prefix = f"vote-{application.pk}"
    response = http.post(
        reverse("lending:application_vote", args=[application.pk]), {f"{prefix}-vote": "approve"}
    )
    assert response.status_code == 403
    assert str(services.MAKER_CANNOT_DECIDE) in response.content.decode()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.IN_COMMITTEE
    assert not application.votes.exists()


# --- loans -----------------------------------------------------------------------------------


@pytest.fixture
def loans(world, product):
    a = disbursed_loan(
        world,
        product=product,
        client=ClientFactory(organisation=world.own, first_name="Amina", last_name="Haddou"),
        on=RECENT,
    )
    b = disbursed_loan(
        world,
        product=product,
        client=ClientFactory(organisation=world.own, first_name="Bram", last_name="Peeters"),
        amount=D("2000.00"),
        on=TODAY - datetime.timedelta(days=200),
    )
    c = approved_loan(
        world,
        product=product,
        client=ClientFactory(organisation=world.own, first_name="Chris", last_name="Janssens"),
        on=RECENT,
    )
    close_of_business(on=TODAY, organisation_id=world.own.pk)
    for loan in (a, b, c):
        loan.refresh_from_db()
    return {"recent": a, "late": b, "approved": c}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"recent", "late", "approved"}),
        ({"status": "active"}, {"recent", "late"}),
        ({"status": "approved"}, {"approved"}),
        ({"bucket": Bucket.CURRENT}, {"recent", "approved"}),
        ({"q": "haddou"}, {"recent"}),
        ({"q": "peet"}, {"late"}),
    ],
)
def test_loan_list_filters(world, login, loans, params, expected):
    response = login(world["loan_officer"]).get(reverse("lending:list"), params)
    assert {p.pk for p in response.context["page"]} == {loans[k].pk for k in expected}


def test_loan_list_by_reference_officer_and_client(world, login, loans):
    http = login(world["loan_officer"])
    late = loans["late"]
    by_ref = http.get(reverse("lending:list"), {"q": late.reference})
    assert [p.pk for p in by_ref.context["page"]] == [late.pk]
    by_officer = http.get(reverse("lending:list"), {"officer": world["loan_officer"].pk})
    assert len(by_officer.context["page"]) == 3
    by_client = http.get(reverse("lending:list"), {"client": late.client_id})
    assert [p.pk for p in by_client.context["page"]] == [late.pk]
    partial = http.get(reverse("lending:list"), {"q": "haddou"}, **HTMX)
    assert partial.templates[0].name == "lending/partials/loan_results.html"
    assert late.bucket != Bucket.CURRENT


def test_loan_page_shows_balances_ledger_schedule_and_transactions(world, login, loans):
    loan = loans["late"]
    response = login(world["committee"]).get(reverse("lending:detail", args=[loan.pk]))
    assert response.status_code == 200
    context = response.context
    ledger = {line["account"]: line["balance"] for line in context["ledger"]}
    assert ledger == services.ledger_balances(loan)
    assert ledger["loan_portfolio"] == loan.principal_outstanding
    assert ledger["interest_receivable"] == loan.interest_due
    assert all(context["ledger_matches"].values())
    statuses = [row.status for row in context["schedule"]]
    assert statuses[0] == "overdue" and "due" in statuses and statuses[-1] == "future"
    assert context["totals"]["principal"] == D("2000.00")
    assert [t.kind for t in context["transactions"]][0] == TransactionKind.DISBURSEMENT
    page = response.content.decode()
    assert 'data-testid="days-past-due">' in page
    # The committee member sees the loan, not the servicing actions.
    assert reverse("lending:repay", args=[loan.pk]) not in page


def test_a_fresh_loan_page_says_the_balances_equal_the_ledger(world, login, loans):
    loan = loans["recent"]
    response = login(world["loan_officer"]).get(reverse("lending:detail", args=[loan.pk]))
    assert all(response.context["ledger_matches"].values())
    assert "The balances equal the ledger." in response.content.decode()


def test_after_the_close_of_business_the_cached_interest_due_equals_the_ledger(world, loans):
    loan = loans["late"]  # disbursed 200 days ago; the close of business ran today
    ledger = services.ledger_balances(loan)
    assert ledger["interest_receivable"] > 0
    assert ledger["interest_receivable"] == loan.interest_due


def repay(http, loan, **data):
    url = reverse("lending:repay", args=[loan.pk])
    form = http.get(url).context["form"]
    values = {
        "amount": "100.00",
        "date": TODAY.isoformat(),
        "channel": "bank_transfer",
        "reference": "OGM 123",
        "prepayment_mode": "reduce_term",
        "idempotency_key": form.initial["idempotency_key"],
    }
    values.update(data)
    return http.post(url, values), values


def test_repayment_with_amount_zero_is_refused_at_the_amount(world, login, loans):
    http = login(world["loan_officer"])
    loan = loans["recent"]
    response, _ = repay(http, loan, amount="0")
    assert response.status_code == 200
    assert field_errors(response)["amount"] == [str(services.AMOUNT_NOT_POSITIVE)]
    assert 'id="id_amount_error"' in response.content.decode()
    assert not loan.transactions.filter(kind=TransactionKind.REPAYMENT).exists()


def test_a_huge_repayment_is_refused_at_the_amount_and_an_overpayment_needs_the_tick(
    world, login, loans
):
    http = login(world["loan_officer"])
    loan = loans["recent"]
    response, _ = repay(http, loan, amount="99999999999")
    assert response.status_code == 200
    assert "cannot be a repayment of this loan" in field_errors(response)["amount"][0]
    outstanding = sum(
        (row.open_amount for row in loan.installments.filter(is_current=True)), D("0.00")
    )
    response, _ = repay(http, loan, amount=str(outstanding + 100))
    assert "This is an overpayment" in field_errors(response)["amount"][0]
    assert not loan.transactions.filter(kind=TransactionKind.REPAYMENT).exists()
    response, _ = repay(http, loan, amount=str(outstanding + 100), confirm_overpayment="on")
    assert response.status_code == 302
    loan.refresh_from_db()
    # Paid early, the rest of the schedule costs less interest: the overpayment is larger.
    assert loan.overpaid >= D("100.00")


def test_a_double_submitted_repayment_posts_once(world, login, loans):
    http = login(world["loan_officer"])
    loan = loans["recent"]
    first, values = repay(http, loan, amount="250.00")
    assert first.status_code == 302
    second = http.post(reverse("lending:repay", args=[loan.pk]), values)
    assert second.status_code == 302
    assert "posted once" in " ".join(flashed(second))
    assert loan.transactions.filter(kind=TransactionKind.REPAYMENT).count() == 1
    loan.refresh_from_db()
    assert_books_balance(loan, TODAY)
    # Each rendering of the form has its own key.
    url = reverse("lending:repay", args=[loan.pk])
    assert (
        http.get(url).context["form"].initial["idempotency_key"]
        != http.get(url).context["form"].initial["idempotency_key"]
    )


def test_repayment_changes_the_balances_and_can_be_reversed(world, login, loans):
    http = login(world["loan_officer"])
    loan = loans["late"]
    before = loan.overdue_amount
    response, _ = repay(http, loan, amount=str(before))
    assert response.status_code == 302
    loan.refresh_from_db()
    assert loan.overdue_amount == 0 and loan.days_past_due == 0
    assert_books_balance(loan, TODAY)
    payment = loan.transactions.get(kind=TransactionKind.REPAYMENT)
    url = reverse("lending:reverse", args=[loan.pk, payment.pk])
    assert http.get(url).status_code == 200
    refused = http.post(url, {"reason": ""})
    assert field_errors(refused)["reason"] == [str(services.REASON_MISSING)]
    done = http.post(url, {"reason": "Bank storneerde de betaling"})
    assert done.status_code == 302
    payment.refresh_from_db()
    assert payment.is_reversed
    page = http.get(reverse("lending:detail", args=[loan.pk])).content.decode()
    assert re.search(r'data-reversed="true".*?<del>', page, flags=re.S)
    assert "Bank storneerde de betaling" in page
    loan.refresh_from_db()
    assert loan.overdue_amount == before


def test_disburse_through_the_page(world, login, loans):
    http = login(world["loan_officer"])
    loan = loans["approved"]
    url = reverse("lending:disburse", args=[loan.pk])
    assert http.get(url).status_code == 200
    future = http.post(url, {"date": (TODAY + datetime.timedelta(days=3)).isoformat()})
    assert "date" in field_errors(future)
    response = http.post(url, {"date": RECENT.isoformat(), "amount": ""})
    assert response.status_code == 302
    loan.refresh_from_db()
    assert loan.status == LoanStatus.ACTIVE
    assert loan.principal_disbursed == D("10000.00")
    assert_books_balance(loan, TODAY)


def test_waive_interest(world, login, loans):
    http = login(world["loan_officer"])
    loan = loans["late"]
    url = reverse("lending:waive", args=[loan.pk])
    too_much = http.post(
        url, {"kind": "waive_interest", "amount": "99999", "date": TODAY.isoformat(), "reason": "x"}
    )
    assert "amount" in field_errors(too_much)
    response = http.post(
        url,
        {"kind": "waive_interest", "amount": "1.00", "date": TODAY.isoformat(), "reason": "Ziekte"},
    )
    assert response.status_code == 302
    assert loan.transactions.filter(kind=TransactionKind.WAIVE_INTEREST).count() == 1


def test_restructure_makes_a_new_version(world, login, loans):
    http = login(world["loan_officer"])
    loan = loans["recent"]
    url = reverse("lending:restructure", args=[loan.pk])
    nothing = http.post(
        url,
        {
            "effective_from": TODAY.isoformat(),
            "holiday_periods": "0",
            "extra_repayments": "0",
            "new_interest_rate": "",
            "grace_on_principal": "0",
        },
    )
    assert field_errors(nothing)["effective_from"] == [str(services.RESTRUCTURE_NOTHING)]
    response = http.post(
        url,
        {
            "effective_from": TODAY.isoformat(),
            "holiday_periods": "2",
            "extra_repayments": "3",
            "new_interest_rate": "",
            "grace_on_principal": "0",
        },
    )
    assert response.status_code == 302
    assert loan.versions.count() == 2
    page = http.get(reverse("lending:detail", args=[loan.pk]))
    [older] = page.context["older"]
    assert older["version"].number == 1
    assert "<details" in page.content.decode()


def test_write_off_needs_reason_and_decision(world, login, loans):
    http = login(world["loan_officer"])
    loan = loans["late"]
    url = reverse("lending:write_off", args=[loan.pk])
    response = http.post(url, {"date": TODAY.isoformat(), "reason": "", "decision_reference": ""})
    errors = field_errors(response)
    assert errors["reason"] == [str(services.REASON_MISSING)]
    assert errors["decision_reference"] == [str(services.DECISION_REFERENCE_MISSING)]
    done = http.post(
        url, {"date": TODAY.isoformat(), "reason": "Faillissement", "decision_reference": "KC-7"}
    )
    assert done.status_code == 302
    loan.refresh_from_db()
    assert loan.status == LoanStatus.WRITTEN_OFF


def test_convert_into_a_gift_only_when_the_product_allows(world, login, loans):
    http = login(world["loan_officer"])
    loan = loans["recent"]
    LoanProduct.objects.filter(pk=loan.product_id).update(may_convert_to_gift=False)
    data = {"date": TODAY.isoformat(), "reason": "Bbz", "decision_reference": "B&W 12"}
    refused = http.post(reverse("lending:convert_to_gift", args=[loan.pk]), data)
    assert refused.status_code == 200
    assert str(services.GIFT_NOT_ALLOWED) in refused.content.decode()
    LoanProduct.objects.filter(pk=loan.product_id).update(may_convert_to_gift=True)
    done = http.post(reverse("lending:convert_to_gift", args=[loan.pk]), data)
    assert done.status_code == 302
    loan.refresh_from_db()
    assert loan.status == LoanStatus.CONVERTED_TO_GIFT


def test_close_a_repaid_loan(world, login, product):
    loan = disbursed_loan(world, product=product, amount=D("600.00"), repayments=3, on=RECENT)
    http = login(world["loan_officer"])
    refused = http.post(reverse("lending:close", args=[loan.pk]))
    assert refused.status_code == 302
    assert "can be closed" in " ".join(flashed(refused))
    total = sum(row.total for row in loan.installments.filter(is_current=True))
    repay(http, loan, amount=str(total), prepayment_mode="reduce_term")
    loan.refresh_from_db()
    assert loan.status == LoanStatus.REPAID
    http.post(reverse("lending:close", args=[loan.pk]))
    loan.refresh_from_db()
    assert loan.status == LoanStatus.CLOSED


# --- the portfolio ---------------------------------------------------------------------------


def test_portfolio_for_loan_staff(world, login, loans):
    response = login(world["loan_officer"]).get(reverse("lending:portfolio"))
    assert response.status_code == 200
    context = response.context
    assert context["figures"]["active"] == 2
    assert context["figures"]["outstanding"] == (
        loans["recent"].principal_outstanding + loans["late"].principal_outstanding
    )
    assert context["figures"]["cob_date"] == TODAY
    assert len(context["chart"].bars) == 12
    assert context["chart_total"] == D("12000.00")
    [officer] = context["by_officer"]
    assert officer["loans"] == 2
    [product] = context["by_product"]
    assert product["label"] == "Startlening"
    assert [loan.pk for loan in context["worst"]] == [loans["late"].pk]
    page = response.content.decode()
    assert 'aria-describedby="disbursements-table"' in page
    assert 'id="disbursements-table"' in page
    assert "Peeters" in page


def test_portfolio_for_an_auditor_has_no_client_names(world, login, loans):
    response = login(world["auditor"]).get(reverse("lending:portfolio"))
    assert response.status_code == 200
    assert response.context["worst"] is None
    page = response.content.decode()
    assert "Peeters" not in page and "Haddou" not in page
    assert response.context["figures"]["active"] == 2


def test_dashboard_panel_and_navigation(world, login):
    page = login(world["loan_officer"]).get(reverse("dashboard")).content.decode()
    assert reverse("lending:portfolio") in page
    assert f'href="{reverse("lending:list")}"' in page
    volunteer = login(world["volunteer"]).get(reverse("dashboard")).content.decode()
    assert "/loans/" not in volunteer


def test_every_audit_action_of_the_services_has_a_label():
    from pathlib import Path

    source = (Path(services.__file__)).read_text()
    actions = set(re.findall(r'action="([\w.]+)"', source))
    actions |= {"loan_product.create", "loan_product.update", "loan.write_off"}
    actions |= {"loan.convert_to_gift"}
    assert actions <= set(ACTION_LABELS), actions - set(ACTION_LABELS)


def test_audit_log_reads_the_labels(world, login, loans):
    assert AuditEvent.objects.filter(action="loan.disburse").exists()
    page = login(world["org_admin"]).get(reverse("audit_log")).content.decode()
    assert "Loan disbursed" in page


# --- languages -------------------------------------------------------------------------------

ENGLISH_ON_LOAN_PAGE = [
    "Balances",
    "Ledger",
    "Schedule",
    "Transactions",
    "Principal outstanding",
    "Interest due",
    "Days past due",
    "Overdue",
    "Disbursement",
    "Post a repayment",
    "Loan portfolio",
    "Current",
    "Future",
]


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_the_loan_page_speaks_the_language(world, login, loans, language):
    http = login(world["loan_officer"])
    http.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    for url in (
        reverse("lending:detail", args=[loans["late"].pk]),
        reverse("lending:list"),
        reverse("lending:portfolio"),
        reverse("lending:repay", args=[loans["late"].pk]),
    ):
        html = http.get(url).content.decode()
        assert f'<html lang="{language}"' in html
        visible = re.sub(
            r"<[^>]+>", " ", re.sub(r"<(script|style)[^>]*>.*?</\1>", "", html, flags=re.S)
        )
        leftovers = [w for w in ENGLISH_ON_LOAN_PAGE if re.search(rf"\b{w}\b", visible)]
        assert leftovers == [], f"{url} in {language} still shows {leftovers}"


def test_money_in_the_readers_format(world, login, loans):
    http = login(world["loan_officer"])
    http.cookies[settings.LANGUAGE_COOKIE_NAME] = "nl"
    url = reverse("lending:detail", args=[loans["recent"].pk])
    assert "€\u00a010.000,00" in http.get(url).content.decode()
    http.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    assert "10\u202f000,00\u00a0€" in http.get(url).content.decode()
    http.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "€10,000.00" in http.get(url).content.decode()
