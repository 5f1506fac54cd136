"""Every change to loan products, applications and loans goes through one of these functions.

Each checks first (ValidationError with a field and a stable code, PermissionDenied for
maker-checker), then writes inside one transaction with its audit event. Changes to a loan
lock the loan row first (`_locked`), replay the loan (account.replay), rewrite the derived
rows, and post the ledger difference as one balanced journal entry.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opstap.clients.models import Client, ClientDocument
from opstap.core import formatting
from opstap.core.audit import audit_record
from opstap.core.models import Organisation, User
from opstap.journeys.models import Trajectory
from opstap.journeys.services import add_months

from . import engine
from .account import Event, PlannedInstallment, Replay, replay
from .choices import (
    ENDED_STATUSES,
    Account,
    ApplicationStatus,
    Bucket,
    Channel,
    LoanStatus,
    PrepaymentMode,
    TransactionKind,
    Vote,
)
from .models import (
    CommitteeVote,
    Installment,
    JournalEntry,
    JournalLine,
    Loan,
    LoanApplication,
    LoanProduct,
    LoanTransaction,
    ScheduleVersion,
)

ZERO = Decimal("0.00")
CENT = Decimal("0.01")

# --- messages (tests import them) -------------------------------------------------------

AMOUNT_NOT_POSITIVE = _("The amount must be more than zero.")
AMOUNT_OUT_OF_RANGE = _("This product lends between %(min)s and %(max)s.")
RATE_OUT_OF_RANGE = _("This product's interest rate lies between %(min)s %% and %(max)s %%.")
TERM_OUT_OF_RANGE = _("This product is repaid in %(min)s to %(max)s instalments.")
PRODUCT_NOT_VALID = _(
    "This product cannot be used on %(date)s: it is valid from %(from)s%(until)s."
)
PRODUCT_RANGE_INVALID = _("The minimum cannot be higher than the maximum.")
PRODUCT_DEFAULT_RATE_OUTSIDE = _("The standard rate must lie within the product's range.")
PRODUCT_SETTINGS_INVALID = _("The schedule setting “%(key)s” is not valid: %(problem)s")
CLIENT_OF_OTHER_ORGANISATION = _("This client is not a client of your organisation.")
TRAJECTORY_OF_OTHER_CLIENT = _("This route belongs to another client.")
PURPOSE_MISSING = _("Say what the loan is for.")
DOCUMENT_OF_OTHER_CLIENT = _("A chosen document belongs to another client.")
APPLICATION_NOT_IN_PREPARATION = _("Only an application in preparation can be changed.")
ASSESSMENT_MISSING = _("Write the loan officer's assessment before submitting.")
APPLICATION_NOT_IN_COMMITTEE = _("This application is not with the credit committee.")
MAKER_CANNOT_DECIDE = _(
    "You prepared this application, so you cannot decide on it: someone else must check it."
)
ALREADY_VOTED = _("You have already given your decision on this application.")
VOTE_UNKNOWN = _("Choose approve or refuse.")
REFUSAL_REASON_MISSING = _("Give the reason for the refusal; the client is told.")
APPROVED_AMOUNT_TOO_HIGH = _("The committee can reduce the amount, not raise it above %(amount)s.")
LOAN_NOT_APPROVED = _("Only an approved loan that is not yet fully disbursed can be disbursed.")
NOTHING_LEFT_TO_DISBURSE = _("The whole loan has been disbursed already.")
DISBURSEMENT_TOO_HIGH = _("Only %(amount)s is left to disburse.")
DATE_IN_FUTURE = _("The date cannot be later than today (%(today)s).")
DISBURSEMENT_BREAKS_SCHEDULE = _(
    "The schedule cannot be made again with this disbursement: %(problem)s."
)
TRANCHE_SAME_DAY = _(
    "A tranche was already paid out on %(date)s: pay the next one out on a later day."
)
DATE_BEFORE_DISBURSEMENT = _("The date cannot be before the disbursement on %(date)s.")
LOAN_NOT_ACTIVE = _("This loan is not active: it is “%(status)s”.")
CHANNEL_UNKNOWN = _("Choose how the money was paid.")
REPAYMENT_ABOVE_OUTSTANDING = _(
    "%(amount)s is more than the %(outstanding)s outstanding. Check the amount, or tick "
    "“This is an overpayment” if the client really paid it: the difference is then owed to "
    "the client."
)
REPAYMENT_BEYOND_MAXIMUM = _(
    "%(amount)s cannot be a repayment of this loan: at most %(maximum)s (what is outstanding "
    "plus the amount lent) can be posted. Check the amount."
)
IDEMPOTENCY_KEY_REUSED = _(
    "This payment key was already used for a different payment (%(amount)s on %(date)s)."
)
TRANSACTION_NOT_REVERSIBLE = _("Only repayments and waivers can be reversed.")
TRANSACTION_ALREADY_REVERSED = _("This transaction has been reversed already.")
REVERSAL_BEFORE_RESTRUCTURING = _(
    "This payment was made before the schedule was changed on %(date)s and cannot be "
    "reversed any more."
)
REASON_MISSING = _("Give the reason.")
DECISION_REFERENCE_MISSING = _("Give the reference of the decision (for example its number).")
WAIVE_TOO_MUCH = _("Only %(amount)s is due and can be waived.")
WAIVE_KIND_UNKNOWN = _("Choose whether interest or fees are waived.")
GIFT_NOT_ALLOWED = _("This product does not allow converting the balance into a gift.")
NOTHING_OUTSTANDING = _("Nothing is outstanding on this loan.")
CLOSE_NOT_REPAID = _("Only a loan with nothing left to pay can be closed; %(amount)s is open.")
RESTRUCTURE_NOTHING = _(
    "Choose at least one change: a payment holiday, extra instalments, a new "
    "interest rate or grace on principal."
)
RESTRUCTURE_NO_FUTURE = _("No instalment falls due after %(date)s: there is nothing to change.")
RESTRUCTURE_TRANCHES_PENDING = _("Disburse the remaining tranches before changing the schedule.")
NOT_NEGATIVE = _("This cannot be negative.")

RESTRUCTURE_REASONS = {
    "holiday": _("payment holiday of %(n)s instalment(s)"),
    "extra": _("%(n)s extra instalment(s)"),
    "rate": _("new interest rate %(rate)s %%"),
    "grace": _("grace on principal for %(n)s instalment(s)"),
}


def _today(today: datetime.date | None) -> datetime.date:
    return today or timezone.localdate()


def _error(field: str, message: Any, code: str, **params: Any) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code, params=params or None)})


def _money(amount: Decimal) -> str:
    """An amount as the reader writes it (messages are made in their language)."""
    return formatting.money(amount)


# --- products -----------------------------------------------------------------------------

PRODUCT_FIELDS = (
    "name",
    "description",
    "valid_from",
    "valid_until",
    "currency",
    "min_amount",
    "max_amount",
    "min_rate",
    "max_rate",
    "default_rate",
    "min_repayments",
    "max_repayments",
    "schedule_settings",
    "allocation_order",
    "arrears_tolerance",
    "overpayment_tolerance",
    "days_until_non_performing",
    "approvals_required",
    "may_convert_to_gift",
)


def schedule_settings_check(settings: dict[str, Any]) -> None:
    """The product's settings must make valid terms for any loan within its ranges."""
    sample = {
        **settings,
        "principal": "1000.00",
        "disbursement_date": "2026-01-15",
        "interest_rate": "10",
        "number_of_repayments": max(12, int(settings.get("grace_on_principal", 0) or 0) + 2),
    }
    for key in ("principal", "disbursement_date", "interest_rate", "number_of_repayments"):
        if key in settings:
            raise _error(
                "schedule_settings",
                PRODUCT_SETTINGS_INVALID,
                "settings_invalid",
                key=key,
                problem=_("it is chosen per loan, not per product"),
            )
    try:
        engine.terms_from_json(sample)
    except engine.TermsError as error:
        raise _error(
            "schedule_settings",
            PRODUCT_SETTINGS_INVALID,
            "settings_invalid",
            key=error.key,
            problem=error.message,
        ) from None


