"""No token, OpenID or personal number at rest, on any channel, even when things fail (issue #21).

One real stack as ``make run`` runs it (supervisor, action server, Rasa with the windowed SQL
tracker store on SQLite, widget web app, agent console) serves logged-in and anonymous shoppers
on REST, the widget's socket.io (through the web app's relay) and WeChat (signed, encrypted
pushes with ``openid=`` in the query as WeChat sends them), including personal numbers, a
handoff, WeChat events, a turn whose account store is gone (the action server answers 500 with
the request echoed) and turns while the action server is down. Then every stored tracker event,
every ticket and every log line of every process is scanned for JWT-shaped strings, the tokens
used, the OpenIDs and the unmasked numbers.
"""
from __future__ import annotations

import asyncio
import os
import re
import sqlite3
import time
from typing import Dict, List

import aiohttp
import pytest
import requests
import socketio

from fenqi.identity import issue_token
from tests.support.stack import API_TOKEN, TEST_SECRET, WECHAT_ENV, start_stack
from tests.support.wechat_simulator import WeChatClient

pytestmark = pytest.mark.e2e

OPENID_BOUND = "oPrivTestBound0123456789abcd"  # 28 characters, as WeChat's
OPENID_GUEST = "oPrivTestGuest0123456789abcd"
PHONE, ID_CARD, CARD, SPACED_CARD = "13912345678", "11010119900307123X", "6222021234567890123", \
    "6222 0212 3456 7890 123"
NUMBERS = (PHONE, ID_CARD, CARD, SPACED_CARD)
PERSONAL = f"我的手机号{PHONE}，身份证{ID_CARD}，卡号{SPACED_CARD}，为什么不能分期"

JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{4,}")
# unmasked mobile / ID-card / bank-card numbers (not a float's decimals, not part of a longer run)
NUMBER_SHAPE = re.compile(r"(?<![\d.])(?:1[3-9]\d{9}|\d{17}[\dXx]|\d{16,19})(?![\d.])")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    running = start_stack(tmp_path_factory.mktemp("privacy"), tracker_store=True, web=True, console=True)
    yield running
    running.stop()


def rest(stack, sender: str, text: str, token: str = "") -> List[Dict]:
    body: Dict = {"sender": sender, "message": text}
    if token:
        body["metadata"] = {"auth_token": token}
    r = requests.post(f"{stack.rasa_url}/webhooks/rest/webhook", json=body, timeout=90)
    assert r.status_code == 200, r.text
    return r.json()


