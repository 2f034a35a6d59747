"""Live takeover in a real SQLite store: accept/release/hand back, the message log, the channel hook,
the outbox, and two agents racing for one ticket."""
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from fenqi.db.engine import session_scope
from fenqi.db.models import HandoffTicket, TicketMessage, TicketTakeover
from fenqi.handoff import TicketRequest, live, open_ticket, open_ticket_for
from fenqi.handoff.agents import add_agent
from fenqi.handoff.takeover import (
    ACCEPTED,
    CLOSED,
    QUEUED,
    RETURNED,
    Accept,
    Close,
    HandBack,
    InvalidTransition,
    Release,
)
from tests.support.times import BJ

T0 = datetime(2026, 5, 1, 10, 0, 0, tzinfo=BJ)
PASSWORD = "correct horse battery"


@pytest.fixture
def setup(store):
    """Two agents and one open ticket for sender ``web:demo_ok``."""
    with session_scope(store) as s:
        anna, ben = add_agent(s, "安娜", PASSWORD, T0), add_agent(s, "ben", PASSWORD, T0)
        ticket, _ = open_ticket(s, TicketRequest("web:demo_ok", "secure_socketio", "demo_ok", "近期话题：怎么还款",
                                                 [{"speaker": "user", "text": "转人工"}]), T0)
        ids = anna.id, ben.id, ticket.id
    return store, ids


def texts(s, ticket_id):
    return [(m.author, m.kind, m.text, m.delivery) for m in live.messages(s, ticket_id)]


def test_accept_silences_the_bot_and_greets_the_shopper_by_the_agents_name(setup):
    store, (anna, _, ticket) = setup
    with session_scope(store) as s:
        assert live.intercept(s, "web:demo_ok", "在吗", T0) == live.PASS  # queued: the bot answers
        assert live.transition(s, ticket, Accept(anna), T0).state == ACCEPTED
    with session_scope(store) as s:
        got = live.intercept(s, "web:demo_ok", "我的手机号 13812345678 收不到验证码", T0 + timedelta(seconds=5))
        assert got.handled and got.reply is None and got.ticket_id == ticket
        assert texts(s, ticket) == [("system", "text", "人工客服 安娜 为您服务。", "pending"),
                                    ("shopper", "text", "我的手机号 138****5678 收不到验证码", "received")]
        assert s.get(TicketTakeover, ticket).last_inbound_at == T0 + timedelta(seconds=5)


def test_only_the_owner_writes_and_an_empty_message_is_refused(setup):
    store, (anna, ben, ticket) = setup
    with session_scope(store) as s:
        with pytest.raises(InvalidTransition):
            live.post_agent_message(s, ticket, anna, "您好", T0)  # not accepted yet
        live.transition(s, ticket, Accept(anna), T0)
        with pytest.raises(InvalidTransition):
            live.post_agent_message(s, ticket, ben, "您好", T0)
        with pytest.raises(ValueError):
            live.post_agent_message(s, ticket, anna, "   ", T0)
        message = live.post_agent_message(s, ticket, anna, "您好，" + "很" * 2000, T0)
        assert (message.author, message.delivery, len(message.text)) == ("agent", "pending", live.MAX_TEXT)


def test_two_agents_racing_for_one_ticket_one_wins(setup):
    store, (anna, ben, ticket) = setup
    first, second = store(), store()
    try:
        live._row(first, first.get(HandoffTicket, ticket))
        first.commit()
        # both read 'queued'; anna's conditional update lands first
        live.transition(first, ticket, Accept(anna), T0)
        first.commit()
        with pytest.raises(InvalidTransition):
            live.transition(second, ticket, Accept(ben), T0)
        second.rollback()
    finally:
        first.close()
        second.close()
    with session_scope(store) as s:
        assert s.get(TicketTakeover, ticket).agent_id == anna


def test_release_requeues_and_the_bot_answers_again_meanwhile(setup):
    store, (anna, ben, ticket) = setup
    with session_scope(store) as s:
        live.transition(s, ticket, Accept(anna), T0)
        assert live.transition(s, ticket, Release(anna), T0).state == QUEUED
        assert live.intercept(s, "web:demo_ok", "还在吗", T0) == live.PASS
        assert open_ticket_for(s, "web:demo_ok").id == ticket  # still queued, same place
        assert live.transition(s, ticket, Accept(ben), T0).agent_id == ben