@transaction.atomic
def loan_product_save(
    *, actor: User, organisation: Organisation, product: LoanProduct | None = None, **fields: Any
) -> LoanProduct:
    unknown = set(fields) - set(PRODUCT_FIELDS)
    if unknown:
        raise TypeError(f"unknown product fields: {sorted(unknown)}")
    creating = product is None
    product = product or LoanProduct(organisation=organisation)
    old = {name: getattr(product, name) for name in PRODUCT_FIELDS} if not creating else {}
    for name, value in fields.items():
        setattr(product, name, value)
    errors: dict[str, list[ValidationError]] = {}
    for low, high in (
        ("min_amount", "max_amount"),
        ("min_rate", "max_rate"),
        ("min_repayments", "max_repayments"),
    ):
        low_value, high_value = getattr(product, low), getattr(product, high)
        if low_value is not None and high_value is not None and low_value > high_value:
            errors.setdefault(high, []).append(
                ValidationError(PRODUCT_RANGE_INVALID, code="range_invalid")
            )
    if product.min_amount is not None and product.min_amount <= 0:
        errors.setdefault("min_amount", []).append(
            ValidationError(AMOUNT_NOT_POSITIVE, code="not_positive")
        )
    if (
        product.default_rate is not None
        and product.min_rate is not None
        and product.max_rate is not None
        and not product.min_rate <= product.default_rate <= product.max_rate
    ):
        errors.setdefault("default_rate", []).append(
            ValidationError(PRODUCT_DEFAULT_RATE_OUTSIDE, code="rate_outside")
        )
    if errors:
        raise ValidationError(errors)
    schedule_settings_check(product.schedule_settings or {})
    product.full_clean(exclude=["organisation"])
    product.save()
    audit_record(
        actor=actor,
        organisation=organisation,
        action="loan_product.create" if creating else "loan_product.update",
        obj=product,
        old=old,
        new={name: getattr(product, name) for name in PRODUCT_FIELDS},
    )
    return product


# --- applications -------------------------------------------------------------------------


def _check_against_product(
    product: LoanProduct,
    *,
    amount: Decimal,
    interest_rate: Decimal,
    number_of_repayments: int,
    on: datetime.date,
) -> None:
    errors: dict[str, ValidationError] = {}
    if amount is None or amount <= 0:
        errors["amount"] = ValidationError(AMOUNT_NOT_POSITIVE, code="not_positive")
    elif not product.min_amount <= amount <= product.max_amount:
        errors["amount"] = ValidationError(
            AMOUNT_OUT_OF_RANGE,
            code="amount_out_of_range",
            params={"min": _money(product.min_amount), "max": _money(product.max_amount)},
        )
    if interest_rate is None or not product.min_rate <= interest_rate <= product.max_rate:
        errors["interest_rate"] = ValidationError(
            RATE_OUT_OF_RANGE,
            code="rate_out_of_range",
            params={"min": product.min_rate.normalize(), "max": product.max_rate.normalize()},
        )
    if (
        number_of_repayments is None
        or not product.min_repayments <= number_of_repayments <= product.max_repayments
    ):
        errors["number_of_repayments"] = ValidationError(
            TERM_OUT_OF_RANGE,
            code="term_out_of_range",
            params={"min": product.min_repayments, "max": product.max_repayments},
        )
    if not LoanProduct.objects.filter(pk=product.pk).valid_on(on).exists():
        until = f" – {formatting.day(product.valid_until, 'short')}" if product.valid_until else ""
        errors["product"] = ValidationError(
            PRODUCT_NOT_VALID,
            code="product_not_valid",
            params={
                "date": formatting.day(on, "short"),
                "from": formatting.day(product.valid_from, "short"),
                "until": until,
            },
        )
    if errors:
        raise ValidationError(errors)


APPLICATION_FIELDS = (
    "product",
    "amount",
    "purpose",
    "number_of_repayments",
    "interest_rate",
    "expected_disbursement_date",
    "trajectory",
)


@transaction.atomic
def application_create(
    *,
    actor: User,
    organisation: Organisation,
    client: Client,
    product: LoanProduct,
    amount: Decimal,
    purpose: str,
    number_of_repayments: int,
    interest_rate: Decimal | None = None,
    expected_disbursement_date: datetime.date,
    trajectory: Trajectory | None = None,
    documents: Iterable[ClientDocument] = (),
) -> LoanApplication:
    if client.organisation_id != organisation.pk or product.organisation_id != organisation.pk:
        raise _error("client", CLIENT_OF_OTHER_ORGANISATION, "other_organisation")
    application = LoanApplication(
        organisation=organisation, client=client, prepared_by=actor, product=product
    )
    _application_fill(
        application,
        amount=amount,
        purpose=purpose,
        number_of_repayments=number_of_repayments,
        interest_rate=product.default_rate if interest_rate is None else interest_rate,
        expected_disbursement_date=expected_disbursement_date,
        trajectory=trajectory,
        documents=list(documents),
    )
    audit_record(
        actor=actor,
        organisation=organisation,
        action="loan_application.create",
        obj=application,
        client=client,
        new={name: getattr(application, name) for name in APPLICATION_FIELDS},
    )
    return application


def _application_fill(
    application: LoanApplication, *, documents: list[ClientDocument], **values: Any
) -> None:
    if not (values["purpose"] or "").strip():
        raise _error("purpose", PURPOSE_MISSING, "purpose_missing")
    trajectory = values["trajectory"]
    if trajectory is not None and trajectory.client_id != application.client_id:
        raise _error("trajectory", TRAJECTORY_OF_OTHER_CLIENT, "other_client")
    if any(document.client_id != application.client_id for document in documents):
        raise _error("documents", DOCUMENT_OF_OTHER_CLIENT, "other_client")
    _check_against_product(
        application.product,
        amount=values["amount"],
        interest_rate=values["interest_rate"],
        number_of_repayments=values["number_of_repayments"],
        on=values["expected_disbursement_date"],
    )
    for name, value in values.items():
        setattr(application, name, value)
    application.save()
    application.documents.set(documents)


@transaction.atomic
def application_update(
    *,
    actor: User,
    application: LoanApplication,
    documents: Iterable[ClientDocument] = (),
    **values: Any,
) -> LoanApplication:
    application = LoanApplication.objects.select_for_update().get(pk=application.pk)
    if application.status != ApplicationStatus.IN_PREPARATION:
        raise _error("status", APPLICATION_NOT_IN_PREPARATION, "not_in_preparation")
    old = {name: getattr(application, name) for name in APPLICATION_FIELDS}
    if "product" in values:
        application.product = values.pop("product")
    merged = {name: getattr(application, name) for name in APPLICATION_FIELDS if name != "product"}
    merged.update(values)
    _application_fill(application, documents=list(documents), **merged)
    audit_record(
        actor=actor,
        organisation=application.organisation,
        action="loan_application.update",
        obj=application,
        client=application.client,
        old=old,
        new={name: getattr(application, name) for name in APPLICATION_FIELDS},
    )
    return application


