"""The channel-neutral relay: outbox delivery once per message, WeChat's 48-hour window and API
failures shown as delivery states, the channel texts."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from fenqi.db.engine import session_scope
from fenqi.handoff import TicketRequest, live, open_ticket
from fenqi.handoff.agents import add_agent
from fenqi.handoff.relay import TakeoverRelay, wechat_sender, wechat_text, wechat_window_open, widget_payload
from fenqi.handoff.takeover import Accept, HandBack
from fenqi.wechat.api import WeChatApiError
from tests.support.times import BJ

T0 = datetime(2026, 5, 1, 10, 0, 0, tzinfo=BJ)


class FakeApi:
    """Stands in for WeChatApi.send_text (the HTTP client is tested in tests/fenqi/wechat)."""

    def __init__(self, errcode=None):
        self.sent, self.errcode = [], errcode

    async def send_text(self, openid, text):
        if self.errcode:
            raise WeChatApiError(self.errcode, "refused")
        self.sent.append((openid, text))


@pytest.fixture
def wechat_ticket(store):
    with session_scope(store) as s:
        agent = add_agent(s, "安娜", "a long enough secret", T0)
        ticket, _ = open_ticket(s, TicketRequest("wx:openid-1", "wechat", None, "近期话题：无", []), T0)
        live.intercept(s, "wx:openid-1", "转人工", T0)  # the shopper's last message: T0
        live.transition(s, ticket.id, Accept(agent.id), T0)
        live.post_agent_message(s, ticket.id, agent.id, "您好", T0)
        return store, agent.id, ticket.id


def deliveries(store, ticket):
    with session_scope(store) as s:
        return [(m.author, m.delivery, m.delivery_error) for m in live.messages(s, ticket)]


def test_wechat_messages_go_out_through_the_api_within_48_hours(wechat_ticket):
    store, agent, ticket = wechat_ticket
    api = FakeApi()
    relay = TakeoverRelay(lambda: store, clock=lambda: T0 + timedelta(hours=1))
    assert asyncio.run(relay.deliver_once(["wx:"], wechat_sender(api, lambda: T0 + timedelta(hours=1)))) == 2
    assert api.sent == [("openid-1", "人工客服 安娜 为您服务。"), ("openid-1", "人工客服 安娜：您好")]
    assert asyncio.run(relay.deliver_once(["wx:"], wechat_sender(api))) == 0  # nothing twice
    assert deliveries(store, ticket) == [("system", "delivered", None), ("agent", "delivered", None)]


def test_after_48_hours_messages_are_marked_undeliverable(wechat_ticket):
    store, agent, ticket = wechat_ticket
    late = T0 + timedelta(hours=49)
    api = FakeApi()
    asyncio.run(TakeoverRelay(lambda: store).deliver_once(["wx:"], wechat_sender(api, lambda: late)))
    assert api.sent == []
    assert deliveries(store, ticket) == [("system", "failed", "window_closed"), ("agent", "failed", "window_closed")]


@pytest.mark.parametrize("errcode, reason", [(45015, "window_closed"), (45047, "quota"), (40003, "api_error")])
def test_api_refusals_are_shown_as_delivery_failures(wechat_ticket, errcode, reason):
    store, agent, ticket = wechat_ticket
    asyncio.run(TakeoverRelay(lambda: store).deliver_once(["wx:"], wechat_sender(FakeApi(errcode), lambda: T0)))
    assert {e for a, _, e in deliveries(store, ticket) if a != "shopper"} == {reason}


def test_no_api_configured_is_a_failure_too(wechat_ticket):
    store, agent, ticket = wechat_ticket
    asyncio.run(TakeoverRelay(lambda: store).deliver_once(["wx:"], wechat_sender(None, lambda: T0)))
    assert {e for a, _, e in deliveries(store, ticket)} == {"no_channel"}


def test_the_hand_back_asks_for_a_numbered_rating_in_wechat_and_buttons_in_the_widget(wechat_ticket):
    store, agent, ticket = wechat_ticket
    with session_scope(store) as s:
        live.transition(s, ticket, HandBack(agent), T0)
        pending = live.pending_deliveries(s, ["wx:"])
    request = pending[-1]
    assert request.kind == "rating_request"
    assert "回复数字 1–5" in wechat_text(request)
    assert [b["title"] for b in widget_payload(request)["quick_replies"]] == ["5 分", "4 分", "3 分", "2 分", "1 分"]


def test_window_rule():
    assert wechat_window_open(T0, T0 + timedelta(hours=47, minutes=59))
    assert not wechat_window_open(T0, T0 + timedelta(hours=48))
    assert not wechat_window_open(None, T0)


def test_a_store_failure_lets_the_bot_answer():
    def broken():
        raise RuntimeError("store down")
    assert asyncio.run(TakeoverRelay(broken).intercept("web:x", "你好")) == live.PASS


def test_a_ticket_opened_by_the_shoppers_message_starts_the_48_hour_window(store):
    with session_scope(store) as s:
        agent = add_agent(s, "ben", "a long enough secret", T0)
        ticket, _ = open_ticket(s, TicketRequest("wx:openid-2", "wechat", None, "", []), T0)
        live.transition(s, ticket.id, Accept(agent.id), T0 + timedelta(minutes=1))
        [greeting] = live.pending_deliveries(s, ["wx:openid-2"])
    assert greeting.last_inbound_at == T0


def test_history_shows_the_live_conversation_as_the_widget_showed_it(wechat_ticket):
    store, agent, ticket = wechat_ticket
    relay = TakeoverRelay(lambda: store, clock=lambda: T0)
    with session_scope(store) as s:
        for m in live.messages(s, ticket):
            live.claim(s, m.id, T0)
        live.transition(s, ticket, HandBack(agent), T0 + timedelta(minutes=1))
        for m in live.messages(s, ticket):
            live.claim(s, m.id, T0 + timedelta(minutes=1))
    lines = asyncio.run(relay.history("wx:openid-1", 50))
    assert [(line["sender"], line.get("source"), line["text"]) for line in lines] == [
        ("bot", "system", "人工客服 安娜 为您服务。"), ("bot", "agent", "人工客服 安娜：您好"),
        ("bot", "system", live.RESUMED), ("bot", "system", live.RATING_REQUEST)]
    assert lines[-1]["quick_replies"] == widget_payload(
        live.Delivery(0, ticket, "wx:openid-1", "wechat", "rating_request", "x", None, None))["quick_replies"]
    assert lines[0]["timestamp"] == T0.timestamp() and lines[-1]["timestamp"] == (T0 + timedelta(minutes=1)).timestamp()


def test_history_is_empty_when_the_store_fails():
    def broken():
        raise RuntimeError("store down")
    assert asyncio.run(TakeoverRelay(broken).history("web:demo_ok", 50)) == []
