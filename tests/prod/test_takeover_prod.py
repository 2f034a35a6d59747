"""Live takeover against the production stack: PostgreSQL, Redis, two Rasa instances and an action
server behind nginx, the widget host app relaying socket.io to nginx, the console on the same store.

* the widget: the flow of tests/browser/test_browser_takeover.py (shopper and agent in two browser
  contexts); the agent's messages are delivered by the Rasa instance holding the shopper's socket,
  socket.io emits cross instances through Redis (AsyncRedisManager); tracker checks through nginx;
* WeChat: wechatpy-signed AES pushes through nginx, the agent in the console over HTTP, messages out
  through the local fake customer-service API; one MsgId sent to both instances runs one turn and
  the retry on the other instance gets the same answer.
"""
from __future__ import annotations

import asyncio
import re
import threading
import time
from types import SimpleNamespace
from typing import List, Optional

import pytest
import requests
from sqlalchemy.orm import Session

from deploy.cluster import Ports, ProdStack
from fenqi import clock
from fenqi.db.engine import make_engine
from fenqi.db.models import TicketTakeover
from fenqi.handoff import live
from tests.browser.conftest import browser, web_url  # noqa: F401 - fixtures: Chromium, the widget host app
from tests.browser.test_browser_takeover import takeover_flow
from tests.console.test_console_app import csrf_of, sign_in
from tests.support.console import add_agent, start_console
from tests.support.stack import MODEL, QUICK_STOP, WECHAT_ENV
from tests.support.wechat_simulator import FakeWeChatApi, WeChatClient

pytestmark = [pytest.mark.prod, pytest.mark.browser, pytest.mark.timeout(1200)]

SHOPPER = "demo_rf_used_up"


class ThreadedFakeApi:
    """The fake customer-service API on its own event loop thread (the tests here are sync)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.fake = FakeWeChatApi(WECHAT_ENV["WECHAT_APPID"], WECHAT_ENV["WECHAT_APPSECRET"])
        self.url = asyncio.run_coroutine_threadsafe(self.fake.start(), self.loop).result(10)

    def sent_to(self, openid: str) -> List[str]:
        return [text for to, text in list(self.fake.sent) if to == openid]

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.fake.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)


@pytest.fixture(scope="module")
def wechat_api():
    api = ThreadedFakeApi()
    yield api
    api.stop()


@pytest.fixture(scope="module")
def prod(prod_binaries, prod_workdir, wechat_api):
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` first")
    stack = ProdStack(prod_workdir / "takeover", Ports.random(n_rasa=2, n_actions=1), durable=False)
    stack.env.update({**QUICK_STOP, **WECHAT_ENV}, WECHAT_API_BASE=wechat_api.url)  # the WeChat channel on both instances
    try:
        stack.start(timeout=600, log=lambda msg: None)
    except Exception as exc:
        pytest.fail(f"production stack did not start: {exc}")
    yield stack
    stack.stop()


@pytest.fixture(scope="module")
def stack(prod):
    """What the widget host app fixture needs: socket.io through nginx; its demo login (development
    mode for the host app only) mints tokens with the production secret."""
    return SimpleNamespace(env=dict(prod.env, FENQI_ENV="development"), rasa_url=prod.balancer_url)


@pytest.fixture(scope="module")
def console(prod, tmp_path_factory):
    env = dict(prod.env, FENQI_CONSOLE_SECURE_COOKIE="0")  # plain HTTP on loopback in the test
    add_agent(env, "安娜")
    c = start_console(env, tmp_path_factory.mktemp("console"))
    yield c
    c.stop()


def test_takeover_through_nginx_with_two_rasa_instances(prod, browser, web_url, console):  # noqa: F811
    for url in prod.rasa_urls:  # both instances are up and serving
        assert requests.get(f"{url}/status", params={"token": prod.api_token}, timeout=30).ok
    # the tracker API is internal (nginx routes only the channels): read it from an instance
    takeover_flow(browser, web_url, console.url, prod.rasa_urls[0], prod.api_token, prod.accounts_url, SHOPPER)


# --- WeChat -------------------------------------------------------------------------------------

OPENID = "o-prod-takeover"
WAIT_S = 60


def push(url: str, xml: str) -> str:
    """One wechatpy-signed, encrypted push; the passive reply's text ("" for ``success``)."""
    client = WeChatClient(f"{url}/webhooks/wechat/webhook", WECHAT_ENV["WECHAT_TOKEN"],
                          appid=WECHAT_ENV["WECHAT_APPID"], aes_key=WECHAT_ENV["WECHAT_ENCODING_AES_KEY"])

    params, body = client.prepare(xml, encrypt=True)  # sync HTTP: Playwright's loop runs in this thread
    response = requests.post(client.url, params=params, data=body, headers={"Content-Type": "text/xml"},
                             timeout=30)
    assert response.status_code == 200, response.text
    message = client.parse_reply(response.text, params)
    return getattr(message, "content", "") or ""


def client_for(prod):
    return WeChatClient("", WECHAT_ENV["WECHAT_TOKEN"], appid=WECHAT_ENV["WECHAT_APPID"],
                        aes_key=WECHAT_ENV["WECHAT_ENCODING_AES_KEY"])


def wait_sent(api: ThreadedFakeApi, openid: str, count: int, what: str = "") -> List[str]:
    deadline = time.time() + WAIT_S
    while len(api.sent_to(openid)) < count or (what and what not in "\n".join(api.sent_to(openid))):
        if time.time() > deadline:
            raise AssertionError(f"not sent to {openid}: {what!r}; sent: {api.sent_to(openid)}")
        time.sleep(0.3)
    return api.sent_to(openid)


