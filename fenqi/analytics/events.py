"""Rasa's tracker store as analytics reads it: the ``events`` table of ``SQLTrackerStore``
(deploy/tracker_store.py writes it; SQLite in embedded mode, PostgreSQL in production).

The table is Rasa's: one row per event, ``data`` the event's JSON (``Event.as_dict()``), the
intent and action names copied into indexed-free columns. :data:`EVENTS` mirrors its columns
(``tests/fenqi/analytics/test_events.py`` compares it with Rasa's model) so the demo seed can
create it before Rasa first starts and analytics can read it without importing Rasa.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, Iterable, List, Mapping, Optional

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, func, inspect, select
from sqlalchemy.engine import Connection, Engine

from fenqi.clock import UTC

METADATA = MetaData()
EVENTS = Table(
    "events", METADATA,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)
USER, BOT, ACTION, SESSION_STARTED = "user", "bot", "action", "session_started"
PARSED = (USER, BOT)  # the events whose JSON analytics needs (the others: columns only)


@dataclass(slots=True)
class Event:
    """One stored tracker event, as much of it as analytics uses (read-only by convention)."""

    id: int
    sender_id: str
    type: str
    timestamp: float
    intent: Optional[str] = None
    action: Optional[str] = None
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def at(self) -> datetime:
        """The event's time, aware in UTC."""
        return utc(self.timestamp)

    @property
    def text(self) -> str:
        value = self.data.get("text")
        return value if isinstance(value, str) else ""

    @property
    def parse_data(self) -> Mapping[str, Any]:
        return as_dict(self.data.get("parse_data"))


def as_dict(value: Any) -> Mapping[str, Any]:
    """``value`` if it is a JSON object, else an empty one (stored JSON is never trusted)."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> List[Any]:
    return value if isinstance(value, list) else []


def utc(timestamp: float) -> datetime:
    """A tracker timestamp (Unix seconds, as Rasa stores it) as an aware UTC instant."""
    return datetime.fromtimestamp(timestamp, UTC)


def _load(raw: Optional[str]) -> Dict[str, Any]:
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def event_from_row(row: Any, parse: bool = True) -> Event:
    """An :class:`Event` from a row of (id, sender_id, type_name, timestamp, intent_name,
    action_name, data); the JSON is parsed for user and bot events only."""
    id_, sender_id, type_name, timestamp, intent, action, raw = row
    return Event(int(id_), sender_id, type_name, float(timestamp or 0.0), intent, action,
                 _load(raw) if parse and type_name in PARSED else {})


def has_events_table(engine: Engine) -> bool:
    return inspect(engine).has_table("events")


def ensure_events_table(engine: Engine) -> None:
    """Create Rasa's ``events`` table (and its sender index) if it is not there yet."""
    METADATA.create_all(engine, tables=[EVENTS], checkfirst=True)


def max_event_id(connection: Connection) -> int:
    return int(connection.execute(select(func.max(EVENTS.c.id))).scalar() or 0)


def events_after(connection: Connection, after_id: int, upto_id: int, limit: int) -> List[Event]:
    """Events with ``after_id < id <= upto_id``, oldest first, at most ``limit`` (primary-key range)."""
    e = EVENTS.c
    rows = connection.execute(
        select(e.id, e.sender_id, e.type_name, e.timestamp, e.intent_name, e.action_name, e.data)
        .where(e.id > after_id, e.id <= upto_id).order_by(e.id).limit(limit))
    return [event_from_row(r) for r in rows]


def conversation_events(connection: Connection, sender_id: str, first_id: int, last_id: int,
                        limit: int = 2000) -> List[Event]:
    """The events of one conversation (one sender, ids ``first_id`` .. ``last_id``), oldest first."""
    e = EVENTS.c
    rows = connection.execute(
        select(e.id, e.sender_id, e.type_name, e.timestamp, e.intent_name, e.action_name, e.data)
        .where(e.sender_id == sender_id, e.id >= first_id, e.id <= last_id).order_by(e.id).limit(limit))
    return [event_from_row(r) for r in rows]


def events_by_id(connection: Connection, ids: Iterable[int]) -> Dict[int, Event]:
    """Events by primary key (the first message of each listed conversation)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    e = EVENTS.c
    rows = connection.execute(
        select(e.id, e.sender_id, e.type_name, e.timestamp, e.intent_name, e.action_name, e.data)
        .where(e.id.in_(wanted)))
    return {int(r.id): event_from_row(r) for r in rows}
