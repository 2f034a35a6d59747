"""Dependencies fail under a talking shopper (issue 21.4): one production stack, faults in sequence.

The stack of ``make run-prod`` (PostgreSQL, Redis, nginx, two Rasa instances, two action servers)
is watched by the supervisor of ``python -m deploy`` (:class:`deploy.supervisor.Supervisor`, in a
thread). A logged-in shopper with an order chosen sends one message a second through nginx
(REST) the whole time, while in turn:

1. Redis is killed (SIGKILL) and kept down 8 s;
2. PostgreSQL is stopped hard (``pg_ctl -m immediate``) and kept down 15 s;
3. an action server is killed (SIGKILL) with the shopper's action call in flight (its query held
   by a table lock);
4. a Rasa instance is frozen (SIGSTOP) until the supervisor replaces it (at most 25 s);
5. nginx is killed (SIGKILL).

For each: every reply the shopper got is an answer or the busy message (never ``[]``, never a
5xx) within 30 s; the supervisor brought the dependency back by itself (and reaped the dead
process); answers are back within 30 s of it; the conversation kept its chosen order. WeChat and
socket.io messages sent during the Redis and PostgreSQL outages get the busy message too. At the
end, the stored events hold every answered turn exactly once, with the bot messages the shopper
saw, and no turn the shopper was told had failed (except those the action server answered busy,
stored with that answer).

A last test holds one shopper's account query on a table lock and shows another shopper's turn is
served by the same action server meanwhile (the action server's SQL runs off its event loop).
"""
from __future__ import annotations

import json
import os
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import psycopg2
import pytest
import requests
import socketio

from deploy.cluster import ACCOUNTS_DB, DB_ROLE, TRACKER_DB, ProdStack
from deploy.services import child_pids, pid_alive, port_open
from fenqi.identity import issue_token
from fenqi.resilience import BUSY_TEXT, SHOPPER_WAIT_LIMIT_S
from tests.support.stack import WECHAT_ENV
from tests.support.wechat_simulator import WeChatClient

pytestmark = [pytest.mark.prod, pytest.mark.timeout(1200)]

USER, SENDER = "demo_ok", "faults"
CONVERSATION = f"rest:u:{USER}:{SENDER}"
CHOSEN_ORDER, CHOSEN_PRODUCT = "ORD-DEMO-OK-2", "Redmi K70"
QUESTIONS = ("我的额度是多少", "小米分期怎么还款", "怎么开通自动还款", "分期有手续费吗", "那提前还呢？")
RECOVERY_LIMIT_S = 30.0
FIGURES: Dict[str, Dict[str, float]] = {}  # printed at the end (docs/deploy.md's table)
FROZEN: Dict[str, Any] = {}  # the frozen Rasa instance: when, which process


# --- the shopper --------------------------------------------------------------------------------

@dataclass
class Reply:
    text: str
    sent_at: float  # monotonic
    elapsed: float
    status: Any  # HTTP status, or the client's exception
    messages: Optional[List[dict]]

    @property
    def done_at(self) -> float:
        return self.sent_at + self.elapsed

    @property
    def texts(self) -> List[str]:
        return [m.get("text") or "" for m in self.messages or []]

    @property
    def busy(self) -> bool:
        return BUSY_TEXT in self.texts

    @property
    def answered(self) -> bool:
        return self.status == 200 and bool(self.messages) and not self.busy