@pytest.mark.parametrize("event, state", [(HandBack, RETURNED), (Close, CLOSED)])
def test_hand_back_ends_the_ticket_tells_the_shopper_and_stores_the_rating(setup, event, state):
    store, (anna, _, ticket) = setup
    with session_scope(store) as s:
        live.transition(s, ticket, Accept(anna), T0)
        live.transition(s, ticket, event(anna), T0 + timedelta(minutes=3))
        stored = s.get(HandoffTicket, ticket)
        assert (stored.status, stored.closed_at) == ("closed", T0 + timedelta(minutes=3))
        assert texts(s, ticket)[-2:] == [("system", "text", live.RESUMED, "pending"),
                                        ("system", "rating_request", live.RATING_REQUEST, "pending")]
    with session_scope(store) as s:
        got = live.intercept(s, "web:demo_ok", "评分 4", T0 + timedelta(minutes=4))
        assert got.handled and "4 分" in got.reply
        row = s.get(TicketTakeover, ticket)
        assert (row.state, row.rating, row.rating_offered) == (state, 4, False)
    with session_scope(store) as s:  # a second rating is an ordinary message for the bot
        assert live.intercept(s, "web:demo_ok", "5", T0 + timedelta(minutes=5)) == live.PASS


def test_a_message_that_is_no_rating_ends_the_rating_offer(setup):
    store, (anna, _, ticket) = setup
    with session_scope(store) as s:
        live.transition(s, ticket, Accept(anna), T0)
        live.transition(s, ticket, HandBack(anna), T0)
    with session_scope(store) as s:
        assert live.intercept(s, "web:demo_ok", "怎么提前还款", T0) == live.PASS
    with session_scope(store) as s:  # "2" now picks a numbered option, it is no rating
        assert live.intercept(s, "web:demo_ok", "2", T0) == live.PASS
        assert s.get(TicketTakeover, ticket).rating is None


@pytest.mark.parametrize("text, score", [("5", 5), ("评分 3", 3), ("评分：1", 1), ("4分", 4), (" 2 星 ", 2),
                                         ("6", None), ("0", None), ("35", None), ("3期", None), ("", None)])
def test_parse_rating(text, score):
    assert live.parse_rating(text) == score


def test_outbox_claims_each_message_once_and_records_failures(setup):
    store, (anna, _, ticket) = setup
    with session_scope(store) as s:
        live.transition(s, ticket, Accept(anna), T0)
        live.post_agent_message(s, ticket, anna, "您好", T0)
    with session_scope(store) as s:
        pending = live.pending_deliveries(s, ["web:"])
        assert [(d.sender_id, d.text) for d in pending] == [("web:demo_ok", "人工客服 安娜 为您服务。"),
                                                          ("web:demo_ok", "您好")]
        assert live.pending_deliveries(s, ["wx:"]) == []
        assert live.claim(s, pending[0].message_id, T0) is True
        assert live.claim(s, pending[0].message_id, T0) is False
        live.mark_failed(s, pending[1].message_id, "window_closed")
    with session_scope(store) as s:
        assert live.pending_deliveries(s, ["web:"]) == []
        rows = s.scalars(select(TicketMessage).order_by(TicketMessage.id)).all()
        assert [(m.delivery, m.delivery_error) for m in rows] == [("delivered", None), ("failed", "window_closed")]


def _stranded(s, anna, sender, count, at):
    ticket, _ = open_ticket(s, TicketRequest(sender, "secure_socketio", None, "", []), at)
    live.transition(s, ticket.id, Accept(anna), at)
    for n in range(count - 1):
        live.post_agent_message(s, ticket.id, anna, f"消息 {n}", at)
    return ticket.id


def test_the_outbox_reads_only_the_recipients_it_can_reach_and_never_another_channel(setup):
    """Issue #21: 120 older messages for shoppers who left do not fill the page of one who is here."""
    store, (anna, _, ticket) = setup
    with session_scope(store) as s:
        for n in range(3):
            _stranded(s, anna, f"web:gone{n}", 40, T0)
        _stranded(s, anna, "wx:openid-gone", 60, T0)
        live.transition(s, ticket, Accept(anna), T0)
        live.post_agent_message(s, ticket, anna, "您好", T0)
    with session_scope(store) as s:
        assert len(live.pending_deliveries(s, ["web:"])) == 50  # the oldest page: nobody who is here
        here = live.pending_deliveries(s, ["web:", "anon:"], recipients=["web:demo_ok", "anon:nobody"])
        assert [(d.sender_id, d.text) for d in here] == [("web:demo_ok", "人工客服 安娜 为您服务。"),
                                                       ("web:demo_ok", "您好")]
        assert live.pending_deliveries(s, ["web:"], recipients=["wx:openid-gone"]) == []  # prefixes still hold
        assert live.pending_deliveries(s, ["web:"], recipients=[]) == []
        wechat = live.pending_deliveries(s, ["wx:"], limit=100)
        assert len(wechat) == 60 and {d.sender_id for d in wechat} == {"wx:openid-gone"}
        page2 = live.pending_deliveries(s, ["wx:"], after_id=wechat[49].message_id)
        assert [d.message_id for d in page2] == [d.message_id for d in wechat[50:]]
        with pytest.raises(ValueError):
            live.pending_deliveries(s, ["web:"], recipients=[f"web:u{n}" for n in range(live.RECIPIENT_BATCH + 1)])


