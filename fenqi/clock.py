"""The one business clock: every "now", "today", service hour and overdue day is read here.

Shoppers live in China and servers run on UTC, so business time is a zone of its own
(``FENQI_TIMEZONE``, default Asia/Shanghai), whatever the server's zone (``TZ``) is.

* :func:`now` is timezone-aware in the business zone, :func:`utcnow` the same instant in UTC (what
  the stores keep, ``fenqi.db.types.UtcDateTime``), :func:`today` the business date;
  :func:`local` and :func:`business_date` put any aware instant in the business zone.
* A naive datetime is never business time: :func:`local` refuses one (``ValueError``).
* Tests set the clock: in-process with :func:`frozen` / :func:`shifted` (context managers), and for
  whole-bot runs in subprocesses with ``FENQI_CLOCK_AT`` (the clock stands at that instant) or
  ``FENQI_CLOCK_OFFSET`` (seconds added to the real time) — honoured only with
  ``FENQI_ENV=development``, refused in production (``fenqi.settings.ClockSettings``).

Protocol times stay on the real wall clock: token ``iat``/``exp`` (PyJWT checks them against the
real time), WeChat signatures' timestamps, rate limiters and timeouts (``time.monotonic``).
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Callable, Iterator, Optional

UTC = timezone.utc


@dataclass(frozen=True)
class ClockConfig:
    """The business zone and what "now" is (the real time, shifted by ``offset``, unless ``fixed_at``)."""

    zone: tzinfo
    fixed_at: Optional[datetime] = None
    offset: timedelta = timedelta()

    def read(self) -> datetime:
        if self.fixed_at is not None:
            return self.fixed_at.astimezone(UTC)
        return datetime.now(UTC) + self.offset


_lock = threading.Lock()
_config: Optional[ClockConfig] = None          # from the settings, on first use
_override: Optional[Callable[[], datetime]] = None  # frozen()/shifted(): tests, in-process


def configure(config: Optional[ClockConfig] = None) -> ClockConfig:
    """Use ``config`` (default: read the settings again) from now on; returns it."""
    global _config
    if config is None:
        from fenqi.settings import clock_settings  # one direction: the settings never import the clock

        settings = clock_settings()
        config = ClockConfig(zone=settings.zone, fixed_at=settings.fixed_at, offset=settings.offset)
    with _lock:
        _config = config
    return config


def config() -> ClockConfig:
    """The process's clock configuration (read from the settings once, on first use)."""
    current = _config
    return current if current is not None else configure()


def zone() -> tzinfo:
    """The business zone."""
    return config().zone


def utcnow() -> datetime:
    """The current instant, timezone-aware, in UTC."""
    source = _override
    return source() if source is not None else config().read()


def now() -> datetime:
    """The current instant, timezone-aware, in the business zone."""
    return local(utcnow())


def today() -> date:
    """The business date (e.g. Asia/Shanghai), not the server's."""
    return now().date()


def local(moment: datetime) -> datetime:
    """``moment`` (aware) in the business zone; a naive datetime is refused."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment.isoformat()}: business time is timezone-aware (fenqi.clock)")
    return moment.astimezone(zone())


def business_date(moment: datetime) -> date:
    """The business date of an aware instant."""
    return local(moment).date()


def at_business_time(day: date, hour: int = 0, minute: int = 0) -> datetime:
    """``day`` at ``hour:minute`` in the business zone (aware)."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone())


@contextmanager
def frozen(at: datetime) -> Iterator[datetime]:
    """The clock stands at ``at`` (aware) inside the block, in every thread (tests)."""
    instant = local(at).astimezone(UTC)
    with _replaced(lambda: instant):
        yield local(instant)


@contextmanager
def shifted(by: timedelta) -> Iterator[None]:
    """The clock runs ``by`` ahead of the real time inside the block (tests)."""
    with _replaced(lambda: datetime.now(UTC) + by):
        yield


@contextmanager
def _replaced(source: Callable[[], datetime]) -> Iterator[None]:
    global _override
    with _lock:
        previous, _override = _override, source
    try:
        yield
    finally:
        with _lock:
            _override = previous