@transaction.atomic
def application_submit(
    *,
    actor: User,
    application: LoanApplication,
    assessment: str,
    today: datetime.date | None = None,
) -> LoanApplication:
    """The loan officer's assessment goes with the application to the committee."""
    application = LoanApplication.objects.select_for_update().get(pk=application.pk)
    if application.status != ApplicationStatus.IN_PREPARATION:
        raise _error("status", APPLICATION_NOT_IN_PREPARATION, "not_in_preparation")
    if not (assessment or "").strip():
        raise _error("assessment", ASSESSMENT_MISSING, "assessment_missing")
    application.assessment = assessment.strip()
    application.status = ApplicationStatus.IN_COMMITTEE
    application.submitted_on = _today(today)
    application.save(update_fields=["assessment", "status", "submitted_on"])
    audit_record(
        actor=actor,
        organisation=application.organisation,
        action="loan_application.submit",
        obj=application,
        client=application.client,
        old={"status": ApplicationStatus.IN_PREPARATION},
        new={"status": application.status},
    )
    return application


@transaction.atomic
def application_withdraw(*, actor: User, application: LoanApplication) -> LoanApplication:
    application = LoanApplication.objects.select_for_update().get(pk=application.pk)
    if application.status not in (ApplicationStatus.IN_PREPARATION, ApplicationStatus.IN_COMMITTEE):
        raise _error("status", APPLICATION_NOT_IN_PREPARATION, "not_in_preparation")
    old_status = application.status
    application.status = ApplicationStatus.WITHDRAWN
    application.save(update_fields=["status"])
    audit_record(
        actor=actor,
        organisation=application.organisation,
        action="loan_application.withdraw",
        obj=application,
        client=application.client,
        old={"status": old_status},
        new={"status": application.status},
    )
    return application


@transaction.atomic
def application_vote(
    *,
    actor: User,
    application: LoanApplication,
    vote: str,
    approved_amount: Decimal | None = None,
    conditions: str = "",
    reason: str = "",
    today: datetime.date | None = None,
) -> LoanApplication:
    """One committee member decides. A refusal ends the application; the product's number
    of approvals approves it, for the lowest amount any member approved, with all conditions."""
    application = (
        LoanApplication.objects.select_for_update().select_related("product").get(pk=application.pk)
    )
    if application.status != ApplicationStatus.IN_COMMITTEE:
        raise _error("status", APPLICATION_NOT_IN_COMMITTEE, "not_in_committee")
    if application.prepared_by_id == actor.pk:
        raise PermissionDenied(MAKER_CANNOT_DECIDE)
    if application.votes.filter(member=actor).exists():
        raise _error("vote", ALREADY_VOTED, "already_voted")
    if vote not in Vote.values:
        raise _error("vote", VOTE_UNKNOWN, "vote_unknown")
    if vote == Vote.REFUSE and not reason.strip():
        raise _error("reason", REFUSAL_REASON_MISSING, "reason_missing")
    if vote == Vote.APPROVE:
        approved_amount = application.amount if approved_amount is None else approved_amount
        if approved_amount > application.amount:
            raise _error(
                "approved_amount",
                APPROVED_AMOUNT_TOO_HIGH,
                "amount_too_high",
                amount=_money(application.amount),
            )
        if approved_amount < application.product.min_amount:
            raise _error(
                "approved_amount",
                AMOUNT_OUT_OF_RANGE,
                "amount_out_of_range",
                min=_money(application.product.min_amount),
                max=_money(application.product.max_amount),
            )
    on = _today(today)
    CommitteeVote.objects.create(
        application=application,
        member=actor,
        vote=vote,
        approved_amount=approved_amount if vote == Vote.APPROVE else None,
        conditions=conditions.strip(),
        reason=reason.strip(),
        voted_on=on,
    )
    old_status = application.status
    if vote == Vote.REFUSE:
        application.status = ApplicationStatus.REFUSED
        application.refusal_reason = reason.strip()
        application.decided_on = on
    else:
        approvals = list(application.votes.filter(vote=Vote.APPROVE))
        if len(approvals) >= application.product.approvals_required:
            application.status = ApplicationStatus.APPROVED
            application.approved_amount = min(v.approved_amount for v in approvals)
            application.conditions = "\n".join(v.conditions for v in approvals if v.conditions)
            application.decided_on = on
    application.save()
    audit_record(
        actor=actor,
        organisation=application.organisation,
        action="loan_application.vote",
        obj=application,
        client=application.client,
        old={"status": old_status},
        new={"status": application.status},
        extra={"vote": vote, "approved_amount": approved_amount},
    )
    if application.status == ApplicationStatus.APPROVED:
        _loan_create(actor=actor, application=application)
    return application


# --- loans: terms and schedules ----------------------------------------------------------


def application_terms(application: LoanApplication, amount: Decimal) -> dict[str, Any]:
    """The engine's JSON terms for a loan granted on this application."""
    return {
        **application.product.schedule_settings,
        "principal": str(amount),
        "disbursement_date": application.expected_disbursement_date.isoformat(),
        "interest_rate": str(application.interest_rate),
        "number_of_repayments": application.number_of_repayments,
    }


def _plan_from_schedule(
    schedule: engine.Schedule, first_number: int = 1, fee_date: datetime.date | None = None
) -> list[PlannedInstallment]:
    plan = []
    if schedule.disbursement_fees and fee_date is not None:
        # The fee at disbursement is owed on the day itself: instalment 0, as in Fineract.
        plan.append(
            PlannedInstallment(0, fee_date, fee_date, ZERO, ZERO, schedule.disbursement_fees)
        )
    offset = first_number - 1
    for row in schedule.installments:
        plan.append(
            PlannedInstallment(
                row.number + offset,
                row.from_date,
                row.due_date,
                row.principal,
                row.interest,
                row.fees,
            )
        )
    return plan


def _plan_to_json(plan: list[PlannedInstallment]) -> list[dict[str, Any]]:
    return [
        {
            "number": p.number,
            "from_date": p.from_date.isoformat(),
            "due_date": p.due_date.isoformat(),
            "principal": str(p.principal),
            "interest": str(p.interest),
            "fees": str(p.fees),
        }
        for p in plan
    ]


def _plan_from_json(rows: list[dict[str, Any]]) -> list[PlannedInstallment]:
    return [
        PlannedInstallment(
            row["number"],
            datetime.date.fromisoformat(row["from_date"]),
            datetime.date.fromisoformat(row["due_date"]),
            Decimal(row["principal"]),
            Decimal(row["interest"]),
            Decimal(row["fees"]),
        )
        for row in rows
    ]


def _tail_terms(
    terms: dict[str, Any],
    *,
    start: datetime.date,
    balance: Decimal,
    count: int,
    **overrides: Any,
) -> engine.LoanTerms:
    """Terms for the rest of a schedule: the balance lent anew from `start`, no grace and no
    fee at disbursement (both belonged to the original loan)."""
    data = {
        key: value
        for key, value in terms.items()
        # Keys starting with "_" are Opstap's own markers (`_restructured`), not engine terms.
        if not key.startswith("_")
        and key
        not in (
            "disbursements",
            "principal",
            "disbursement_date",
            "first_repayment_date",
            "grace_on_principal",
            "grace_on_interest_payment",
            "grace_on_interest_charged",
        )
    }
    data["charges"] = [c for c in terms.get("charges", []) if c["kind"] != "disbursement_fee"]
    data.update(
        principal=str(balance),
        disbursement_date=start.isoformat(),
        number_of_repayments=count,
    )
    data.update({k: v for k, v in overrides.items() if v is not None})
    return engine.terms_from_json(data)


