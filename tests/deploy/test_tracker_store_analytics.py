"""Analytics reads what Rasa really stores: events saved by the project's tracker store
(deploy/tracker_store.py, Rasa's own event classes) fold into the expected facts, and every event
the demo history writes is one Rasa reads back unchanged."""
from __future__ import annotations

import asyncio
import json
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from rasa.core.tracker_store import create_tracker_store
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SessionStarted, SlotSet, UserUttered
from rasa.utils.endpoints import EndpointConfig

from fenqi.analytics import demo, rollup
from fenqi.analytics.periods import Period
from fenqi.analytics.queries import build_report
from fenqi.db.engine import Store
from tests.support.schema import init_db

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def stores(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'fenqi.db'}")
    init_db(store.engine)
    config = {"type": "deploy.tracker_store.WindowedSQLTrackerStore", "dialect": "sqlite",
              "db": str(tmp_path / "tracker.db"), "recent_events": 40}
    tracker_store = create_tracker_store(EndpointConfig.from_dict(config), Domain.load(str(ROOT / "domain.yml")))
    yield store, tracker_store
    tracker_store.engine.dispose()
    store.close()


def user(text, intent, confidence, at, ranking=(), question=None):
    parse = {"intent": {"name": intent, "confidence": confidence}, "entities": [], "text": text,
             "intent_ranking": [{"name": intent, "confidence": confidence}] + [{"name": n, "confidence": c}
                                                                             for n, c in ranking]}
    if question:
        parse["question"] = {"id": question, "confidence": 0.8}
    return UserUttered(text, parse_data=parse, timestamp=at, input_channel="secure_socketio")


def test_events_rasa_stored_fold_into_the_expected_facts(stores):
    store, tracker_store = stores
    t = datetime(2026, 11, 2, 2, 0, tzinfo=timezone.utc).timestamp()  # 10:00 in Beijing
    events = [ActionExecuted("action_session_start", timestamp=t), SessionStarted(timestamp=t),
              ActionExecuted("action_listen", timestamp=t),
              user("那个怎么弄", "nlu_fallback", 0.4, t + 5, ranking=[("how_to_repay", 0.35)]),
              ActionExecuted("action_clarify", timestamp=t + 5.2),
              BotUttered("您是想问“怎么还款”吗？", {"buttons": [{"title": "怎么还款", "payload": "/how_to_repay"}]},
                         timestamp=t + 5.25),
              ActionExecuted("action_listen", timestamp=t + 5.26),
              user("/how_to_repay", "how_to_repay", 1.0, t + 9), SlotSet("order_id", "ORD-1", timestamp=t + 9.1),
              ActionExecuted("action_how_to_repay", timestamp=t + 9.3), BotUttered("还款步骤……", timestamp=t + 9.4),
              ActionExecuted("action_listen", timestamp=t + 9.41),
              user("提前还款有手续费吗", "early_repayment", 0.91, t + 30, question="early.fee"),
              ActionExecuted("action_early_repayment", timestamp=t + 30.1), BotUttered("可以提前还款……", timestamp=t + 30.2),
              ActionExecuted("action_listen", timestamp=t + 30.21)]
    tracker = tracker_store.init_tracker("web:demo_ok")
    for event in events:
        tracker.update(event)
    asyncio.run(tracker_store.save(tracker))

    progress = rollup.refresh(store, tracker_store.engine)
    assert progress.events == len(events) and progress.behind == 0
    with store.session() as session:
        report = build_report(session, Period("custom", date(2026, 11, 2), date(2026, 11, 2)))
    t_ = report.total
    assert (t_.counts.conversations, t_.counts.messages, t_.counts.fallbacks, t_.counts.questions,
            t_.counts.answered_directly) == (1, 3, 1, 2, 1)
    assert (t_.latency_p50_ms, t_.latency_p95_ms) == (250, 400)
    assert report.intents == [("early_repayment", 1), ("how_to_repay", 1), ("nlu_fallback", 1)]
    assert report.questions == [("early.fee", 1)] and report.fallback_intents == [("how_to_repay", 1)]


def test_the_demo_history_writes_events_in_rasas_own_format():
    history = next(demo.generate(date(2026, 11, 2), 1, 40, seed=7, questions=True))
    kinds = set()
    for row in history.rows:
        data = json.loads(row["data"])
        event = Event.from_parameters(data)
        assert event is not None and event.as_dict() == data, data
        assert (row["type_name"], row["timestamp"]) == (event.type_name, event.timestamp)
        if isinstance(event, UserUttered):
            assert row["intent_name"] == event.intent_name
        if isinstance(event, ActionExecuted):
            assert row["action_name"] == event.action_name
        kinds.add(row["type_name"])
    assert kinds == {"action", "session_started", "user", "bot"}
