"""Small Chinese wording helpers shared by diagnosis and answers (dates, names, lists)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Iterable

from fenqi import clock


def format_day(day: date) -> str:
    """``date(2024, 6, 3)`` -> ``"2024年6月3日"``."""
    return f"{day.year}年{day.month}月{day.day}日"


def format_moment(moment: datetime) -> str:
    """An aware instant in business time: 2024-06-03 06:00 Beijing -> ``"2024年6月3日 06:00"``."""
    local = clock.local(moment)
    return f"{format_day(local.date())} {local:%H:%M}"


def quoted(name: str) -> str:
    """Product or order names in Chinese corner quotes: ``「小米14」``."""
    return f"「{name}」"


def enumerate_cn(items: Iterable[str]) -> str:
    """``["花呗", "微信"]`` -> ``"花呗、微信"``."""
    return "、".join(items)
