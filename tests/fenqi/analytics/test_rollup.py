"""The rollup's horizon (PostgreSQL hands out event ids before commit): an id is read only once
every smaller id had ``settle`` to commit, and a matured horizon is not given up before it is read."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from fenqi.analytics.rollup import _safe_upto
from fenqi.db.models import AnalyticsCursor

SETTLE = timedelta(seconds=2)
T0 = datetime(2026, 11, 4, 2, 0, tzinfo=timezone.utc)


def cursor(last: int = 0, horizon: int = 0, at: datetime | None = None) -> AnalyticsCursor:
    return AnalyticsCursor(id=1, last_event_id=last, last_ticket_id=0, horizon_event_id=horizon, horizon_at=at)


def test_a_new_horizon_is_only_noted_and_read_after_settle():
    c = cursor(last=10)
    assert _safe_upto(c, 50, SETTLE, T0) == 10
    assert (c.horizon_event_id, c.horizon_at) == (50, T0)
    assert _safe_upto(c, 60, SETTLE, T0 + timedelta(seconds=1)) == 10  # not matured yet
    assert _safe_upto(c, 60, SETTLE, T0 + SETTLE) == 50


def test_a_matured_horizon_stays_until_the_cursor_reaches_it():
    c = cursor(last=10, horizon=50, at=T0)
    later = T0 + SETTLE
    assert _safe_upto(c, 80, SETTLE, later) == 50
    c.last_event_id = 15  # one small batch folded: the rest up to 50 is still safe, at once
    assert _safe_upto(c, 90, SETTLE, later) == 50 and c.horizon_event_id == 50
    c.last_event_id = 50  # reached: the newest id becomes the next horizon
    assert _safe_upto(c, 90, SETTLE, later) == 50
    assert (c.horizon_event_id, c.horizon_at) == (90, later)


def test_without_settle_everything_stored_is_read():
    assert _safe_upto(cursor(last=3), 70, timedelta(0), T0) == 70