@dataclass
class Shopper:
    """Sends one message a second through nginx (REST) from a thread; keeps every reply."""

    url: str
    token: str
    replies: List[Reply] = field(default_factory=list)
    running: threading.Event = field(default_factory=threading.Event)
    stopping: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        threading.Thread(target=self._run, daemon=True).start()
        self.running.set()

    def resume(self) -> None:
        self.running.set()

    def pause(self) -> None:
        """Stop sending (the message in flight finishes first)."""
        self.running.clear()
        deadline = time.monotonic() + 60
        while self._busy and time.monotonic() < deadline:
            time.sleep(0.05)

    _busy: bool = False

    def _run(self) -> None:
        i = 0
        while not self.stopping.is_set():
            if not self.running.is_set():
                time.sleep(0.05)
                continue
            self._busy = True
            self.replies.append(self.send(QUESTIONS[i % len(QUESTIONS)]))
            self._busy = False
            i += 1
            time.sleep(max(0.0, 1.0 - self.replies[-1].elapsed))

    def send(self, text: str) -> Reply:
        started = time.monotonic()
        try:
            r = requests.post(f"{self.url}/webhooks/rest/webhook", timeout=60,
                              json={"sender": SENDER, "message": text, "metadata": {"auth_token": self.token}})
            status: Any = r.status_code
            messages = r.json() if r.status_code == 200 else None
        except requests.RequestException as exc:
            status, messages = exc.__class__.__name__, None
        return Reply(text, started, time.monotonic() - started, status, messages)

    def since(self, t: float) -> List[Reply]:
        return [r for r in list(self.replies) if r.done_at >= t]

    def wait_answered(self, after: float, timeout: float = 90) -> Reply:
        """The first answered reply sent after ``after`` (waits for it)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [r for r in list(self.replies) if r.sent_at >= after and r.answered]
            if found:
                return found[0]
            time.sleep(0.2)
        raise AssertionError(f"no answer {timeout:.0f} s after the fault: {self.describe(self.since(after))}")

    @staticmethod
    def describe(replies: List[Reply]) -> str:
        return "; ".join(f"{r.text}->{r.status} {'busy' if r.busy else r.texts[:1]} {r.elapsed:.1f}s"
                         for r in replies)


def assert_shopper_served(replies: List[Reply], what: str) -> None:
    """Every reply is an answer or the busy message, never empty or an error, within 30 s."""
    assert replies, f"{what}: the shopper sent nothing"
    for r in replies:
        assert r.status == 200, f"{what}: HTTP {r.status} for {r.text!r}"
        assert r.messages, f"{what}: empty reply [] to {r.text!r}"
        assert all(t for t in r.texts), f"{what}: a reply without text: {r.messages}"
        assert r.elapsed <= SHOPPER_WAIT_LIMIT_S, f"{what}: {r.text!r} waited {r.elapsed:.1f} s"


def record(fault: str, fault_at: float, back_at: float, shopper: Shopper) -> Reply:
    """Checks the replies around a fault; records its figures; the first answer after it."""
    first = shopper.wait_answered(back_at)
    time.sleep(3)  # a few answered turns after it: service stays back
    around = [r for r in shopper.since(fault_at - 1) if r.sent_at <= time.monotonic()]
    assert_shopper_served(around, fault)
    after = [r for r in around if r.sent_at >= first.sent_at]
    assert all(r.answered for r in after), f"{fault}: not back for good: {shopper.describe(after)}"
    recovery = first.done_at - back_at
    assert recovery <= RECOVERY_LIMIT_S, f"{fault}: answers back {recovery:.1f} s after the dependency"
    during = [r for r in around if r.sent_at < first.sent_at]
    FIGURES[fault] = {"replies": len(around), "busy": sum(r.busy for r in during),
                      "longest_wait_s": round(max(r.elapsed for r in around), 1),
                      "answers_back_after_s": round(max(0.0, recovery), 1)}
    return first


# --- the other channels --------------------------------------------------------------------------

def wechat_says(stack: ProdStack, api, openid: str, text: str) -> Tuple[str, float]:
    """What a WeChat user is shown for one message (passive reply, else what the API delivered)."""
    client = WeChatClient(f"{stack.balancer_url}/webhooks/wechat/webhook", WECHAT_ENV["WECHAT_TOKEN"],
                          appid=WECHAT_ENV["WECHAT_APPID"], aes_key=WECHAT_ENV["WECHAT_ENCODING_AES_KEY"])
    before, started = len(api.sent_to(openid)), time.monotonic()
    params, body = client.prepare(client.text(openid, text), encrypt=True)
    r = requests.post(client.url, params=params, data=body, headers={"Content-Type": "text/xml"}, timeout=30)
    assert r.status_code == 200, r.text
    passive = getattr(client.parse_reply(r.text, params), "content", "") or ""
    while not passive and time.monotonic() - started < SHOPPER_WAIT_LIMIT_S:
        passive = "\n".join(api.sent_to(openid)[before:])
        time.sleep(0.2)
    return passive, time.monotonic() - started


class WidgetSocket:
    """A socket.io client (the widget's protocol, polling) through nginx; anonymous."""

    def __init__(self, url: str) -> None:
        self.sio = socketio.Client(reconnection=False)
        self.said: List[str] = []
        self.sio.on("bot_uttered", lambda data: self.said.append((data or {}).get("text", "")))
        self.sio.connect(url, transports=["polling"], socketio_path="/socket.io", wait_timeout=20)
        self.sio.emit("session_request", {})

    def ask(self, text: str) -> Tuple[str, float]:
        """What the widget shows for one message: the bot messages until the turn's ack (an answer
        emitted through Redis may arrive just after it)."""
        before, started, acked = len(self.said), time.monotonic(), threading.Event()
        self.sio.emit("user_uttered", {"message": text}, callback=lambda *_: acked.set())
        acked.wait(SHOPPER_WAIT_LIMIT_S)
        while len(self.said) == before and time.monotonic() - started < SHOPPER_WAIT_LIMIT_S:
            time.sleep(0.05)
        return "\n".join(self.said[before:]), time.monotonic() - started

    def close(self) -> None:
        self.sio.eio.disconnect(abort=True)  # without waiting out the long poll


# --- the stack ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def wechat_api(fake_wechat_api):
    return fake_wechat_api


@pytest.fixture(scope="module")
def cluster(supervised_stack):
    """The session's supervised production stack (tests/prod/conftest.py), all instances ready
    (test_failover.py, run before, killed one: the supervisor started it again)."""
    stack, _ = supervised_stack
    wait_for(lambda: all(p.ready_after is not None and p.popen.poll() is None for p in stack.procs.values()),
             300, "every instance ready")
    return supervised_stack


@pytest.fixture(scope="module")
def shopper(cluster):
    stack, _ = cluster
    token = issue_token(USER, stack.jwt_secret, ttl=3600)
    person = Shopper(stack.balancer_url, token)
    first = person.send("现在一次全部还清要还多少")  # a per-order question: which order?
    payload = next((b["payload"] for m in first.messages or [] for b in m.get("buttons", [])
                    if CHOSEN_ORDER in b["payload"]), None)
    assert payload, first.messages
    assert person.send(payload).answered
    person.replies.clear()
    person.start()
    yield person
    person.stopping.set()


def stored_events(stack: ProdStack, conversation: str = CONVERSATION) -> List[dict]:
    conn = psycopg2.connect(host="127.0.0.1", port=stack.ports.postgres, user=DB_ROLE,
                            password=stack.secrets["DB_PASSWORD"], dbname=TRACKER_DB, connect_timeout=10)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT data FROM events WHERE sender_id = %s ORDER BY id", (conversation,))
            return [json.loads(row[0]) for row in cur.fetchall()]
    finally:
        conn.close()


def assert_kept_state(stack: ProdStack, shopper: Shopper, fault: str) -> None:
    slots = [e for e in stored_events(stack) if e["event"] == "slot" and e["name"] == "order_id"]
    assert slots and slots[-1]["value"] == CHOSEN_ORDER, f"{fault}: order_id is now {slots[-1:]}"
    follow_up = [r for r in shopper.since(time.monotonic() - 10) if r.text == "那提前还呢？" and r.answered]
    deadline = time.monotonic() + 15
    while not follow_up and time.monotonic() < deadline:
        time.sleep(0.5)
        follow_up = [r for r in shopper.since(time.monotonic() - 10) if r.text == "那提前还呢？" and r.answered]
    assert follow_up, f"{fault}: no answered follow-up"
    answer = "\n".join(follow_up[-1].texts)
    assert CHOSEN_ORDER in answer or CHOSEN_PRODUCT in answer, f"{fault}: the follow-up lost the order: {answer}"


def wait_for(predicate, timeout: float, what: str) -> float:
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{what}: not within {timeout:.0f} s")
        time.sleep(0.1)
    return time.monotonic() - started


# --- the faults, in sequence --------------------------------------------------------------------

def test_redis_killed(cluster, shopper, wechat_api):
    stack, watch = cluster
    time.sleep(3)
    widget = WidgetSocket(stack.balancer_url)
    old = stack.redis.proc
    fault_at = time.monotonic()
    with watch.hold("redis"):
        old.send_signal(signal.SIGKILL)
        old.wait(10)
        time.sleep(2)
        said, waited = widget.ask("小米分期怎么还款")
        assert said == BUSY_TEXT and waited <= SHOPPER_WAIT_LIMIT_S, (said, waited)
        shown, waited = wechat_says(stack, wechat_api, "o-faults-redis", "小米分期怎么还款")
        assert shown == BUSY_TEXT and waited <= SHOPPER_WAIT_LIMIT_S, (shown, waited)
        time.sleep(max(0.0, 8 - (time.monotonic() - fault_at)))
        busy = [r for r in shopper.since(fault_at) if r.sent_at > fault_at + 0.5]
        assert busy and all(r.busy for r in busy), Shopper.describe(busy)
    released = time.monotonic()
    restarted = wait_for(lambda: stack.redis.proc is not old and stack.redis.alive(), 30, "Redis restarted")
    assert not pid_alive(old.pid)  # reaped, not a zombie
    first = record("Redis killed (down 8 s)", fault_at, released + restarted, shopper)
    FIGURES["Redis killed (down 8 s)"]["dependency_back_after_release_s"] = round(restarted, 1)
    assert first
    said, _ = widget.ask("小米分期怎么还款")
    assert said and said != BUSY_TEXT
    widget.close()
    assert_kept_state(stack, shopper, "Redis")


def test_postgresql_stopped_hard(cluster, shopper, wechat_api):
    stack, watch = cluster
    widget = WidgetSocket(stack.balancer_url)
    fault_at = time.monotonic()
    with watch.hold("postgres"):
        stack.postgres.stop(mode="immediate")
        assert not stack.postgres.running()
        time.sleep(2)
        shown, waited = wechat_says(stack, wechat_api, "o-faults-pg", "小米分期怎么还款")
        assert shown == BUSY_TEXT and waited <= SHOPPER_WAIT_LIMIT_S, (shown, waited)
        said, waited = widget.ask("小米分期怎么还款")
        assert said == BUSY_TEXT and waited <= SHOPPER_WAIT_LIMIT_S, (said, waited)
        time.sleep(max(0.0, 15 - (time.monotonic() - fault_at)))
        during = [r for r in shopper.since(fault_at) if r.sent_at > fault_at + 0.5]
        assert during and all(r.busy for r in during), Shopper.describe(during)
    released = time.monotonic()
    restarted = wait_for(stack.postgres.running, 30, "PostgreSQL restarted")
    first = record("PostgreSQL stopped hard (down 15 s)", fault_at, released + restarted, shopper)
    FIGURES["PostgreSQL stopped hard (down 15 s)"]["dependency_back_after_release_s"] = round(restarted, 1)
    assert first
    widget.close()
    assert_kept_state(stack, shopper, "PostgreSQL")


def _lock_waiters(stack: ProdStack) -> List[int]:
    """The client ports of the account-store sessions waiting for a lock."""
    conn = psycopg2.connect(host="127.0.0.1", port=stack.ports.postgres, user="postgres",
                            password=stack.secrets["PG_SUPERUSER_PASSWORD"], dbname=ACCOUNTS_DB)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT client_port FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                        "AND datname = %s", (ACCOUNTS_DB,))
            return [row[0] for row in cur.fetchall()]
    finally:
        conn.close()


