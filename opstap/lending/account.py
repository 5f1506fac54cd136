"""A loan account's state, replayed from its plan and its transactions. Pure Python.

The database keeps the plan of each schedule version and the list of transactions; every
figure of a loan (what each instalment still owes, how each payment was split, the ledger
balances) is derived here by replaying the transactions in date order. Reversing a payment
is then simply replaying without it: the later payments are re-allocated as if it had never
been made, which is what Fineract's "reverse-replay" does.

Ledger balances are a function of that state (`Replay.balances`), built so that debits equal
credits by construction; a posting is the difference between the balances before and after
(see `services._post`). The derivation is in docs/loan-servicing.md.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from .choices import Account, AllocationOrder, PrepaymentMode, TransactionKind

ZERO = Decimal(0)

# Disbursements first, then what settles on the same day in the order it was entered.
_KIND_RANK = {TransactionKind.DISBURSEMENT: 0}


@dataclass(frozen=True, slots=True)
class PlannedInstallment:
    number: int
    from_date: datetime.date
    due_date: datetime.date
    principal: Decimal
    interest: Decimal
    fees: Decimal

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.fees


@dataclass(slots=True)
class Line:
    """One instalment as it stands after the replay."""

    number: int
    from_date: datetime.date
    due_date: datetime.date
    principal: Decimal
    interest: Decimal
    fees: Decimal
    principal_paid: Decimal = ZERO
    interest_paid: Decimal = ZERO
    fees_paid: Decimal = ZERO
    interest_waived: Decimal = ZERO
    fees_waived: Decimal = ZERO
    principal_written_off: Decimal = ZERO
    interest_written_off: Decimal = ZERO
    fees_written_off: Decimal = ZERO
    principal_gifted: Decimal = ZERO
    interest_gifted: Decimal = ZERO
    fees_gifted: Decimal = ZERO
    # Interest and fees of instalments not yet due when the loan ended early: never owed.
    interest_cancelled: Decimal = ZERO
    fees_cancelled: Decimal = ZERO
    settled_on: datetime.date | None = None

    @classmethod
    def from_plan(cls, plan: PlannedInstallment) -> Line:
        return cls(
            plan.number, plan.from_date, plan.due_date, plan.principal, plan.interest, plan.fees
        )

    @property
    def principal_open(self) -> Decimal:
        return (
            self.principal
            - self.principal_paid
            - self.principal_written_off
            - self.principal_gifted
        )

    @property
    def interest_open(self) -> Decimal:
        return (
            self.interest
            - self.interest_paid
            - self.interest_waived
            - self.interest_written_off
            - self.interest_gifted
            - self.interest_cancelled
        )

    @property
    def fees_open(self) -> Decimal:
        return (
            self.fees
            - self.fees_paid
            - self.fees_waived
            - self.fees_written_off
            - self.fees_gifted
            - self.fees_cancelled
        )

    @property
    def open(self) -> Decimal:
        return self.principal_open + self.interest_open + self.fees_open

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.fees

    @property
    def paid(self) -> Decimal:
        return self.principal_paid + self.interest_paid + self.fees_paid

    def pay(self, component: str, available: Decimal, allocation: Allocation) -> Decimal:
        """Pay what is open of one component from `available`; return what is left."""
        open_amount = getattr(self, f"{component}_open")
        amount = min(open_amount, available)
        if amount > 0:
            setattr(self, f"{component}_paid", getattr(self, f"{component}_paid") + amount)
            setattr(allocation, component, getattr(allocation, component) + amount)
        return available - amount


@dataclass(frozen=True, slots=True)
class Event:
    """A transaction as the replay sees it. `key` ties the result back to the stored row."""

    key: object
    kind: str
    date: datetime.date
    amount: Decimal
    prepayment_mode: str = PrepaymentMode.REDUCE_TERM


@dataclass(slots=True)
class Allocation:
    principal: Decimal = ZERO
    interest: Decimal = ZERO
    fees: Decimal = ZERO
    penalties: Decimal = ZERO
    overpayment: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.fees + self.penalties + self.overpayment


# Builds the rest of a schedule after a prepayment: from `start` (the due date of the
# instalment the prepayment fell in), `balance` spread over `count` instalments numbered
# from `first_number`.
Reschedule = Callable[[datetime.date, Decimal, int, int], list[PlannedInstallment]]

_ORDERS: dict[str, tuple[str, ...]] = {
    AllocationOrder.PENALTIES_FEES_INTEREST_PRINCIPAL: ("fees", "interest", "principal"),
    AllocationOrder.DUE_FIRST: ("fees", "interest", "principal"),
    AllocationOrder.INTEREST_PRINCIPAL_PENALTIES_FEES: ("interest", "principal", "fees"),
}


@dataclass
class Replay:
    lines: list[Line]
    allocations: dict[object, Allocation] = field(default_factory=dict)
    disbursed: Decimal = ZERO
    cash_received: Decimal = ZERO
    overpaid: Decimal = ZERO
    ended_on: datetime.date | None = None
    ended_by: str | None = None

    # --- figures -------------------------------------------------------------------------

    @property
    def principal_outstanding(self) -> Decimal:
        """Principal actually lent and not yet repaid, written off or given."""
        repaid = sum(
            (
                line.principal_paid + line.principal_written_off + line.principal_gifted
                for line in self.lines
            ),
            ZERO,
        )
        return self.disbursed - repaid

    def due_lines(self, as_of: datetime.date) -> Iterable[Line]:
        return (line for line in self.lines if line.due_date <= as_of)

    def interest_due(self, as_of: datetime.date) -> Decimal:
        return sum((line.interest_open for line in self.due_lines(as_of)), ZERO)

    def fees_due(self, as_of: datetime.date) -> Decimal:
        return sum((line.fees_open for line in self.due_lines(as_of)), ZERO)

    def overdue(self, as_of: datetime.date) -> Decimal:
        """What fell due before `as_of` and is still open (due today is not late yet)."""
        return sum((line.open for line in self.lines if line.due_date < as_of), ZERO)

    def days_past_due(self, as_of: datetime.date, tolerance: Decimal = ZERO) -> int:
        if self.overdue(as_of) <= tolerance:
            return 0
        oldest = min(line.due_date for line in self.lines if line.due_date < as_of and line.open)
        return (as_of - oldest).days

    @property
    def open_total(self) -> Decimal:
        return sum((line.open for line in self.lines), ZERO)

    def balances(self, as_of: datetime.date) -> dict[str, Decimal]:
        """The loan's ledger balances on `as_of`, debit positive, credit negative.

        Interest and fees are recognised when they fall due (or when paid before that),
        so the receivables hold exactly what is due and unpaid. Written-off and gifted
        receivables were recognised first and then expensed. The sum is zero by construction:
        every euro that left the bank is in the portfolio, was repaid into the bank, or went
        to an expense account; every income euro was received or is receivable.
        """
        s = _Sums(self.lines)
        interest_receivable = self.interest_due(as_of)
        fees_receivable = self.fees_due(as_of)
        balances = {
            Account.LOAN_PORTFOLIO: self.principal_outstanding,
            Account.INTEREST_RECEIVABLE: interest_receivable,
            Account.FEE_RECEIVABLE: fees_receivable,
            Account.BANK: self.cash_received - self.disbursed,
            Account.OVERPAYMENT: -self.overpaid,
            Account.INTEREST_INCOME: -(
                s.interest_paid + interest_receivable + s.interest_written_off + s.interest_gifted
            ),
            Account.FEE_INCOME: -(
                s.fees_paid + fees_receivable + s.fees_written_off + s.fees_gifted
            ),
            Account.WRITE_OFF_EXPENSE: s.principal_written_off
            + s.interest_written_off
            + s.fees_written_off,
            Account.GRANT_EXPENSE: s.principal_gifted + s.interest_gifted + s.fees_gifted,
        }
        return {str(account): amount for account, amount in balances.items()}


class _Sums:
    def __init__(self, lines: list[Line]) -> None:
        for name in (
            "principal_paid",
            "interest_paid",
            "fees_paid",
            "principal_written_off",
            "interest_written_off",
            "fees_written_off",
            "principal_gifted",
            "interest_gifted",
            "fees_gifted",
        ):
            setattr(self, name, sum((getattr(line, name) for line in lines), ZERO))


def replay(
    plan: Iterable[PlannedInstallment],
    events: Iterable[Event],
    *,
    order: str = AllocationOrder.PENALTIES_FEES_INTEREST_PRINCIPAL,
    reschedule: Reschedule | None = None,
    reschedule_from: datetime.date | None = None,
) -> Replay:
    """Replay `events` over `plan`.

    Prepayments (money beyond what is due and the current instalment) rebuild the rest of
    the schedule through `reschedule`, but only for prepayments on or after
    `reschedule_from`: earlier ones are already part of the plan of this schedule version,
    which copies the instalments as they stood when the version was made.
    """
    state = Replay(lines=[Line.from_plan(p) for p in plan])
    ordered = sorted(
        enumerate(events), key=lambda item: (item[1].date, _KIND_RANK.get(item[1].kind, 1), item[0])
    )
    ending: Allocation | None = None
    for _, event in ordered:
        if state.ended_on is not None and event.kind == TransactionKind.DISBURSEMENT:
            # A tranche paid out after the date the loan was written off or given away (the
            # ending was dated back): it is lent and ended at once, so the portfolio of an
            # ended loan stays empty and the money that left the bank is an expense.
            state.disbursed += event.amount
            state.allocations[event.key] = Allocation(principal=event.amount)
            suffix = "written_off" if state.ended_by == TransactionKind.WRITE_OFF else "gifted"
            last = state.lines[-1]
            last.principal += event.amount
            setattr(
                last, f"principal_{suffix}", getattr(last, f"principal_{suffix}") + event.amount
            )
            if ending is not None:
                ending.principal += event.amount
            continue
        if state.ended_on is not None:
            allocation = Allocation()
            if event.kind == TransactionKind.REPAYMENT:
                # Money received after the loan ended (a write-off dated before a payment
                # already booked) was received all the same: the bank keeps it and it is
                # owed to the client, never silently dropped.
                state.cash_received += event.amount
                state.overpaid += event.amount
                allocation.overpayment = event.amount
            state.allocations[event.key] = allocation
            continue
        if event.kind == TransactionKind.DISBURSEMENT:
            state.disbursed += event.amount
            state.allocations[event.key] = Allocation(principal=event.amount)
        elif event.kind == TransactionKind.REPAYMENT:
            state.cash_received += event.amount
            may_reschedule = reschedule is not None and (
                reschedule_from is None or event.date >= reschedule_from
            )
            state.allocations[event.key] = _repay(
                state, event, order, reschedule if may_reschedule else None
            )
        elif event.kind in (TransactionKind.WAIVE_INTEREST, TransactionKind.WAIVE_FEES):
            state.allocations[event.key] = _waive(state, event)
        elif event.kind in (TransactionKind.WRITE_OFF, TransactionKind.CONVERT_TO_GIFT):
            ending = state.allocations[event.key] = _end(state, event)
        else:
            state.allocations[event.key] = Allocation()
        _mark_settled(state, event.date)
    return state


def _mark_settled(state: Replay, on: datetime.date) -> None:
    for line in state.lines:
        if line.settled_on is None and line.open == 0:
            line.settled_on = on


def _repay(state: Replay, event: Event, order: str, reschedule: Reschedule | None) -> Allocation:
    allocation = Allocation()
    left = event.amount
    components = _ORDERS[order]
    # Only principal actually lent can be repaid: with a tranche not yet paid out, the
    # planned principal is more than the client owes, and paying it ahead would make the
    # loan portfolio negative. What cannot be used is an overpayment.
    room = state.principal_outstanding

    def pay(line: Line, component: str, available: Decimal) -> Decimal:
        nonlocal room
        if component != "principal":
            return line.pay(component, available, allocation)
        usable = min(available, room)
        used = usable - line.pay(component, usable, allocation)
        room -= used
        return available - used

    due = [line for line in state.lines if line.due_date <= event.date and line.open > 0]
    if order == AllocationOrder.DUE_FIRST:
        for component in components:
            for line in due:
                left = pay(line, component, left)
    else:
        for line in due:
            for component in components:
                left = pay(line, component, left)
    future = [line for line in state.lines if line.due_date > event.date and line.open > 0]
    if left > 0 and future:
        current, rest = future[0], future[1:]
        for component in components:
            left = pay(current, component, left)
        if left > 0 and rest:
            if reschedule is None:
                # No rebuilding allowed (schedule versions, tranches still to come): pay the
                # next instalments in advance, in order, as Fineract does by default.
                for line in rest:
                    if room <= 0:
                        # No principal left to repay: later instalments stay untouched (an
                        # instalment paid ahead is always followed by untouched ones, which
                        # a later prepayment's rebuilding relies on).
                        break
                    for component in components:
                        left = pay(line, component, left)
            elif room > 0:
                prepay = min(left, room)
                left = left - prepay
                left += _prepay(state, current, rest, prepay, event, allocation, reschedule)
    if left > 0:
        allocation.overpayment += left
        state.overpaid += left
    return allocation


def _prepay(
    state: Replay,
    current: Line,
    rest: list[Line],
    amount: Decimal,
    event: Event,
    allocation: Allocation,
    reschedule: Reschedule,
) -> Decimal:
    """Prepaid principal: count it on the current instalment and rebuild what follows."""
    remaining_principal = sum((line.principal_open for line in rest), ZERO)
    prepaid = min(amount, remaining_principal)
    current.principal += prepaid
    current.principal_paid += prepaid
    allocation.principal += prepaid
    keep = state.lines[: state.lines.index(current) + 1]
    balance = remaining_principal - prepaid
    if balance == 0:
        # Repaid in full ahead of time: interest and fees of later periods are never owed.
        state.lines = keep
    else:
        state.lines = keep + _rebuilt_tail(current, rest, balance, event, reschedule)
    return amount - prepaid


def _rebuilt_tail(
    current: Line, rest: list[Line], balance: Decimal, event: Event, reschedule: Reschedule
) -> list[Line]:
    count = len(rest)
    first_number = current.number + 1
    if event.prepayment_mode == PrepaymentMode.REDUCE_INSTALLMENT:
        tail = reschedule(current.due_date, balance, count, first_number)
    else:
        # Keep the instalment: the shortest term whose first instalment is not higher.
        target = rest[0].principal + rest[0].interest
        tail = reschedule(current.due_date, balance, count, first_number)
        for shorter in range(1, count):
            candidate = reschedule(current.due_date, balance, shorter, first_number)
            if candidate[0].principal + candidate[0].interest <= target:
                tail = candidate
                break
    return [Line.from_plan(p) for p in tail]


def _waive(state: Replay, event: Event) -> Allocation:
    """Waive due interest or fees, oldest first; what is not yet due cannot be waived."""
    component = "interest" if event.kind == TransactionKind.WAIVE_INTEREST else "fees"
    allocation = Allocation()
    left = event.amount
    for line in state.lines:
        if line.due_date > event.date or left == 0:
            continue
        amount = min(getattr(line, f"{component}_open"), left)
        if amount > 0:
            setattr(line, f"{component}_waived", getattr(line, f"{component}_waived") + amount)
            setattr(allocation, component, getattr(allocation, component) + amount)
            left -= amount
    return allocation


def _end(state: Replay, event: Event) -> Allocation:
    """Write off or give away everything owed; future interest and fees are cancelled."""
    suffix = "written_off" if event.kind == TransactionKind.WRITE_OFF else "gifted"
    allocation = Allocation()
    for line in state.lines:
        principal = line.principal_open
        setattr(line, f"principal_{suffix}", getattr(line, f"principal_{suffix}") + principal)
        allocation.principal += principal
        if line.due_date <= event.date:
            interest, fees = line.interest_open, line.fees_open
            setattr(line, f"interest_{suffix}", getattr(line, f"interest_{suffix}") + interest)
            setattr(line, f"fees_{suffix}", getattr(line, f"fees_{suffix}") + fees)
            allocation.interest += interest
            allocation.fees += fees
        else:
            line.interest_cancelled += line.interest_open
            line.fees_cancelled += line.fees_open
    # Principal planned but never disbursed (a tranche not paid out) is not owed either.
    undisbursed = sum((line.principal for line in state.lines), ZERO) - state.disbursed
    if undisbursed > 0:
        allocation.principal -= undisbursed
        _unwind_undisbursed(state, undisbursed, suffix)
    state.ended_on = event.date
    state.ended_by = event.kind
    return allocation


def _unwind_undisbursed(state: Replay, amount: Decimal, suffix: str) -> None:
    for line in reversed(state.lines):
        attribute = f"principal_{suffix}"
        taken = min(getattr(line, attribute), amount)
        setattr(line, attribute, getattr(line, attribute) - taken)
        line.principal -= taken
        amount -= taken
        if amount == 0:
            return
