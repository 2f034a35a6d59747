"""Human service hours and handoff settings, as data (``service.yml``)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from functools import lru_cache
from pathlib import Path
from typing import FrozenSet

import yaml

SERVICE_FILE = Path(__file__).with_name("service.yml")


@dataclass(frozen=True)
class ServiceInfo:
    label: str               # "每天 9:00–21:00"
    opens: time
    closes: time
    days: FrozenSet[int]     # ISO weekdays
    outside_hours: str       # what to do outside the hours
    transcript_messages: int
    summary_intents: int

    def is_open(self, now: datetime) -> bool:
        """Whether agents are working at ``now`` (naive local time)."""
        return now.isoweekday() in self.days and self.opens <= now.time() < self.closes


def _clock(value, field: str) -> time:
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"hours.{field}: expected HH:MM, got {value!r}") from None


def parse_service_info(data: dict) -> ServiceInfo:
    hours = data.get("hours") or {}
    opens, closes = _clock(hours.get("open"), "open"), _clock(hours.get("close"), "close")
    if closes <= opens:
        raise ValueError("hours: close must be after open")
    days = frozenset(hours.get("days") or range(1, 8))
    if not days <= set(range(1, 8)):
        raise ValueError(f"hours.days: ISO weekdays 1-7 only, got {sorted(days)}")
    return ServiceInfo(label=str(hours.get("label") or f"{opens:%H:%M}–{closes:%H:%M}"), opens=opens,
                       closes=closes, days=days, outside_hours=str(data.get("outside_hours") or ""),
                       transcript_messages=int(data.get("transcript_messages", 6)),
                       summary_intents=int(data.get("summary_intents", 3)))


@lru_cache(maxsize=None)
def load_service_info(path: Path = SERVICE_FILE) -> ServiceInfo:
    return parse_service_info(yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {})