def _rescheduler(terms: dict[str, Any]):
    def reschedule(
        start: datetime.date, balance: Decimal, count: int, first_number: int
    ) -> list[PlannedInstallment]:
        schedule = engine.generate_schedule(
            _tail_terms(terms, start=start, balance=balance, count=count)
        )
        return _plan_from_schedule(schedule, first_number)

    return reschedule


def _period_after(terms: dict[str, Any], day: datetime.date, periods: int) -> datetime.date:
    every = int(terms.get("repayment_every", 1)) * periods
    unit = terms.get("repayment_unit", "months")
    if unit == "months":
        return add_months(day, every)
    return day + datetime.timedelta(days=every * (7 if unit == "weeks" else 1))


def _new_version(
    loan: Loan,
    *,
    plan: list[PlannedInstallment],
    terms: dict[str, Any],
    effective_from: datetime.date,
    reason: str,
    actor: User | None,
) -> ScheduleVersion:
    current = loan.versions.filter(is_current=True).first()
    number = 1
    if current is not None:
        number = current.number + 1
        ScheduleVersion.objects.filter(pk=current.pk).update(is_current=False)
        Installment.objects.filter(version=current).update(is_current=False)
    return ScheduleVersion.objects.create(
        loan=loan,
        number=number,
        effective_from=effective_from,
        reason=reason,
        plan=_plan_to_json(plan),
        terms=terms,
        is_current=True,
        created_by=actor,
    )


@transaction.atomic
def _loan_create(*, actor: User, application: LoanApplication) -> Loan:
    product = application.product
    terms = application_terms(application, application.approved_amount)
    loan = Loan.objects.create(
        organisation=application.organisation,
        client=application.client,
        application=application,
        product=product,
        officer=application.prepared_by,
        reference=f"tmp-{application.pk}",
        terms=terms,
        allocation_order=product.allocation_order,
        arrears_tolerance=product.arrears_tolerance,
        days_until_non_performing=product.days_until_non_performing,
    )
    loan.reference = f"L{loan.created_at:%Y}-{loan.pk:06d}"
    loan.save(update_fields=["reference"])
    parsed = engine.terms_from_json(terms)
    plan = _plan_from_schedule(engine.generate_schedule(parsed), fee_date=parsed.disbursement_date)
    version = _new_version(
        loan,
        plan=plan,
        terms=terms,
        effective_from=application.expected_disbursement_date,
        reason=str(_("granted")),
        actor=actor,
    )
    _write_installments(loan, version, replay(plan, []))
    audit_record(
        actor=actor,
        organisation=loan.organisation,
        action="loan.create",
        obj=loan,
        client=loan.client,
        new={"reference": loan.reference, "amount": application.approved_amount},
    )
    return loan


# --- loans: replay, derived rows and the ledger ------------------------------------------


def _locked(loan: Loan) -> Loan:
    """Lock the loan row for the rest of the transaction: one writer per loan at a time."""
    return (
        Loan.objects.select_for_update().select_related("product", "organisation").get(pk=loan.pk)
    )


def _current_version(loan: Loan) -> ScheduleVersion:
    return loan.versions.get(is_current=True)


def _events(loan: Loan) -> list[tuple[LoanTransaction, Event]]:
    rows = loan.transactions.filter(reversed_at__isnull=True).exclude(
        kind__in=(TransactionKind.ACCRUAL, TransactionKind.ADJUSTMENT)
    )
    return [
        (t, Event(t.pk, t.kind, t.value_date, t.amount, t.prepayment_mode))
        for t in rows.order_by("value_date", "id")
    ]


def _replay(
    loan: Loan, version: ScheduleVersion, events: list[tuple[LoanTransaction, Event]]
) -> Replay:
    return replay(
        _plan_from_json(version.plan),
        [event for _, event in events],
        order=loan.allocation_order,
        reschedule=None if _tranches_pending(loan, events) else _rescheduler(version.terms),
        reschedule_from=version.effective_from,
    )


def _tranches_pending(loan: Loan, events: list[tuple[LoanTransaction, Event]]) -> bool:
    disbursed = sum((e.amount for _, e in events if e.kind == TransactionKind.DISBURSEMENT), ZERO)
    return disbursed < _planned_principal(loan)


def _planned_principal(loan: Loan) -> Decimal:
    terms = loan.terms
    if "disbursements" in terms:
        return sum((Decimal(d["amount"]) for d in terms["disbursements"]), ZERO)
    return Decimal(terms["principal"])


def _write_installments(loan: Loan, version: ScheduleVersion, state: Replay) -> None:
    Installment.objects.filter(version=version).delete()
    Installment.objects.bulk_create(
        [
            Installment(
                version=version,
                loan=loan,
                is_current=True,
                number=line.number,
                from_date=line.from_date,
                due_date=line.due_date,
                principal=line.principal,
                interest=line.interest,
                fees=line.fees,
                principal_paid=line.principal_paid,
                interest_paid=line.interest_paid,
                fees_paid=line.fees_paid,
                forgiven=line.total - line.paid - line.open,
                open_amount=line.open,
                settled_on=line.settled_on,
            )
            for line in state.lines
        ]
    )


def ledger_balances(loan: Loan) -> dict[str, Decimal]:
    """The loan's balance per account from its journal lines, debit positive."""
    rows = (
        JournalLine.objects.filter(loan=loan)
        .values("account")
        .annotate(debit=Sum("debit"), credit=Sum("credit"))
    )
    balances = {str(account): ZERO for account in Account.values}
    for row in rows:
        # SQLite sums decimals in floating point (1240.59999999999): every line is in whole
        # cents, so the exact sum is the float sum rounded to the cent.
        balances[row["account"]] = (row["debit"] - row["credit"]).quantize(CENT)
    return balances


def _post(
    loan: Loan,
    state: Replay,
    *,
    as_of: datetime.date,
    transaction_: LoanTransaction,
    memo: str,
    current: dict[str, Decimal] | None = None,
) -> JournalEntry | None:
    """Post the difference between the ledger (`current`, when the caller just read it) and
    the replayed balances, balanced."""
    target = state.balances(as_of)
    if current is None:
        current = ledger_balances(loan)
    lines = _journal_lines(loan, target, current)
    if not lines:
        return None
    entry = JournalEntry.objects.create(
        organisation_id=loan.organisation_id,
        loan=loan,
        transaction=transaction_,
        posted_on=as_of,
        memo=memo[:200],
    )
    for line in lines:
        line.entry = entry
    JournalLine.objects.bulk_create(lines)
    return entry


def _journal_lines(
    loan: Loan, target: dict[str, Decimal], current: dict[str, Decimal]
) -> list[JournalLine]:
    """The lines that take the ledger from `current` to `target` (not saved)."""
    lines = []
    for account in Account.values:
        difference = target[account] - current[account]
        if difference > 0:
            lines.append(JournalLine(loan=loan, account=account, debit=difference))
        elif difference < 0:
            lines.append(JournalLine(loan=loan, account=account, credit=-difference))
    debit = sum((line.debit for line in lines), ZERO)
    credit = sum((line.credit for line in lines), ZERO)
    if debit != credit:  # account.Replay.balances sums to zero by construction
        raise AssertionError(f"unbalanced posting on {loan}: {debit} ≠ {credit}")
    return lines