def _socket_inodes(ports: List[int]) -> set:
    """Inodes of this machine's IPv4 TCP sockets bound to one of ``ports`` (/proc/net/tcp)."""
    wanted, inodes = set(ports), set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].rsplit(":", 1)[1], 16) in wanted:
            inodes.add(fields[9])
    return inodes


def _waiting_action_server(stack: ProdStack) -> Optional[str]:
    """The action server whose query waits for a lock (the process holding that client socket)."""
    inodes = _socket_inodes(_lock_waiters(stack))
    for name, proc in stack.procs.items():
        if not name.startswith("actions") or proc.popen.poll() is not None:
            continue
        for pid in [proc.popen.pid, *child_pids(proc.popen.pid)]:
            try:
                links = {os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()}
            except OSError:
                continue
            if any(f"socket:[{inode}]" in links for inode in inodes):
                return name
    return None


class TableLock:
    """``LOCK TABLE … IN ACCESS EXCLUSIVE MODE`` held in a transaction of its own."""

    def __init__(self, stack: ProdStack, table: str) -> None:
        self.conn = psycopg2.connect(host="127.0.0.1", port=stack.ports.postgres, user=DB_ROLE,
                                     password=stack.secrets["DB_PASSWORD"], dbname=ACCOUNTS_DB)
        self.table = table

    def __enter__(self) -> "TableLock":
        with self.conn.cursor() as cur:
            cur.execute(f"LOCK TABLE {self.table} IN ACCESS EXCLUSIVE MODE")
        return self

    def __exit__(self, *exc: Any) -> None:
        self.conn.rollback()
        self.conn.close()


