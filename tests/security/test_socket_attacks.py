"""Issue #11 socket.io limits against the real Rasa server (raw engine.io long-polling)."""
from __future__ import annotations

import json
import time

import pytest
import requests

pytestmark = pytest.mark.e2e


class Poll:
    def __init__(self, base: str) -> None:
        self.url = f"{base}/socket.io/"
        opened = requests.get(self.url, params={"EIO": "4", "transport": "polling"}, timeout=10)
        self.sid = json.loads(opened.text[1:])["sid"]
        self.params = {"EIO": "4", "transport": "polling", "sid": self.sid}
        assert self.send("40") == 200
        self.receive()  # the socket.io connect ack

    def send(self, packet: str) -> int:
        return requests.post(self.url, params=self.params, data=packet.encode(), timeout=10).status_code

    def emit(self, event: str, data) -> int:
        return self.send("42" + json.dumps([event, data]))

    def receive(self, timeout: float = 30) -> list:
        r = requests.get(self.url, params=self.params, timeout=timeout)
        return [json.loads(p[2:]) for p in r.text.split("\x1e") if p.startswith("42")]

    def bot_texts(self, wanted: int = 1, timeout: float = 60) -> list:
        texts, deadline = [], time.monotonic() + timeout
        while len(texts) < wanted and time.monotonic() < deadline:
            texts += [e[1].get("text", "") for e in self.receive() if e[0] == "bot_uttered"]
        return texts


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
