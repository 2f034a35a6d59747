"""The chat widget in headless Chromium against the real bot (Rasa + actions + seeded store).

Expected facts come from the account store the stack seeded, never from the bot's wording.
"""
from __future__ import annotations

import pytest
import requests
from sqlalchemy.orm import Session

from fenqi.accounts.repository import load_snapshot
from fenqi.db.engine import make_engine
from fenqi.money import format_cny
from tests.support.stack import API_TOKEN, ROOT

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

QUESTION = "为什么我不能分期"
ALICE = "demo_low_limit"  # has a 小米分期 line too small for the cart: a personal answer
BOB = "demo_ok"
PHONE = {"width": 390, "height": 844}
WAIT_MS = 60_000
SCREENSHOT = ROOT / "docs" / "img" / "widget.png"


def account_amounts(stack, user_id):
    """The user's available 小米分期 credit and cart total as the bot would print them."""
    engine = make_engine(stack.env["FENQI_DATABASE_URL"])
    try:
        with Session(engine, future=True) as session:
            snapshot = load_snapshot(session, user_id)
    finally:
        engine.dispose()
    return format_cny(snapshot.credit.available), format_cny(snapshot.cart_total)


def open_page(browser, web_url):
    context = browser.new_context(viewport=PHONE, locale="zh-CN", device_scale_factor=2)
    page = context.new_page()
    page.goto(web_url)
    page.wait_for_selector(".fq-status-ok, .fq-status-anon", timeout=WAIT_MS)
    return context, page


def sign_in(page, user_id):
    page.wait_for_selector(f"[data-testid=demo-user] option[value={user_id}]", state="attached")
    page.select_option("[data-testid=demo-user]", user_id)
    page.click("[data-testid=demo-login]")
    page.wait_for_selector(".fq-status-ok", timeout=WAIT_MS)


def bot_count(page) -> int:
    return page.locator(".fq-msg.fq-bot").count()


def wait_for_reply(page, before: int) -> None:
    """Until a new bot message is shown and the typing indicator is gone."""
    page.locator(".fq-msg.fq-bot").nth(before).wait_for(timeout=WAIT_MS)
    page.wait_for_selector("[data-testid=typing]", state="hidden", timeout=WAIT_MS)


def ask(page, text: str) -> None:
    before = bot_count(page)
    page.fill(".fq-input input", text)
    page.click(".fq-send")
    wait_for_reply(page, before)


def messages_text(page) -> str:
    """The conversation's bubbles (not the welcome note and its example questions)."""
    return "\n".join(page.locator(".fq-msg").all_inner_texts())


@pytest.fixture(scope="module")
def alice(browser, web_url, stack):
    """Alice signed in on a phone-sized page, having asked the question once."""
    context, page = open_page(browser, web_url)
    sign_in(page, ALICE)
    ask(page, QUESTION)
    yield page
    context.close()


def test_signed_in_user_gets_a_personal_answer_rendered_readably(alice, stack):
    available, cart_total = account_amounts(stack, ALICE)
    assert "李娜" in alice.inner_text(".fq-status")
    assert alice.locator(".fq-msg.fq-user").first.inner_text() == QUESTION
    amounts = alice.locator(".fq-bot .fq-amount").all_inner_texts()
    assert available in amounts and cart_total in amounts
    steps = alice.locator(".fq-bot ol.fq-steps > li")
    assert steps.count() >= 2  # the fixes come as numbered steps, not as "1. …" text
    assert not steps.first.inner_text().lstrip().startswith("1.")
    assert alice.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_quick_reply_then_reload_shows_the_history(alice, stack):
    chips = alice.locator(".fq-bot .fq-quick .fq-chip")
    assert chips.count() >= 1
    title = chips.first.inner_text()
    before = bot_count(alice)
    chips.first.click()
    wait_for_reply(alice, before)
    assert alice.locator(".fq-msg.fq-user").last.inner_text() == title
    shown = messages_text(alice)
    session_id = alice.get_attribute("[data-testid=chat]", "data-session-id")

    alice.reload()
    alice.wait_for_selector(".fq-status-ok", timeout=WAIT_MS)
    alice.locator(".fq-msg.fq-user").nth(1).wait_for(timeout=WAIT_MS)
    users = alice.locator(".fq-msg.fq-user").all_inner_texts()
    assert users == [QUESTION, title]
    assert alice.get_attribute("[data-testid=chat]", "data-session-id") == session_id
    available, _ = account_amounts(stack, ALICE)
    assert available in messages_text(alice)
    assert messages_text(alice) == shown  # the same conversation, rendered the same way
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    alice.screenshot(path=str(SCREENSHOT))


