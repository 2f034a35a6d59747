"""deploy.tracker_store.WindowedSQLTrackerStore on real SQLite and PostgreSQL: a long conversation
comes back as a bounded window with the full tracker's state, and saving it stores each event once."""
from __future__ import annotations

import asyncio
import secrets
import time
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    ConversationPaused,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.utils.endpoints import EndpointConfig

from deploy.tracker_store import WindowedSQLTrackerStore

ROOT = Path(__file__).resolve().parents[2]
WINDOW = 30


@pytest.fixture(scope="module")
def domain():
    return Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.prod)])
def store(request, domain, tmp_path):
    if request.param == "sqlite":
        config = {"type": "deploy.tracker_store.WindowedSQLTrackerStore", "dialect": "sqlite",
                  "db": str(tmp_path / "tracker.db"), "recent_events": WINDOW}
    else:
        pg = request.getfixturevalue("pg_server")
        db, password = f"tracker_{secrets.token_hex(4)}", secrets.token_urlsafe(12)
        pg.ensure_role_and_databases("fenqi_test", password, [db])
        config = {"type": "deploy.tracker_store.WindowedSQLTrackerStore", "dialect": "postgresql",
                  "url": "127.0.0.1", "port": pg.port, "db": db, "username": "fenqi_test",
                  "password": password, "recent_events": WINDOW}
    from rasa.core.tracker_store import create_tracker_store

    tracker_store = create_tracker_store(EndpointConfig.from_dict(config), domain)
    assert isinstance(tracker_store, WindowedSQLTrackerStore)  # Rasa falls back to memory silently
    yield tracker_store
    tracker_store.engine.dispose()


def turn(i: int, intent: str = "how_to_repay"):
    return [UserUttered(f"问题 {i}", {"name": intent, "confidence": 0.9}),
            ActionExecuted(f"action_{intent}"), BotUttered(f"回答 {i}"), ActionExecuted("action_listen")]


def run(coro):
    return asyncio.run(coro)


def rows(store, sender):
    with store.session_scope() as session:
        return store._event_query(session, sender, fetch_events_from_all_sessions=True).all()


def build(store, sender, *parts):
    """Save a conversation (as Rasa does for a new one) made of ``parts`` (lists of events)."""
    events = [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]
    events += [event for part in parts for event in part]
    t0 = time.time() - len(events)
    tracker = store.init_tracker(sender)
    for k, event in enumerate(events):
        event.timestamp = t0 + k  # in order (Rasa finds the session start by timestamp)
        tracker.update(event)
    run(store.save(tracker))
    return tracker


def test_long_conversation_comes_back_as_a_window_with_the_same_state(store, domain):
    early = turn(0, "repayment_due") + [SlotSet("order_id", "ORD-1")]
    full = build(store, "long", early, *[turn(i) for i in range(1, 60)])
    window = run(store.retrieve("long"))
    assert len(rows(store, "long")) == len(full.events)
    assert WINDOW <= len(window.events) <= WINDOW + 3  # the window plus the session start and the slot
    assert window.get_slot("order_id") == "ORD-1"
    assert window.latest_message.text == full.latest_message.text == "问题 59"
    assert window.past_states(domain)[-6:] == full.past_states(domain)[-6:]  # what the policies read
    assert len(run(store.retrieve_full_tracker("long")).events) == len(full.events)


def test_saving_a_window_stores_only_the_new_events_once(store):
    full = build(store, "grow", *[turn(i) for i in range(40)])
    for i in range(40, 43):  # three more messages, each a retrieve + save as in Rasa's processor
        tracker = run(store.retrieve("grow"))
        new = turn(i)
        for event in new:
            tracker.update(event)
        run(store.save(tracker))
        run(store.save(tracker))  # a second save of the same tracker adds nothing
        for event in new:
            full.update(event)
    stored = [r.type_name for r in rows(store, "grow")]
    assert stored == [e.type_name for e in full.events]
    texts = [e.text for e in run(store.retrieve_full_tracker("grow")).events if isinstance(e, UserUttered)]
    assert texts == [f"问题 {i}" for i in range(43)]


def test_state_from_before_the_window_is_kept(store):
    build(store, "paused", [SlotSet("order_id", "ORD-OLD")], [Restarted()], turn(0),
          [SlotSet("order_id", "ORD-2"), ConversationPaused()], *[turn(i) for i in range(1, 30)])
    window = run(store.retrieve("paused"))
    assert window.get_slot("order_id") == "ORD-2"
    assert window.is_paused()

    build(store, "restarted", [SlotSet("order_id", "ORD-OLD")], turn(0), [Restarted()],
          *[turn(i) for i in range(1, 30)])
    assert run(store.retrieve("restarted")).get_slot("order_id") is None


def test_only_the_current_session_is_loaded(store):
    build(store, "sessions", *[turn(i) for i in range(5)],
          [ActionExecuted("action_session_start"), SessionStarted(), SlotSet("order_id", "ORD-3"),
           ActionExecuted("action_listen")], turn(5))
    window = run(store.retrieve("sessions"))
    assert [e.text for e in window.events if isinstance(e, UserUttered)] == ["问题 5"]
    assert window.get_slot("order_id") == "ORD-3"


def test_window_smaller_than_the_policies_history_is_refused(domain, tmp_path):
    with pytest.raises(ValueError, match="recent_events"):
        WindowedSQLTrackerStore(domain=domain, dialect="sqlite", db=str(tmp_path / "t.db"), recent_events=5)


def test_sqlite_store_commits_to_a_write_ahead_log(domain, tmp_path):
    store = WindowedSQLTrackerStore(domain=domain, dialect="sqlite", db=str(tmp_path / "t.db"))
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    build(store, "wal", turn(0))
    assert len(rows(store, "wal")) == 7


def test_a_tracker_saved_here_is_reused_until_another_instance_stores_events(store, domain):
    build(store, "cached", *[turn(i) for i in range(3)])
    tracker = run(store.retrieve("cached"))
    for event in turn(3):
        tracker.update(event)
    run(store.save(tracker))
    assert run(store.retrieve("cached")) is tracker  # nothing stored since: the saved tracker itself
    run(store.save(tracker))

    from rasa.core.tracker_store import create_tracker_store
    other = create_tracker_store(EndpointConfig.from_dict(
        {"type": "deploy.tracker_store.WindowedSQLTrackerStore", "dialect": store.engine.dialect.name,
         "url": store.engine.url.host, "port": store.engine.url.port, "db": store.engine.url.database,
         "username": store.engine.url.username, "password": store.engine.url.password,
         "recent_events": WINDOW}), domain)  # a second Rasa instance on the same database
    try:
        theirs = run(other.retrieve("cached"))
        for event in turn(4):
            theirs.update(event)
        run(other.save(theirs))
    finally:
        other.engine.dispose()
    mine = run(store.retrieve("cached"))
    assert mine is not tracker
    assert [e.text for e in mine.events if isinstance(e, UserUttered)][-2:] == ["问题 3", "问题 4"]


def test_a_new_session_is_read_from_the_store_not_the_cache(store):
    tracker = build(store, "renewed", *[turn(i) for i in range(3)])
    for event in [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"),
                  *turn(3)]:
        tracker.update(event)
    run(store.save(tracker))
    window = run(store.retrieve("renewed"))
    assert window is not tracker
    assert [e.text for e in window.events if isinstance(e, UserUttered)] == ["问题 3"]
