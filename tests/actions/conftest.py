"""Actions run in-process on real rasa-sdk trackers against a real seeded SQLite store."""
from __future__ import annotations

import asyncio

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from fenqi.accounts.demo import seed_demo
from fenqi.db.engine import close_process_store, make_engine, make_session_factory, session_scope
from fenqi.identity import issue_token
from tests.support.schema import init_db

SECRET = "actions-test-secret-0123456789abcdef"


@pytest.fixture
def store(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'fenqi.db'}"
    monkeypatch.setenv("FENQI_DATABASE_URL", url)
    monkeypatch.setenv("FENQI_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("FENQI_JWT_SECRET", SECRET)
    engine = make_engine(url)
    init_db(engine)
    factory = make_session_factory(engine)
    with session_scope(factory) as session:
        seed_demo(session)
    close_process_store()
    yield factory
    close_process_store()
    engine.dispose()


def user_event(text, intent, ranking=(), token=None, channel="rest"):
    parse = {"text": text, "intent": {"name": intent, "confidence": 0.9},
             "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking], "entities": []}
    metadata = {"auth_token": token} if token else {}
    return {"event": "user", "text": text, "parse_data": parse, "input_channel": channel, "metadata": metadata}


def tracker(sender, events):
    users = [e for e in events if e["event"] == "user"]
    latest = dict(users[-1]["parse_data"], metadata=users[-1].get("metadata", {})) if users else {}
    return Tracker(sender, {"order_id": None}, latest, events, False, None, {}, "action_listen")


def run(action, track):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, track, {}))
    return dispatcher.messages, events


def token(user_id):
    return issue_token(user_id, SECRET, ttl=600)
