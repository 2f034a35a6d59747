"""Relative dates in accounts files, resolved at load time.

``now``, ``now+2h``, ``now-30m``, ``now-1d``, ``now+1w`` are datetimes relative to the load
moment; ``today``, ``today+5d``, ``today-2w`` are dates (as datetimes: midnight). "Today" is the
date of ``now`` in its own zone: the loader passes the business clock's ``now`` (Beijing), so the
demo's "due today" is Beijing's today whatever the server's zone.
Units: ``m`` minutes, ``h`` hours (``now`` only), ``d`` days, ``w`` weeks.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Optional

_PATTERN = re.compile(r"^(now|today)(?:([+-])(\d{1,5})([mhdw]))?$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def is_relative(text: str) -> bool:
    return bool(_PATTERN.match(text.replace(" ", "")))


def _offset(text: str) -> Optional[tuple]:
    match = _PATTERN.match(text.replace(" ", ""))
    if not match:
        return None
    anchor, sign, amount, unit = match.groups()
    if anchor == "today" and unit in ("m", "h"):
        raise ValueError(f"'{text}': today takes only d or w offsets (use now for hours/minutes)")
    delta = timedelta(**{_UNITS[unit]: int(amount)}) if unit else timedelta()
    return anchor, (-delta if sign == "-" else delta)


def resolve_datetime(text: str, now: datetime) -> Optional[datetime]:
    """The datetime ``text`` names relative to ``now``, or None when it is not relative."""
    parsed = _offset(text)
    if parsed is None:
        return None
    anchor, delta = parsed
    base = now if anchor == "now" else datetime.combine(now.date(), time.min, tzinfo=now.tzinfo)
    return base + delta


def resolve_date(text: str, today: date) -> Optional[date]:
    """The date ``text`` (``today±N[dw]``) names, or None when it is not relative."""
    parsed = _offset(text)
    if parsed is None:
        return None
    anchor, delta = parsed
    if anchor != "today":
        raise ValueError(f"'{text}': dates are relative to today (e.g. today+5d), not now")
    return today + delta
