"""The one business clock: every "now", "today", service hour and overdue day is read here.

Shoppers live in China and servers run on UTC, so business time is Asia/Shanghai whatever the
server's own zone. ``now()`` is timezone-aware in the business zone, ``utcnow()`` is the same
instant in UTC (what the stores keep), ``today()`` is the business date.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

BUSINESS_TZ = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    """The current instant, timezone-aware, in UTC."""
    return datetime.now(timezone.utc)


def now() -> datetime:
    """The current instant, timezone-aware, in the business zone."""
    return utcnow().astimezone(BUSINESS_TZ)


def today() -> date:
    """The business date (Asia/Shanghai), not the server's."""
    return now().date()