def bucket_for(days_past_due: int) -> str:
    if days_past_due <= 0:
        return Bucket.CURRENT
    if days_past_due <= 30:
        return Bucket.DAYS_1_30
    if days_past_due <= 60:
        return Bucket.DAYS_31_60
    if days_past_due <= 90:
        return Bucket.DAYS_61_90
    return Bucket.DAYS_90_PLUS


def _store(
    loan: Loan,
    version: ScheduleVersion,
    events: list[tuple[LoanTransaction, Event]],
    state: Replay,
    as_of: datetime.date,
) -> None:
    """Write everything derived from the replay: rows, splits, cached balances, status."""
    _write_installments(loan, version, state)
    changed = []
    for row, event in events:
        allocation = state.allocations[event.key]
        split = (allocation.principal, allocation.interest, allocation.fees, allocation.overpayment)
        if split != (row.principal, row.interest, row.fees, row.overpayment):
            row.principal, row.interest, row.fees, row.overpayment = split
            changed.append(row)
    if changed:
        LoanTransaction.objects.bulk_update(
            changed, ["principal", "interest", "fees", "overpayment"]
        )
    loan.principal_disbursed = state.disbursed
    loan.principal_outstanding = state.principal_outstanding
    loan.interest_due = state.interest_due(as_of)
    loan.fees_due = state.fees_due(as_of)
    loan.overpaid = state.overpaid
    loan.overdue_amount = state.overdue(as_of)
    loan.days_past_due = state.days_past_due(as_of, loan.arrears_tolerance)
    loan.overdue_since = (
        as_of - datetime.timedelta(days=loan.days_past_due) if loan.days_past_due else None
    )
    loan.bucket = bucket_for(loan.days_past_due)
    loan.non_performing = loan.days_past_due >= loan.days_until_non_performing
    if state.disbursed and loan.disbursed_on is None:
        loan.disbursed_on = min(e.date for _, e in events if e.kind == TransactionKind.DISBURSEMENT)
    if state.ended_by == TransactionKind.WRITE_OFF:
        loan.status, loan.ended_on = LoanStatus.WRITTEN_OFF, state.ended_on
    elif state.ended_by == TransactionKind.CONVERT_TO_GIFT:
        loan.status, loan.ended_on = LoanStatus.CONVERTED_TO_GIFT, state.ended_on
    elif state.disbursed >= _planned_principal(loan) and state.open_total == 0:
        if loan.status != LoanStatus.CLOSED:
            loan.status = LoanStatus.REPAID
            loan.ended_on = max(
                (line.settled_on for line in state.lines if line.settled_on), default=as_of
            )
    elif state.disbursed:
        loan.status, loan.ended_on = LoanStatus.ACTIVE, None
    loan.save()


def _refresh(
    loan: Loan,
    *,
    as_of: datetime.date,
    posting_for: LoanTransaction,
    memo: str,
) -> Replay:
    version = _current_version(loan)
    events = _events(loan)
    state = _replay(loan, version, events)
    _store(loan, version, events, state, as_of)
    _post(loan, state, as_of=as_of, transaction_=posting_for, memo=memo)
    return state


def _accrue(loan: Loan, *, as_of: datetime.date, actor: User | None) -> Replay:
    """Bring the ledger to `as_of` before a change: interest and fees that fell due since
    the last posting are recognised as their own transaction."""
    version = _current_version(loan)
    events = _events(loan)
    state = _replay(loan, version, events)
    target = state.balances(as_of)
    current = ledger_balances(loan)
    if target == current:
        return state
    income = (Account.INTEREST_INCOME, Account.FEE_INCOME)
    accrual = LoanTransaction.objects.create(
        loan=loan,
        kind=TransactionKind.ACCRUAL,
        value_date=as_of,
        # Income is a credit balance: what is recognised now is how much more negative it is.
        amount=-sum((target[a] - current[a] for a in income), ZERO),
        created_by=actor,
    )
    _post(
        loan,
        state,
        as_of=as_of,
        transaction_=accrual,
        memo=str(TransactionKind.ACCRUAL.label),
        current=current,
    )
    return state


def _check_value_date(
    loan: Loan, on: datetime.date, today: datetime.date, field: str = "date"
) -> None:
    if on > today:
        raise _error(field, DATE_IN_FUTURE, "date_in_future", today=formatting.day(today, "short"))
    if loan.disbursed_on and on < loan.disbursed_on:
        raise _error(
            field,
            DATE_BEFORE_DISBURSEMENT,
            "before_disbursement",
            date=formatting.day(loan.disbursed_on, "short"),
        )


def _check_active(loan: Loan) -> None:
    if loan.status != LoanStatus.ACTIVE:
        raise _error("status", LOAN_NOT_ACTIVE, "not_active", status=LoanStatus(loan.status).label)


# --- loans: the transactions ----------------------------------------------------------------


@transaction.atomic
def loan_disburse(
    *,
    actor: User,
    loan: Loan,
    on: datetime.date,
    amount: Decimal | None = None,
    today: datetime.date | None = None,
) -> LoanTransaction:
    """Pay out the loan, or its next tranche. When the date or amount differs from the plan,
    the schedule is made again from what was actually paid out."""
    today = _today(today)
    loan = _locked(loan)
    if loan.status not in (LoanStatus.APPROVED, LoanStatus.ACTIVE):
        raise _error("status", LOAN_NOT_APPROVED, "not_approved")
    disbursed = loan.principal_disbursed
    planned = _planned_disbursements(loan)
    left = sum((a for _, a in planned), ZERO) - disbursed
    if left <= 0:
        raise _error("amount", NOTHING_LEFT_TO_DISBURSE, "nothing_left")
    done = [
        t
        for t in loan.transactions.filter(
            kind=TransactionKind.DISBURSEMENT, reversed_at__isnull=True
        )
    ]
    next_planned = planned[len(done)] if len(done) < len(planned) else (on, left)
    amount = next_planned[1] if amount is None else amount
    if amount <= 0:
        raise _error("amount", AMOUNT_NOT_POSITIVE, "not_positive")
    if amount > left:
        raise _error("amount", DISBURSEMENT_TOO_HIGH, "too_high", amount=_money(left))
    if on > today:
        raise _error("date", DATE_IN_FUTURE, "date_in_future", today=today.isoformat())
    if done and on < done[-1].value_date:
        raise _error(
            "date",
            DATE_BEFORE_DISBURSEMENT,
            "before_disbursement",
            date=done[-1].value_date.isoformat(),
        )
    if done and on == done[-1].value_date:
        # The engine needs tranche dates strictly increasing.
        raise _error("date", TRANCHE_SAME_DAY, "same_day", date=on.isoformat())
    if loan.status == LoanStatus.ACTIVE:
        _accrue(loan, as_of=today, actor=actor)
    actual = [(t.value_date, t.amount) for t in done] + [(on, amount)]
    remaining_planned = planned[len(actual) :]
    if sum((a for _, a in actual), ZERO) + sum((a for _, a in remaining_planned), ZERO) != sum(
        (a for _, a in planned), ZERO
    ):
        # A smaller tranche: what was not paid out now is added to the next planned one,
        # or, for the last, the loan is smaller than granted.
        shortfall = (
            sum((a for _, a in planned), ZERO)
            - sum((a for _, a in actual), ZERO)
            - sum((a for _, a in remaining_planned), ZERO)
        )
        if remaining_planned:
            first_date, first_amount = remaining_planned[0]
            remaining_planned = [(first_date, first_amount + shortfall), *remaining_planned[1:]]
    # A tranche paid out late, on or after the planned date of the next one: the next ones
    # are planned from the day after (the engine needs strictly increasing dates).
    previous, shifted = on, []
    for planned_on, planned_amount in remaining_planned:
        planned_on = max(planned_on, previous + datetime.timedelta(days=1))
        shifted.append((planned_on, planned_amount))
        previous = planned_on
    remaining_planned = shifted
    if actual + remaining_planned != planned:
        try:
            _regenerate_for_disbursements(loan, actual + remaining_planned, on, actor)
        except engine.TermsError as error:
            # For instance a tranche paid out after the last instalment fell due.
            raise _error(
                "date", DISBURSEMENT_BREAKS_SCHEDULE, "schedule_invalid", problem=error.message
            ) from None
    disbursement = LoanTransaction.objects.create(
        loan=loan,
        kind=TransactionKind.DISBURSEMENT,
        value_date=on,
        amount=amount,
        principal=amount,
        created_by=actor,
    )
    _refresh(loan, as_of=today, posting_for=disbursement, memo=str(_("Disbursement")))
    audit_record(
        actor=actor,
        organisation=loan.organisation,
        action="loan.disburse",
        obj=loan,
        client=loan.client,
        new={"amount": amount, "date": on},
    )
    return disbursement


