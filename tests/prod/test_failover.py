"""Production mode on real PostgreSQL, Redis and nginx: two Rasa instances share conversations.

* Concurrent messages of one conversation sent to both instances are serialised by the Redis
  lock store: the tracker holds every turn once, each finished before the next begins.
* A conversation with state (an order chosen, a follow-up pending) survives losing the instance
  that served it: the next message through nginx lands on the other one and continues, and the
  tracker store neither loses nor doubles an event.

The concurrency test runs first (it needs both instances); the failover test kills instance 1.
"""
from __future__ import annotations

import json
import threading
from typing import Dict, List

import psycopg2
import pytest
import redis
import requests

from deploy.cluster import DB_ROLE, TRACKER_DB, ProdStack
from fenqi.identity import issue_token

pytestmark = [pytest.mark.prod, pytest.mark.timeout(900)]

CHOSEN_ORDER = "ORD-DEMO-OK-2"


@pytest.fixture(scope="module")
def stack(supervised_stack):
    """The session's supervised production stack (tests/prod/conftest.py; test_faults.py uses it
    next): the instance killed below is started again by the supervisor meanwhile."""
    return supervised_stack[0]


def _ask(url: str, sender: str, text: str, token: str) -> List[dict]:
    r = requests.post(f"{url}/webhooks/rest/webhook",
                      json={"sender": sender, "message": text, "metadata": {"auth_token": token}},
                      timeout=120)
    r.raise_for_status()
    return r.json()


