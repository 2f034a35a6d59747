"""The analytics rollup: ``analytics_conversations`` and ``analytics_turns`` in the account store,
folded (:mod:`fenqi.analytics.fold`) from the tracker store's events, plus each conversation's
handoff ticket. Filled incrementally (:func:`refresh`: the events after the cursor, in batches,
each batch one transaction) and rebuilt from scratch with one command (:func:`rebuild`,
``python -m fenqi analytics rebuild``). It holds numbers and names only, never message text.

Several processes may refresh at once: the cursor row is locked (PostgreSQL) or the write lock
serialises them (SQLite); a batch that lost a race is rolled back and changes nothing.
PostgreSQL may make a row with a smaller id visible after a larger one (concurrent
transactions), so there the cursor only moves up to an id seen ``settle`` seconds before (the
horizon); SQLite commits ids in order.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from fenqi.clock import utcnow
from fenqi.db.engine import Store
from fenqi.db.models import AnalyticsConversation, AnalyticsCursor, AnalyticsTurn, HandoffTicket

from .events import Event, events_after, has_events_table, max_event_id, utc
from .fold import Conversation, Fold, Turn

BATCH = 5000
REBUILD_BATCH = 20000
SETTLE = timedelta(seconds=2)           # PostgreSQL: how long an id must have been visible
TICKET_SLACK = timedelta(seconds=5)     # clock differences between the Rasa and action servers
TICKET_GIVE_UP = timedelta(minutes=10)  # events this much newer folded, no conversation: leave the ticket
TICKETS_PER_BATCH = 500
_CHUNK = 500
CONV = AnalyticsConversation.__table__
TURN = AnalyticsTurn.__table__


@dataclass(frozen=True)
class Progress:
    """What one :func:`refresh` did and where the rollup stands."""

    events: int           # events folded by this call
    tickets: int          # tickets looked at (attached or given up) by this call
    last_event_id: int    # the cursor after it
    newest_event_id: int  # the newest event in the tracker store

    @property
    def behind(self) -> int:
        """Event ids not folded yet (an upper bound on the events still to fold)."""
        return max(0, self.newest_event_id - self.last_event_id)


class _Lost(Exception):
    """Another process moved the cursor meanwhile."""


def _cursor(session: Session) -> AnalyticsCursor:
    row = session.scalars(select(AnalyticsCursor).where(AnalyticsCursor.id == 1).with_for_update()).first()
    if row is None:
        row = AnalyticsCursor(id=1, last_event_id=0, last_ticket_id=0, horizon_event_id=0)
        session.add(row)
        session.flush()
    return row


def _chunks(values: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(values), size):
        yield values[i:i + size]


def _conversation(row: Any) -> Conversation:
    return Conversation(id=row.id, sender_id=row.sender_id, channel=row.channel, day=row.day,
                        started_at=row.started_at, last_timestamp=_timestamp(row.last_at),
                        last_event_id=row.last_event_id,
                        open_turn_id=row.open_turn_id, messages=row.messages, fallbacks=row.fallbacks,
                        ticket_id=row.ticket_id, new=False, changed=False)


def _turn(row: Any) -> Turn:
    return Turn(id=row.id, conversation_id=row.conversation_id, day=row.day, at=row.at, channel=row.channel,
                intent=row.intent, confidence=row.confidence, guess=row.guess, question_id=row.question_id,
                question=row.question, fallback=row.fallback, clarified=row.clarified, latency_ms=row.latency_ms,
                timestamp=_timestamp(row.at), changed=False, new=False)


def _timestamp(moment: datetime) -> float:
    """A stored (aware) instant as a Unix timestamp, like the tracker's."""
    return moment.timestamp()


def load_fold(session: Session, senders: Iterable[str]) -> Fold:
    """A :class:`Fold` holding the stored current conversation (and its open message) of each sender."""
    fold = Fold()
    names = sorted(set(senders))
    for chunk in _chunks(names):
        latest = (select(func.max(CONV.c.id)).where(CONV.c.sender_id.in_(chunk))
                  .group_by(CONV.c.sender_id).scalar_subquery())
        for row in session.execute(select(CONV).where(CONV.c.id.in_(latest))):
            fold.current[row.sender_id] = _conversation(row)
    waiting = {c.open_turn_id: c.id for c in fold.current.values() if c.open_turn_id is not None}
    for chunk in _chunks(sorted(waiting)):
        for row in session.execute(select(TURN).where(TURN.c.id.in_(chunk))):
            fold.open_turns[row.conversation_id] = _turn(row)
    return fold


