"""Repayments posted at the same moment on one loan (PostgreSQL: real row locks).

Twenty threads start together on a barrier. Several share an idempotency key, as when a bank
file is read twice by two workers: each key must post exactly once, every other posting must
be kept (no lost update), the ledger must balance and equal the replay, and every thread must
get an answer (no deadlock, no IntegrityError leaking out of the service).
"""

from __future__ import annotations

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.db.models import Sum

from opstap.lending import services
from opstap.lending.choices import TransactionKind
from opstap.lending.models import JournalEntry, Loan, LoanTransaction

from .helpers import START, D, assert_books_balance, disbursed_loan

pytestmark = [
    pytest.mark.django_db(transaction=True),
    # The group of the suite's other transactional tests (tests/browser): one worker runs
    # them one after the other under `pytest -n 2 --dist loadgroup`.
    pytest.mark.xdist_group("browser"),
]

DAY = START + datetime.timedelta(days=40)  # one instalment has fallen due: accruals race too
TIMEOUT = 60


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks; SQLite serialises write transactions by itself")


def _race(loan: Loan, calls: list[tuple[str | None, Decimal]], actor) -> list[tuple]:
    """Post every (key, amount) from its own thread, all released at once."""
    barrier = threading.Barrier(len(calls))
    results: list[tuple] = [None] * len(calls)  # type: ignore[list-item]

    def post(index: int, key: str | None, amount: Decimal) -> None:
        try:
            barrier.wait(timeout=TIMEOUT)
            posted = services.repayment_post(
                actor=actor,
                loan=loan,
                amount=amount,
                on=DAY,
                today=DAY,
                idempotency_key=key,
            )
            results[index] = ("posted", key, amount, posted.transaction.pk, posted.created)
        except ValidationError as error:
            results[index] = ("refused", key, amount, error)
        except Exception as error:  # noqa: BLE001 - reported by the assertions below
            results[index] = ("crashed", key, amount, error)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=post, args=(i, key, amount))
        for i, (key, amount) in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck (deadlock?)"
    return results


def test_twenty_simultaneous_repayments_with_shared_keys(world):
    loan = disbursed_loan(world)
    # 8 keys, each posted twice (16 calls), and 4 payments without a key: 20 threads.
    calls: list[tuple[str | None, Decimal]] = []
    for number in range(8):
        amount = D("10.00") + number * D("1.25")
        calls += [(f"bank-2026-{number}", amount), (f"bank-2026-{number}", amount)]
    calls += [(None, D("7.00"))] * 4
    results = _race(loan, calls, world["loan_officer"])

    assert all(r is not None for r in results), "a thread returned nothing"
    crashed = [r for r in results if r[0] != "posted"]
    assert not crashed, crashed
    by_key: dict[str, list[tuple]] = {}
    for _, key, amount, pk, created in results:
        if key is not None:
            by_key.setdefault(key, []).append((pk, created, amount))
    assert len(by_key) == 8
    for key, posts in by_key.items():
        # One posting per key: one call created it, the other got that same posting back.
        assert sorted(created for _, created, _ in posts) == [False, True], key
        assert len({pk for pk, _, _ in posts}) == 1, key
    keyless = [r for r in results if r[1] is None]
    assert all(r[4] for r in keyless)
    assert len({r[3] for r in keyless}) == 4

    repayments = LoanTransaction.objects.filter(loan=loan, kind=TransactionKind.REPAYMENT)
    assert repayments.count() == 12
    expected = sum((D("10.00") + n * D("1.25") for n in range(8)), D(0)) + 4 * D("7.00")
    assert repayments.aggregate(s=Sum("amount"))["s"] == expected
    # No lost update: every posting is in the split, the cached figures and the ledger.
    split = repayments.aggregate(
        p=Sum("principal"), i=Sum("interest"), f=Sum("fees"), o=Sum("overpayment")
    )
    assert split["p"] + split["i"] + split["f"] + split["o"] == expected
    loan.refresh_from_db()
    assert loan.principal_outstanding == D("10000.00") - split["p"]
    ledger = services.ledger_balances(loan)
    assert ledger["bank"] == expected - D("10000.00")
    assert_books_balance(loan, DAY)
    # One accrual for the instalment that fell due, however many threads wanted to post it.
    assert loan.transactions.filter(kind=TransactionKind.ACCRUAL).count() == 1
    # One journal entry per posting (and the disbursement and accrual), none for the
    # calls that found their key already used.
    assert JournalEntry.objects.filter(loan=loan).count() == 12 + 2


def test_same_key_different_amount_at_once_is_refused_cleanly(world):
    loan = disbursed_loan(world)
    calls = [("bank-77", D("50.00"))] * 3 + [("bank-77", D("60.00"))] * 3
    results = _race(loan, calls, world["loan_officer"])
    assert all(r is not None and r[0] != "crashed" for r in results), results
    created = [r for r in results if r[0] == "posted" and r[4]]
    assert len(created) == 1
    winner_amount = created[0][2]
    for result in results:
        if result[2] == winner_amount:
            assert result[0] == "posted" and result[3] == created[0][3]
        else:
            assert result[0] == "refused"
            assert result[3].error_dict["idempotency_key"][0].code == "key_reused"
    assert LoanTransaction.objects.filter(loan=loan, kind=TransactionKind.REPAYMENT).count() == 1
    assert_books_balance(loan, DAY)


def test_repayments_racing_two_loans_do_not_block_each_other(world):
    one = disbursed_loan(world)
    two = disbursed_loan(world, product=one.product)
    officer = world["loan_officer"]
    barrier = threading.Barrier(10)
    errors: list[BaseException] = []

    def post(loan: Loan, index: int) -> None:
        try:
            barrier.wait(timeout=TIMEOUT)
            services.repayment_post(
                actor=officer,
                loan=loan,
                amount=D("20.00"),
                on=DAY,
                today=DAY,
                idempotency_key=f"k{index}",
            )
        except BaseException as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post, args=((one, two)[i % 2], i)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=TIMEOUT)
    assert not any(thread.is_alive() for thread in threads)
    assert not errors, errors
    for loan in (one, two):
        received = loan.transactions.filter(kind=TransactionKind.REPAYMENT).aggregate(
            s=Sum("amount")
        )["s"]
        assert received == D("100.00")
        assert_books_balance(loan, DAY)
