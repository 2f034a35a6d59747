"""Rasa's SQL tracker store, loading a bounded window of the current session instead of all of it.

Rasa 3.6's ``SQLTrackerStore.retrieve`` reads and re-deserialises every event of the current
conversation session on each message, and everything downstream grows with it: the policies
rebuild the state of every past turn (``tracker.past_states``), the whole tracker goes to the
action server as JSON. A session only ends after ``session_expiration_time`` of idleness, so a
busy conversation's turns get slower and slower (docs/benchmarks.md, latency vs turn).

This store loads the last ``recent_events`` events of the session plus the few events that
carry state from before them (slots, pauses, restarts, loops, the session start), so a tracker
has the same slots, pause state and recent turns as the full one, and a turn costs the same at
turn 5 and turn 500. On SQLite (embedded mode) it keeps its connections open and commits to a
write-ahead log without an fsync per message (see ``_sqlite_wal``). Every event is still written, in the same table and format (SQLite,
PostgreSQL); ``retrieve_full_tracker`` (the HTTP API's ``/tracker``) still reads everything
(the API's ``/story`` export of the current session shows the window; ``all_sessions=true``
reads everything).
The tracker a process saved last for a conversation is kept (``cached_trackers``, LRU) and
handed out again for the next message when the newest stored event of that conversation is still
the one it wrote (one indexed query instead of reading and replaying the window); another
instance, the HTTP API or a new session makes it read the store again.
The policies (MemoizationPolicy/RulePolicy, max_history 3), the fallback counter and the
handoff transcript look at the last few turns only, far inside the window.

    tracker_store:
      type: deploy.tracker_store.WindowedSQLTrackerStore
      dialect: sqlite
      db: var/tracker.db
      recent_events: 40
"""
from __future__ import annotations

import json
import logging
from collections import OrderedDict
from functools import cached_property
from typing import Any, Iterator, List, Optional, Text, Tuple

import sqlalchemy as sa
import sqlalchemy.orm
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.pool import QueuePool

from fenqi.db.engine import serving_options
from fenqi.resilience import DB_THREADS, BoundedThreads

logger = logging.getLogger(__name__)

DEFAULT_RECENT_EVENTS = 40
DEFAULT_CACHED_TRACKERS = 256  # trackers of recently active conversations kept in memory (save -> retrieve)
# Events whose effect outlives their turn: always loaded, whatever their age in the session.
STATE_EVENTS = ("slot", "reset_slots", "pause", "resume", "restart", "active_loop", "session_started")
# Marker on a windowed tracker: how many of its events are already stored.
_STORED = "_fenqi_stored_events"


