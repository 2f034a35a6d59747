"""socket.io across two channel instances through a real Redis (python-socketio's AsyncRedisManager):
a bot answer or an agent message emitted on instance 2 reaches the shopper connected to instance 1."""
from __future__ import annotations

import asyncio

import pytest

from channels.scaleout import ENV_URL, manager_options
from channels.takeover import SocketTakeover
from fenqi import clock
from fenqi.accounts.demo import seed_demo
from fenqi.db.engine import session_scope
from fenqi.handoff import TicketRequest, live, open_ticket
from fenqi.handoff.agents import add_agent
from fenqi.handoff.relay import TakeoverRelay, widget_payload
from fenqi.handoff.takeover import Accept
from tests.channels.test_secure_socketio import Client, Server, run, sign_outs, token_for

pytestmark = [pytest.mark.prod, pytest.mark.timeout(120)]


def test_no_redis_url_keeps_the_in_process_manager():
    assert manager_options({}) == {}


def test_an_emit_on_instance_two_reaches_the_shopper_on_instance_one(redis_server, monkeypatch, factory):
    monkeypatch.setenv(ENV_URL, f"redis://127.0.0.1:{redis_server.port}/3")
    with session_scope(factory) as s:
        seed_demo(s)
        agent = add_agent(s, "安娜", "a long enough secret", clock.now()).id
        ticket = open_ticket(s, TicketRequest("web:demo_ok", "secure_socketio", "demo_ok", "", []),
                             clock.now())[0].id

    async def scenario():
        relay = TakeoverRelay(lambda: factory)
        quiet = SocketTakeover(relay)
        quiet._started = True  # instance 1 runs no outbox: only instance 2 can deliver
        async with Server(takeover=quiet) as one, Server(takeover=SocketTakeover(relay)) as two:
            shopper = await Client().connect(one.url, token_for("demo_ok"))
            await shopper.session()
            await asyncio.sleep(0.5)  # the Redis subscriptions are up
            await two.channel.sio.emit("bot_uttered", {"text": "来自二号实例"}, room="web:demo_ok")
            assert (await shopper.expect("bot_uttered"))["text"] == "来自二号实例"
            # an agent message delivered by instance 2's outbox (no local socket needed with Redis)
            with session_scope(factory) as s:
                live.transition(s, ticket, Accept(agent), clock.now())
            [delivery] = await asyncio.to_thread(lambda: relay._pending(["web:"]))

            async def emit_on_two(d):
                await two.channel.sio.emit("bot_uttered", widget_payload(d), room=d.sender_id)
            assert await relay.deliver_once(["web:"], emit_on_two) == 1
            assert (await shopper.expect("bot_uttered"))["text"] == "人工客服 安娜 为您服务。"
            await shopper.close()
    run(scenario)


def test_a_sign_out_on_instance_one_ends_the_users_socket_on_instance_two(redis_server, monkeypatch):
    """Issue 21: the sign-out's notice and the room's closing go through Redis to every instance."""
    monkeypatch.setenv(ENV_URL, f"redis://127.0.0.1:{redis_server.port}/3")

    async def scenario():
        shared = sign_outs()  # both instances on one account store
        async with Server(revocations=shared) as one, Server(revocations=shared) as two:
            here = await Client().connect(one.url, token_for("u7007"))
            elsewhere = await Client().connect(two.url, token_for("u7007"))
            await elsewhere.session()
            await asyncio.sleep(0.5)  # the Redis subscriptions are up
            assert await here.sio.call("sign_out", {}, timeout=30) == {"ok": True}  # a store write
            told = await elsewhere.expect("auth_error", wait=30)
            await asyncio.sleep(0.5)
            await one.channel.sio.emit("bot_uttered", {"text": "退出后的回答"}, room="web:u7007")
            await two.channel.sio.emit("bot_uttered", {"text": "退出后的回答"}, room="web:u7007")
            await asyncio.sleep(1.0)
            await here.close()
            await elsewhere.close()
            assert told["reason"] == "signed_out"
            assert "退出后的回答" not in str(elsewhere.seen) and "退出后的回答" not in str(here.seen)
    run(scenario)
