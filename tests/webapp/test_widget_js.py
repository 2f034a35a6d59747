"""The widget script's fixed texts and timings that must agree with the server (fenqi/resilience.py)."""
from __future__ import annotations

import re

from fenqi.resilience import BUSY_TEXT, SHOPPER_WAIT_LIMIT_S, TURN_DEADLINE_S
from tests.support.stack import ROOT

WIDGET = (ROOT / "webapp" / "static" / "widget.js").read_text(encoding="utf-8")


def test_the_widget_says_the_servers_busy_message():
    assert re.search(r'var BUSY_TEXT = "([^"]+)";', WIDGET).group(1) == BUSY_TEXT


def test_the_widget_gives_up_after_the_server_and_before_the_shopper_limit():
    reply_timeout_s = int(re.search(r"var REPLY_TIMEOUT_MS = (\d+);", WIDGET).group(1)) / 1000
    assert TURN_DEADLINE_S < reply_timeout_s < SHOPPER_WAIT_LIMIT_S
