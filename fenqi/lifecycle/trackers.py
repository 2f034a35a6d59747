"""Conversations at rest: Rasa's tracker store, read and pruned as plain SQL (no Rasa import).

Rasa 3.6's ``SQLTrackerStore`` (and ``deploy.tracker_store.WindowedSQLTrackerStore``) keeps every
event of every conversation as one row of ``events``: ``sender_id`` (the conversation id),
``type_name``, ``timestamp`` (epoch seconds) and ``data`` (the event as JSON). Only those columns
are used here, on SQLite and PostgreSQL alike.

Expiry works by conversation session, never cutting one in half: an event older than the cutoff
is removed when its session ended before the cutoff (a later ``session_started`` of the same
conversation is itself older than the cutoff), or when the whole conversation is older than the
cutoff. The session Rasa would load next (from the latest ``session_started``) is therefore either
kept whole or removed whole, so a returning shopper's tracker never has half its state.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, List, Sequence

from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    case,
    delete,
    func,
    inspect,
    or_,
    select,
)
from sqlalchemy.engine import Connection, Engine

SESSION_STARTED = "session_started"

metadata = MetaData()
events = Table(
    "events", metadata,  # as Rasa's SQLTrackerStore creates it (only the columns used here)
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("data", Text),
)


@dataclass(frozen=True)
class TrackerPurge:
    """What a purge removed (or would remove): events, and conversations removed whole."""

    events: int
    conversations: int


def has_tracker_table(engine: Engine) -> bool:
    """Whether the tracker store exists yet (Rasa creates it on first start)."""
    return inspect(engine).has_table(events.name)


def _expired_ids(cutoff: float) -> Any:
    """The ids of the events to purge at ``cutoff`` (epoch seconds); see the module doc.

    An old event's session ended before the cutoff exactly when it is older than the newest
    ``session_started`` at or before the cutoff (``keep_from``). Both per-conversation values come
    from one grouped pass, joined back: linear in the table, not in the square of a conversation."""
    e = events.alias("e")
    started = and_(events.c.type_name == SESSION_STARTED, events.c.timestamp <= cutoff)
    per_conversation = (select(events.c.sender_id, func.max(events.c.timestamp).label("last"),
                               func.max(case((started, events.c.timestamp))).label("keep_from"))
                        .group_by(events.c.sender_id).subquery("per_conversation"))
    return (select(e.c.id).join(per_conversation, e.c.sender_id == per_conversation.c.sender_id)
            .where(e.c.timestamp < cutoff,
                   or_(per_conversation.c.last < cutoff, e.c.timestamp < per_conversation.c.keep_from)))


def _stale_conversations(cutoff: float) -> Any:
    """Conversation ids whose newest event is older than ``cutoff`` (removed whole)."""
    return (select(events.c.sender_id).group_by(events.c.sender_id)
            .having(func.max(events.c.timestamp) < cutoff))


def purge_events(conn: Connection, cutoff: float, dry_run: bool = False) -> TrackerPurge:
    """Remove (or, with ``dry_run``, count) the expired events; see the module doc."""
    whole = conn.execute(select(func.count()).select_from(_stale_conversations(cutoff).subquery())).scalar_one()
    expired = _expired_ids(cutoff)
    if dry_run:
        count = conn.execute(select(func.count()).select_from(expired.subquery())).scalar_one()
    else:
        count = conn.execute(delete(events).where(events.c.id.in_(expired))).rowcount
    return TrackerPurge(events=int(count or 0), conversations=int(whole or 0))


def conversation_ids(conn: Connection, candidates: Sequence[str], prefixes: Sequence[str]) -> List[str]:
    """The stored conversation ids that are one of ``candidates`` or start with one of ``prefixes``."""
    clauses = [events.c.sender_id.in_(list(candidates))] if candidates else []
    clauses += [events.c.sender_id.startswith(p, autoescape=True) for p in prefixes]
    if not clauses:
        return []
    rows = conn.execute(select(events.c.sender_id).where(or_(*clauses)).distinct().order_by(events.c.sender_id))
    return [row[0] for row in rows]


def conversation_events(conn: Connection, sender_ids: Sequence[str]) -> Dict[str, List[Dict[str, Any]]]:
    """Every stored event of each conversation, oldest first, as the JSON Rasa stored."""
    out: Dict[str, List[Dict[str, Any]]] = {sid: [] for sid in sender_ids}
    if not sender_ids:
        return out
    rows = conn.execute(select(events.c.sender_id, events.c.data)
                        .where(events.c.sender_id.in_(list(sender_ids))).order_by(events.c.id))
    for sender_id, data in rows:
        try:
            event = json.loads(data) if data else {}
        except ValueError:
            event = {"unreadable": True}
        out[sender_id].append(event if isinstance(event, dict) else {"value": event})
    return out


def delete_conversations(conn: Connection, sender_ids: Sequence[str]) -> int:
    """Remove every event of these conversations; the number of events removed."""
    if not sender_ids:
        return 0
    return int(conn.execute(delete(events).where(events.c.sender_id.in_(list(sender_ids)))).rowcount or 0)