def _planned_disbursements(loan: Loan) -> list[tuple[datetime.date, Decimal]]:
    terms = loan.terms
    if "disbursements" in terms:
        return [
            (datetime.date.fromisoformat(d["date"]), Decimal(d["amount"]))
            for d in terms["disbursements"]
        ]
    return [(datetime.date.fromisoformat(terms["disbursement_date"]), Decimal(terms["principal"]))]


def _regenerate_for_disbursements(
    loan: Loan, disbursements: list[tuple[datetime.date, Decimal]], on: datetime.date, actor: User
) -> None:
    terms = {
        k: v
        for k, v in loan.terms.items()
        if k not in ("principal", "disbursement_date", "disbursements")
    }
    if len(disbursements) == 1:
        terms["principal"] = str(disbursements[0][1])
        terms["disbursement_date"] = disbursements[0][0].isoformat()
    else:
        terms["disbursements"] = [
            {"date": d.isoformat(), "amount": str(a)} for d, a in disbursements
        ]
    first_repayment = terms.get("first_repayment_date")
    if first_repayment and datetime.date.fromisoformat(first_repayment) <= disbursements[0][0]:
        terms.pop("first_repayment_date")
    parsed = engine.terms_from_json(terms)
    plan = _plan_from_schedule(engine.generate_schedule(parsed), fee_date=parsed.disbursement_date)
    loan.terms = terms
    loan.save(update_fields=["terms"])
    _new_version(
        loan,
        plan=plan,
        terms=terms,
        effective_from=disbursements[0][0],
        reason=str(
            _("made again from the disbursement of %(date)s")
            % {"date": formatting.day(on, "short")}
        ),
        actor=actor,
    )


def _check_repayment_bound(loan: Loan, amount: Decimal, *, confirmed: bool) -> None:
    open_amounts = loan.installments.filter(is_current=True).aggregate(total=Sum("open_amount"))
    # Rounded: SQLite sums decimals in floating point.
    outstanding = (open_amounts["total"] or ZERO).quantize(CENT)
    maximum = outstanding + loan.principal_disbursed
    if amount > maximum:
        raise _error(
            "amount",
            REPAYMENT_BEYOND_MAXIMUM,
            "beyond_maximum",
            amount=_money(amount),
            maximum=_money(maximum),
        )
    if amount > outstanding + loan.product.overpayment_tolerance and not confirmed:
        raise _error(
            "amount",
            REPAYMENT_ABOVE_OUTSTANDING,
            "above_outstanding",
            amount=_money(amount),
            outstanding=_money(outstanding),
        )


@dataclass(frozen=True)
class Posted:
    transaction: LoanTransaction
    created: bool


@transaction.atomic
def repayment_post(
    *,
    actor: User | None,
    loan: Loan,
    amount: Decimal,
    on: datetime.date,
    channel: str = Channel.BANK_TRANSFER,
    reference: str = "",
    idempotency_key: str | None = None,
    prepayment_mode: str = PrepaymentMode.REDUCE_TERM,
    confirm_overpayment: bool = False,
    today: datetime.date | None = None,
) -> Posted:
    """Post a repayment, split by the loan's allocation order. The same idempotency key
    posts once: a second call returns the first posting (or refuses a different one).

    An amount above what is outstanding plus the product's overpayment tolerance needs the
    officer's confirmation; one above what is outstanding plus the principal disbursed is a
    typing error and is refused outright (see docs/lending.md, "Overpayments")."""
    today = _today(today)
    loan = _locked(loan)
    key = (idempotency_key or "").strip() or None
    if key is not None:
        existing = loan.transactions.filter(idempotency_key=key).first()
        if existing is not None:
            if existing.amount != amount or existing.value_date != on:
                raise _error(
                    "idempotency_key",
                    IDEMPOTENCY_KEY_REUSED,
                    "key_reused",
                    amount=_money(existing.amount),
                    date=existing.value_date.isoformat(),
                )
            return Posted(existing, False)
    _check_active(loan)
    if amount is None or amount <= 0:
        raise _error("amount", AMOUNT_NOT_POSITIVE, "not_positive")
    if channel not in Channel.values:
        raise _error("channel", CHANNEL_UNKNOWN, "channel_unknown")
    if prepayment_mode not in PrepaymentMode.values:
        prepayment_mode = PrepaymentMode.REDUCE_TERM
    _check_value_date(loan, on, today)
    _accrue(loan, as_of=today, actor=actor)
    _check_repayment_bound(loan, amount, confirmed=confirm_overpayment)
    try:
        with transaction.atomic():
            repayment = LoanTransaction.objects.create(
                loan=loan,
                kind=TransactionKind.REPAYMENT,
                value_date=on,
                amount=amount,
                channel=channel,
                reference=reference.strip(),
                idempotency_key=key,
                prepayment_mode=prepayment_mode,
                created_by=actor,
            )
    except IntegrityError:
        # Only reachable without the row lock (it serialises writers on both databases).
        return Posted(loan.transactions.get(idempotency_key=key), False)
    _refresh(loan, as_of=today, posting_for=repayment, memo=str(_("Repayment")))
    repayment.refresh_from_db()
    audit_record(
        actor=actor,
        organisation=loan.organisation,
        action="loan.repayment",
        obj=loan,
        client=loan.client,
        new={"amount": amount, "date": on, "channel": channel},
    )
    return Posted(repayment, True)


