"""Hand-checked schedules, one per setting. Expected figures are worked out in the comments
(annuity formula, balance x rate x time), never pasted from the engine's output."""

from __future__ import annotations

import datetime
from decimal import Decimal

from opstap.lending.engine import (
    Amortization,
    Charge,
    ChargeKind,
    Disbursement,
    LoanTerms,
    generate_schedule,
)

from . import rows, schedule


def annuity(principal: str, rate: Decimal, periods: int) -> Decimal:
    """PMT = P x r / (1 - (1 + r)^-n), to the cent (half-even), as a check independent of the
    engine's own code path."""
    exact = Decimal(principal) * rate / (1 - (1 + rate) ** -periods)
    return exact.quantize(Decimal("0.01"))


def test_annuity_declining_monthly_same_as_repayment():
    # EUR 10,000 at 12 %/year over 12 months: r = 1 % a month, PMT = 888.4879 -> 888.49.
    result = schedule(principal="10000", number_of_repayments=12)
    assert annuity("10000", Decimal("0.01"), 12) == Decimal("888.49")
    first, second = result.installments[:2]
    # Month 1: interest 10,000 x 1 % = 100.00, principal 888.49 - 100.00 = 788.49.
    assert (first.interest, first.principal, first.balance) == (
        Decimal("100.00"),
        Decimal("788.49"),
        Decimal("9211.51"),
    )
    # Month 2: 9,211.51 x 1 % = 92.1151 -> 92.12; principal 888.49 - 92.12 = 796.37.
    assert (second.interest, second.principal) == (Decimal("92.12"), Decimal("796.37"))
    assert [row.total for row in result.installments[:-1]] == [Decimal("888.49")] * 11
    # Last: the remaining 879.67 plus 1 % interest (8.7967 -> 8.80) = 888.47.
    assert rows(result, "principal", "interest", "total", "balance")[-1] == (
        "879.67",
        "8.80",
        "888.47",
        "0.00",
    )
    assert [row.due_date for row in result.installments[:3]] == [
        datetime.date(2025, 2, 1),
        datetime.date(2025, 3, 1),
        datetime.date(2025, 4, 1),
    ]


def test_rate_per_month_is_twelve_times_the_annual_rate():
    # 1 % a month is the 12 %/year of the test above: the same PMT of 888.49.
    result = schedule(
        principal="10000", number_of_repayments=12, interest_rate="1", interest_rate_per="month"
    )
    assert result.installments[0].total == Decimal("888.49")
    assert result.installments[0].interest == Decimal("100.00")


def test_daily_interest_actual_days_in_a_leap_year():
    # Disbursed 15 Jan 2024 (366-day year). PMT uses Fineract's standard period of 30 days at
    # 365 days a year: r = 0.12 x 30 / 365. Interest uses the actual days.
    result = schedule(
        principal="1000",
        disbursement_date="2024-01-15",
        number_of_repayments=3,
        interest_period="daily",
    )
    pmt = annuity("1000", Decimal("0.12") * 30 / 365, 3)
    assert pmt == Decimal("339.93")
    first, second, third = result.installments
    # 15 Jan - 15 Feb: 31 days; 1,000 x 0.12 x 31 / 366 = 10.1639 -> 10.16.
    assert (first.days, first.interest, first.principal) == (
        31,
        Decimal("10.16"),
        Decimal("329.77"),
    )
    # 15 Feb - 15 Mar 2024: 29 days; 670.23 x 0.12 x 29 / 366 = 6.3727 -> 6.37.
    assert (second.days, second.interest, second.principal) == (
        29,
        Decimal("6.37"),
        Decimal("333.56"),
    )
    # Last: the remaining 336.67, 31 days: 336.67 x 0.12 x 31 / 366 = 3.4219 -> 3.42.
    assert (third.principal, third.interest, third.total) == (
        Decimal("336.67"),
        Decimal("3.42"),
        Decimal("340.09"),
    )


def test_daily_interest_across_new_year_splits_the_days_by_year_length():
    # 15 Dec 2023 - 15 Jan 2024: 17 days of 2023 (/365) and 14 days of 2024 (/366).
    # 1,000 x 0.12 x (17/365 + 14/366) = 5.5890 + 4.5902 = 10.1792 -> 10.18.
    result = schedule(
        principal="1000",
        disbursement_date="2023-12-15",
        number_of_repayments=1,
        interest_period="daily",
    )
    assert result.installments[0].interest == Decimal("10.18")