def test_action_server_killed_mid_request(cluster, shopper):
    stack, watch = cluster
    fault_at = time.monotonic()
    with TableLock(stack, "users"):  # the shopper's next account query waits here
        busy_server = None
        deadline = time.monotonic() + 20
        while busy_server is None and time.monotonic() < deadline:
            busy_server = _waiting_action_server(stack)
            time.sleep(0.05)
        assert busy_server, "no action call waited for the account store"
        old = stack.procs[busy_server].popen
        killed_at = time.monotonic()
        stack.procs[busy_server].popen.send_signal(signal.SIGKILL)
        old.wait(10)
    in_flight = [r for r in shopper.since(killed_at) if r.sent_at < killed_at]
    deadline = time.monotonic() + 40
    while not in_flight and time.monotonic() < deadline:
        time.sleep(0.1)
        in_flight = [r for r in shopper.since(killed_at) if r.sent_at < killed_at]
    assert in_flight, "the message in flight got no reply"
    assert in_flight[0].answered, f"the message in flight: {Shopper.describe(in_flight)}"  # retried on the other
    back = wait_for(lambda: stack.procs[busy_server].popen is not old and stack.procs[busy_server].ready_after,
                    60, f"{busy_server} restarted")
    record("action server killed mid-request", fault_at, killed_at, shopper)
    FIGURES["action server killed mid-request"]["dependency_back_after_release_s"] = round(back, 1)
    assert not pid_alive(old.pid)
    assert_kept_state(stack, shopper, "action server")


