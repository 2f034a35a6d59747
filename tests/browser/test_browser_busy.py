"""The widget when its message's turn is lost: the shopper sees the busy message, not silence.

The Rasa server is frozen (SIGSTOP) with the shopper's message in it, then the connection drops
(the page's own web app relay is killed): the widget says the message was not processed.
"""
from __future__ import annotations

import os
import signal

import pytest

from fenqi.resilience import BUSY_TEXT
from tests.browser.conftest import launch_webapp
from tests.browser.test_browser_widget import bot_count, open_page

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]


def test_a_message_lost_with_its_connection_gets_the_busy_message(browser, stack, tmp_path):
    relay, url = launch_webapp(stack, tmp_path / "web.log")
    context, page = open_page(browser, url)
    os.kill(stack.rasa_pid, signal.SIGSTOP)
    try:
        before = bot_count(page)
        page.fill(".fq-input input", "小米分期怎么还款")
        page.click(".fq-send")
        page.wait_for_timeout(1500)
        assert bot_count(page) == before  # no answer: the turn is stuck in the frozen server
        relay.kill()  # the connection drops with the message unanswered
        relay.wait(10)
        page.locator(".fq-msg.fq-bot").nth(before).wait_for(timeout=15_000)
        assert page.locator(".fq-msg.fq-bot").nth(before).inner_text().strip() == BUSY_TEXT
        assert page.locator("[data-testid=typing]").is_hidden()
    finally:
        os.kill(stack.rasa_pid, signal.SIGCONT)
        context.close()
        if relay.poll() is None:
            relay.kill()
