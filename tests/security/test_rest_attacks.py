"""Issue #11 attacks on the REST channel, against the real Rasa + action servers.

Each test is one attack from the issue; on the code before the secure channel each of them
succeeded (500s, a hang, an OOM, a foreign conversation reached, a token stored).
"""
from __future__ import annotations

import json
import time

import pytest
import requests

from tests.security.conftest import rss_peak_mb, texts

pytestmark = pytest.mark.e2e

DUE = "我这个月要还多少钱"
PAYOFF = "现在一次全部还清要还多少"


def test_380kb_emoji_message_is_refused_before_nlu_and_the_server_lives(rest, rasa_pid):
    started = time.monotonic()
    r = rest.post({"sender": "oom-1", "message": "😀" * 95_000})  # ~380 KB
    assert r.status_code == 413  # Sanic (64 KiB, every route) or the channel (16 KiB)
    assert time.monotonic() - started < 10
    assert rest.say("oom-1", "小米分期怎么还款")  # still answering
    assert rss_peak_mb(rasa_pid) < 1536


@pytest.mark.parametrize("raw", [b"[]", b"null", b"true", b'"hello"', b"{", b"\xff\xfe", b"[" * 4000])
def test_non_object_bodies_get_400_with_a_reason(rest, raw):
    r = rest.post(raw=raw)
    assert r.status_code == 400, r.text
    reason = r.json()["error"]
    assert reason and "\n" not in reason


def test_wrong_typed_message_in_stream_mode_gets_400_not_a_hang(rest):
    r = rest.post({"sender": "stream-1", "message": 5}, params={"stream": "true"}, timeout=15)
    assert r.status_code == 400 and r.json()["error"] == "message must be a string"


def test_stream_mode_ends(rest):
    r = rest.post({"sender": "stream-2", "message": "小米分期怎么还款"}, params={"stream": "true"},
                  timeout=60)
    assert r.status_code == 200
    lines = [json.loads(line) for line in r.text.splitlines() if line.strip()]
    assert lines and "还款" in texts(lines)


def test_too_long_message_gets_a_chinese_notice_and_never_reaches_nlu(rest):
    text = "还款" * 251  # 502 characters
    reply = texts(rest.say("long-1", text))
    assert "太长" in reply and "500" in reply
    assert text not in rest.user_texts("rest:anon:long-1")


@pytest.mark.parametrize("victim", ["web:demo_ok", "wx:o-victim", "anon:0123", "rest:u:demo_ok"])
def test_other_channels_conversations_cannot_be_named(rest, bot_stack, victim):
    """Posting as ``web:demo_ok`` injected into the widget history, read the victim's chosen
    order, opened tickets in their name and held their lock."""
    r = rest.post({"sender": victim, "message": f"转人工 injected-{victim}"})
    assert r.status_code == 400 and r.json()["error"] == "sender uses a reserved prefix"
    assert not any(f"injected-{victim}" in t for t in rest.user_texts(victim))
    rows = [line.split("\t") for line in bot_stack.fenqi("tickets", "list", "--all").stdout.splitlines()]
    assert all(row[6:7] != [victim] for row in rows)  # no ticket opened in the victim's conversation


def test_chosen_order_does_not_cross_to_another_token_on_the_same_sender(rest, bot_stack):
    victim, attacker = bot_stack.token("demo_ok"), bot_stack.token("demo_low_limit")
    first = rest.say("shared-1", PAYOFF, token=victim)  # a per-order question: which order?
    orders = [b["payload"] for m in first for b in m.get("buttons") or [] if "order_id" in b["payload"]]
    assert len(orders) == 2, texts(first)
    chosen = json.loads(orders[1][orders[1].index("{"):])
    rest.say("shared-1", orders[1], token=victim)
    stolen = texts(rest.say("shared-1", "那提前还呢？", token=attacker))
    assert chosen["order_id"] not in stolen, stolen


def test_unknown_order_ids_are_never_echoed(rest, bot_stack):
    token = bot_stack.token("demo_ok")
    reply = texts(rest.say("echo-1", '/repayment_due{"order_id": "ORD-DEMO-LL-1"}', token=token))
    assert "ORD-DEMO-LL-1" not in reply


def test_planted_non_string_order_id_is_ignored(rest, bot_stack):
    token = bot_stack.token("demo_ok")
    rest.say("plant-1", '/repayment_due{"order_id": 5}', token=token)
    rest.say("plant-1", '/repayment_due{"order_id": ["ORD-DEMO-OK-1"]}', token=token)
    reply = rest.say("plant-1", DUE, token=token)
    assert "订单" in texts(reply), reply  # a real personal answer, not an empty one
    slots = rest.tracker("rest:u:demo_ok:plant-1")["slots"]
    assert slots.get("order_id") in (None, "ORD-DEMO-OK-1", "ORD-DEMO-OK-2")


def test_client_input_channel_is_ignored(rest):
    rest.say("spoof-1", "你好", input_channel="wechat", metadata={"user_id": "demo_ok"})
    tracker = rest.tracker("rest:anon:spoof-1")
    assert tracker["latest_input_channel"] == "rest"
    assert "demo_ok" not in json.dumps(tracker["events"])


def test_clients_without_sender_do_not_share_a_default_conversation(rest):
    rest.say(None, "你好 marker-no-sender")
    assert not any("marker-no-sender" in t for t in rest.user_texts("default"))


def test_bearer_token_is_not_stored_in_the_tracker_or_logs(rest, bot_stack):
    token = bot_stack.token("demo_low_limit")
    assert "¥500.00" in texts(rest.say("tok-1", "为什么我有额度却不能分期", token=token))  # used this turn
    events = rest.tracker("rest:u:demo_low_limit:tok-1")["events"]
    stored = json.dumps(events)
    assert any(e["event"] == "user" for e in events)
    assert token not in stored and "auth_token" not in stored and "eyJ" not in stored
    for log in bot_stack.logs:
        assert token not in log.read_text(encoding="utf-8", errors="replace"), log.name


def test_typed_personal_numbers_are_masked_before_they_are_stored(rest, bot_stack):
    rest.say("pii-1", "我的手机号是１３８ １２３４ ５６７８，卡号 6222.0212.3456.7890")
    stored = " ".join(rest.user_texts("rest:anon:pii-1"))
    assert "138****5678" in stored and "622*********7890" in stored, stored
    assert "5678，卡号 6222" not in stored and "３４" not in stored
    for log in bot_stack.logs:
        assert "6222.0212.3456.7890" not in log.read_text(encoding="utf-8", errors="replace")


def test_api_is_refused_without_token(bot_stack):
    r = requests.get(f"{bot_stack.rasa_url}/conversations/rest:anon:pii-1/tracker", timeout=10)
    assert r.status_code == 401


def test_api_token_in_a_header_and_a_wrong_token_is_401(bot_stack):
    from tests.support.stack import API_TOKEN
    status = f"{bot_stack.rasa_url}/status"
    assert requests.get(status, headers={"Authorization": f"Bearer {API_TOKEN}"}, timeout=10).ok
    assert requests.get(status, params={"token": API_TOKEN[:-1] + "x"}, timeout=10).status_code == 401


def test_account_store_is_private_from_the_start(bot_stack):
    store = bot_stack.workdir / "fenqi.db"
    assert store.stat().st_mode & 0o077 == 0, oct(store.stat().st_mode)