def _conversation_values(c: Conversation) -> Dict[str, Any]:
    return {"id": c.id, "sender_id": c.sender_id, "channel": c.channel, "day": c.day, "started_at": c.started_at,
            "last_at": c.last_at, "last_event_id": c.last_event_id, "open_turn_id": c.open_turn_id,
            "messages": c.messages, "fallbacks": c.fallbacks, "ticket_id": c.ticket_id}


def _turn_values(t: Turn) -> Dict[str, Any]:
    return {"id": t.id, "conversation_id": t.conversation_id, "day": t.day, "at": t.at, "channel": t.channel,
            "intent": t.intent, "confidence": t.confidence, "guess": t.guess, "question_id": t.question_id,
            "question": t.question, "fallback": t.fallback, "clarified": t.clarified, "latency_ms": t.latency_ms}


def _update_many(session: Session, table: Any, rows: List[Dict[str, Any]], columns: Sequence[str]) -> None:
    if not rows:
        return
    statement = (update(table).where(table.c.id == bindparam("b_id"))
                 .values({c: bindparam("b_" + c) for c in columns}))
    session.execute(statement, [{"b_" + k: v for k, v in row.items() if k == "id" or k in columns} for row in rows])


def write_fold(session: Session, fold: Fold) -> None:
    """Insert the new and update the changed conversations and turns of ``fold``."""
    conversations = list(fold.conversations.values())
    new = [_conversation_values(c) for c in conversations if c.new]
    if new:
        session.execute(insert(CONV), new)
    _update_many(session, CONV, [_conversation_values(c) for c in conversations if not c.new],
                 ("last_at", "last_event_id", "open_turn_id", "messages", "fallbacks"))
    new_turns = [_turn_values(t) for t in fold.turns if t.new]
    if new_turns:
        session.execute(insert(TURN), new_turns)
    _update_many(session, TURN, [_turn_values(t) for t in fold.turns if not t.new],
                 ("fallback", "clarified", "latency_ms"))


def fold_events(session: Session, events: Sequence[Event]) -> int:
    """Fold ``events`` (id order) into the stored rollup; the number folded."""
    if not events:
        return 0
    fold = load_fold(session, (e.sender_id for e in events))
    for event in events:
        fold.add(event)
    write_fold(session, fold)
    return len(events)


def attach_tickets(session: Session, after_id: int, events_until: Optional[datetime],
                   limit: int = TICKETS_PER_BATCH) -> Tuple[int, int]:
    """Give each ticket opened after ``after_id`` to the conversation it was opened in: the
    sender's latest conversation started before it, once that conversation's events reach past
    the ticket. Else it waits — until the folded events (``events_until``) are
    :data:`TICKET_GIVE_UP` past it: then it goes to what there is, or to nothing (its turn was
    never stored). The action server commits a ticket before Rasa stores the turn that opened it.
    Returns the id of the last ticket dealt with and how many were."""
    tickets = session.execute(select(HandoffTicket.id, HandoffTicket.sender_id, HandoffTicket.created_at)
                              .where(HandoffTicket.id > after_id).order_by(HandoffTicket.id).limit(limit)).all()
    candidates: Dict[str, List[Any]] = {}  # each ticket sender's conversations, newest first
    for chunk in _chunks(sorted({t.sender_id for t in tickets})):
        for row in session.execute(select(CONV.c.id, CONV.c.sender_id, CONV.c.started_at, CONV.c.last_at,
                                          CONV.c.ticket_id).where(CONV.c.sender_id.in_(chunk))
                                   .order_by(CONV.c.id.desc())):
            candidates.setdefault(row.sender_id, []).append(row)
    last, dealt, given = after_id, 0, set()
    for ticket in tickets:
        created = ticket.created_at
        conversation = next((c for c in candidates.get(ticket.sender_id, ())
                             if c.started_at <= created + TICKET_SLACK), None)
        reached = conversation is not None and conversation.last_at >= created - TICKET_SLACK
        if not reached and (events_until is None or created > events_until - TICKET_GIVE_UP):
            break
        if conversation is not None and conversation.ticket_id is None and conversation.id not in given:
            session.execute(update(CONV).where(CONV.c.id == conversation.id).values(ticket_id=ticket.id))
            given.add(conversation.id)
        last, dealt = ticket.id, dealt + 1
    return last, dealt