@transaction.atomic
def transaction_reverse(
    *, actor: User, transaction_: LoanTransaction, reason: str, today: datetime.date | None = None
) -> LoanTransaction:
    """Undo a repayment or waiver: the later transactions are replayed as if it never was."""
    today = _today(today)
    loan = _locked(transaction_.loan)
    row = LoanTransaction.objects.get(pk=transaction_.pk, loan=loan)
    if row.kind not in (
        TransactionKind.REPAYMENT,
        TransactionKind.WAIVE_INTEREST,
        TransactionKind.WAIVE_FEES,
    ):
        raise _error("transaction", TRANSACTION_NOT_REVERSIBLE, "not_reversible")
    if row.is_reversed:
        raise _error("transaction", TRANSACTION_ALREADY_REVERSED, "already_reversed")
    if not reason.strip():
        raise _error("reason", REASON_MISSING, "reason_missing")
    if loan.status in (LoanStatus.WRITTEN_OFF, LoanStatus.CONVERTED_TO_GIFT, LoanStatus.CLOSED):
        raise _error("status", LOAN_NOT_ACTIVE, "not_active", status=LoanStatus(loan.status).label)
    version = _current_version(loan)
    if version.number > 1 and row.value_date < version.effective_from and _is_restructured(version):
        raise _error(
            "transaction",
            REVERSAL_BEFORE_RESTRUCTURING,
            "before_restructuring",
            date=version.effective_from.isoformat(),
        )
    _accrue(loan, as_of=today, actor=actor)
    row.reversed_at = timezone.now()
    row.reversed_by = actor
    row.reversal_reason = reason.strip()
    row.save(update_fields=["reversed_at", "reversed_by", "reversal_reason"])
    _refresh(loan, as_of=today, posting_for=row, memo=str(_("Reversal")))
    audit_record(
        actor=actor,
        organisation=loan.organisation,
        action="loan.reverse",
        obj=loan,
        client=loan.client,
        extra={"transaction": row.pk, "amount": row.amount, "reason": reason.strip()},
    )
    return row


def _is_restructured(version: ScheduleVersion) -> bool:
    return version.terms.get("_restructured", False)


@transaction.atomic
def loan_waive(
    *,
    actor: User,
    loan: Loan,
    kind: str,
    amount: Decimal,
    on: datetime.date,
    reason: str,
    today: datetime.date | None = None,
) -> LoanTransaction:
    today = _today(today)
    loan = _locked(loan)
    _check_active(loan)
    if kind not in (TransactionKind.WAIVE_INTEREST, TransactionKind.WAIVE_FEES):
        raise _error("kind", WAIVE_KIND_UNKNOWN, "kind_unknown")
    if amount is None or amount <= 0:
        raise _error("amount", AMOUNT_NOT_POSITIVE, "not_positive")
    if not reason.strip():
        raise _error("reason", REASON_MISSING, "reason_missing")
    _check_value_date(loan, on, today)
    state = _replay(loan, _current_version(loan), _events(loan))
    available = (
        state.interest_due(on) if kind == TransactionKind.WAIVE_INTEREST else state.fees_due(on)
    )
    if amount > available:
        raise _error("amount", WAIVE_TOO_MUCH, "too_much", amount=_money(available))
    _accrue(loan, as_of=today, actor=actor)
    waiver = LoanTransaction.objects.create(
        loan=loan, kind=kind, value_date=on, amount=amount, reason=reason.strip(), created_by=actor
    )
    _refresh(loan, as_of=today, posting_for=waiver, memo=str(TransactionKind(kind).label))
    audit_record(
        actor=actor,
        organisation=loan.organisation,
        action="loan.waive",
        obj=loan,
        client=loan.client,
        new={"kind": kind, "amount": amount, "reason": reason.strip()},
    )
    return waiver


def _end_loan(
    *,
    actor: User,
    loan: Loan,
    kind: str,
    on: datetime.date,
    reason: str,
    decision_reference: str,
    today: datetime.date | None,
) -> LoanTransaction:
    today = _today(today)
    loan = _locked(loan)
    _check_active(loan)
    if kind == TransactionKind.CONVERT_TO_GIFT and not loan.product.may_convert_to_gift:
        raise _error("kind", GIFT_NOT_ALLOWED, "gift_not_allowed")
    errors = {}
    if not reason.strip():
        errors["reason"] = ValidationError(REASON_MISSING, code="reason_missing")
    if not decision_reference.strip():
        errors["decision_reference"] = ValidationError(
            DECISION_REFERENCE_MISSING, code="reference_missing"
        )
    if errors:
        raise ValidationError(errors)
    _check_value_date(loan, on, today)
    _accrue(loan, as_of=today, actor=actor)
    ending = LoanTransaction.objects.create(
        loan=loan,
        kind=kind,
        value_date=on,
        amount=ZERO,
        reason=reason.strip(),
        decision_reference=decision_reference.strip(),
        created_by=actor,
    )
    state = _refresh(loan, as_of=today, posting_for=ending, memo=str(TransactionKind(kind).label))
    allocation = state.allocations[ending.pk]
    ending.amount = allocation.principal + allocation.interest + allocation.fees
    ending.save(update_fields=["amount"])
    audit_record(
        actor=actor,
        organisation=loan.organisation,
        action=f"loan.{kind}",
        obj=loan,
        client=loan.client,
        new={"amount": ending.amount, "reason": reason.strip(), "decision": decision_reference},
    )
    return ending


@transaction.atomic
def loan_write_off(
    *,
    actor: User,
    loan: Loan,
    on: datetime.date,
    reason: str,
    decision_reference: str,
    today: datetime.date | None = None,
) -> LoanTransaction:
    return _end_loan(
        actor=actor,
        loan=loan,
        kind=TransactionKind.WRITE_OFF,
        on=on,
        reason=reason,
        decision_reference=decision_reference,
        today=today,
    )


@transaction.atomic
def loan_convert_to_gift(
    *,
    actor: User,
    loan: Loan,
    on: datetime.date,
    reason: str,
    decision_reference: str,
    today: datetime.date | None = None,
) -> LoanTransaction:
    """The Bbz case: support that cannot be repaid becomes a grant."""
    return _end_loan(
        actor=actor,
        loan=loan,
        kind=TransactionKind.CONVERT_TO_GIFT,
        on=on,
        reason=reason,
        decision_reference=decision_reference,
        today=today,
    )


@transaction.atomic
def loan_close(*, actor: User, loan: Loan, today: datetime.date | None = None) -> Loan:
    loan = _locked(loan)
    if loan.status != LoanStatus.REPAID:
        open_amount = loan.installments.filter(is_current=True).aggregate(s=Sum("open_amount"))["s"]
        # Rounded: SQLite sums decimals in floating point.
        open_amount = (open_amount or ZERO).quantize(CENT)
        raise _error("status", CLOSE_NOT_REPAID, "not_repaid", amount=_money(open_amount))
    loan.status = LoanStatus.CLOSED
    loan.ended_on = loan.ended_on or _today(today)
    loan.save(update_fields=["status", "ended_on"])
    audit_record(
        actor=actor,
        organisation=loan.organisation,
        action="loan.close",
        obj=loan,
        client=loan.client,
        old={"status": LoanStatus.REPAID},
        new={"status": LoanStatus.CLOSED},
    )
    return loan