def test_another_user_cannot_read_or_write_the_first_users_conversation(alice, browser, web_url, stack):
    session_id = alice.get_attribute("[data-testid=chat]", "data-session-id")
    assert session_id
    alice_before = alice.locator(".fq-msg").count()
    context, page = open_page(browser, web_url)
    try:
        sign_in(page, BOB)
        login = page.evaluate("JSON.parse(sessionStorage.getItem('fenqi.demoLogin'))")
        assert login["user"]["user_id"] == BOB
        intrusion = "把李娜的分期账单给我看"
        events = page.evaluate("""async ([token, foreign, text]) => {
            const events = [];
            const s = io({path: "/socket.io", transports: ["polling"], auth: {token}, forceNew: true});
            s.onAny((event, data) => events.push([event, data]));
            await new Promise((ok, fail) => { s.on("connect", ok); s.on("connect_error", fail); });
            s.emit("session_request", {session_id: foreign});
            await new Promise(r => setTimeout(r, 1500));
            s.emit("user_uttered", {message: text, session_id: foreign,
                                    metadata: {user_id: "demo_low_limit"}});
            await new Promise(r => setTimeout(r, 4000));
            s.disconnect();
            return events;
        }""", [login["token"], session_id, intrusion])
        names = [name for name, _ in events]
        assert names.count("session_refused") == 2
        assert ["session_confirm", f"web:{BOB}"] in events
        assert "bot_uttered" not in names and "bot_typing" not in names
        history = next(data for name, data in events if name == "history")
        assert history["session_id"] == f"web:{BOB}"
        assert QUESTION not in str(events)
        available, _ = account_amounts(stack, ALICE)
        assert available not in messages_text(page) and QUESTION not in messages_text(page)

        tracker = requests.get(f"{stack.rasa_url}/conversations/{session_id}/tracker",
                               params={"token": API_TOKEN}, timeout=30).json()
        texts = [e.get("text") for e in tracker["events"] if e.get("event") == "user"]
        assert QUESTION in texts and intrusion not in texts
        page.wait_for_timeout(500)
        assert alice.locator(".fq-msg").count() == alice_before
        assert intrusion not in messages_text(alice)
    finally:
        context.close()


def test_anonymous_visitor_gets_general_guidance_only(browser, web_url, stack):
    context, page = open_page(browser, web_url)
    try:
        assert "匿名" in page.inner_text(".fq-status")
        ask(page, QUESTION)
        reply = messages_text(page)
        assert reply.startswith(QUESTION) and len(reply) > len(QUESTION) + 20
        assert "¥" not in reply  # no account figures without a verified login
        session_id = page.get_attribute("[data-testid=chat]", "data-session-id")
        assert session_id.startswith("anon:")
    finally:
        context.close()


def test_signing_out_on_one_page_signs_the_users_other_pages_out(browser, web_url, stack):
    """Issue 21: a page whose user signed out elsewhere kept showing and receiving that user's
    conversation. Signing out goes through the server: every page of the user is told to sign in
    again, drops the conversation, and hears none of the user's later answers."""
    user = "demo_promo"
    ctx_a, here = open_page(browser, web_url)
    ctx_b, elsewhere = open_page(browser, web_url)
    contexts = [ctx_a, ctx_b]
    try:
        sign_in(here, user)
        sign_in(elsewhere, user)
        ask(elsewhere, QUESTION)
        assert "促销活动限制" in messages_text(elsewhere)
        here.click("#demo-logout")
        here.wait_for_selector(".fq-status-anon", timeout=WAIT_MS)
        assert "退出登录" not in here.inner_text(".fq-status")  # its own sign-out: just anonymous
        ctx_a.close()
        elsewhere.locator(".fq-status-error", has_text="请重新登录").wait_for(timeout=WAIT_MS)
        assert elsewhere.locator(".fq-msg").count() == 0  # the user's conversation is gone
        assert elsewhere.evaluate("sessionStorage.getItem('fenqi.demoLogin')") is None

        ctx_c, later = open_page(browser, web_url)
        contexts.append(ctx_c)
        sign_in(later, user)  # signing in again after the sign-out works
        ask(later, "我的分期账单什么时候还")
        elsewhere.wait_for_timeout(1500)
        assert elsewhere.locator(".fq-msg").count() == 0
        assert elsewhere.get_attribute("[data-testid=chat]", "data-session-id").startswith("anon:")
    finally:
        for context in contexts:
            context.close()
