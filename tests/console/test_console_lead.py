"""The lead's pages of the real console process over HTTP, on SQLite stores holding the known
history (tests/fenqi/analytics/known.py): only agents with the lead role get them (403 for the
others, on every page, chart, CSV and form), the figures and CSV are the hand-worked ones,
transcripts are masked, reviews need the CSRF token, a revoked role takes effect at once."""
from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys

import pytest
import requests

from fenqi.db.engine import Store, make_engine
from tests.console.test_console_app import CSRF, sign_in
from tests.fenqi.analytics import known
from tests.support.console import AGENT_PASSWORD, add_agent, start_console
from tests.support.stack import ROOT

PERIOD = "period=custom&from=2026-11-02&to=2026-11-04"
LEAD_URLS = ["/analytics", f"/analytics?{PERIOD}", "/analytics/charts/volume.svg", "/analytics/charts/intents.svg",
             "/analytics/channels.csv", "/analytics/daily.csv", "/conversations", "/conversations.csv",
             "/conversations/1"]


def fenqi(env, *args, stdin=None):
    return subprocess.run([sys.executable, "-m", "fenqi", *args], cwd=ROOT, env=env, input=stdin,
                          capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lead")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FENQI_")}
    env.update(FENQI_ENV="development", FENQI_DATABASE_URL=f"sqlite:///{tmp / 'fenqi.db'}", FENQI_VAR_DIR=str(tmp),
               FENQI_TRACKER_URL=f"sqlite:///{tmp / 'tracker.db'}", SQLALCHEMY_SILENCE_UBER_WARNING="1",
               FENQI_JWT_SECRET="console-test-secret-0123456789abcdef")
    assert fenqi(env, "db", "init").returncode == 0
    store, tracker = Store.open(env["FENQI_DATABASE_URL"]), make_engine(env["FENQI_TRACKER_URL"])
    known.load(store, tracker)  # folded by the console's first page
    store.close()
    tracker.dispose()
    assert fenqi(env, "agents", "add", "组长", "--role", "lead", stdin=AGENT_PASSWORD + "\n").returncode == 0
    add_agent(env, "安娜")
    return env


@pytest.fixture(scope="module")
def console(env, tmp_path_factory):
    c = start_console(env, tmp_path_factory.mktemp("log"))
    yield c
    c.stop()


@pytest.fixture(scope="module")
def lead(console):
    http, r = sign_in(console, "组长")
    assert r.status_code == 302
    return http


def rows(text):
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def test_without_a_session_the_pages_ask_for_a_sign_in(console):
    r = requests.get(console.url + "/analytics", allow_redirects=False)
    assert r.status_code == 302 and r.headers["Location"] == "/login"
    assert requests.get(console.url + "/analytics/channels.csv").status_code == 401
    assert requests.post(console.url + "/conversations/1/review").status_code == 401


def test_an_agent_without_the_lead_role_gets_403_everywhere_and_no_links(console):
    anna, _ = sign_in(console, "安娜")
    queue = anna.get(console.url + "/").text
    assert "/analytics" not in queue and "/conversations" not in queue
    for url in LEAD_URLS:
        r = anna.get(console.url + url)
        assert r.status_code == 403, url
        assert "/analytics/" not in url or "text/html" in r.headers["Content-Type"]
    token = CSRF.search(queue).group(1)
    assert anna.post(console.url + "/conversations/1/review", data={"csrf": token, "reviewed": "1"},
                     allow_redirects=False).status_code == 403
    assert "没有权限" in anna.get(console.url + "/analytics").text


def test_the_lead_sees_the_hand_worked_figures(lead, console):
    page = lead.get(f"{console.url}/analytics?{PERIOD}")
    assert page.status_code == 200
    assert page.headers["Content-Security-Policy"].startswith("default-src 'self'; script-src 'self'")
    text = re.sub(r"<[^>]+>", " ", page.text)
    for figure in ("会话数 7", "用户消息数 13", "自助解决率 57.1%", "兜底率 38.5%", "转人工率 42.9%", "未澄清直接解答 44.4%",
                   "人工接入等待 1 分 30 秒", "满意度 3.50", "300 ms / 500 ms"):
        assert figure in " ".join(text.split()), figure
    assert '/analytics/charts/volume.svg?period=custom&amp;from=2026-11-02&amp;to=2026-11-04' in page.text
    assert 'href="/conversations"' in page.text  # the nav