def test_daily_interest_30_360():
    # 30-day months in a 360-day year: every month is 0.12 x 30 / 360 = 1 %, as a monthly
    # rate: PMT(1,000, 1 %, 3) = 340.0221 -> 340.02, whatever the calendar says.
    result = schedule(
        principal="1000",
        disbursement_date="2025-01-31",
        number_of_repayments=3,
        interest_period="daily",
        days_in_year="360",
        days_in_month="30",
    )
    assert annuity("1000", Decimal("0.01"), 3) == Decimal("340.02")
    # 1,000 x 1 % = 10.00 (though 31 Jan - 28 Feb is 28 days); 669.98 x 1 % = 6.6998 -> 6.70.
    assert rows(result, "days", "interest", "principal", "balance") == [
        ("28", "10.00", "330.02", "669.98"),
        ("31", "6.70", "333.32", "336.66"),
        ("30", "3.37", "336.66", "0.00"),
    ]
    # Month-end disbursement: due dates stay on the last day of the month.
    assert [row.due_date.isoformat() for row in result.installments] == [
        "2025-02-28",
        "2025-03-31",
        "2025-04-30",
    ]


def test_equal_principal():
    # 1,200 over 4 months: 300 principal each; interest 1 % of 1,200, 900, 600, 300.
    result = schedule(amortization="equal_principal")
    assert rows(result, "principal", "interest", "total", "balance") == [
        ("300.00", "12.00", "312.00", "900.00"),
        ("300.00", "9.00", "309.00", "600.00"),
        ("300.00", "6.00", "306.00", "300.00"),
        ("300.00", "3.00", "303.00", "0.00"),
    ]


def test_equal_principal_rounding_goes_to_the_last_instalment():
    # 1,000 / 3 = 333.33 twice, the last takes 333.34.
    result = schedule(principal="1000", number_of_repayments=3, amortization="equal_principal")
    assert rows(result, "principal") == [("333.33",), ("333.33",), ("333.34",)]


def test_fixed_principal_percentage():
    # 30 % of 1,000 = 300 a month, the last takes the remaining 100; interest 1 % of the
    # balance: 10.00, 7.00, 4.00, 1.00.
    result = schedule(
        principal="1000", amortization="equal_principal", fixed_principal_percentage="30"
    )
    assert rows(result, "principal", "interest") == [
        ("300.00", "10.00"),
        ("300.00", "7.00"),
        ("300.00", "4.00"),
        ("100.00", "1.00"),
    ]


def test_flat_interest():
    # Flat 12 %/year on 1,200 for 12 months = 144.00, 12.00 a month; principal 100.00.
    result = schedule(number_of_repayments=12, interest_method="flat")
    assert set(rows(result, "principal", "interest", "total")) == {("100.00", "12.00", "112.00")}
    assert result.total_interest == Decimal("144.00")


def test_flat_interest_rounding_goes_to_the_last_instalment():
    # 1,000 x 10 % x 3/12 = 25.00 interest: 8.33, 8.33, 8.34; principal 333.33, 333.33, 333.34.
    result = schedule(
        principal="1000", interest_rate="10", number_of_repayments=3, interest_method="flat"
    )
    assert rows(result, "principal", "interest") == [
        ("333.33", "8.33"),
        ("333.33", "8.33"),
        ("333.34", "8.34"),
    ]


def test_weekly():
    # 52 %/year weekly = 1 % a week; 520 in equal principal of 130: interest 5.20, 3.90, ...
    result = schedule(
        principal="520",
        interest_rate="52",
        repayment_unit="weeks",
        amortization="equal_principal",
    )
    assert rows(result, "due_date", "days", "principal", "interest") == [
        ("2025-01-08", "7", "130.00", "5.20"),
        ("2025-01-15", "7", "130.00", "3.90"),
        ("2025-01-22", "7", "130.00", "2.60"),
        ("2025-01-29", "7", "130.00", "1.30"),
    ]


def test_every_14_days():
    # Every 14 days at 36.5 %/year: 0.365 x 14 / 365 = 1.4 % a period.
    result = schedule(
        principal="1000",
        interest_rate="36.5",
        repayment_unit="days",
        repayment_every=14,
        number_of_repayments=2,
        days_in_year="365",
        amortization="equal_principal",
    )
    assert rows(result, "due_date", "days", "principal", "interest") == [
        ("2025-01-15", "14", "500.00", "14.00"),
        ("2025-01-29", "14", "500.00", "7.00"),
    ]


