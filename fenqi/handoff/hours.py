"""Human service hours and handoff settings, as data (``service.yml``)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, FrozenSet, List, Optional

from pydantic import StrictInt, StrictStr, root_validator, validator

from fenqi import clock
from fenqi.datafile import Invalid, Record, load, validate

SERVICE_FILE = Path(__file__).with_name("service.yml")


class Hours(Record):
    label: Optional[StrictStr] = None
    open: time
    close: time
    days: List[StrictInt] = list(range(1, 8))

    @validator("open", "close", pre=True)
    def _clock(cls, value: Any) -> time:
        try:
            return time.fromisoformat(str(value))
        except ValueError:
            raise Invalid(f"expected HH:MM, got {value!r}") from None

    @validator("days")
    def _days(cls, days: List[int]) -> List[int]:
        if not set(days) <= set(range(1, 8)):
            raise Invalid(f"ISO weekdays 1-7 only, got {sorted(set(days))}")
        return days

    @root_validator(skip_on_failure=True)
    def _order(cls, values: Dict[str, Any]) -> Dict[str, Any]:
        if values["close"] <= values["open"]:
            raise Invalid("close must be after open", "close")
        return values


class ServiceFile(Record):
    """Schema of ``service.yml``."""

    version: int = 1
    source: Optional[StrictStr] = None
    hours: Hours
    outside_hours: StrictStr = ""
    transcript_messages: StrictInt = 6
    summary_intents: StrictInt = 3


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
        """Whether agents are working at ``now`` (an aware instant, read in the business zone:
        the hours of ``service.yml`` are Beijing time, not the server's)."""
        local = clock.local(now)
        return local.isoweekday() in self.days and self.opens <= local.time() < self.closes


def _service_info(file: ServiceFile) -> ServiceInfo:
    h = file.hours
    return ServiceInfo(label=h.label or f"{h.open:%H:%M}–{h.close:%H:%M}", opens=h.open, closes=h.close,
                       days=frozenset(h.days or range(1, 8)), outside_hours=file.outside_hours,
                       transcript_messages=file.transcript_messages, summary_intents=file.summary_intents)


def parse_service_info(data: dict) -> ServiceInfo:
    """Validate the YAML mapping of ``service.yml``; raises ``DataFileError`` (a ``ValueError``)."""
    return _service_info(validate(ServiceFile, data, source=SERVICE_FILE.name))


@lru_cache(maxsize=None)
def load_service_info(path: Path = SERVICE_FILE) -> ServiceInfo:
    return _service_info(load(path, ServiceFile))
