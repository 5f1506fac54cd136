"""The detail doors for lending: fetch one thing the user may see, or answer 404/403."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from opstap.clients.access import refuse_if_restricted
from opstap.core.access import active_membership
from opstap.core.access_log import log_read
from opstap.core.models import User
from opstap.core.roles import Capability

from .models import Loan, LoanApplication, LoanProduct


def _check_write(user: User, capability: str | None) -> None:
    if capability is None:
        return
    membership = active_membership(user)
    if membership is None or not membership.can(capability):
        raise PermissionDenied


def get_product_for_user(user: User, pk: int, *, write: bool = False) -> LoanProduct:
    try:
        product = LoanProduct.objects.visible_to(user).get(pk=pk)
    except LoanProduct.DoesNotExist:
        raise Http404 from None
    _check_write(user, Capability.MANAGE_LOAN_PRODUCTS if write else None)
    return product


def get_application_for_user(
    user: User, pk: int, *, capability: str | None = None
) -> LoanApplication:
    """`capability` is what the intended change needs (prepare, decide); None reads."""
    try:
        application = (
            LoanApplication.objects.visible_to(user)
            .select_related("client", "product", "prepared_by", "trajectory")
            .get(pk=pk)
        )
    except LoanApplication.DoesNotExist:
        raise Http404 from None
    _check_write(user, capability)
    if capability is not None:
        refuse_if_restricted(application.client)
    log_read(application)
    return application


def get_loan_for_user(user: User, pk: int, *, write: bool = False) -> Loan:
    try:
        loan = (
            Loan.objects.visible_to(user)
            .select_related("client", "product", "officer", "application")
            .get(pk=pk)
        )
    except Loan.DoesNotExist:
        raise Http404 from None
    _check_write(user, Capability.SERVICE_LOANS if write else None)
    if write:
        refuse_if_restricted(loan.client)
    log_read(loan)
    return loan