class Widget:
    """The widget's socket.io client, through the web app's relay (as the page connects)."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: "asyncio.Queue[tuple]" = asyncio.Queue()

        @self.sio.on("bot_uttered")
        async def _bot(data) -> None:
            await self.events.put(("text", (data or {}).get("text") or ""))

        @self.sio.on("bot_typing")
        async def _typing(data) -> None:
            if not (data or {}).get("typing"):
                await self.events.put(("done", None))  # the channel says so when the turn has run

    async def turn(self, text: str, failing: bool) -> List[str]:
        """The answers to ``text``, once the turn has run. A failing dependency may leave a turn
        unanswered or unfinished (issue #21 point 4, not this test): then only wait a while."""
        await self.sio.emit("user_uttered", {"message": text})
        answers: List[str] = []
        deadline = time.monotonic() + (15 if failing else 90)
        while True:
            try:
                kind, value = await asyncio.wait_for(self.events.get(), deadline - time.monotonic())
            except asyncio.TimeoutError:
                if failing:
                    return answers
                raise
            if kind == "done":
                assert answers or failing, f"no answer to {text!r}"
                return answers
            answers.append(value)

    async def chat(self, url: str, token: str, texts: List[str], failing: bool) -> List[str]:
        await self.sio.connect(url, auth={"token": token}, transports=["polling"], wait_timeout=30)
        await self.sio.emit("session_request", {})
        answers = [answer for text in texts for answer in await self.turn(text, failing)]
        for namespace in self.sio.namespaces:  # leave without waiting out the long poll
            await self.sio._send_packet(self.sio.packet_class(1, namespace=namespace))
        await self.sio.eio.disconnect(abort=True)
        return answers


def widget(stack, token: str, texts: List[str], failing: bool = False) -> List[str]:
    return asyncio.run(Widget().chat(stack.web_url, token, texts, failing))


def wechat_push(stack, xml_of, openids_and_texts) -> List[str]:
    client = WeChatClient(f"{stack.rasa_url}/webhooks/wechat/webhook", WECHAT_ENV["WECHAT_TOKEN"],
                          appid=WECHAT_ENV["WECHAT_APPID"], aes_key=WECHAT_ENV["WECHAT_ENCODING_AES_KEY"])

    async def go():
        replies = []
        async with aiohttp.ClientSession() as session:
            for openid, item in openids_and_texts:
                xml = xml_of(client, openid, item)
                params = dict(client.params(), openid=openid)  # WeChat adds the OpenID to the URL
                reply = await client.post(session, xml, encrypt=True, params=params)
                assert reply.status == 200, reply.body
                replies.append(reply.text or "")
        return replies
    return asyncio.run(go())


def say_wechat(stack, *pairs) -> List[str]:
    return wechat_push(stack, lambda c, openid, text: c.text(openid, text), pairs)


@pytest.fixture(scope="module")
def run_every_channel(stack):
    """Drive every channel, with failures injected; returns the tokens used."""
    tokens = {"rest": issue_token("demo_ok", TEST_SECRET, ttl=900),
              "rest2": issue_token("demo_low_limit", TEST_SECRET, ttl=900),
              "widget": issue_token("demo_overdue", TEST_SECRET, ttl=900)}
    # REST, logged in: three turns (the token stayed in the tracker from the second one on)
    assert rest(stack, "p1", "我这个月要还多少钱", tokens["rest"])
    assert rest(stack, "p1", "那提前还呢", tokens["rest"])
    assert rest(stack, "p1", PERSONAL, tokens["rest"])
    rest(stack, "anon1", PERSONAL)  # anonymous, personal numbers
    # the widget, logged in, through the web app's relay
    assert widget(stack, tokens["widget"], ["我逾期了怎么办", PERSONAL])
    # WeChat: bind one OpenID, talk from it and from an unbound one, and events from both
    code = stack.fenqi("wechat", "code", "demo_ok")
    assert code.returncode == 0, code.stderr
    assert "绑定成功" in say_wechat(stack, (OPENID_BOUND, f"绑定 {code.stdout.split()[0]}"))[0]
    account_answer = say_wechat(stack, (OPENID_BOUND, "我这个月要还多少钱"), (OPENID_BOUND, PERSONAL),
                                (OPENID_GUEST, PERSONAL))[0]
    assert "ORD-DEMO-OK" in account_answer  # the actions still get the verified identity
    wechat_push(stack, lambda c, openid, event: c.event(openid, event),
                [(OPENID_BOUND, "subscribe"), (OPENID_GUEST, "subscribe"), (OPENID_GUEST, "CLICK")])
    # a handoff: a ticket with a transcript
    rest(stack, "p2", PERSONAL, tokens["rest2"])
    rest(stack, "p2", "转人工", tokens["rest2"])

    # failure 1: the account store is gone for one turn on every channel -> the action server
    # fails (500 echoing the request, tracker and token) and Rasa logs the failure
    db = stack.workdir / "fenqi.db"
    os.rename(db, db.with_name("fenqi.db.away"))
    try:
        rest(stack, "p1", "为什么我不能分期", tokens["rest"])
        widget(stack, tokens["widget"], ["为什么我不能分期"], failing=True)
        say_wechat(stack, (OPENID_BOUND, "为什么我不能分期"))
    finally:
        for leftover in stack.workdir.glob("fenqi.db*"):
            if leftover.name != "fenqi.db.away":
                leftover.unlink()
        os.rename(db.with_name("fenqi.db.away"), db)
    # failure 2: the action server is down for a turn on every channel, then comes back
    stack.supervisor.kill("actions-1")
    rest(stack, "p1", "那提前还呢", tokens["rest"])
    widget(stack, tokens["widget"], ["怎么还款"], failing=True)
    say_wechat(stack, (OPENID_BOUND, "怎么还款"))
    stack.supervisor.restart("actions-1")
    answer = rest(stack, "p1", "我这个月要还多少钱", tokens["rest"])  # served again, from the account
    assert "ORD-DEMO-OK" in " ".join(m.get("text") or "" for m in answer), answer
    time.sleep(1.0)  # the last log lines
    return tokens


def leaks(text: str, tokens: Dict[str, str]) -> List[str]:
    found = [f"JWT {m.group(0)[:16]}..." for m in JWT_SHAPE.finditer(text)]
    found += [f"token {name}" for name, token in tokens.items() if token in text]
    found += [f"OpenID {o}" for o in (OPENID_BOUND, OPENID_GUEST) if o in text]
    found += [f"number {n}" for n in NUMBERS if n in text]
    found += [f"number-shaped {m.group(0)}" for m in NUMBER_SHAPE.finditer(text)]
    return found


def test_no_stored_tracker_event_holds_a_token_openid_or_number(stack, run_every_channel):
    conn = sqlite3.connect(stack.workdir / "tracker.db")
    try:
        rows = conn.execute("SELECT sender_id, type_name, data FROM events").fetchall()
    finally:
        conn.close()
    senders = {sender for sender, _, _ in rows}
    assert {"rest:u:demo_ok:p1", "web:demo_overdue", f"wx:{OPENID_BOUND}", f"wx:{OPENID_GUEST}"} <= senders
    assert sum(kind == "user" for _, kind, _ in rows) >= 15
    found = {f"{sender} {kind}: {leak}" for sender, kind, data in rows for leak in leaks(data, run_every_channel)}
    assert not found, sorted(found)[:20]


def test_the_conversations_api_serves_no_token(stack, run_every_channel):
    r = requests.get(f"{stack.rasa_url}/conversations/rest:u:demo_ok:p1/tracker",
                     params={"include_events": "ALL"}, headers={"Authorization": f"Bearer {API_TOKEN}"},
                     timeout=30)
    r.raise_for_status()
    assert sum(e.get("event") == "user" for e in r.json()["events"]) >= 5
    assert leaks(r.text, run_every_channel) == []


def test_no_ticket_holds_a_token_or_number(stack, run_every_channel):
    conn = sqlite3.connect(stack.workdir / "fenqi.db")
    try:
        tickets = conn.execute("SELECT sender_id, summary, transcript FROM handoff_tickets").fetchall()
    finally:
        conn.close()
    assert any(sender == "rest:u:demo_low_limit:p2" for sender, _, _ in tickets)
    for sender, summary, transcript in tickets:
        assert leaks(f"{summary}\n{transcript}", run_every_channel) == [], sender


def test_no_log_line_of_any_process_holds_a_token_openid_or_number(stack, run_every_channel):
    logs = sorted((stack.workdir / "log").iterdir())
    assert {"rasa-1.log", "actions-1.log", "web-1.log", "console-1.log"} <= {p.name for p in logs}
    rasa_log = (stack.workdir / "log" / "rasa-1.log").read_text(encoding="utf-8", errors="replace")
    # the failures happened (deploy/fail_closed.py logs each failed action call, without the request)
    assert re.search(r"custom action action_\w+ failed \(\w+\): the shopper is told the system is busy", rasa_log)
    assert "wechat" in rasa_log.lower()  # the WeChat pushes were logged
    found = []
    for path in logs:
        for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            found += [f"{path.name}:{n}: {leak}" for leak in leaks(line, run_every_channel)]
    assert not found, found[:20]