def test_every_table_exports_as_csv_with_the_same_figures(lead, console):
    channels = lead.get(f"{console.url}/analytics/channels.csv?{PERIOD}")
    assert channels.headers["Content-Type"].startswith("text/csv")
    assert 'filename="channels-2026-11-02_2026-11-04.csv"' in channels.headers["Content-Disposition"]
    assert channels.content.startswith(b"\xef\xbb\xbf")
    table = rows(channels.text)
    assert table[0][:4] == ["渠道", "会话数", "用户消息数", "自助解决率"]
    assert table[1:] == [
        ["App 内客服窗口", "4", "8", "50.0%", "37.5%", "50.0%", "2", "50.0%", "1 分 0 秒", "5.00", "1", "300 ms", "500 ms"],
        ["微信公众号", "2", "3", "100.0%", "33.3%", "0.0%", "0", "50.0%", "-", "-", "0", "220 ms", "300 ms"],
        ["REST 接口", "1", "2", "0.0%", "50.0%", "100.0%", "1", "0.0%", "2 分 0 秒", "2.00", "1", "250 ms", "400 ms"],
        ["合计", "7", "13", "57.1%", "38.5%", "42.9%", "3", "44.4%", "1 分 30 秒", "3.50", "2", "300 ms", "500 ms"]]
    daily = rows(lead.get(f"{console.url}/analytics/daily.csv?{PERIOD}").text)
    assert [r[:3] + r[5:7] + r[8:] for r in daily[1:]] == [["2026-11-02", "3", "1", "6", "2", "1", "2.00"],
                                                          ["2026-11-03", "2", "2", "5", "3", "1", "5.00"],
                                                          ["2026-11-04", "2", "0", "2", "0", "0", "-"]]
    reasons = rows(lead.get(f"{console.url}/analytics/reasons.csv?{PERIOD}").text)
    assert reasons[1:] == [["用户主动要求", "1", "33.3%"], ["未能解答后用户要求", "1", "33.3%"],
                           ["连续未能理解，自动转接", "1", "33.3%"]]
    wechat = rows(lead.get(f"{console.url}/analytics/intents.csv?{PERIOD}&channel=wechat").text)
    assert [r[1:3] for r in wechat[1:]] == [["credit_limit", "1"], ["early_repayment", "1"], ["nlu_fallback", "1"]]
    questions = rows(lead.get(f"{console.url}/analytics/questions.csv?{PERIOD}").text)
    assert questions[1:] == [["还款日是哪天？（due.date）", "1"], ["提前还款要手续费或违约金吗？（early.fee）", "1"],
                             ["结算页为什么没有小米分期选项？（why.no_option）", "1"]]
    assert lead.get(f"{console.url}/analytics/nothing.csv").status_code == 404


