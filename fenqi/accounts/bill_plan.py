"""Generate an order's installment bills from its total, periods and fee rate."""
from __future__ import annotations

import calendar
from datetime import date
from decimal import Decimal
from typing import Tuple

from fenqi.money import split_principal, to_cents
from fenqi.state import Bill


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
