"""Reporting periods as business dates (Asia/Shanghai, fenqi.clock) and their UTC bounds."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import List, Mapping, Optional, Tuple

from fenqi import clock

PRESETS = {"today": 1, "7d": 7, "30d": 30}
LABELS = {"today": "今天", "7d": "近 7 天", "30d": "近 30 天", "custom": "自定义"}
DEFAULT = "7d"
MAX_DAYS = 366


class PeriodError(ValueError):
    """A custom period that cannot be used (bad date, reversed, longer than a year)."""


@dataclass(frozen=True)
class Period:
    """The business dates ``first`` .. ``last`` (inclusive)."""

    key: str
    first: date
    last: date

    @property
    def days(self) -> List[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]

    def utc_bounds(self) -> Tuple[datetime, datetime]:
        """``[start, end)`` as aware UTC instants."""
        return day_start_utc(self.first), day_start_utc(self.last + timedelta(days=1))

    @property
    def label(self) -> str:
        if self.key == "custom":
            return f"{self.first.isoformat()} 至 {self.last.isoformat()}"
        return LABELS[self.key]

    def query(self) -> str:
        """The query-string part that selects this period again."""
        if self.key == "custom":
            return f"period=custom&from={self.first.isoformat()}&to={self.last.isoformat()}"
        return f"period={self.key}"


def day_start_utc(day: date) -> datetime:
    """Midnight of a business date, aware in UTC."""
    return clock.at_business_time(day).astimezone(clock.UTC)


def business_day(timestamp: float) -> date:
    """The business date of a tracker timestamp (Unix seconds)."""
    return datetime.fromtimestamp(timestamp, clock.zone()).date()


def _date(value: Optional[str], name: str) -> date:
    try:
        return date.fromisoformat((value or "")[:10])
    except ValueError:
        raise PeriodError(f"{name}: a date like 2026-12-01") from None


def period_from(query: Mapping[str, str], today: date) -> Period:
    """The period a query string asks for (``period=today|7d|30d|custom&from=…&to=…``); unknown
    keys mean the default (7 days). Raises :class:`PeriodError` for a bad custom period."""
    key = query.get("period") or DEFAULT
    if key == "custom":
        first, last = _date(query.get("from"), "from"), _date(query.get("to"), "to")
        if last < first:
            raise PeriodError("the period ends before it starts")
        if (last - first).days + 1 > MAX_DAYS:
            raise PeriodError(f"at most {MAX_DAYS} days")
        return Period("custom", first, last)
    days = PRESETS.get(key)
    if days is None:
        key, days = DEFAULT, PRESETS[DEFAULT]
    return Period(key, today - timedelta(days=days - 1), today)