def say(prod, api: ThreadedFakeApi, openid: str, text: str, url: Optional[str] = None) -> str:
    """The answer to one message: passive, or (slow turn) what the API delivered after it."""
    before = len(api.sent_to(openid))
    passive = push(url or prod.balancer_url, client_for(prod).text(openid, text))
    if passive:
        return passive
    deadline = time.time() + 8
    while time.time() < deadline and len(api.sent_to(openid)) == before:
        time.sleep(0.3)
    return "\n".join(api.sent_to(openid)[before:])


def wx_tracker_users(prod, openid: str) -> List[str]:
    events = requests.get(f"{prod.rasa_urls[0]}/conversations/wx:{openid}/tracker",  # internal API
                          params={"token": prod.api_token}, timeout=30).json()["events"]
    return [e.get("text") for e in events if e.get("event") == "user"]


def test_wechat_takeover_through_nginx_with_two_rasa_instances(prod, console, wechat_api):
    handoff = say(prod, wechat_api, OPENID, "转人工")
    ticket = int(re.search(r"工单号 #(\d+)", handoff).group(1))
    agent, _ = sign_in(console)
    token = csrf_of(agent, console, ticket)
    url = f"{console.url}/tickets/{ticket}"
    assert agent.post(url + "/accept", headers={"X-CSRF-Token": token}, json={}).json()["ok"]
    wait_sent(wechat_api, OPENID, 1, "人工客服 安娜 为您服务。")
    assert agent.post(url + "/messages", headers={"X-CSRF-Token": token},
                      json={"text": "您好，我来帮您查询"}).json()["ok"]
    wait_sent(wechat_api, OPENID, 1, "人工客服 安娜：您好，我来帮您查询")

    users_before = wx_tracker_users(prod, OPENID)
    sent_before = len(wechat_api.sent_to(OPENID))
    assert push(prod.balancer_url, client_for(prod).text(OPENID, "我有一笔退款没到账")) == ""
    deadline = time.time() + WAIT_S
    while not [m for m in agent.get(f"{console.url}/api/tickets/{ticket}").json()["messages"]
               if m["author"] == "shopper"]:
        assert time.time() < deadline, "the shopper's message never reached the console"
        time.sleep(0.5)
    time.sleep(2)
    assert wx_tracker_users(prod, OPENID) == users_before            # Rasa got no turn
    assert len(wechat_api.sent_to(OPENID)) == sent_before            # and nobody answered
    delivered = [m["delivery"] for m in agent.get(f"{console.url}/api/tickets/{ticket}").json()["messages"]
                 if m["author"] != "shopper"]
    assert delivered == ["delivered", "delivered"]

    assert agent.post(url + "/handback", headers={"X-CSRF-Token": token}, json={}).json()["ok"]
    sent = wait_sent(wechat_api, OPENID, sent_before + 2, "回复数字 1–5")
    assert live.RESUMED in sent[-2]
    assert "感谢您的评价（4 分）" in say(prod, wechat_api, OPENID, "4")
    assert say(prod, wechat_api, OPENID, "小米分期怎么还款")           # the bot answers again
    assert wx_tracker_users(prod, OPENID)[-1] == "小米分期怎么还款"
    engine = make_engine(prod.accounts_url)
    try:
        with Session(engine, future=True) as s:
            assert s.get(TicketTakeover, ticket).rating == 4
    finally:
        engine.dispose()


def test_one_msgid_sent_to_both_instances_runs_one_turn_and_the_retry_gets_the_same_answer(prod, wechat_api):
    """WeChat's retry lands on the other instance (nginx): one bot turn, and the retry gets the same
    answer from Redis (issue #21: it used to get ``success``, losing an answer whose passive reply
    WeChat had not received); nothing also goes out through the API."""
    openid, text = "o-prod-retry", f"提前还款要手续费吗 {clock.now():%H%M%S}"
    client = client_for(prod)
    for n, url in enumerate(prod.rasa_urls):  # a first turn on each instance (models warm)
        push(url, client.text(f"o-prod-warm-{n}", "你好", msg_id=int(time.time() * 1000) + n))
    xml = client.text(openid, text, msg_id=int(time.time() * 1000) + 10)
    answers = [push(url, xml) for url in prod.rasa_urls]  # first delivery, then the retry elsewhere
    time.sleep(3)
    # the retry waits for the answer (ready within WeChat's passive time, or within its own):
    # passively, the same text as the first when that one was passive, and never also by the API
    assert answers[1] and answers[1] == (answers[0] or answers[1]), answers
    assert wechat_api.sent_to(openid) == []
    assert wx_tracker_users(prod, openid).count(text) == 1


def test_a_numbered_option_shown_by_one_instance_is_picked_on_the_other(prod, wechat_api):
    """Buttons become "回复 N：…" on one instance; the shopper's "N" reaches the other, which resolves
    it to the button's payload through Redis (``FENQI_WECHAT_REDIS_URL``), not NLU on the digit."""
    openid = f"o-prod-options-{clock.now():%H%M%S}"
    shown = say(prod, wechat_api, openid, "你好", url=prod.rasa_urls[0])
    number = re.search(r"回复 (\d+)：怎么还款", shown)
    assert number, shown
    answer = say(prod, wechat_api, openid, number.group(1), url=prod.rasa_urls[1])
    assert answer
    assert wx_tracker_users(prod, openid)[-1] == "/how_to_repay"