def test_rasa_instance_frozen(cluster, shopper):
    stack, watch = cluster
    old = stack.procs["rasa-1"].popen
    fault_at = time.monotonic()
    old.send_signal(signal.SIGSTOP)
    try:
        replaced = wait_for(lambda: old.poll() is not None, 25, "the frozen instance replaced")
    finally:
        if old.poll() is None:
            old.send_signal(signal.SIGCONT)
    record("Rasa instance frozen (SIGSTOP)", fault_at, fault_at + replaced, shopper)
    FIGURES["Rasa instance frozen (SIGSTOP)"]["replaced_after_s"] = round(replaced, 1)
    assert any(unit == "rasa-1" and what.startswith("killed: alive but not answering")
               for _, unit, what in watch.events)
    assert_kept_state(stack, shopper, "Rasa instance")
    FROZEN["at"], FROZEN["popen"] = fault_at, old  # its replacement is checked at the end (it loads meanwhile)


def test_nginx_killed(cluster, shopper):
    stack, watch = cluster
    shopper.pause()
    old = stack.nginx.proc
    killed_at = time.monotonic()
    old.send_signal(signal.SIGKILL)
    back = wait_for(lambda: stack.nginx.proc is not old and stack.nginx.alive() and port_open(stack.ports.balancer),
                    30, "nginx restarted")
    assert not pid_alive(old.pid)
    reply = shopper.send("小米分期怎么还款")
    shopper.replies.append(reply)
    assert reply.answered, reply.messages
    FIGURES["nginx killed"] = {"answers_back_after_s": round(reply.done_at - killed_at, 1),
                               "dependency_back_after_release_s": round(back, 1)}
    shopper.resume()


