"""The console as a real process on a SQLite store, driven over HTTP: sign-in, cookies, CSRF, rate
limit, the queue, a ticket's masked view, accept / write / release / hand back."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import timedelta

import pytest
import requests

from fenqi import clock
from fenqi.db.engine import make_engine, make_session_factory, session_scope
from fenqi.handoff import TicketRequest, live, open_ticket
from tests.support.console import AGENT_PASSWORD, add_agent, start_console
from tests.support.stack import ROOT

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("console")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FENQI_")}
    env.update(FENQI_ENV="development", FENQI_DATABASE_URL=f"sqlite:///{tmp / 'fenqi.db'}", FENQI_VAR_DIR=str(tmp),
               FENQI_JWT_SECRET="console-test-secret-0123456789abcdef", SQLALCHEMY_SILENCE_UBER_WARNING="1")
    for args in (("db", "init"), ("db", "seed-demo")):
        assert subprocess.run([sys.executable, "-m", "fenqi", *args], cwd=ROOT, env=env,
                              capture_output=True, timeout=60).returncode == 0
    add_agent(env, "安娜")
    add_agent(env, "ben")
    env["_tmp"] = str(tmp)
    return env


@pytest.fixture(scope="module")
def console(env, tmp_path_factory):
    c = start_console({k: v for k, v in env.items() if not k.startswith("_")}, tmp_path_factory.mktemp("log"))
    yield c
    c.stop()


def store(env):
    return make_session_factory(make_engine(env["FENQI_DATABASE_URL"]))


def new_ticket(env, sender, user_id, minutes_ago=5):
    with session_scope(store(env)) as s:
        t, _ = open_ticket(s, TicketRequest(sender, "secure_socketio", user_id, "近期话题：为什么不能分期",
                                            [{"speaker": "user", "text": "我的手机 13812345678 为什么不能分期"},
                                             {"speaker": "bot", "text": "您的可用额度不足"}]),
                           clock.now() - timedelta(minutes=minutes_ago))
        return t.id


def sign_in(console, name="安娜", password=AGENT_PASSWORD):
    http = requests.Session()
    page = http.get(console.url + "/login")
    csrf = CSRF.search(page.text).group(1)
    r = http.post(console.url + "/login", data={"csrf": csrf, "name": name, "password": password},
                  allow_redirects=False)
    return http, r


def csrf_of(http, console, ticket_id):
    return CSRF.search(http.get(f"{console.url}/tickets/{ticket_id}").text).group(1)


def test_pages_need_a_signed_in_agent(console):
    r = requests.get(console.url + "/", allow_redirects=False)
    assert r.status_code == 302 and r.headers["Location"] == "/login"
    assert requests.get(console.url + "/api/queue").status_code == 401
    assert requests.post(console.url + "/tickets/1/accept").status_code == 401


def test_sign_in_sets_a_strict_http_only_session_cookie(console):
    http, r = sign_in(console)
    assert r.status_code == 302 and r.headers["Location"] == "/"
    raw = [c for c in r.raw.headers.getlist("Set-Cookie") if c.startswith("fq_console=")][0]
    assert "HttpOnly" in raw and "SameSite=Strict" in raw and "Path=/" in raw
    assert "Secure" not in raw  # FENQI_CONSOLE_SECURE_COOKIE defaults off outside production
    page = http.get(console.url + "/")
    assert "待处理会话" in page.text and "安娜" in page.text
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]


def test_login_needs_its_csrf_cookie_and_wrong_passwords_are_rate_limited(console):
    assert requests.post(console.url + "/login", data={"name": "ben", "password": AGENT_PASSWORD}).status_code == 403
    codes = [sign_in(console, "ben", "wrong-password-x")[1].status_code for _ in range(6)]
    assert codes == [401] * 5 + [429]
    # the right password is refused too while the name is blocked
    assert sign_in(console, "ben")[1].status_code == 429


def test_queue_lists_open_tickets_in_order_with_waiting_time_and_channel(console, env):
    first = new_ticket(env, "web:demo_low_limit", "demo_low_limit", minutes_ago=12)
    second = new_ticket(env, "anon:abc", None, minutes_ago=3)
    http, _ = sign_in(console)
    tickets = http.get(console.url + "/api/queue").json()["tickets"]
    mine = [t for t in tickets if t["id"] in (first, second)]
    assert [t["id"] for t in mine] == [first, second]
    assert (mine[0]["waiting"], mine[0]["channel"], mine[0]["verified"], mine[0]["state"]) == \
        ("12 分钟", "App 内客服窗口", True, "queued")
    assert mine[1]["verified"] is False


def test_ticket_page_shows_masked_transcript_and_account_summary(console, env):
    ticket = new_ticket(env, "web:demo_low_limit", "demo_low_limit")
    http, _ = sign_in(console)
    page = http.get(f"{console.url}/tickets/{ticket}").text
    assert "138****5678" in page and "13812345678" not in page
    from fenqi.accounts.repository import load_snapshot
    from fenqi.money import format_cny
    with session_scope(store(env)) as s:
        snap = load_snapshot(s, "demo_low_limit")
    assert format_cny(snap.credit.available) in page and format_cny(snap.credit.limit) in page
    assert "额度不足" in page  # the diagnosis the bot gives this account
    assert snap.user.name not in page and snap.user.name[0] + "*" in page
    assert "web:demo_low_limit" not in page  # no raw sender id


def test_accept_write_release_and_hand_back_with_csrf(console, env):
    ticket = new_ticket(env, "web:demo_ok", "demo_ok")
    anna, _ = sign_in(console)
    token = csrf_of(anna, console, ticket)
    url = f"{console.url}/tickets/{ticket}"
    assert anna.post(url + "/accept").status_code == 403                          # no token
    assert anna.post(url + "/accept", headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert anna.post(url + "/accept", headers={"X-CSRF-Token": token,
                                               "Origin": "http://evil.example"}).status_code == 403
    r = anna.post(url + "/accept", headers={"X-CSRF-Token": token}, json={})
    assert r.json() == {"ok": True, "error": None}
    assert anna.post(url + "/accept", headers={"X-CSRF-Token": token}, json={}).status_code == 409
    r = anna.post(url + "/messages", headers={"X-CSRF-Token": token}, json={"text": "您好，我来帮您看看"})
    assert r.json()["ok"] is True
    assert anna.post(url + "/messages", headers={"X-CSRF-Token": token}, json={"text": ""}).status_code == 400
    data = anna.get(f"{console.url}/api/tickets/{ticket}").json()
    assert (data["state"], data["agent"], data["mine"]) == ("accepted", "安娜", True)
    assert [(m["author"], m["text"], m["delivery"]) for m in data["messages"]] == [
        ("system", "人工客服 安娜 为您服务。", "pending"), ("agent", "您好，我来帮您看看", "pending")]
    # a plain form post with the hidden field works too (no JavaScript)
    r = anna.post(url + "/release", data={"csrf": token}, allow_redirects=False)
    assert r.status_code == 303
    assert anna.get(f"{console.url}/api/tickets/{ticket}").json()["state"] == "queued"
    anna.post(url + "/accept", headers={"X-CSRF-Token": token}, json={})
    anna.post(url + "/handback", headers={"X-CSRF-Token": token}, json={})
    data = anna.get(f"{console.url}/api/tickets/{ticket}").json()
    assert data["state"] == "returned"
    assert [m["kind"] for m in data["messages"]][-2:] == ["text", "rating_request"]
    with session_scope(store(env)) as s:
        assert live.intercept(s, "web:demo_ok", "5", clock.now()).reply is not None
    assert anna.get(f"{console.url}/api/tickets/{ticket}").json()["rating"] == 5


def test_an_expired_message_is_shown_as_undeliverable_with_the_wait(console, env):
    """Issue #21: what the outbox marks ``expired`` reads “未送达：用户 15 分钟内未上线，消息已过期”."""
    ticket = new_ticket(env, "web:demo_pending", "demo_pending", minutes_ago=30)
    anna, _ = sign_in(console)
    token = csrf_of(anna, console, ticket)
    url = f"{console.url}/tickets/{ticket}"
    assert anna.post(url + "/accept", headers={"X-CSRF-Token": token}, json={}).json()["ok"]
    assert anna.post(url + "/messages", headers={"X-CSRF-Token": token}, json={"text": "您还在吗"}).json()["ok"]
    with session_scope(store(env)) as s:
        assert live.expire_pending(s, clock.now() + timedelta(seconds=1)) >= 2  # what the outbox does
    data = anna.get(f"{console.url}/api/tickets/{ticket}").json()
    assert [(m["text"], m["delivery"], m["delivery_label"], m["delivery_error"]) for m in data["messages"]] == [
        ("人工客服 安娜 为您服务。", "failed", "未送达", "用户 15 分钟内未上线，消息已过期"),
        ("您还在吗", "failed", "未送达", "用户 15 分钟内未上线，消息已过期")]


def test_logout_ends_the_session(console):
    http, _ = sign_in(console)
    token = CSRF.search(http.get(console.url + "/").text).group(1)
    assert http.post(console.url + "/logout", data={"csrf": token}, allow_redirects=False).status_code == 302
    assert http.get(console.url + "/api/queue").status_code == 401