def test_every_two_months():
    # Every 2 months: 12 %/year / 12 x 2 = 2 % a period.
    result = schedule(
        principal="1000", repayment_every=2, number_of_repayments=2, amortization="equal_principal"
    )
    assert rows(result, "due_date", "interest") == [
        ("2025-03-01", "20.00"),
        ("2025-05-01", "10.00"),
    ]


def test_first_repayment_date_later_than_one_period():
    # Disbursed 1 Jan, first repayment 15 Feb: 1 month + 14 days of the 28-day month that
    # follows (1 Feb - 1 Mar) = 1.5 months, so interest 1,000 x 1 % x 1.5 = 15.00 (pro rata,
    # as Fineract). Later due dates count from the first one: 15 Mar.
    result = schedule(
        principal="1000",
        number_of_repayments=2,
        amortization="equal_principal",
        first_repayment_date="2025-02-15",
    )
    assert rows(result, "from_date", "due_date", "days", "principal", "interest") == [
        ("2025-01-01", "2025-02-15", "45", "500.00", "15.00"),
        ("2025-02-15", "2025-03-15", "28", "500.00", "5.00"),
    ]


def test_first_repayment_date_with_annuity_keeps_the_standard_instalment():
    # The annuity is PMT(1,000, 1 %, 2) = 507.51 whatever the first period's length; the long
    # first period's 15.00 interest comes out of its principal part: 507.51 - 15.00 = 492.51.
    result = schedule(principal="1000", number_of_repayments=2, first_repayment_date="2025-02-15")
    assert annuity("1000", Decimal("0.01"), 2) == Decimal("507.51")
    assert rows(result, "principal", "interest", "total") == [
        ("492.51", "15.00", "507.51"),
        # 507.49 left; interest 5.0749 -> 5.07.
        ("507.49", "5.07", "512.56"),
    ]


def test_grace_on_principal_equal_principal():
    # 2 months' grace: interest only, then 1,200 over the 2 remaining months.
    result = schedule(amortization="equal_principal", grace_on_principal=2)
    assert rows(result, "principal", "interest") == [
        ("0.00", "12.00"),
        ("0.00", "12.00"),
        ("600.00", "12.00"),
        ("600.00", "6.00"),
    ]


def test_grace_on_principal_annuity():
    # The annuity runs over the 2 paying months: PMT(1,200, 1 %, 2) = 1,200 x 0.507512
    # = 609.0149 -> 609.01.
    result = schedule(grace_on_principal=2)
    assert annuity("1200", Decimal("0.01"), 2) == Decimal("609.01")
    assert rows(result, "principal", "interest", "total") == [
        ("0.00", "12.00", "12.00"),
        ("0.00", "12.00", "12.00"),
        ("597.01", "12.00", "609.01"),
        # 602.99 left; 6.0299 -> 6.03 interest.
        ("602.99", "6.03", "609.02"),
    ]


def test_grace_on_interest_payment_defers_to_the_first_paying_instalment():
    # Interest accrues 12, 9, 6, 3 but the first two months' is paid in month 3 (Fineract's
    # declining-balance way): 0, 0, 12 + 9 + 6 = 27, 3.
    result = schedule(amortization="equal_principal", grace_on_interest_payment=2)
    assert rows(result, "principal", "interest") == [
        ("300.00", "0.00"),
        ("300.00", "0.00"),
        ("300.00", "27.00"),
        ("300.00", "3.00"),
    ]
    assert result.total_interest == Decimal("30.00")


def test_grace_on_interest_payment_annuity_keeps_the_principal_part():
    # PMT(1,200, 1 %, 4) = 1,200 x 0.256281 = 307.5374 -> 307.54. In the grace month the
    # principal part is still PMT minus that month's own interest (307.54 - 12.00 = 295.54);
    # the interest waits.
    result = schedule(grace_on_interest_payment=1)
    assert annuity("1200", Decimal("0.01"), 4) == Decimal("307.54")
    first, second = result.installments[:2]
    assert (first.principal, first.interest) == (Decimal("295.54"), Decimal("0.00"))
    # Month 2: 904.46 x 1 % = 9.0446 -> 9.04 own interest plus the deferred 12.00; principal
    # 307.54 - 9.04 = 298.50.
    assert (second.principal, second.interest) == (Decimal("298.50"), Decimal("21.04"))