def test_charts_are_svg_with_text_kept_as_text(lead, console):
    r = lead.get(f"{console.url}/analytics/charts/volume.svg?{PERIOD}")
    assert r.headers["Content-Type"].startswith("image/svg+xml")
    assert "每日会话数" in r.text and "<text" in r.text and "<script" not in r.text.lower()
    assert r.headers["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'"
    intents = lead.get(f"{console.url}/analytics/charts/intents.svg?{PERIOD}").text
    assert "未识别（澄清）" in intents and "转人工" in intents
    assert lead.get(f"{console.url}/analytics/charts/evil.svg").status_code == 404


def test_the_conversation_list_filters_and_exports_masked(lead, console):
    page = lead.get(f"{console.url}/conversations?{PERIOD}&handoff=1")
    assert "共 3 个会话" in page.text
    assert "共 1 个会话" in lead.get(f"{console.url}/conversations?{PERIOD}&low_rating=1").text
    assert "共 2 个会话" in lead.get(f"{console.url}/conversations?{PERIOD}&intent=request_human").text
    exported = lead.get(f"{console.url}/conversations.csv?{PERIOD}&intent=why_cannot_installment").text
    [row] = rows(exported)[1:]
    assert row[2:8] == ["App 内客服窗口", "2", "0", "为什么不能分期、转人工", "为什么不能分期，我手机138****5678", row[7]]
    assert known.PHONE not in exported and "demo_ok" not in exported


def test_a_conversation_is_shown_masked_with_intents_ticket_and_rating(lead, console):
    listing = lead.get(f"{console.url}/conversations?{PERIOD}&intent=why_cannot_installment").text
    conversation_id = re.search(r'href="/conversations/(\d+)\?back=', listing).group(1)
    page = lead.get(f"{console.url}/conversations/{conversation_id}").text
    assert "138****5678" in page and known.PHONE not in page
    assert "web:demo_ok" not in page and "demo_ok" not in page
    assert "为什么不能分期 · 置信度 0.90 · 标准问题 结算页为什么没有小米分期选项？（why.no_option）" in page
    assert "用户主动要求" in page and 'data-testid="rating">5<' in page
    wechat = lead.get(f"{console.url}/conversations?{PERIOD}&channel=wechat&fallback=1").text
    other = re.search(r'href="/conversations/(\d+)\?back=', wechat).group(1)
    shown = lead.get(f"{console.url}/conversations/{other}").text
    assert known.OPENID not in shown and "wx:" not in shown and "[点选] 小米分期额度" in shown


def test_reviews_need_the_csrf_token_and_feed_the_unreviewed_filter(lead, console):
    listing = lead.get(f"{console.url}/conversations?{PERIOD}&channel=rest").text
    conversation_id = re.search(r'href="/conversations/(\d+)\?back=', listing).group(1)
    url = f"{console.url}/conversations/{conversation_id}"
    token = CSRF.search(lead.get(url).text).group(1)
    form = {"tag": ["应转人工", "知识缺失"], "free": "物流问题、<b>粗体</b>", "reviewed": "1"}
    assert lead.post(url + "/review", data=form, allow_redirects=False).status_code == 403
    back = "/conversations?channel=rest"
    r = lead.post(url + "/review", data={**form, "csrf": token, "back": back}, allow_redirects=False)
    assert r.status_code == 303
    assert r.headers["Location"].startswith(f"/conversations/{conversation_id}?saved=1&back=")
    page = lead.get(console.url + r.headers["Location"]).text
    assert 'href="/conversations?channel=rest"' in page  # back to the filtered list
    assert 'href="http://evil.example' not in lead.get(url + "?back=//evil.example").text
    assert "已保存" in page and 'value="应转人工" checked' in page and "&lt;b&gt;粗体&lt;/b&gt;" in page
    assert "共 6 个会话" in lead.get(f"{console.url}/conversations?{PERIOD}&unreviewed=1").text
    too_long = lead.post(url + "/review", data={"csrf": token, "free": "很" * 30})
    assert too_long.status_code == 400 and "每个标签最多 20 字" in too_long.text
    assert lead.post(f"{console.url}/conversations/999999/review", data={"csrf": token}).status_code == 404


def test_a_bad_period_says_so_and_shows_seven_days(lead, console):
    page = lead.get(f"{console.url}/analytics?period=custom&from=2026-11-04&to=2026-11-01").text
    assert "时间段无效" in page and "近 7 天" in page


def test_revoking_the_role_takes_effect_on_the_next_request(env, console):
    assert fenqi(env, "agents", "add", "临时组长", "--role", "lead", stdin=AGENT_PASSWORD + "\n").returncode == 0
    http, _ = sign_in(console, "临时组长")
    assert http.get(console.url + "/analytics").status_code == 200
    result = fenqi(env, "agents", "revoke", "临时组长", "lead")
    assert result.returncode == 0 and "no longer has role lead" in result.stdout
    assert http.get(console.url + "/analytics").status_code == 403