def _texts(messages: List[dict]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


def _conversation(sender: str, user_id: str = "demo_ok") -> str:
    """The REST channel derives the conversation id from the verified user (issue #11)."""
    return f"rest:u:{user_id}:{sender}"


def _tracker(prod: ProdStack, url: str, sender: str) -> Dict:
    r = requests.get(f"{url}/conversations/{_conversation(sender)}/tracker",
                     params={"token": prod.api_token, "include_events": "ALL"}, timeout=30)
    r.raise_for_status()
    return r.json()


def _stored_rows(prod: ProdStack, sender: str) -> List[dict]:
    """The events as rows of the tracker store itself (PostgreSQL), in insertion order."""
    conn = psycopg2.connect(host="127.0.0.1", port=prod.ports.postgres, user=DB_ROLE,
                            password=prod.secrets["DB_PASSWORD"], dbname=TRACKER_DB)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT data FROM events WHERE sender_id = %s ORDER BY id", (_conversation(sender),))
            return [json.loads(row[0]) for row in cur.fetchall()]
    finally:
        conn.close()


def _user_texts(events: List[dict]) -> List[str]:
    return [e["text"] for e in events if e["event"] == "user"]


def _assert_turns_not_interleaved(events: List[dict]) -> None:
    """Every user message is answered (bot event) and closed (action_listen) before the next one."""
    users = [i for i, e in enumerate(events) if e["event"] == "user"]
    for start, end in zip(users, users[1:] + [len(events)]):
        turn = events[start + 1:end]
        assert any(e["event"] == "bot" for e in turn), f"no answer to {events[start]['text']!r}"
        actions = [e["name"] for e in turn if e["event"] == "action"]
        assert actions and actions[-1] == "action_listen", (
            f"turn {events[start]['text']!r} not closed before the next message: {actions}")


def _assert_no_event_lost_or_doubled(prod: ProdStack, api_events: List[dict], sender: str) -> None:
    stored = _stored_rows(prod, sender)
    assert len(stored) == len(api_events)
    assert [(e["event"], e["timestamp"]) for e in stored] == [(e["event"], e["timestamp"]) for e in api_events]
    keys = [json.dumps(e, sort_keys=True) for e in stored]
    assert len(set(keys)) == len(keys), "an event was stored twice"


class LockMonitor:
    """Records which Redis clients touched a conversation's lock key (Redis MONITOR)."""

    def __init__(self, port: int, key: str):
        self.client = redis.Redis(host="127.0.0.1", port=port)
        self.key = key
        self.commands: List[dict] = []
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with self.client.monitor() as monitor:
            self._ready.set()
            for command in monitor.listen():
                if self._stop.is_set():
                    return
                if self.key in command.get("command", ""):
                    self.commands.append(command)

    def __enter__(self) -> "LockMonitor":
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self.client.ping()  # wakes the monitor loop
        self._thread.join(10)


def test_concurrent_messages_to_both_instances_are_serialised(stack):
    sender, token = "race-demo-ok", issue_token("demo_ok", stack.jwt_secret, ttl=900)
    rounds = [("小米分期怎么还款", "备用金可以提前还款吗"), ("我的额度是多少", "怎么开通自动还款")]
    replies: Dict[str, List[dict]] = {}
    with LockMonitor(stack.ports.redis, f"{stack.redis_key_prefix}:lock:{_conversation(sender)}") as lock_log:
        for pair in rounds:
            barrier = threading.Barrier(len(pair))
            errors: List[BaseException] = []

            def send(url: str, text: str) -> None:
                try:
                    barrier.wait(10)
                    replies[text] = _ask(url, sender, text, token)
                except BaseException as exc:  # surfaced below
                    errors.append(exc)

            threads = [threading.Thread(target=send, args=(url, text))
                       for url, text in zip(stack.rasa_urls, pair)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(180)
            assert not errors, errors
    sent = [text for pair in rounds for text in pair]
    assert all(replies[text] for text in sent), {t: _texts(r) for t, r in replies.items()}

    events = _tracker(stack, stack.rasa_urls[0], sender)["events"]
    users = _user_texts(events)
    assert sorted(users) == sorted(sent)  # every message once, none lost
    assert set(users[:2]) == set(rounds[0]) and set(users[2:]) == set(rounds[1])
    _assert_turns_not_interleaved(events)
    _assert_no_event_lost_or_doubled(stack, events, sender)
    # Both instances went through the Redis lock store for this conversation, and released it.
    # (Commands a Lua script runs show as client "lua"; the callers are the Rasa instances.)
    callers = {(c["client_address"], c["client_port"]) for c in lock_log.commands if c["client_type"] == "tcp"}
    assert len(callers) >= 2, lock_log.commands
    assert any(c["client_type"] == "lua" and c["command"].startswith("SET ") for c in lock_log.commands)
    assert not redis.Redis(host="127.0.0.1", port=stack.ports.redis).exists(lock_log.key)


def test_conversation_state_survives_losing_its_instance(stack):
    sender, token = "failover-demo-ok", issue_token("demo_ok", stack.jwt_secret, ttl=900)
    instance1, _instance2 = stack.rasa_urls

    first = _ask(instance1, sender, "现在一次全部还清要还多少", token)  # per order: which order?
    buttons = [b for m in first for b in m.get("buttons", []) if "order_id" in b["payload"]]
    chosen = next((b for b in buttons if CHOSEN_ORDER in b["payload"]), None)
    assert chosen is not None, _texts(first)
    due = _texts(_ask(instance1, sender, chosen["payload"], token))
    product = chosen["title"].split(" ¥")[0]
    assert CHOSEN_ORDER in due or product in due

    before = _tracker(stack, instance1, sender)
    assert before["slots"]["order_id"] == CHOSEN_ORDER
    stack.kill("rasa-1")
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{instance1}/", timeout=5)

    follow_up = _ask(stack.balancer_url, sender, "那提前还呢？", token)
    reply = _texts(follow_up)
    assert not any("order_id" in b["payload"] for m in follow_up for b in m.get("buttons", [])), reply
    assert "剩余本金" in reply or "提前还" in reply
    assert CHOSEN_ORDER in reply or product in reply, reply

    after = _tracker(stack, stack.rasa_urls[1], sender)  # the API is internal: not on the balancer
    assert after["slots"]["order_id"] == CHOSEN_ORDER
    assert after["events"][:len(before["events"])] == before["events"]  # history intact
    new = after["events"][len(before["events"]):]
    assert _user_texts(new) == ["那提前还呢？"]
    _assert_turns_not_interleaved(after["events"])
    _assert_no_event_lost_or_doubled(stack, after["events"], sender)


def test_balancer_exposes_only_the_channels(stack):
    """Issue #11: Rasa's HTTP API is internal; the public port routes only REST, WeChat, socket.io."""
    base, token = stack.balancer_url, stack.api_token
    for method, path in (("GET", f"/status?token={token}"), ("GET", f"/conversations/x/tracker?token={token}"),
                         ("POST", f"/model/parse?token={token}"), ("GET", "/version"),
                         ("POST", f"/model/train?token={token}"), ("GET", "/webhooks/rest/webhook")):
        r = requests.request(method, base + path, json={"text": "hi"}, timeout=10)
        assert r.status_code in (403, 404, 405), (path, r.status_code)
    assert requests.post(f"{base}/webhooks/rest/webhook", json={"message": "你好"}, timeout=60).status_code == 200
    assert requests.get(f"{base}/socket.io/", params={"EIO": "4", "transport": "polling"}, timeout=10).ok
    internal = []  # the API answers on the instances' own (internal) ports; one may have been killed above
    for url in stack.rasa_urls:
        try:
            internal.append(requests.get(f"{url}/status", params={"token": token}, timeout=10).ok)
        except requests.ConnectionError:
            pass
    assert any(internal)


def test_the_data_commands_reach_the_production_tracker_store(stack):
    """The supervisor's daily purge and the operator's export run with the stack's environment:
    they find the conversations in PostgreSQL (FENQI_TRACKER_URL = the tracker database)."""
    import subprocess
    import sys

    from tests.support.stack import ROOT

    def fenqi(*args):
        return subprocess.run([sys.executable, "-m", "fenqi", *args], cwd=ROOT, env=stack.env,
                              capture_output=True, text=True, timeout=120)

    purge = fenqi("data", "purge", "--dry-run")
    assert purge.returncode == 0, purge.stderr
    assert "conversations: 0 (events;" in purge.stdout  # the store is there; nothing is old yet
    exported = fenqi("data", "export", "demo_ok")
    assert exported.returncode == 0, exported.stderr
    conversations = {c["conversation_id"] for c in json.loads(exported.stdout)["conversations"]}
    assert _conversation("race-demo-ok") in conversations  # the concurrency test's conversation
    assert "eyJ" not in exported.stdout
