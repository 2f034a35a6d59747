"""Live takeover through the real socket.io channel on a real Sanic server and a real SQLite store:
while an agent owns the conversation the bot never sees the shopper's messages, agent messages
arrive as ``bot_uttered``, hand back brings the bot and a rating request with 1–5 buttons."""
from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest

from channels.takeover import SocketTakeover
from fenqi import clock
from fenqi.accounts.demo import seed_demo
from fenqi.db.engine import session_scope
from fenqi.db.models import TicketTakeover
from fenqi.handoff import TicketRequest, live, open_ticket
from fenqi.handoff.agents import add_agent
from fenqi.handoff.relay import TakeoverRelay
from fenqi.handoff.takeover import Accept, HandBack
from tests.channels.test_secure_socketio import Client, Server, run, token_for

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
def store(factory):
    with session_scope(factory) as s:
        seed_demo(s)
        agent = add_agent(s, "安娜", "a long enough secret", clock.now())
        ticket, _ = open_ticket(s, TicketRequest("web:demo_ok", "secure_socketio", "demo_ok", "近期话题：无", []),
                                clock.now())
        ids = agent.id, ticket.id
    return factory, ids


async def next_bot(client: Client, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while True:
        event, data = await asyncio.wait_for(client.events.get(), deadline - time.monotonic())
        if event == "bot_uttered":
            return data


def test_agent_owns_the_conversation_then_hands_it_back(store):
    factory, (agent, ticket) = store
    takeover = SocketTakeover(TakeoverRelay(lambda: factory))

    async def scenario():
        async with Server(takeover=takeover) as server:
            shopper = await Client().connect(server.url, token_for("demo_ok"))
            await shopper.session()
            await shopper.say("你好")                       # queued: the bot answers
            assert (await next_bot(shopper))["text"] == "收到:你好"
            with session_scope(factory) as s:
                live.transition(s, ticket, Accept(agent), clock.now())
                live.post_agent_message(s, ticket, agent, "您好，我是安娜", clock.now())
            assert (await next_bot(shopper))["text"] == "人工客服 安娜 为您服务。"
            reply = await next_bot(shopper)
            assert (reply["text"], reply["source"]) == ("人工客服 安娜：您好，我是安娜", "agent")
            await shopper.say("我的卡号 6222021234567890123 扣款失败")
            await asyncio.sleep(1.0)
            assert [m.text for m in server.bot.messages] == ["你好"]  # Rasa never saw it
            with session_scope(factory) as s:
                logged = [(m.author, m.text) for m in live.messages(s, ticket) if m.author == "shopper"]
                assert logged == [("shopper", "我的卡号 622************0123 扣款失败")]
                live.transition(s, ticket, HandBack(agent), clock.now())
            assert (await next_bot(shopper))["text"] == live.RESUMED
            rating = await next_bot(shopper)
            assert [b["payload"] for b in rating["quick_replies"]] == [f"评分 {n}" for n in (5, 4, 3, 2, 1)]
            await shopper.say("评分 5")
            assert "5 分" in (await next_bot(shopper))["text"]
            await shopper.say("怎么还款")                   # the bot again
            assert (await next_bot(shopper))["text"] == "收到:怎么还款"
            assert [m.text for m in server.bot.messages] == ["你好", "怎么还款"]
            await shopper.close()
        with session_scope(factory) as s:
            row = s.get(TicketTakeover, ticket)
            assert (row.state, row.rating) == ("returned", 5)
            assert {m.delivery for m in live.messages(s, ticket) if m.author != "shopper"} == {"delivered"}
    run(scenario)


def test_a_message_for_a_shopper_connected_elsewhere_waits_and_arrives_on_their_connection(store):
    """The process without the shopper's socket leaves the message pending; it is delivered once
    the shopper is connected here (two Rasa instances: the one holding the connection delivers)."""
    factory, (agent, ticket) = store
    takeover = SocketTakeover(TakeoverRelay(lambda: factory))

    async def scenario():
        async with Server(takeover=takeover) as server:
            bystander = await Client().connect(server.url, token_for("demo_low_limit"))  # starts the outbox
            with session_scope(factory) as s:
                live.transition(s, ticket, Accept(agent), clock.now())
            await asyncio.sleep(1.5)
            with session_scope(factory) as s:
                assert [m.delivery for m in live.messages(s, ticket)] == ["pending"]
            shopper = await Client().connect(server.url, token_for("demo_ok"))
            assert (await next_bot(shopper))["text"] == "人工客服 安娜 为您服务。"
            assert not [e for e, _ in bystander.seen if e == "bot_uttered"]
            await shopper.close()
            await bystander.close()
        with session_scope(factory) as s:
            assert [m.delivery for m in live.messages(s, ticket)] == ["delivered"]
    run(scenario)


ABSENT_SHOPPERS, WAITING_EACH = 6, 50    # 300 messages for shoppers who left, older than anything else


def strand_messages(factory, agent, count=ABSENT_SHOPPERS, each=WAITING_EACH, at=None, name="gone"):
    """Tickets of shoppers who are not connected, accepted, each with ``each`` agent messages
    pending (the greeting included); their ids are below anything written afterwards."""
    at = at or clock.now()
    with session_scope(factory) as s:
        tickets = []
        for n in range(count):
            ticket, _ = open_ticket(s, TicketRequest(f"web:{name}{n}", "secure_socketio", None, "", []), at)
            live.transition(s, ticket.id, Accept(agent), at)
            for i in range(each - 1):
                live.post_agent_message(s, ticket.id, agent, f"还在吗？{i}", at)
            tickets.append(ticket.id)
    return tickets


def pending_count(factory, tickets):
    with session_scope(factory) as s:
        return sum(1 for t in tickets for m in live.messages(s, t) if m.delivery == "pending")


def test_a_connected_shopper_is_served_while_hundreds_of_messages_wait_for_shoppers_who_left(store):
    """Issue #21: the outbox used to read the 50 oldest pending messages of every shopper and skip the
    absent ones, so 50 messages waiting for a shopper who closed the page held up every delivery."""
    factory, (agent, ticket) = store
    stranded = strand_messages(factory, agent)
    assert pending_count(factory, stranded) == ABSENT_SHOPPERS * WAITING_EACH
    takeover = SocketTakeover(TakeoverRelay(lambda: factory))

    async def scenario():
        async with Server(takeover=takeover) as server:
            shopper = await Client().connect(server.url, token_for("demo_ok"))
            started = time.monotonic()
            with session_scope(factory) as s:
                live.transition(s, ticket, Accept(agent), clock.now())
                live.post_agent_message(s, ticket, agent, "您好，我是安娜", clock.now())
            assert (await next_bot(shopper, timeout=15))["text"] == "人工客服 安娜 为您服务。"
            assert (await next_bot(shopper, timeout=15))["text"] == "人工客服 安娜：您好，我是安娜"
            print(f"\nserved in {time.monotonic() - started:.2f} s beside "
                  f"{ABSENT_SHOPPERS * WAITING_EACH} messages for absent shoppers")
            # a second shopper connecting later is served as promptly
            with session_scope(factory) as s:
                other, _ = open_ticket(s, TicketRequest("web:demo_low_limit", "secure_socketio", "demo_low_limit",
                                                        "", []), clock.now())
                live.transition(s, other.id, Accept(agent), clock.now())
            second = await Client().connect(server.url, token_for("demo_low_limit"))
            assert (await next_bot(second, timeout=15))["text"] == "人工客服 安娜 为您服务。"
            await second.close()
            await shopper.close()
        # nothing was delivered to anyone else, nor dropped: the absent shoppers' messages still wait
        assert pending_count(factory, stranded) == ABSENT_SHOPPERS * WAITING_EACH
        with session_scope(factory) as s:
            assert {m.delivery for m in live.messages(s, ticket) if m.author != "shopper"} == {"delivered"}
    run(scenario)


def test_a_message_nobody_could_deliver_expires(store):
    """A message older than the TTL for a shopper who never came back is marked undeliverable
    (``failed``/``expired``, what the console shows) by the outbox; a recent one keeps waiting."""
    factory, (agent, ticket) = store
    ttl = timedelta(minutes=15)
    old = strand_messages(factory, agent, count=1, each=3, at=clock.now() - ttl - timedelta(minutes=1),
                          name="old")
    recent = strand_messages(factory, agent, count=1, each=2, name="recent")
    takeover = SocketTakeover(TakeoverRelay(lambda: factory, message_ttl=ttl))

    async def scenario():
        async with Server(takeover=takeover) as server:
            bystander = await Client().connect(server.url, token_for("demo_low_limit"))  # starts the outbox
            deadline = time.monotonic() + 15
            while pending_count(factory, old) and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
            await bystander.close()
    run(scenario)
    with session_scope(factory) as s:
        assert [(m.delivery, m.delivery_error) for m in live.messages(s, old[0])] == [("failed", "expired")] * 3
        assert [m.delivery for m in live.messages(s, recent[0])] == ["pending", "pending"]