def test_flat_grace_on_interest_payment_spreads_over_the_paying_instalments():
    # Flat 144.00 over 12 months; with 2 months' payment grace, equal instalments average it
    # over the 10 paying months (Fineract): 14.40 each.
    result = schedule(number_of_repayments=12, interest_method="flat", grace_on_interest_payment=2)
    interest = [row.interest for row in result.installments]
    assert interest == [Decimal("0.00")] * 2 + [Decimal("14.40")] * 10


def test_interest_free_periods():
    # No interest accrues in the first two months; then 1 % of 600 and of 300.
    result = schedule(amortization="equal_principal", grace_on_interest_charged=2)
    assert rows(result, "principal", "interest") == [
        ("300.00", "0.00"),
        ("300.00", "0.00"),
        ("300.00", "6.00"),
        ("300.00", "3.00"),
    ]


def test_flat_interest_free_periods_remove_their_share():
    # Flat 144.00 over 12 months is 12.00 a month; 3 free months remove 36.00, leaving 108.00
    # spread over the 9 months that pay interest: 12.00 each.
    result = schedule(number_of_repayments=12, interest_method="flat", grace_on_interest_charged=3)
    assert result.total_interest == Decimal("108.00")
    assert [row.interest for row in result.installments[3:]] == [Decimal("12.00")] * 9


def test_multiples_of_20_with_the_remainder_in_the_last():
    # PMT(10,000, 1 %, 12) = 888.49, to the nearest multiple of 20: 880.00. Principal is
    # 880 - interest; the last instalment settles what is left.
    result = schedule(principal="10000", number_of_repayments=12, installment_multiple_of="20")
    totals = [row.total for row in result.installments]
    assert totals[:-1] == [Decimal("880.00")] * 11
    first = result.installments[0]
    assert (first.interest, first.principal) == (Decimal("100.00"), Decimal("780.00"))
    assert result.total_principal == Decimal("10000.00")
    assert Decimal(0) < totals[-1] < Decimal("1000")


def test_default_multiple_rounds_the_instalment_to_whole_currency_units():
    # The default multiple is 1 currency unit (Fineract's "in multiples of" 1): 888.49 -> 888.
    result = schedule(principal="10000", number_of_repayments=12, installment_multiple_of="1")
    assert result.installments[0].total == Decimal("888.00")


def test_multiples_never_make_an_amount_negative():
    # 1,000 in 3 with multiples of 600: PMT 340.02 rounds to 600. Month 1: 10.00 interest,
    # 590.00 principal, 410.00 left. Month 2 would repay 600 - 4.10 = 595.90 of the 410.00 left:
    # it repays just the 410.00 and the schedule ends there (as Fineract's), nothing negative.
    result = schedule(principal="1000", number_of_repayments=3, installment_multiple_of="600")
    assert rows(result, "principal", "interest", "total", "balance") == [
        ("590.00", "10.00", "600.00", "410.00"),
        ("410.00", "4.10", "414.10", "0.00"),
    ]


def test_half_up_and_half_even_differ_on_an_exact_half_cent():
    # 1,000.50 x 1 % = 10.005: half-even gives 10.00 (0 is even), half-up gives 10.01.
    even = schedule(principal="1000.50", number_of_repayments=1)
    up = schedule(principal="1000.50", number_of_repayments=1, rounding_mode="half_up")
    assert even.installments[0].interest == Decimal("10.00")
    assert up.installments[0].interest == Decimal("10.01")


def test_currency_without_decimals():
    # 100,000 (e.g. XOF) in 3: 33,333, 33,333, 33,334; interest 1,000, 666.67 -> 667,
    # 333.34 -> 333.
    result = schedule(
        principal="100000",
        number_of_repayments=3,
        amortization="equal_principal",
        currency_decimals=0,
        installment_multiple_of="1",
    )
    assert rows(result, "principal", "interest", "total") == [
        ("33333", "1000", "34333"),
        ("33333", "667", "34000"),
        ("33334", "333", "33667"),
    ]


def test_installment_fee_flat():
    result = schedule(
        amortization="equal_principal",
        charges=[{"kind": "installment_fee_flat", "amount": "5"}],
    )
    assert rows(result, "fees", "total") == [
        ("5.00", "317.00"),
        ("5.00", "314.00"),
        ("5.00", "311.00"),
        ("5.00", "308.00"),
    ]
    assert result.total_fees == Decimal("20.00")


def test_installment_fee_percent_of_principal():
    # 1.5 % of each 300.00 principal = 4.50.
    result = schedule(
        amortization="equal_principal",
        charges=[{"kind": "installment_fee_percent_of_principal", "amount": "1.5"}],
    )
    assert {row.fees for row in result.installments} == {Decimal("4.50")}


