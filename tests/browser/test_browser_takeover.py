"""Live agent takeover with two browser contexts against the real stack: a shopper in the widget,
an agent in the console (``python -m console``) on the same account store.

转人工 -> accept -> agent writes -> shopper sees it -> shopper writes -> agent sees it (masked) ->
the bot said nothing meanwhile (Rasa's tracker got no turn) -> hand back -> rating button ->
the bot answers again -> the rating is stored with the ticket -> a reloaded page shows it all.
"""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from fenqi import clock
from fenqi.db.engine import make_engine
from fenqi.db.models import Agent, HandoffTicket, TicketTakeover
from fenqi.handoff import TicketRequest, live, open_ticket
from fenqi.handoff.takeover import Accept, Close
from tests.browser.test_browser_widget import PHONE, WAIT_MS, ask, bot_count, open_page, sign_in
from tests.support.console import AGENT_PASSWORD, add_agent, start_console
from tests.support.stack import API_TOKEN, ROOT

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

SHOPPER = "demo_overdue"     # a verified user with overdue bills: the console's summary has something to show
AGENT = "安娜"
DESK = {"width": 1280, "height": 860}
SCREENSHOT = ROOT / "docs" / "img" / "console.png"


@pytest.fixture(scope="module")
def console(stack, tmp_path_factory):
    add_agent(stack.env, AGENT)
    c = start_console(stack.env, tmp_path_factory.mktemp("console"))
    yield c
    c.stop()


def tracker_turns(rasa_url, api_token, sender):
    """(user texts, bot texts) in Rasa's tracker of the shopper's conversation."""
    events = requests.get(f"{rasa_url}/conversations/{sender}/tracker", params={"token": api_token},
                          timeout=30).json()["events"]
    return ([e.get("text") for e in events if e.get("event") == "user"],
            [e.get("text") for e in events if e.get("event") == "bot"])


def bot_texts(page):
    return page.locator(".fq-msg.fq-bot").all_inner_texts()


def wait_for_bot_text(page, text):
    page.locator(".fq-msg.fq-bot", has_text=text).first.wait_for(timeout=WAIT_MS)


def takeover_row(database_url, ticket_id):
    engine = make_engine(database_url)
    try:
        with Session(engine, future=True) as s:
            row = s.get(TicketTakeover, ticket_id)
            ticket = s.get(HandoffTicket, ticket_id)
            return (row.state, row.rating, ticket.status) if row else None
    finally:
        engine.dispose()


def test_agent_takes_over_the_widget_conversation_and_hands_it_back(browser, web_url, stack, console):
    takeover_flow(browser, web_url, console.url, stack.rasa_url, API_TOKEN, stack.env["FENQI_DATABASE_URL"],
                  SHOPPER, SCREENSHOT)