def test_every_answered_turn_is_stored_once_with_what_the_shopper_saw(cluster, shopper):
    stack, _ = cluster
    shopper.pause()
    replies = list(shopper.replies)
    assert_shopper_served(replies, "all faults")
    events = stored_events(stack)
    turns: List[Tuple[str, List[str]]] = []
    for e in events:
        if e["event"] == "user":
            turns.append((e["text"], []))
        elif e["event"] == "bot" and turns:
            turns[-1][1].append(e.get("text") or "")
    # the set-up turns (order chosen) come first
    stored = iter(turns[2:])
    pending = next(stored, None)
    for r in replies:
        if pending is not None and pending[0] == r.text and pending[1] == r.texts:
            pending = next(stored, None)
            continue
        assert r.busy, f"answered but not stored (or stored differently): {r.text!r} -> {r.texts}"
    assert pending is None, f"stored but not what the shopper saw: {pending}"
    # the instance the supervisor replaced (frozen) serves again
    rasa1 = stack.procs["rasa-1"]
    wait_for(lambda: rasa1.popen is not FROZEN["popen"] and rasa1.ready_after is not None, 300, "rasa-1 ready again")
    FIGURES["Rasa instance frozen (SIGSTOP)"]["new_instance_ready_s"] = round(
        rasa1.started_at + rasa1.ready_after - FROZEN["at"], 1)
    assert requests.get(f"{stack.rasa_urls[0]}/", timeout=10).ok
    for name, figures in FIGURES.items():
        print(f"[figures] {name}: {figures}")


def test_a_slow_account_query_does_not_hold_other_shoppers(cluster):
    """One shopper's action waits on a locked table; another's action on the same action server
    is served meanwhile (SQL in the action server's thread pool, not its event loop)."""
    stack, _ = cluster
    url = f"http://127.0.0.1:{stack.ports.actions[0]}/webhook"
    token = issue_token("demo_low_limit", stack.jwt_secret, ttl=600)

    def call(action: str, sender: str, metadata: Dict[str, Any], timeout: float = 60) -> Tuple[float, dict]:
        tracker = {"sender_id": sender, "slots": {}, "events": [], "paused": False, "followup_action": None,
                   "active_loop": {}, "latest_action_name": "action_listen",
                   "latest_message": {"text": "额度", "intent": {"name": action[7:], "confidence": 1.0},
                                      "entities": [], "metadata": metadata}}
        started = time.monotonic()
        r = requests.post(url, json={"next_action": action, "sender_id": sender, "tracker": tracker,
                                     "domain": {}, "version": "3.6.0"}, timeout=timeout)
        return time.monotonic() - started, r.json()

    held: Dict[str, Any] = {}
    with TableLock(stack, "users"):
        slow = threading.Thread(target=lambda: held.update(
            result=call("action_credit_limit", "rest:u:demo_low_limit:slow", {"auth_token": token})))
        slow.start()
        wait_for(lambda: bool(_lock_waiters(stack)), 20, "the slow query waits")
        try:
            elapsed, other = call("action_how_to_repay", "rest:anon:other", {}, timeout=10)
        except requests.Timeout:
            elapsed, other = 10.0, {}
        still_waiting = slow.is_alive()
    slow.join(30)
    assert still_waiting, "the slow query did not wait (test set-up)"
    assert elapsed < 3, f"the other shopper waited {elapsed:.1f} s behind a slow query"
    assert other.get("responses") and other["responses"][0]["text"] and BUSY_TEXT not in other["responses"][0]["text"]
    slow_elapsed, slow_result = held["result"]
    assert slow_elapsed <= 10, slow_elapsed  # answered or busy once the lock goes (or the statement times out)
    assert slow_result["responses"][0]["text"]
