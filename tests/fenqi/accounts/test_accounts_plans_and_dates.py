from datetime import date, datetime
from decimal import Decimal

import pytest

from fenqi.accounts.relative_time import resolve_date, resolve_datetime
from fenqi.money import add_months, plan_bills
from tests.support.times import BJ

NOW = datetime(2024, 2, 28, 22, 15, tzinfo=BJ)


@pytest.mark.parametrize("text, expected", [
    ("now", NOW),
    ("now-1h", datetime(2024, 2, 28, 21, 15, tzinfo=BJ)),
    ("now+2h", datetime(2024, 2, 29, 0, 15, tzinfo=BJ)),
    ("now + 30m", datetime(2024, 2, 28, 22, 45, tzinfo=BJ)),
    ("now+1d", datetime(2024, 2, 29, 22, 15, tzinfo=BJ)),
    ("now-1w", datetime(2024, 2, 21, 22, 15, tzinfo=BJ)),
    ("today", datetime(2024, 2, 28, tzinfo=BJ)),
    ("today+2d", datetime(2024, 3, 1, tzinfo=BJ)),
])
def test_resolve_datetime(text, expected):
    assert resolve_datetime(text, NOW) == expected


@pytest.mark.parametrize("text, expected", [
    ("today", date(2024, 2, 28)), ("today+5d", date(2024, 3, 4)), ("today-2w", date(2024, 2, 14)),
])
def test_resolve_date(text, expected):
    assert resolve_date(text, NOW.date()) == expected


def test_absolute_and_malformed_values_are_not_relative():
    assert resolve_datetime("2024-06-01 10:00", NOW) is None
    assert resolve_datetime("now+2", NOW) is None
    assert resolve_date("tomorrow", NOW.date()) is None


@pytest.mark.parametrize("text", ["today+3h", "now+1d"])
def test_resolve_date_rejects_hours_and_now(text):
    with pytest.raises(ValueError):
        resolve_date(text, NOW.date())


def test_add_months_clamps_to_month_end():
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2023, 1, 31), 1) == date(2023, 2, 28)
    assert add_months(date(2024, 1, 31), 2) == date(2024, 3, 31)
    assert add_months(date(2024, 11, 15), 3) == date(2025, 2, 15)


def test_plan_bills_equal_principal_fee_dates_and_paid():
    bills = plan_bills(Decimal("1000.00"), 3, Decimal("0.006"), date(2024, 1, 31), paid_periods=1)
    assert [b.principal for b in bills] == [Decimal("333.33"), Decimal("333.33"), Decimal("333.34")]
    assert sum(b.principal for b in bills) == Decimal("1000.00")
    assert {b.fee for b in bills} == {Decimal("6.00")}
    assert [b.due_date for b in bills] == [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31)]
    assert [b.paid for b in bills] == [True, False, False]
    assert [b.period_no for b in bills] == [1, 2, 3]


def test_plan_bills_rounds_fee_half_up():
    (bill,) = plan_bills(Decimal("3999.00"), 1, Decimal("0.006"), date(2024, 1, 1))
    assert bill.fee == Decimal("23.99")  # 23.994
    (bill,) = plan_bills(Decimal("2499.00"), 1, Decimal("0.005"), date(2024, 1, 1))
    assert bill.fee == Decimal("12.50")  # 12.495


def test_plan_bills_rejects_bad_paid_periods():
    with pytest.raises(ValueError):
        plan_bills(Decimal("100"), 3, Decimal(0), date(2024, 1, 1), paid_periods=4)