def takeover_flow(browser, web_url, console_url, rasa_url, api_token, database_url, shopper_user,
                  screenshot=None):
    """The whole takeover with two browser contexts; ``rasa_url`` serves the tracker API."""
    sender = f"web:{shopper_user}"

    def turns():
        return tracker_turns(rasa_url, api_token, sender)
    agent_ctx = browser.new_context(viewport=DESK, locale="zh-CN")
    shopper_ctx, shopper = open_page(browser, web_url)
    try:
        agent = agent_ctx.new_page()
        agent.goto(console_url + "/")
        agent.fill("input[name=name]", AGENT)
        agent.fill("input[name=password]", AGENT_PASSWORD)
        agent.click("[data-testid=login]")
        agent.wait_for_selector("[data-testid=agent-name]", timeout=WAIT_MS)

        # the shopper asks for a person
        sign_in(shopper, shopper_user)
        ask(shopper, "我的账单逾期了怎么办")
        ask(shopper, "转人工")
        handoff = "\n".join(bot_texts(shopper))
        ticket_id = int(re.search(r"工单号 #(\d+)", handoff).group(1))
        assert "暂无空闲" not in handoff  # an agent is signed in

        # the agent sees it in the queue and accepts
        row = agent.locator(f"[data-testid=queue-row][data-ticket='{ticket_id}']")
        row.wait_for(timeout=WAIT_MS)
        assert "App 内客服窗口" in row.inner_text() and "已验证用户" in row.inner_text()
        row.locator("[data-testid=open-ticket]").click()
        agent.wait_for_selector("[data-testid=account]")
        transcript = agent.inner_text("[data-testid=transcript]")
        assert "我的账单逾期了怎么办" in transcript and "转人工" in transcript
        assert "逾期" in agent.inner_text("[data-testid=account]")
        agent.click("[data-testid=accept]")
        agent.locator("[data-testid=state]", has_text="人工服务中").wait_for(timeout=WAIT_MS)

        wait_for_bot_text(shopper, f"人工客服 {AGENT} 为您服务")
        users_before, bots_before = turns()
        shown_before = bot_count(shopper)

        # agent -> shopper
        agent.fill("[data-testid=reply]", "您好，我是安娜，我来帮您看看逾期的账单。")
        agent.press("[data-testid=reply]", "Enter")
        wait_for_bot_text(shopper, "我来帮您看看逾期的账单")
        agent.locator("[data-testid=live-agent][data-delivery=delivered]").first.wait_for(timeout=WAIT_MS)

        # shopper -> agent, masked
        shopper.fill(".fq-input input", "好的，我的手机号是13812345678")
        shopper.click(".fq-send")
        agent.locator("[data-testid=live-shopper]", has_text="138****5678").wait_for(timeout=WAIT_MS)
        assert "13812345678" not in agent.inner_text("[data-testid=live]")

        # the bot said nothing meanwhile: one bubble (the agent's), and Rasa's tracker got no turn
        shopper.wait_for_timeout(3000)
        assert bot_count(shopper) == shown_before + 1
        assert turns() == (users_before, bots_before)
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            agent.screenshot(path=str(screenshot))

        # hand back: the bot says so and asks for a rating (buttons)
        agent.click("[data-testid=handback]")
        wait_for_bot_text(shopper, live.RESUMED)
        shopper.locator(".fq-quick .fq-chip", has_text="5 分").first.wait_for(timeout=WAIT_MS)
        shopper.locator(".fq-quick .fq-chip", has_text="5 分").first.click()
        wait_for_bot_text(shopper, "感谢您的评价（5 分）")
        agent.locator("[data-testid=state]", has_text="评分 5").wait_for(timeout=WAIT_MS)

        # the bot answers again
        before = bot_count(shopper)
        ask(shopper, "小米分期怎么还款")
        assert bot_count(shopper) > before
        users_after, bots_after = turns()
        assert users_after[-1] == "小米分期怎么还款" and len(bots_after) > len(bots_before)
        assert takeover_row(database_url, ticket_id) == ("returned", 5, "closed")

        # a reloaded page shows the live-agent part too, in its place and masked
        shopper.reload()
        shopper.wait_for_selector(".fq-status-ok", timeout=WAIT_MS)
        shopper.locator(".fq-msg.fq-bot", has_text="我来帮您看看逾期的账单").first.wait_for(timeout=WAIT_MS)
        shown = shopper.evaluate(
            "Array.from(document.querySelectorAll('.fq-msg')).map(e => [e.classList.contains('fq-user'), e.innerText])")
        steps = [(True, "我的账单逾期了怎么办"), (True, "转人工"), (False, f"人工客服 {AGENT} 为您服务"),
                 (False, "我来帮您看看逾期的账单"), (True, "138****5678"), (False, live.RESUMED), (True, "评分 5"),
                 (True, "小米分期怎么还款")]
        places = [next(i for i, (user, text) in enumerate(shown) if user == who and needle in text)
                  for who, needle in steps]
        assert places == sorted(places)
        assert "13812345678" not in "\n".join(text for _, text in shown)
        assert shopper.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        shopper_ctx.close()
        agent_ctx.close()


def test_an_agent_message_nobody_could_deliver_expires_visibly_in_the_console(browser, stack, console):
    """Issue #21: a message that waited longer than FENQI_AGENT_MESSAGE_TTL (15 min) for a shopper who
    left is marked undeliverable by the bot's outbox and the console's ticket page says so."""
    engine = make_engine(stack.env["FENQI_DATABASE_URL"])
    long_ago = clock.now() - timedelta(days=1)
    try:
        with Session(engine, future=True) as s:
            agent = s.scalar(select(Agent.id).where(Agent.name == AGENT))
            ticket, _ = open_ticket(s, TicketRequest("anon:left-yesterday", "secure_socketio", None, "近期话题：无", []),
                                    long_ago)
            live.transition(s, ticket.id, Accept(agent), long_ago)
            live.post_agent_message(s, ticket.id, agent, "您好，请问还在吗？", long_ago)
            s.commit()
            ticket_id = ticket.id
        ctx = browser.new_context(viewport=DESK, locale="zh-CN")
        try:
            page = ctx.new_page()
            page.goto(console.url + "/")
            page.fill("input[name=name]", AGENT)
            page.fill("input[name=password]", AGENT_PASSWORD)
            page.click("[data-testid=login]")
            page.wait_for_selector("[data-testid=agent-name]", timeout=WAIT_MS)
            page.goto(f"{console.url}/tickets/{ticket_id}")
            expired = page.locator("[data-testid=live-agent][data-delivery=failed]", has_text="请问还在吗")
            expired.wait_for(timeout=60_000)  # the outbox sweeps every 10 s
            assert "未送达：用户 15 分钟内未上线，消息已过期" in expired.inner_text()
            greeting = page.locator("[data-testid=live-system][data-delivery=failed]")
            assert "消息已过期" in greeting.first.inner_text()
        finally:
            ctx.close()
        with Session(engine, future=True) as s:
            live.transition(s, ticket_id, Close(agent), clock.now())  # leave no open ticket behind
            s.commit()
    finally:
        engine.dispose()