def test_installment_fee_percent_of_principal_and_interest():
    # 2 % of 312, 309, 306, 303 = 6.24, 6.18, 6.12, 6.06.
    result = schedule(
        amortization="equal_principal",
        charges=[{"kind": "installment_fee_percent_of_principal_and_interest", "amount": "2"}],
    )
    assert rows(result, "fees") == [("6.24",), ("6.18",), ("6.12",), ("6.06",)]


def test_disbursement_fee_counts_in_the_totals_not_in_the_instalments():
    result = schedule(
        amortization="equal_principal",
        charges=[
            {"kind": "disbursement_fee", "amount": "25"},
            {"kind": "installment_fee_flat", "amount": "1"},
        ],
    )
    assert result.disbursement_fees == Decimal("25.00")
    assert {row.fees for row in result.installments} == {Decimal("1.00")}
    # Fees 4 x 1 + 25; total 1,200 + 30 interest + 29 fees.
    assert result.total_fees == Decimal("29.00")
    assert result.total == Decimal("1259.00")


def test_two_tranches_equal_principal():
    # 1,000 on 1 Jan, 1,000 more on 15 Feb (mid-period 2: 1 Feb - 1 Mar, 28 days).
    # Month 1: 250 principal, 10.00 interest. Month 2: 750 for 14 days and 1,750 for 14 days,
    # an average of 1,250 at 1 % = 12.50; the principal is re-amortised over the 3 periods
    # left: 1,750 / 3 = 583.33. Month 3: 1,166.67 x 1 % = 11.6667 -> 11.67. Month 4: the
    # remaining 583.34 x 1 % = 5.8334 -> 5.83.
    result = schedule(
        disbursements=[
            {"date": "2025-01-01", "amount": "1000"},
            {"date": "2025-02-15", "amount": "1000"},
        ],
        principal=None,
        disbursement_date=None,
        amortization="equal_principal",
    )
    assert rows(result, "principal", "interest", "balance") == [
        ("250.00", "10.00", "750.00"),
        ("583.33", "12.50", "1166.67"),
        ("583.33", "11.67", "583.34"),
        ("583.34", "5.83", "0.00"),
    ]
    assert result.total_principal == Decimal("2000.00")


def test_two_tranches_annuity_is_recomputed():
    # Month 1: PMT(1,000, 1 %, 4) = 256.28; principal 246.28. The tranche in month 2 makes the
    # outstanding 753.72 + 1,000 = 1,753.72, re-amortised over 3 periods:
    # PMT(1,753.72, 1 %, 3) = 596.30. Month 2's interest: 753.72 for 14 days and 1,753.72 for
    # 14 days = 1,253.72 average x 1 % = 12.5372 -> 12.54.
    terms = LoanTerms(
        disbursements=(
            Disbursement(datetime.date(2025, 1, 1), Decimal("1000")),
            Disbursement(datetime.date(2025, 2, 15), Decimal("1000")),
        ),
        interest_rate=Decimal("12"),
        number_of_repayments=4,
        installment_multiple_of=Decimal("0.01"),
    )
    assert annuity("1000", Decimal("0.01"), 4) == Decimal("256.28")
    assert annuity("1753.72", Decimal("0.01"), 3) == Decimal("596.30")
    result = generate_schedule(terms)
    assert rows(result, "principal", "interest", "total")[:3] == [
        ("246.28", "10.00", "256.28"),
        ("583.76", "12.54", "596.30"),
        # 1,169.96 x 1 % = 11.6996 -> 11.70.
        ("584.60", "11.70", "596.30"),
    ]
    assert result.total_principal == Decimal("2000.00")


def test_charges_from_python():
    terms = LoanTerms(
        disbursements=(Disbursement(datetime.date(2025, 1, 1), Decimal("1200")),),
        interest_rate=Decimal("0"),
        number_of_repayments=4,
        amortization=Amortization.EQUAL_PRINCIPAL,
        charges=(Charge(ChargeKind.INSTALLMENT_FEE_FLAT, Decimal("2.50")),),
    )
    assert terms.principal == Decimal("1200")
    assert terms.disbursement_date == datetime.date(2025, 1, 1)
    result = generate_schedule(terms)
    # Interest-free loan: 300 + 2.50 fee each.
    assert {row.total for row in result.installments} == {Decimal("302.50")}