def test_the_recipients_query_goes_through_indexes_not_the_whole_outbox(setup):
    """SQLite's plan for the per-recipient page: tickets by sender, then each ticket's pending
    messages — never a scan of every pending message (``ticket_messages_pending``)."""
    from sqlalchemy import event

    store, _ = setup
    statements = []
    with session_scope(store) as s:
        engine = s.get_bind()

        def capture(conn, cursor, statement, params, context, executemany):
            statements.append((statement, params))
        event.listen(engine, "before_cursor_execute", capture)
        try:
            live.pending_deliveries(s, ["web:", "anon:"], recipients=["web:demo_ok", "anon:x"])
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        statement, params = statements[-1]
        plan = " | ".join(row[3] for row in s.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement,
                                                                            params))
    assert "USING COVERING INDEX handoff_tickets_by_sender" in plan, plan
    assert "USING INDEX ticket_messages_pending_by_ticket (ticket_id=? AND delivery=?)" in plan, plan
    assert "ticket_messages_pending " not in plan + " " and "SCAN" not in plan, plan


def test_messages_pending_longer_than_the_ttl_expire_and_nothing_else_changes(setup):
    store, (anna, _, ticket) = setup
    with session_scope(store) as s:
        old = _stranded(s, anna, "web:gone-old", 3, T0)
        recent = _stranded(s, anna, "web:gone-recent", 2, T0 + timedelta(minutes=20))
        live.transition(s, ticket, Accept(anna), T0)
        [greeting] = live.pending_deliveries(s, ["web:"], recipients=["web:demo_ok"])
        live.claim(s, greeting.message_id, T0)                     # delivered: never expires
    with session_scope(store) as s:
        assert live.any_pending(s)
        assert live.expire_pending(s, T0 + timedelta(minutes=15), limit=2) == 2   # bounded per sweep
        assert live.expire_pending(s, T0 + timedelta(minutes=15)) == 1
        assert live.expire_pending(s, T0 + timedelta(minutes=15)) == 0
        states = {t: [(m.delivery, m.delivery_error) for m in live.messages(s, t)] for t in (old, recent, ticket)}
    assert states == {old: [("failed", "expired")] * 3, recent: [("pending", None)] * 2,
                      ticket: [("delivered", None)]}


def test_agents_online_counts_recent_console_activity(setup):
    store, (anna, ben, _) = setup
    with session_scope(store) as s:
        assert live.agents_online(s, T0) == 0
        from fenqi.db.models import Agent
        s.get(Agent, anna).last_seen_at = T0 - timedelta(seconds=30)
        s.get(Agent, ben).last_seen_at = T0 - timedelta(minutes=10)
        assert live.agents_online(s, T0) == 1


def test_conversation_log_is_what_the_shopper_saw_in_order_and_only_theirs(setup):
    store, (anna, _, ticket) = setup
    with session_scope(store) as s:
        other, _ = open_ticket(s, TicketRequest("web:someone_else", "secure_socketio", None, "近期话题：无", []), T0)
        live.transition(s, ticket, Accept(anna), T0)
        live.transition(s, other.id, Accept(anna), T0)
        live.intercept(s, "web:demo_ok", "我的卡号 6222021234567890123 扣款失败", T0 + timedelta(seconds=5))
        live.intercept(s, "web:someone_else", "别人的话", T0 + timedelta(seconds=6))
        live.post_agent_message(s, ticket, anna, "我帮您查一下", T0 + timedelta(seconds=9))
    with session_scope(store) as s:  # pending (not yet delivered) messages are not history yet
        assert [(m.author, m.text, name) for m, name in live.conversation_log(s, "web:demo_ok")] == [
            ("shopper", "我的卡号 622************0123 扣款失败", None)]
        for m in live.messages(s, ticket):
            live.claim(s, m.id, T0 + timedelta(seconds=10))
    with session_scope(store) as s:
        log = live.conversation_log(s, "web:demo_ok")
        assert [(m.author, m.text, name) for m, name in log] == [
            ("system", "人工客服 安娜 为您服务。", None), ("shopper", "我的卡号 622************0123 扣款失败", None),
            ("agent", "我帮您查一下", "安娜")]
        assert [m.text for m, _ in live.conversation_log(s, "web:demo_ok", limit=1)] == ["我帮您查一下"]
        assert live.conversation_log(s, "web:nobody") == []
