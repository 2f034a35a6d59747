"""Money in yuan: formatting, the principal split and installment fee schedules (Decimal, cents).

Fees and display round half-up; the principal split rounds *down* (the last period absorbs the
rest). :func:`split_principal` is the one rule used both by the stored bills (:func:`plan_bills`,
when the accounts loader generates them) and by the fee answer, so the bot quotes what the bills say.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Protocol, Tuple

from fenqi.state import Bill

CENT = Decimal("0.01")


class RatePolicy(Protocol):
    """Anything that knows the per-period fee rate for a number of periods (e.g. ``FeePolicy``)."""

    def rate_for(self, periods: int) -> Decimal: ...


def to_cents(amount: Decimal) -> Decimal:
    """Round ``amount`` to cents, halves away from zero."""
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def format_cny(amount: Decimal) -> str:
    """``Decimal("3999")`` -> ``"¥3,999.00"``; negatives as ``"-¥5.00"``."""
    cents = to_cents(amount)
    sign = "-" if cents < 0 else ""
    return f"{sign}¥{abs(cents):,.2f}"


def format_rate(rate: Decimal) -> str:
    """``Decimal("0.006")`` -> ``"0.60%"``."""
    return f"{to_cents(Decimal(rate) * 100):.2f}%"


@dataclass(frozen=True)
class FeeSchedule:
    """How an amount splits into periods: principal per period plus a flat fee per period."""

    amount: Decimal
    periods: int
    rate: Decimal
    principals: Tuple[Decimal, ...]
    fee_per_period: Decimal

    @property
    def payments(self) -> Tuple[Decimal, ...]:
        return tuple(p + self.fee_per_period for p in self.principals)

    @property
    def total_fee(self) -> Decimal:
        return self.fee_per_period * self.periods

    @property
    def total_payment(self) -> Decimal:
        return self.amount + self.total_fee

    @property
    def interest_free(self) -> bool:
        return self.fee_per_period == 0


def split_principal(amount: Decimal, periods: int) -> Tuple[Decimal, ...]:
    """Equal principal per period rounded down to cents; the last period absorbs the rest."""
    if periods < 1:
        raise ValueError("periods must be at least 1")
    total = to_cents(amount)
    share = (total / periods).quantize(CENT, rounding=ROUND_DOWN)
    return (share,) * (periods - 1) + (total - share * (periods - 1),)


def fee_schedule(amount: Decimal, periods: int, rate: Decimal) -> FeeSchedule:
    """Schedule for ``amount`` over ``periods`` with a per-period fee of ``rate`` x amount."""
    total = to_cents(amount)
    return FeeSchedule(
        amount=total,
        periods=periods,
        rate=Decimal(rate),
        principals=split_principal(total, periods),
        fee_per_period=to_cents(total * Decimal(rate)),
    )


def schedule_for(amount: Decimal, periods: int, policy: RatePolicy) -> FeeSchedule:
    """Schedule using the policy's rate for ``periods`` (raises if the policy lacks that period)."""
    return fee_schedule(amount, periods, policy.rate_for(periods))


# ---------------------------------------------------------------- installment bills

def add_months(day: date, months: int) -> date:
    """Same day of month ``months`` later, clamped to the month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def plan_bills(total: Decimal, periods: int, fee_rate: Decimal, first_due: date,
               paid_periods: int = 0) -> Tuple[Bill, ...]:
    """Principals by :func:`fenqi.money.split_principal` (they sum to ``total``), fee
    ``total * fee_rate`` (half-up) each period, due monthly from ``first_due``;
    the first ``paid_periods`` bills are marked paid."""
    if periods < 1:
        raise ValueError("periods must be at least 1")
    if not 0 <= paid_periods <= periods:
        raise ValueError("paid_periods must be between 0 and periods")
    principals = split_principal(total, periods)
    fee = to_cents(total * fee_rate)
    return tuple(
        Bill(period_no=n, due_date=add_months(first_due, n - 1),
             principal=principals[n - 1], fee=fee, paid=n <= paid_periods)
        for n in range(1, periods + 1)
    )