@transaction.atomic
def loan_restructure(
    *,
    actor: User,
    loan: Loan,
    effective_from: datetime.date,
    holiday_periods: int = 0,
    extra_repayments: int = 0,
    new_interest_rate: Decimal | None = None,
    grace_on_principal: int = 0,
    today: datetime.date | None = None,
) -> ScheduleVersion:
    """A new schedule version from `effective_from`: instalments that fell due before it,
    or were paid towards, stay as they are; the rest is made again from its principal."""
    today = _today(today)
    loan = _locked(loan)
    _check_active(loan)
    for name, value in (
        ("holiday_periods", holiday_periods),
        ("extra_repayments", extra_repayments),
        ("grace_on_principal", grace_on_principal),
    ):
        if value < 0:
            raise _error(name, NOT_NEGATIVE, "negative")
    if new_interest_rate is not None and new_interest_rate < 0:
        raise _error("new_interest_rate", NOT_NEGATIVE, "negative")
    if not (
        holiday_periods or extra_repayments or new_interest_rate is not None or grace_on_principal
    ):
        raise _error("effective_from", RESTRUCTURE_NOTHING, "nothing")
    events = _events(loan)
    if _tranches_pending(loan, events):
        raise _error("effective_from", RESTRUCTURE_TRANCHES_PENDING, "tranches_pending")
    _check_value_date(loan, min(effective_from, today), today, "effective_from")
    _accrue(loan, as_of=today, actor=actor)
    version = _current_version(loan)
    state = _replay(loan, version, events)
    lines = state.lines
    split = 0
    for index, line in enumerate(lines):
        if line.due_date < effective_from or line.paid > 0 or line.number == 0:
            split = index + 1
    kept, replaced = lines[:split], lines[split:]
    if not replaced:
        raise _error(
            "effective_from", RESTRUCTURE_NO_FUTURE, "no_future", date=effective_from.isoformat()
        )
    start = kept[-1].due_date if kept else replaced[0].from_date
    balance = sum((line.principal for line in replaced), ZERO)
    count = len(replaced) + extra_repayments
    terms = dict(version.terms)
    if new_interest_rate is not None:
        terms["interest_rate"] = str(new_interest_rate)
    grace = min(grace_on_principal, count - 1)
    first_due = _period_after(terms, start, 1 + holiday_periods) if holiday_periods else None
    tail_terms = _tail_terms(
        terms,
        start=start,
        balance=balance,
        count=count,
        first_repayment_date=first_due.isoformat() if first_due else None,
        grace_on_principal=grace or None,
    )
    first_number = (kept[-1].number + 1) if kept else 1
    tail = _plan_from_schedule(engine.generate_schedule(tail_terms), first_number)
    plan = [
        PlannedInstallment(k.number, k.from_date, k.due_date, k.principal, k.interest, k.fees)
        for k in kept
    ] + tail
    reasons = []
    if holiday_periods:
        reasons.append(str(RESTRUCTURE_REASONS["holiday"] % {"n": holiday_periods}))
    if extra_repayments:
        reasons.append(str(RESTRUCTURE_REASONS["extra"] % {"n": extra_repayments}))
    if new_interest_rate is not None:
        reasons.append(str(RESTRUCTURE_REASONS["rate"] % {"rate": new_interest_rate.normalize()}))
    if grace:
        reasons.append(str(RESTRUCTURE_REASONS["grace"] % {"n": grace}))
    terms["_restructured"] = True
    new_version = _new_version(
        loan,
        plan=plan,
        terms=terms,
        effective_from=effective_from,
        reason=", ".join(reasons),
        actor=actor,
    )
    # Restructuring moves no money; what changes is what falls due, so the receivables
    # are re-posted against the last transaction's entry as an adjustment.
    adjustment = LoanTransaction.objects.create(
        loan=loan,
        kind=TransactionKind.ADJUSTMENT,
        value_date=today,
        amount=ZERO,
        reason=new_version.reason,
        created_by=actor,
    )
    _refresh(loan, as_of=today, posting_for=adjustment, memo=new_version.reason)
    audit_record(
        actor=actor,
        organisation=loan.organisation,
        action="loan.restructure",
        obj=loan,
        client=loan.client,
        new={"version": new_version.number, "from": effective_from, "reason": new_version.reason},
    )
    return new_version


def loan_state(loan: Loan) -> Replay:
    """The replayed state of a loan, for pages and checks (read only)."""
    return _replay(loan, _current_version(loan), _events(loan))


def loan_accrue(*, loan: Loan, on: datetime.date) -> None:
    """Post interest and fees that fell due up to `on` (the close of business calls this).

    Never backwards: when a change was already posted as of a later date (a catch-up close
    of business for a missed day), the ledger is already further than `on`."""
    _accrue_loans([loan.pk], on=on)


@transaction.atomic
def _accrue_loans(loan_ids: list[int], *, on: datetime.date) -> int:
    """`loan_accrue` for many loans at once, with a fixed number of queries whatever their
    number (the close of business accrues thousands of loans a day). Returns how many
    accrual transactions were posted."""
    loans = [
        loan
        for loan in Loan.objects.select_for_update().filter(pk__in=loan_ids).order_by("pk")
        if loan.status not in ENDED_STATUSES or loan.status == LoanStatus.REPAID
    ]
    if not loans:
        return 0
    ids = [loan.pk for loan in loans]
    versions = {
        version.loan_id: version
        for version in ScheduleVersion.objects.filter(loan_id__in=ids, is_current=True)
    }
    events: dict[int, list[tuple[LoanTransaction, Event]]] = {pk: [] for pk in ids}
    rows = (
        LoanTransaction.objects.filter(loan_id__in=ids, reversed_at__isnull=True)
        .exclude(kind__in=(TransactionKind.ACCRUAL, TransactionKind.ADJUSTMENT))
        .order_by("loan_id", "value_date", "id")
    )
    for t in rows:
        events[t.loan_id].append(
            (t, Event(t.pk, t.kind, t.value_date, t.amount, t.prepayment_mode))
        )
    ledgers = {pk: {str(account): ZERO for account in Account.values} for pk in ids}
    for row in (
        JournalLine.objects.filter(loan_id__in=ids)
        .values("loan_id", "account")
        .annotate(debit=Sum("debit"), credit=Sum("credit"))
        .order_by()
    ):
        # Rounded: SQLite sums decimals in floating point (40.94000000001 ≠ 40.94).
        ledgers[row["loan_id"]][row["account"]] = (row["debit"] - row["credit"]).quantize(CENT)
    last_posted = dict(
        JournalEntry.objects.filter(loan_id__in=ids)
        .values("loan_id")
        .annotate(last=Max("posted_on"))
        .order_by()
        .values_list("loan_id", "last")
    )
    income = (Account.INTEREST_INCOME, Account.FEE_INCOME)
    postings: list[tuple[Loan, datetime.date, LoanTransaction, list[JournalLine]]] = []
    changed: list[Loan] = []
    for loan in loans:
        as_of = max(on, last_posted.get(loan.pk) or on)
        state = _replay(loan, versions[loan.pk], events[loan.pk])
        target, current = state.balances(as_of), ledgers[loan.pk]
        if target != current:
            accrual = LoanTransaction(
                loan=loan,
                kind=TransactionKind.ACCRUAL,
                value_date=as_of,
                # Income is a credit balance: what is recognised is how much more negative.
                amount=-sum((target[a] - current[a] for a in income), ZERO),
            )
            postings.append((loan, as_of, accrual, _journal_lines(loan, target, current)))
        # The cached receivables follow the ledger (pages compare the two).
        interest, fees = state.interest_due(as_of), state.fees_due(as_of)
        if (interest, fees) != (loan.interest_due, loan.fees_due):
            loan.interest_due, loan.fees_due = interest, fees
            changed.append(loan)
    if postings:
        LoanTransaction.objects.bulk_create([accrual for _, _, accrual, _ in postings])
        memo = str(TransactionKind.ACCRUAL.label)
        entries = JournalEntry.objects.bulk_create(
            [
                JournalEntry(
                    organisation_id=loan.organisation_id,
                    loan=loan,
                    transaction=accrual,
                    posted_on=as_of,
                    memo=memo,
                )
                for loan, as_of, accrual, _ in postings
            ]
        )
        lines = []
        for entry, (_, _, _, entry_lines) in zip(entries, postings, strict=True):
            for line in entry_lines:
                line.entry = entry
                lines.append(line)
        JournalLine.objects.bulk_create(lines)
    if changed:
        Loan.objects.bulk_update(changed, ["interest_due", "fees_due"])
    return len(postings)