def _safe_upto(cursor: AnalyticsCursor, newest: int, settle: timedelta, now: datetime) -> int:
    """The highest event id whose predecessors are all visible (see the module docstring)."""
    if settle <= timedelta(0):
        return newest
    safe = cursor.last_event_id
    matured = cursor.horizon_at is not None and now - cursor.horizon_at >= settle
    if matured:
        safe = max(safe, cursor.horizon_event_id)
    # a matured horizon stays until the cursor has reached it: noting a new one at once would hide
    # the events up to the old one for another ``settle`` (a rebuild in small batches slept per batch)
    if cursor.horizon_at is None or (matured and cursor.last_event_id >= cursor.horizon_event_id):
        cursor.horizon_event_id, cursor.horizon_at = newest, now
    return safe


def _one_batch(store: Store, tracker: Engine, batch: int, settle: timedelta,
               now: datetime) -> Tuple[int, int, int, int, bool]:
    with store.session() as session:
        cursor = _cursor(session)
        start_event, start_ticket = cursor.last_event_id, cursor.last_ticket_id
        with tracker.connect() as connection:
            newest = max_event_id(connection)
            upto = _safe_upto(cursor, newest, settle, now)
            events = events_after(connection, start_event, upto, batch) if upto > start_event else []
        folded = fold_events(session, events)
        last_event = events[-1].id if events else start_event
        newest_at = utc(max(e.timestamp for e in events)) if events else None
        until = max([t for t in (newest_at, cursor.events_until) if t is not None], default=None)
        last_ticket, dealt = attach_tickets(session, start_ticket, until)
        moved = session.execute(
            update(AnalyticsCursor).where(AnalyticsCursor.id == 1, AnalyticsCursor.last_event_id == start_event,
                                          AnalyticsCursor.last_ticket_id == start_ticket)
            .values(last_event_id=last_event, last_ticket_id=last_ticket, horizon_event_id=cursor.horizon_event_id,
                    horizon_at=cursor.horizon_at, events_until=until, updated_at=now)
            .execution_options(synchronize_session=False))
        if moved.rowcount != 1:
            raise _Lost()
        return folded, dealt, last_event, newest, len(events) == batch


def refresh(store: Store, tracker: Engine, batch: int = BATCH, max_batches: Optional[int] = None,
            settle: Optional[timedelta] = None, now: Optional[datetime] = None, catch_up: bool = False) -> Progress:
    """Fold the events stored since the last refresh (at most ``max_batches`` batches of
    ``batch``) and attach new tickets. ``settle`` defaults to 0 on SQLite, :data:`SETTLE` else;
    ``catch_up`` waits for the horizon (PostgreSQL) until every event seen at the start is folded."""
    if settle is None:
        settle = timedelta(0) if tracker.dialect.name == "sqlite" else SETTLE
    if not has_events_table(tracker):
        return Progress(0, 0, 0, 0)
    events = tickets = batches = idle = 0
    last = newest = target = 0
    while max_batches is None or batches < max_batches:
        try:
            folded, dealt, last, newest, more = _one_batch(store, tracker, batch, settle, now or utcnow())
        except (_Lost, IntegrityError, OperationalError):
            break  # another process is refreshing: its result is as good as ours
        target = target or newest
        events, tickets, batches = events + folded, tickets + dealt, batches + 1
        idle = 0 if folded else idle + 1
        if not more and catch_up and last < target and idle < 3:
            time.sleep(settle.total_seconds())  # the horizon moves on after ``settle``
            continue
        if not more:
            break
    if not last:
        with store.session() as session:
            row = session.get(AnalyticsCursor, 1)
            last = row.last_event_id if row else 0
    return Progress(events, tickets, last, newest)


def rebuild(store: Store, tracker: Engine, batch: int = REBUILD_BATCH, settle: Optional[timedelta] = None) -> Progress:
    """Empty the rollup and fold every stored event again (``python -m fenqi analytics rebuild``).
    Reviews are kept (they are keyed by conversation id, which the events determine)."""
    with store.session() as session:
        _cursor(session)
        session.execute(delete(AnalyticsTurn))
        session.execute(delete(AnalyticsConversation))
        session.execute(update(AnalyticsCursor).values(last_event_id=0, last_ticket_id=0, horizon_event_id=0,
                                                       horizon_at=None, events_until=None, updated_at=None))
    return refresh(store, tracker, batch=batch, settle=settle, catch_up=True)
