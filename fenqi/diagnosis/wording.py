"""Small Chinese wording helpers shared by diagnosis and answers (dates, names, lists)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Iterable


def format_day(day: date) -> str:
    """``date(2024, 6, 3)`` -> ``"2024年6月3日"``."""
    return f"{day.year}年{day.month}月{day.day}日"


def format_moment(moment: datetime) -> str:
    """``datetime(2024, 6, 3, 6, 0)`` -> ``"2024年6月3日 06:00"``."""
    return f"{format_day(moment.date())} {moment:%H:%M}"


def quoted(name: str) -> str:
    """Product or order names in Chinese corner quotes: ``「小米14」``."""
    return f"「{name}」"


def enumerate_cn(items: Iterable[str]) -> str:
    """``["花呗", "微信"]`` -> ``"花呗、微信"``."""
    return "、".join(items)
