from decimal import Decimal

import pytest

from fenqi.knowledge import load_knowledge
from fenqi.money import fee_schedule, format_cny, format_rate, schedule_for, split_principal, to_cents


@pytest.mark.parametrize("amount, text", [
    ("3999", "¥3,999.00"),
    ("0", "¥0.00"),
    ("100000", "¥100,000.00"),
    ("1234567.891", "¥1,234,567.89"),
    ("0.005", "¥0.01"),  # half up, not half even
    ("0.125", "¥0.13"),
    ("2.675", "¥2.68"),
    ("-5", "-¥5.00"),
    ("999.999", "¥1,000.00"),
])
def test_format_cny(amount, text):
    assert format_cny(Decimal(amount)) == text


def test_to_cents_rounds_half_up():
    assert to_cents(Decimal("0.125")) == Decimal("0.13")
    assert to_cents(Decimal("0.124")) == Decimal("0.12")


def test_format_rate():
    assert format_rate(Decimal("0.006")) == "0.60%"
    assert format_rate(Decimal("0")) == "0.00%"


@pytest.mark.parametrize("amount, periods", [("3999", 24), ("299", 3), ("1999", 12), ("0.05", 3), ("100", 1)])
def test_split_principal_sums_to_amount_and_last_absorbs_rounding(amount, periods):
    parts = split_principal(Decimal(amount), periods)
    assert len(parts) == periods
    assert sum(parts) == Decimal(amount)
    assert len(set(parts[:-1])) <= 1
    assert abs(parts[-1] - parts[0]) < Decimal("0.01") * periods


def test_split_principal_rejects_zero_periods():
    with pytest.raises(ValueError):
        split_principal(Decimal("100"), 0)


def test_fee_schedule_24_periods():
    s = fee_schedule(Decimal("3999"), 24, Decimal("0.007"))
    assert s.principals[0] == Decimal("166.62")  # 166.625 rounded down, as the stored bills
    assert s.principals[-1] == Decimal("166.74")
    assert s.fee_per_period == Decimal("27.99")  # 27.993
    assert s.total_fee == Decimal("671.76")
    assert s.payments[0] == Decimal("194.61")
    assert s.total_payment == Decimal("4670.76")
    assert not s.interest_free


def test_fee_rounding_is_half_up():
    assert fee_schedule(Decimal("25"), 6, Decimal("0.005")).fee_per_period == Decimal("0.13")


def test_schedule_for_uses_policy_rates():
    fees = load_knowledge().fees
    free = schedule_for(Decimal("3000"), 3, fees)
    assert free.interest_free and free.total_fee == 0 and free.payments == (Decimal("1000.00"),) * 3
    twelve = schedule_for(Decimal("3000"), 12, fees)
    assert twelve.fee_per_period == to_cents(Decimal("3000") * fees.rate_for(12))
    with pytest.raises(ValueError):
        schedule_for(Decimal("3000"), 5, fees)


@pytest.mark.parametrize("amount, periods, rate", [("5999", 24, "0.007"), ("3999", 24, "0.007"),
                                                   ("1999", 12, "0.006"), ("100", 3, "0")])
def test_fee_answer_quotes_what_the_stored_bills_say(amount, periods, rate):
    """The worked example (answers) and generated bills (accounts) use one principal split."""
    from datetime import date

    from fenqi.money import plan_bills

    schedule = fee_schedule(Decimal(amount), periods, Decimal(rate))
    bills = plan_bills(Decimal(amount), periods, Decimal(rate), date(2024, 1, 1))
    assert tuple(b.principal for b in bills) == schedule.principals
    assert tuple(b.amount for b in bills) == schedule.payments


def test_5999_over_24_periods_is_249_95_a_period():
    assert fee_schedule(Decimal("5999"), 24, Decimal("0")).principals[0] == Decimal("249.95")
