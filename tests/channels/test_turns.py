"""A turn that fails (lock or tracker store down: Rasa raises) or runs past its deadline gets the
busy message on every channel, and a turn is answered only once it returned (stored).

The channels run on real Sanic servers with real clients (aiohttp, python-socketio); the bot is a
stand-in ``on_new_message`` at the Rasa boundary that answers, then fails the way Rasa fails when
its save fails (the answer was produced, the turn was not stored).
"""
from __future__ import annotations

import asyncio
import socket
import uuid
from types import SimpleNamespace
from typing import Any, List

import aiohttp
import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.lock_store import LockError
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from sanic import Sanic

from channels.secure_rest import SecureRestInput
from channels.secure_socketio import SecureSocketIOInput
from channels.turns import BufferedOutput, busy_message, run_turn
from channels.wechat import WeChatInput
from fenqi.identity import TokenRules
from fenqi.resilience import BUSY_TEXT
from fenqi.wechat.conversation import BotRequest
from tests.channels.test_secure_socketio import SECRET, Client, token_for

pytestmark = pytest.mark.timeout(60)
Sanic.test_mode = True


class Bot:
    """``on_new_message``: answers "收到:<text>" (with a button), then behaves as told:
    ``ok``, ``unstored`` (the save fails after the answer), ``locked`` (the lock store fails
    before anything), ``slow`` (never ends in time)."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.messages: List[UserMessage] = []

    async def __call__(self, message: UserMessage) -> None:
        self.messages.append(message)
        if self.mode == "locked":
            raise LockError("Error while acquiring lock. Error:\nConnection refused")
        await message.output_channel.send_text_with_buttons(
            message.sender_id, f"收到:{message.text}", [{"title": "查看额度", "payload": "/ask_credit"}])
        if self.mode == "unstored":
            raise RuntimeError("(psycopg2.OperationalError) server closed the connection unexpectedly")
        if self.mode == "slow":
            await asyncio.sleep(3600)


def run(coro) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 45))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class App:
    """One channel blueprint on a Sanic server on a free loopback port."""

    def __init__(self, channel: Any, bot: Bot, prefix: str) -> None:
        self.app = Sanic("turns_" + uuid.uuid4().hex)
        self.app.ctx.agent = SimpleNamespace(tracker_store=InMemoryTrackerStore(Domain.empty()))
        self.app.blueprint(channel.blueprint(bot), url_prefix=prefix)
        self.url = ""

    async def __aenter__(self) -> "App":
        port = free_port()
        self._server = await self.app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True,
                                                    access_log=False)
        await self._server.startup()
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self._server.close()
        await self._server.wait_closed()


# --- the pieces ---------------------------------------------------------------------------------

def test_run_turn_says_whether_the_turn_returned():
    async def scenario():
        out = CollectingOutputChannel()
        assert await run_turn(Bot("ok"), UserMessage("你好", out, "s"))
        assert not await run_turn(Bot("locked"), UserMessage("你好", out, "s"))
        assert not await run_turn(Bot("unstored"), UserMessage("你好", out, "s"))
        started = asyncio.get_running_loop().time()
        assert not await run_turn(Bot("slow"), UserMessage("你好", out, "s"), deadline=0.3)
        assert asyncio.get_running_loop().time() - started < 5
    run(scenario())


def test_buffered_output_replays_every_call_unchanged():
    async def scenario():
        buffered, direct, replayed = BufferedOutput(), CollectingOutputChannel(), CollectingOutputChannel()
        for out in (buffered, direct):
            await out.send_text_with_buttons("s", "选一个", [{"title": "A", "payload": "/a"}])
            await out.send_response("s", {"text": "好的", "image": "https://example.invalid/a.png"})
            await out.send_custom_json("s", {"kind": "card"})
            await out.send_text_message("s", "再见")
        assert direct.messages and not getattr(buffered, "messages", None)  # nothing sent yet
        await buffered.replay(replayed)
        assert replayed.messages == direct.messages
    run(scenario())


# --- REST ---------------------------------------------------------------------------------------

def _rest_reply(mode: str, stream: bool = False) -> List[dict]:
    async def scenario():
        channel = SecureRestInput(token_rules=lambda: TokenRules(SECRET))
        async with App(channel, Bot(mode), "/webhooks/rest") as app, aiohttp.ClientSession() as http:
            params = {"stream": "true"} if stream else {}
            async with http.post(f"{app.url}/webhooks/rest/webhook", json={"sender": "me", "message": "你好"},
                                 params=params) as r:
                assert r.status == 200
                if not stream:
                    return await r.json()
                import json
                return [json.loads(line) for line in (await r.text()).splitlines() if line.strip()]
    return run(scenario())


def test_rest_answers_a_stored_turn():
    assert [m["text"] for m in _rest_reply("ok")] == ["收到:你好"]
    assert [m["text"] for m in _rest_reply("ok", stream=True)] == ["收到:你好"]


@pytest.mark.parametrize("mode", ["locked", "unstored"])
@pytest.mark.parametrize("stream", [False, True])
def test_rest_a_failed_turn_gets_the_busy_message_not_the_answer(mode, stream):
    assert _rest_reply(mode, stream) == [busy_message("rest:anon:me")]


# --- socket.io ----------------------------------------------------------------------------------

def _socket_events(mode: str) -> List[tuple]:
    async def scenario():
        channel = SecureSocketIOInput(token_rules=lambda: TokenRules(SECRET))
        async with App(channel, Bot(mode), "/webhooks/secure_socketio") as app:
            client = await Client().connect(app.url, token_for("u1001"))
            await client.session()
            acked = asyncio.Event()
            await client.sio.emit("user_uttered", {"message": "你好"}, callback=lambda *_: acked.set())
            await asyncio.wait_for(acked.wait(), 20)  # the turn is over: answer or busy already sent
            await asyncio.sleep(0.3)
            await client.close()
            return [(e, d) for e, d in client.seen if e == "bot_uttered"]
    return run(scenario())


def test_socketio_answers_a_stored_turn():
    [(_, reply)] = _socket_events("ok")
    assert reply["text"] == "收到:你好" and reply["quick_replies"][0]["payload"] == "/ask_credit"


@pytest.mark.parametrize("mode", ["locked", "unstored"])
def test_socketio_a_failed_turn_gets_only_the_busy_message(mode):
    assert _socket_events(mode) == [("bot_uttered", {"text": BUSY_TEXT})]


# --- WeChat -------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["locked", "unstored"])
def test_wechat_a_failed_turn_gets_the_busy_message(mode):
    bot = WeChatInput.bot_for(Bot(mode))
    request = BotRequest(sender_id="wx:o-1", text="你好", message_id="m1", metadata={})
    assert [m["text"] for m in run(bot(request))] == [BUSY_TEXT]
    assert [m["text"] for m in run(WeChatInput.bot_for(Bot("ok"))(request))] == ["收到:你好"]
