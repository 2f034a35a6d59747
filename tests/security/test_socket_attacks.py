"""Issue #11 socket.io limits against the real Rasa server (raw engine.io long-polling)."""
from __future__ import annotations

import json
import time

import pytest
import requests

pytestmark = pytest.mark.e2e


class Poll:
    def __init__(self, base: str, token: str = "") -> None:
        self.url = f"{base}/socket.io/"
        opened = requests.get(self.url, params={"EIO": "4", "transport": "polling"}, timeout=10)
        self.sid = json.loads(opened.text[1:])["sid"]
        self.params = {"EIO": "4", "transport": "polling", "sid": self.sid}
        assert self.send("40" + (json.dumps({"token": token}) if token else "")) == 200
        self.receive()  # the socket.io connect ack

    def send(self, packet: str) -> int:
        return requests.post(self.url, params=self.params, data=packet.encode(), timeout=10).status_code

    def emit(self, event: str, data) -> int:
        return self.send("42" + json.dumps([event, data]))

    def emit_many(self, event: str, data, count: int) -> int:
        """``count`` socket.io events in ONE engine.io POST (packets separated by \\x1e)."""
        packet = "42" + json.dumps([event, data])
        return self.send("\x1e".join([packet] * count))

    def receive(self, timeout: float = 30) -> list:
        r = requests.get(self.url, params=self.params, timeout=timeout)
        return [json.loads(p[2:]) for p in r.text.split("\x1e") if p.startswith("42")]

    def events(self, name: str, count: int, timeout: float = 90) -> list:
        """The payloads of the next ``count`` ``name`` events (fewer if ``timeout`` passes)."""
        found, deadline = [], time.monotonic() + timeout
        while len(found) < count and time.monotonic() < deadline:
            found += [rest[0] if rest else None for event, *rest in self.receive() if event == name]
        return found

    def bot_texts(self, wanted: int = 1, timeout: float = 60) -> list:
        return [e.get("text", "") for e in self.events("bot_uttered", wanted, timeout)]


def test_too_long_socket_message_gets_a_notice_not_nlu(bot_stack):
    poll = Poll(bot_stack.rasa_url)
    assert poll.emit("user_uttered", {"message": "还款" * 300}) == 200
    assert "太长" in poll.bot_texts()[0]


def test_socket_messages_are_rate_limited_per_connection(bot_stack):
    poll = Poll(bot_stack.rasa_url)
    for _ in range(14):
        poll.emit("user_uttered", {"message": "/greet"})
    texts = poll.bot_texts(wanted=14, timeout=90)
    assert any("太快" in t for t in texts), texts


def test_oversized_socket_payload_is_413_and_garbage_is_4xx(bot_stack):
    poll = Poll(bot_stack.rasa_url)
    assert poll.send("42" + json.dumps(["user_uttered", {"message": "x" * 40000}])) == 413
    r = requests.post(poll.url, params=poll.params, data=b"\xff\xfe\x00", timeout=10)
    assert r.status_code == 400


def test_session_ids_never_reach_the_logs(bot_stack):
    poll = Poll(bot_stack.rasa_url)
    poll.emit("user_uttered", {"message": "你好"})
    poll.bot_texts()
    for log in bot_stack.logs:
        assert poll.sid not in log.read_text(encoding="utf-8", errors="replace"), log.name


def session_id(poll: Poll) -> str:
    assert poll.emit("session_request", {}) == 200
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for event, *data in poll.receive():
            if event == "session_confirm":
                return data[0]
    raise AssertionError("no session_confirm")


def settled(count, quiet: float = 5.0, timeout: float = 120) -> int:
    """``count()`` once it has not changed for ``quiet`` seconds."""
    value, since, deadline = count(), time.monotonic(), time.monotonic() + timeout
    while time.monotonic() - since < quiet and time.monotonic() < deadline:
        time.sleep(0.5)
        now = count()
        if now != value:
            value, since = now, time.monotonic()
    return value


MAX_PACKETS = 16  # what engine.io decodes from one POST


def test_one_post_carrying_sixteen_messages_runs_at_most_three_turns(bot_stack, rest):
    """Issue #21: engine.io hands every packet of a POST to socket.io at once; 16 user messages (the
    most engine.io decodes from one POST) ran 10 bot turns, the per-connection burst. Now at most
    FENQI_SOCKET_MESSAGES_PER_POST (3) reach the bot and the rest get one “太快” notice."""
    poll = Poll(bot_stack.rasa_url)
    conversation = session_id(poll)
    assert poll.emit_many("user_uttered", {"message": "小米分期怎么还款"}, MAX_PACKETS) == 200
    texts = poll.bot_texts(wanted=4, timeout=90)  # the notice and the first answers
    turns = settled(lambda: len(rest.user_texts(conversation)))
    print(f"\n{MAX_PACKETS} messages in one POST: {turns} bot turns")
    assert turns == 3, turns
    assert sum("太快" in t for t in texts) == 1, texts


def test_a_post_of_more_packets_than_engine_io_decodes_is_refused(bot_stack, rest):
    """engine.io logged a traceback and dropped such a POST after answering 200; now it is a 400."""
    poll = Poll(bot_stack.rasa_url)
    conversation = session_id(poll)
    assert poll.emit_many("user_uttered", {"message": "你好"}, 40) == 400
    assert poll.emit("user_uttered", {"message": "你好"}) == 200  # the connection is still fine
    assert poll.bot_texts()
    assert rest.user_texts(conversation) == ["你好"]


def test_sixteen_history_requests_in_one_post_load_the_tracker_once(bot_stack):
    """Issue #21: each ``session_request`` of a signed-in connection loads the full tracker; 16 in
    one POST loaded it 16 times. Now once per connection per FENQI_SOCKET_HISTORY_INTERVAL (60 s):
    the repeats get ``history`` with no messages and ``limited``."""
    poll = Poll(bot_stack.rasa_url, token=bot_stack.token("demo_promo"))
    assert poll.emit("user_uttered", {"message": "你好"}) == 200  # a tracker to load
    assert poll.bot_texts()
    assert poll.emit_many("session_request", {}, MAX_PACKETS) == 200
    histories = poll.events("history", MAX_PACKETS)
    loaded = [h for h in histories if h.get("messages")]
    print(f"\n{MAX_PACKETS} history requests in one POST: {len(loaded)} tracker load(s)")
    assert len(histories) == MAX_PACKETS
    assert len(loaded) == 1, len(loaded)
    assert "你好" in [m["text"] for m in loaded[0]["messages"]]
    assert all(h["limited"] and h["messages"] == [] for h in histories if h is not loaded[0])