def _sqlite_wal(dbapi_connection, _record) -> None:
    """Write-ahead log, no fsync per commit: Rasa commits inside its event loop, and a commit
    waiting for the disk holds every conversation (a third of embedded mode's time under load).
    A power cut may lose the last commits (never corrupts the file); the same trade as
    production's ``synchronous_commit = off``."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class WindowedSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` whose ``retrieve`` loads at most ``recent_events`` (+ state) events."""

    def __init__(self, *args: Any, recent_events: int = DEFAULT_RECENT_EVENTS,
                 cached_trackers: int = DEFAULT_CACHED_TRACKERS, **kwargs: Any) -> None:
        recent_events = int(recent_events)
        if recent_events < 20:
            raise ValueError(f"recent_events must be at least 20 (the policies' history), got {recent_events}")
        self.recent_events = recent_events
        self.cached_trackers = int(cached_trackers)
        self._cache: "OrderedDict[Text, Tuple[int, DialogueStateTracker]]" = OrderedDict()
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            # Rasa's engine opens and closes the file per message (SQLAlchemy 1.4's NullPool for
            # SQLite), and closing the last connection checkpoints the log with an fsync: keep
            # connections open instead (Rasa uses them from its event-loop thread only).
            url = self.engine.url
            self.engine.dispose()
            self.engine = sa.create_engine(url, poolclass=QueuePool, pool_size=2, max_overflow=8,
                                           connect_args={"check_same_thread": False})
            sa.event.listen(self.engine, "connect", _sqlite_wal)
            self.sessionmaker = sa.orm.sessionmaker(bind=self.engine)
            self._sql = BoundedThreads(1, "tracker-sql")  # one writer: SQLite serialises them anyway
        else:
            # A database that died or hangs fails the turn fast (connect and statement timeouts),
            # and pooled connections are checked before use (PostgreSQL restarted: no stale ones).
            url = self.engine.url
            self.engine.dispose()
            self.engine = sa.create_engine(url, **serving_options(str(url.render_as_string(hide_password=False)),
                                                                  pool_size=DB_THREADS))
            self.sessionmaker = sa.orm.sessionmaker(bind=self.engine)
            self._sql = BoundedThreads(DB_THREADS, "tracker-sql")

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        """The current session's recent events and state events, as a tracker (``None`` if unknown).

        The tracker this process saved last for ``sender_id`` is handed out again (once: it
        leaves the cache) when no event was stored for the sender since (the newest event id is
        the one it saved; one indexed query). Otherwise, or when it has grown past twice the
        window, the window is read and deserialised."""
        cached = self._cache.pop(sender_id, None)
        hit, data = await self._sql.run(self._read_window, sender_id, cached[0] if cached else None)
        if hit and cached is not None:
            return cached[1]
        if not data or not self.domain:
            return None
        tracker = DialogueStateTracker.from_dict(sender_id, [json.loads(d) for d in data], self.domain.slots)
        setattr(tracker, _STORED, len(tracker.events))
        return tracker

    def _read_window(self, sender_id: Text, cached_id: Optional[int]) -> Tuple[bool, List[str]]:
        """(True, []) when the newest stored event is still ``cached_id``, else (False, the
        window's ``data``). Blocking: runs in the store's threads."""
        with self.session_scope() as session:
            if cached_id is not None:
                last_id = session.execute(self._last_id_statement, {"sender_id": sender_id}).scalar()
                if last_id == cached_id:
                    return True, []
            return False, list(session.execute(self._window_statement, {"sender_id": sender_id}).scalars().all())

    async def retrieve_full_tracker(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        """Every event of every session (the HTTP API's ``/tracker``, the widget's history), read
        off the event loop."""
        data = await self._sql.run(self._read_all, sender_id)
        if not data or not self.domain:
            return None
        return DialogueStateTracker.from_dict(sender_id, [json.loads(d) for d in data], self.domain.slots)

    def _read_all(self, sender_id: Text) -> List[str]:
        with self.session_scope() as session:
            return [row.data for row in self._event_query(session, sender_id, fetch_events_from_all_sessions=True)]

    @cached_property
    def _last_id_statement(self) -> sa.sql.Select:
        e = self.SQLEvent.__table__.c
        return sa.select(sa.func.max(e.id)).where(e.sender_id == sa.bindparam("sender_id"))

    @cached_property
    def _window_statement(self) -> sa.sql.Select:
        """One statement (built once: SQLAlchemy reuses its compiled form) for the window's
        ``data`` column: the events of the current session as Rasa's ``_event_query`` finds them
        (from the latest ``session_started`` by timestamp, ordered by id), from the
        ``recent_events``-th newest on, plus the state events before it. One round trip and
        no ORM objects, where the ORM query took three and built an object per row."""
        e = self.SQLEvent.__table__.c
        sender = sa.bindparam("sender_id")
        start = (sa.select(sa.func.max(e.timestamp))
                 .where(e.sender_id == sender, e.type_name == SessionStarted.type_name).scalar_subquery())
        in_session = sa.and_(e.sender_id == sender, sa.or_(e.timestamp >= start, start.is_(None)))
        cut = (sa.select(e.id).where(in_session).order_by(e.id.desc())
               .offset(self.recent_events - 1).limit(1).scalar_subquery())
        return (sa.select(e.data)
                .where(in_session, sa.or_(e.id >= sa.func.coalesce(cut, 0), e.type_name.in_(STATE_EVENTS)))
                .order_by(e.id))

    def _additional_events(self, session, tracker: DialogueStateTracker) -> Iterator:
        """Events appended since this tracker was loaded (a windowed one knows how many it had)."""
        stored = getattr(tracker, _STORED, None)
        if stored is None:  # a tracker not loaded by ``retrieve`` (new, or rebuilt by the API)
            return super()._additional_events(session, tracker)
        return iter(list(tracker.events)[stored:])

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Rasa's ``SQLTrackerStore.save`` (same rows, one transaction, off the event loop),
        remembering the id of the newest row written: the saved tracker is then cached for the
        sender's next message (``retrieve``). A failed save raises (nothing of the turn is
        stored; ``deploy.fail_closed``: the shopper gets the busy message)."""
        await self.stream_events(tracker)
        self._cache.pop(tracker.sender_id, None)
        stored = len(tracker.events)
        last_id = await self._sql.run(self._write, tracker)
        setattr(tracker, _STORED, stored)  # all of them are stored now
        if last_id is not None and self._cacheable(tracker):
            self._cache[tracker.sender_id] = (last_id, tracker)
            while len(self._cache) > self.cached_trackers:
                self._cache.popitem(last=False)

    def _write(self, tracker: DialogueStateTracker) -> Optional[int]:
        """Insert the events not stored yet and commit; the id of the last row (None: none).
        Blocking: runs in the store's threads (the turn waits for it, so the tracker is still)."""
        with self.session_scope() as session:
            rows = []
            for event in self._additional_events(session, tracker):
                data = event.as_dict()
                rows.append({"sender_id": tracker.sender_id, "type_name": event.type_name,
                             "timestamp": data.get("timestamp"),
                             "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                             "action_name": data.get("name"), "data": json.dumps(data)})
            last_id = None
            if rows:  # Core inserts (the ORM's unit of work cost more than the rows); the last one
                table = self.SQLEvent.__table__  # alone, for its id
                if len(rows) > 1:
                    session.execute(table.insert(), rows[:-1])
                last_id = session.execute(table.insert(), rows[-1]).inserted_primary_key[0]
            session.commit()
        return last_id

    def _cacheable(self, tracker: DialogueStateTracker) -> bool:
        """Whether the saved tracker is what ``retrieve`` would read: at most twice the window
        and one session (after a new session Rasa reads only the new one)."""
        events = tracker.events
        return (0 < self.cached_trackers and len(events) <= 2 * self.recent_events
                and sum(isinstance(e, SessionStarted) for e in events) <= 1)
