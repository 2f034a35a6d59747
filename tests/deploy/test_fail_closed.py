"""deploy/fail_closed.py: Rasa's fail-safe wrapper passes a store's errors on, and a custom action
whose call fails says the busy message instead of nothing (the Rasa classes patched back after
each test)."""
from __future__ import annotations

import asyncio
import socket

import pytest
from rasa.core.actions.action import RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from deploy import fail_closed
from fenqi.resilience import BUSY_TEXT

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def patched(monkeypatch):
    for name in ("retrieve", "retrieve_full_tracker", "save"):
        monkeypatch.setattr(FailSafeTrackerStore, name, getattr(FailSafeTrackerStore, name))
    monkeypatch.setattr(RemoteAction, "run", RemoteAction.run)
    fail_closed.install()
    fail_closed.install()  # idempotent


class DownStore(InMemoryTrackerStore):
    """A store whose database is gone (what a SQL store raises with PostgreSQL stopped)."""

    async def retrieve(self, sender_id):
        raise ConnectionRefusedError("connection refused")

    async def retrieve_full_tracker(self, sender_id):
        raise ConnectionRefusedError("connection refused")

    async def save(self, tracker):
        raise ConnectionRefusedError("connection refused")


def test_the_fail_safe_wrapper_passes_store_errors_on(patched):
    store = FailSafeTrackerStore(DownStore(Domain.empty()))
    tracker = DialogueStateTracker("s1", [])
    tracker.update(UserUttered("你好"))

    async def scenario():
        for call in (store.retrieve("s1"), store.retrieve_full_tracker("s1"), store.save(tracker)):
            with pytest.raises(ConnectionRefusedError):
                await call
        # nothing went to a per-process memory store either
        assert await store.fallback_tracker_store.retrieve("s1") is None
    asyncio.run(scenario())


def test_the_fail_safe_wrapper_still_reads_and_saves_a_working_store(patched):
    store = FailSafeTrackerStore(InMemoryTrackerStore(Domain.empty()))
    tracker = DialogueStateTracker("s1", [])
    tracker.update(UserUttered("你好"))

    async def scenario():
        await store.save(tracker)
        assert [e.text for e in (await store.retrieve("s1")).events] == ["你好"]
    asyncio.run(scenario())


def test_a_failed_action_call_says_the_busy_message(patched):
    with socket.socket() as s:  # a port nobody listens on: the action server is down
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    action = RemoteAction("action_credit_limit", EndpointConfig(f"http://127.0.0.1:{port}/webhook"))
    domain = Domain.from_dict({"actions": ["action_credit_limit"]})
    events = asyncio.run(action.run(CollectingOutputChannel(), None, DialogueStateTracker("s1", []), domain))
    assert [type(e) for e in events] == [BotUttered] and events[0].text == BUSY_TEXT
