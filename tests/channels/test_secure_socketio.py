"""The secure socket.io channel, mounted on a real Sanic server, driven by real socket.io clients.

The bot behind the channel is a small stand-in ``on_new_message`` that records what the
channel hands over and answers through the channel's own output, saving the turn into a
real Rasa ``InMemoryTrackerStore`` placed where Rasa keeps it (``app.ctx.agent``).
"""
from __future__ import annotations

import asyncio
import socket
import time
import uuid
from types import SimpleNamespace
from typing import Any, Dict, List, Optional, Tuple

import pytest
import socketio
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered
from sanic import Sanic

from channels.secure_socketio import (
    Peer,
    SecureSocketIOInput,
    bot_metadata,
    handshake_token,
    history_messages,
    session_allowed,
)
from fenqi.db.engine import make_engine, make_session_factory
from fenqi.identity import TokenRules, issue_token
from fenqi.signout import Revocations
from tests.support.schema import init_db

SECRET = "test-secret-" + "x" * 32
OTHER_SECRET = "another-secret-" + "y" * 32
WAIT = 5.0

pytestmark = pytest.mark.timeout(60)
Sanic.test_mode = True  # lets Sanic start several apps in one process (its touch-up runs once)


class Bot:
    """Records every UserMessage and answers "收到:<text>" with one quick reply."""

    def __init__(self) -> None:
        self.messages: List[Any] = []
        self.store = InMemoryTrackerStore(Domain.empty())

    async def __call__(self, message: Any) -> None:
        self.messages.append(message)
        buttons = [{"title": "查看额度", "payload": "/ask_credit"}]
        text = f"收到:{message.text}"
        await message.output_channel.send_text_with_buttons(message.sender_id, text, buttons)
        tracker = await self.store.get_or_create_tracker(message.sender_id)
        tracker.update(UserUttered(message.text, metadata=message.metadata))
        tracker.update(BotUttered(text, data={"buttons": buttons}))
        await self.store.save(tracker)


def sign_outs() -> Revocations:
    """Sign-outs in a fresh real SQLite store (a file of its own; share the object to share it)."""
    import tempfile
    from pathlib import Path

    engine = make_engine(f"sqlite:///{Path(tempfile.mkdtemp()) / 'signout.db'}")
    init_db(engine)
    factory = make_session_factory(engine)
    return Revocations(lambda: factory, ttl=0.0)


class Server:
    """The channel's blueprint on a Sanic server bound to a free loopback port."""

    def __init__(self, secret: str = SECRET, revocations: Optional[Revocations] = None,
                 **channel_options: Any) -> None:
        self.bot = Bot()
        self.channel = SecureSocketIOInput(token_rules=lambda: TokenRules(secret),
                                           revocations=revocations or sign_outs(), **channel_options)
        self.app = Sanic("secure_socketio_test_" + uuid.uuid4().hex)
        self.app.ctx.agent = SimpleNamespace(tracker_store=self.bot.store)
        self.app.blueprint(self.channel.blueprint(self.bot), url_prefix="/webhooks/secure_socketio")
        self.url = ""
        self._server = None

    async def __aenter__(self) -> "Server":
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self._server = await self.app.create_server(host="127.0.0.1", port=port,
                                                    return_asyncio_server=True,
                                                    access_log=False)
        await self._server.startup()
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self._server.close()
        await self._server.wait_closed()


class Refused(Exception):
    """The server refused the socket.io connection; ``data`` is what it said."""

    def __init__(self, data: Any) -> None:
        super().__init__(data)
        self.data = data


class Client:
    """A python-socketio client that queues every event it receives."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: "asyncio.Queue[Tuple[str, Any]]" = asyncio.Queue()
        self.seen: List[Tuple[str, Any]] = []

        @self.sio.on("*")
        async def _any(event: str, data: Any = None) -> None:
            self.seen.append((event, data))
            await self.events.put((event, data))

        @self.sio.on("connect")
        async def _accepted() -> None:
            await self.events.put(("connect", None))

        @self.sio.on("connect_error")
        async def _refused(data: Any = None) -> None:
            await self.events.put(("connect_error", data))

    async def connect(self, url: str, token: Optional[str] = None, **options: Any) -> "Client":
        """Connect, or raise :class:`Refused` with the server's refusal data."""
        auth = {"token": token} if token is not None else None
        await self.sio.connect(url, auth=auth, transports=["polling"], wait=False, **options)
        event, data = await asyncio.wait_for(self.events.get(), WAIT)
        if event == "connect_error":
            await self.sio.eio.disconnect(abort=True)
            raise Refused(data)
        return self

    async def expect(self, name: str, wait: float = WAIT) -> Any:
        """The payload of the next ``name`` event (other events are skipped)."""
        deadline = time.monotonic() + wait
        while True:
            event, data = await asyncio.wait_for(self.events.get(), deadline - time.monotonic())
            if event == name:
                return data

    async def session(self, session_id: Optional[str] = None) -> Tuple[str, List[Dict]]:
        await self.sio.emit("session_request", {"session_id": session_id})
        confirmed = await self.expect("session_confirm")
        history = await self.expect("history")
        return confirmed, history["messages"]

    async def say(self, text: str, **extra: Any) -> None:
        await self.sio.emit("user_uttered", {"message": text, **extra})

    async def close(self) -> None:
        if self.sio.connected:
            for namespace in self.sio.namespaces:
                await self.sio._send_packet(self.sio.packet_class(1, namespace=namespace))
            await self.sio.eio.disconnect(abort=True)  # do not wait out the long poll


def run(scenario):
    asyncio.run(asyncio.wait_for(scenario(), 45))


def token_for(user_id: str, secret: str = SECRET, **kwargs: Any) -> str:
    return issue_token(user_id, secret, **kwargs)


def test_verified_user_gets_server_derived_session_and_token_metadata():
    async def scenario():
        async with Server() as server:
            token = token_for("u1001")
            client = await Client().connect(server.url, token)
            session_id, history = await client.session()
            await client.say("为什么我不能分期", session_id=session_id,
                             metadata={"user_id": "u2002", "auth_token": "forged"},
                             customData={"user_id": "u2002"})
            reply = await client.expect("bot_uttered")
            await client.close()
            assert session_id == "web:u1001"
            assert history == []
            assert reply["text"] == "收到:为什么我不能分期"
            assert reply["quick_replies"][0]["payload"] == "/ask_credit"
            (message,) = server.bot.messages
            assert message.sender_id == "web:u1001"
            assert message.metadata == {"auth_token": token}
            assert message.input_channel == "secure_socketio"
    run(scenario)


def test_anonymous_visitors_get_one_private_session_per_connection_and_no_token():
    async def scenario():
        async with Server() as server:
            first = await Client().connect(server.url)
            second = await Client().connect(server.url)
            first_id, _ = await first.session()
            second_id, _ = await second.session()
            await first.say("备用金是什么", metadata={"user_id": "u1001"})
            await first.expect("bot_uttered")
            await asyncio.sleep(0.3)
            await first.close()
            await second.close()
            assert first_id.startswith("anon:") and second_id.startswith("anon:")
            assert first_id != second_id
            (message,) = server.bot.messages
            assert message.sender_id == first_id
            assert message.metadata == {}
            assert not [e for e, _ in second.seen if e == "bot_uttered"]
    run(scenario)


@pytest.mark.parametrize("token, reason", [
    (token_for("u1001", OTHER_SECRET), "bad_signature"),
    (token_for("u1001", ttl=60, now=time.time() - 120), "expired"),
    ("not-a-jwt", "invalid"),
    (token_for("u1001", channel="wechat"), "wrong_channel"),
    (token_for("u1001", ttl=30 * 86400), "lifetime"),
], ids=["forged", "expired", "garbage", "wechat channel token", "month-long token"])
def test_bad_token_is_refused_at_connect(token, reason):
    async def scenario():
        async with Server() as server:
            client = Client()
            with pytest.raises(Refused) as refused:
                await client.connect(server.url, token)
            assert refused.value.data["data"]["reason"] == reason
            assert refused.value.data["message"] == reason
            assert server.bot.messages == []
    run(scenario)


def test_token_is_checked_again_on_every_message():
    async def scenario():
        async with Server() as server:
            token = token_for("u1001", ttl=2)
            client = await Client().connect(server.url, token)
            await client.session()
            await client.say("第一句")
            await client.expect("bot_uttered")
            await asyncio.sleep(2.2)  # the token expires while the socket stays open
            await client.say("第二句")
            error = await client.expect("auth_error")
            await client.close()
            assert error["reason"] == "expired"
            assert [m.text for m in server.bot.messages] == ["第一句"]
    run(scenario)


def test_a_socket_whose_token_expired_leaves_the_room_and_hears_nothing_more():
    """Issue 21: an expired socket kept receiving the user's live answers (same room)."""
    async def scenario():
        async with Server() as server:
            stale = await Client().connect(server.url, token_for("u1001", ttl=2))
            await stale.session()
            fresh = await Client().connect(server.url, token_for("u1001", ttl=600))
            await fresh.session()
            error = await stale.expect("auth_error")  # the expiry timer: no delivery needed
            assert error["reason"] == "expired"
            await fresh.say("我的账单")  # the same user on another page: answered there only
            reply = await fresh.expect("bot_uttered")
            await stale.sio.emit("session_request", {})  # no history for it either
            again = await stale.expect("auth_error")
            await asyncio.sleep(0.5)
            await stale.close()
            await fresh.close()
            assert reply["text"] == "收到:我的账单" and again["reason"] == "expired"
            after = stale.seen[stale.seen.index(("auth_error", error)):]
            assert not [e for e, _ in after if e in ("bot_uttered", "bot_typing", "history", "session_confirm")]
    run(scenario)


def test_a_delivery_first_evicts_sockets_whose_token_expired():
    """Even before its timer fires, a stale socket gets nothing: every delivery checks the room."""
    async def scenario():
        async with Server() as server:
            stale = await Client().connect(server.url, token_for("u1001", ttl=600))
            fresh = await Client().connect(server.url, token_for("u1001", ttl=600))
            # the stale page's token runs out while its timer is still far away
            peer = (await server.channel.sio.get_session(next(
                sid for sid, _ in server.channel.sio.manager.get_participants("/", "web:u1001"))))["peer"]
            expired = token_for("u1001", ttl=1, now=time.time() - 60)
            for sid, _ in list(server.channel.sio.manager.get_participants("/", "web:u1001")):
                session = await server.channel.sio.get_session(sid)
                if session["peer"] is peer:
                    await server.channel.sio.save_session(sid, {"peer": Peer(peer.sender_id, "u1001", expired)})
            await fresh.say("还款日")
            await fresh.expect("bot_uttered")
            await asyncio.sleep(0.5)
            await stale.close()
            await fresh.close()
            got = [e for e, _ in stale.seen] + [e for e, _ in fresh.seen]
            assert got.count("bot_uttered") == 1 and ("auth_error" in got)
    run(scenario)


def test_signing_out_ends_every_socket_of_the_user_and_refuses_tokens_issued_before():
    async def scenario():
        async with Server() as server:
            before = token_for("u5005", ttl=600)
            here = await Client().connect(server.url, before)
            elsewhere = await Client().connect(server.url, token_for("u5005", ttl=600))
            await elsewhere.session()
            answer = await here.sio.call("sign_out", {}, timeout=30)  # a store write: slow under load
            told = await elsewhere.expect("auth_error", wait=30)
            with pytest.raises(Refused) as refused:  # a copy of a token from before the sign-out
                await Client().connect(server.url, before)
            await asyncio.sleep(0.01)
            signed_in_again = await Client().connect(server.url, token_for("u5005", ttl=600))
            await signed_in_again.say("重新登录后提问")
            reply = await signed_in_again.expect("bot_uttered")
            await elsewhere.say("退出后还想问")
            refused_message = await elsewhere.expect("auth_error")
            await asyncio.sleep(0.5)
            for client in (here, elsewhere, signed_in_again):
                await client.close()
            assert answer == {"ok": True} and told["reason"] == "signed_out"
            assert refused.value.data["data"]["reason"] == "signed_out"
            assert reply["text"] == "收到:重新登录后提问" and refused_message["reason"] == "signed_out"
            assert not [e for e, _ in elsewhere.seen if e == "bot_uttered"]
            assert [m.text for m in server.bot.messages] == ["重新登录后提问"]
    run(scenario)


def test_refreshed_token_must_name_the_same_user():
    async def scenario():
        async with Server() as server:
            client = await Client().connect(server.url, token_for("u1001"))
            await client.session()
            fresh = token_for("u1001", ttl=7200)
            await client.say("换了新令牌", token=fresh)
            await client.expect("bot_uttered")
            await client.say("冒充别人", token=token_for("u2002"))
            error = await client.expect("auth_error")
            await client.say("再用旧连接")
            await client.expect("bot_uttered")
            await client.close()
            assert error["reason"] == "subject_mismatch"
            assert [m.text for m in server.bot.messages] == ["换了新令牌", "再用旧连接"]
            assert all(m.sender_id == "web:u1001" for m in server.bot.messages)
            assert server.bot.messages[-1].metadata == {"auth_token": fresh}
    run(scenario)


def test_anonymous_connection_cannot_slip_a_token_into_a_message():
    async def scenario():
        async with Server() as server:
            client = await Client().connect(server.url)
            await client.session()
            await client.say("我是u1001", token=token_for("u1001"))
            error = await client.expect("auth_error")
            await client.close()
            assert error["reason"] == "anonymous_connection"
            assert server.bot.messages == []
    run(scenario)


def test_history_is_sent_to_the_same_user_after_reconnect():
    async def scenario():
        async with Server() as server:
            token = token_for("u1001")
            client = await Client().connect(server.url, token)
            await client.session()
            await client.say("为什么我不能分期")
            await client.expect("bot_uttered")
            await client.say("/ask_credit")  # the quick reply the bot offered
            await client.expect("bot_uttered")
            await client.close()

            again = await Client().connect(server.url, token_for("u1001"))
            session_id, history = await again.session("web:u1001")
            await again.close()
            assert session_id == "web:u1001"
            assert [(m["sender"], m["text"]) for m in history] == [
                ("user", "为什么我不能分期"), ("bot", "收到:为什么我不能分期"),
                ("user", "查看额度"), ("bot", "收到:/ask_credit")]
            assert history[1]["quick_replies"] == [{"title": "查看额度", "payload": "/ask_credit"}]
            assert all("metadata" not in m and "auth_token" not in str(m) for m in history)
    run(scenario)


def test_other_user_cannot_join_read_or_write_a_foreign_session():
    async def scenario():
        async with Server() as server:
            alice = await Client().connect(server.url, token_for("u1001"))
            alice_id, _ = await alice.session()
            await alice.say("我的账单是多少")
            await alice.expect("bot_uttered")

            mallory = await Client().connect(server.url, token_for("u2002"))
            await mallory.sio.emit("session_request", {"session_id": alice_id})
            refused = await mallory.expect("session_refused")
            own_id = await mallory.expect("session_confirm")
            history = (await mallory.expect("history"))["messages"]
            await mallory.say("把她的账单给我", session_id=alice_id)
            refused_write = await mallory.expect("session_refused")

            await alice.say("还有别的吗")  # Alice keeps talking; Mallory must hear nothing
            await alice.expect("bot_uttered")
            await asyncio.sleep(0.3)
            await alice.close()
            await mallory.close()

            assert refused == {"reason": "foreign_session", "session_id": "web:u2002"}
            assert refused_write["reason"] == "foreign_session"
            assert own_id == "web:u2002" and history == []
            assert [m.sender_id for m in server.bot.messages] == ["web:u1001", "web:u1001"]
            assert not any(e in ("bot_uttered", "bot_typing") for e, _ in mallory.seen)
            assert "我的账单是多少" not in str(mallory.seen)
    run(scenario)


def test_default_secret_comes_from_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("FENQI_JWT_SECRET", SECRET)
    monkeypatch.setenv("FENQI_VAR_DIR", str(tmp_path))
    channel = SecureSocketIOInput.from_credentials({"socketio_path": "/chat.io", "history_limit": 3})

    async def scenario():
        app = Sanic("secure_socketio_settings_" + uuid.uuid4().hex)
        bot = Bot()
        app.blueprint(channel.blueprint(bot))
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True,
                                         access_log=False)
        await server.startup()
        try:
            url = f"http://127.0.0.1:{port}"
            client = await Client().connect(url, token_for("u3003"), socketio_path="/chat.io")
            session_id, _ = await client.session()
            await client.close()
            assert session_id == "web:u3003"
            with pytest.raises(Refused):
                await Client().connect(url, token_for("u3003", OTHER_SECRET), socketio_path="/chat.io")
        finally:
            server.close()
            await server.wait_closed()
    run(scenario)
    assert channel.history_limit == 3 and channel.socketio_path == "/chat.io"


def test_history_messages_show_what_the_page_showed_and_nothing_else():
    events = [
        UserUttered("你好", metadata={"auth_token": "secret-token"}),
        BotUttered("请选择", data={"buttons": [{"title": "还款", "payload": "/repay"}]}),
        UserUttered("/repay"),
        BotUttered(None, data={}),  # an empty utterance is not shown
        BotUttered("看图", data={"image": "https://example.invalid/a.png"}),
        UserUttered("/unknown_payload"),
    ]
    history = history_messages(events, limit=4)
    assert [(m["sender"], m["text"]) for m in history] == [
        ("bot", "请选择"), ("user", "还款"), ("bot", "看图"), ("user", "/unknown_payload")]
    assert history[2]["image"] == "https://example.invalid/a.png"
    assert "secret-token" not in str(history_messages(events))
    assert history_messages(events, limit=0) == []


def test_session_rules_and_handshake_parsing():
    user = Peer(sender_id="web:u1", user_id="u1", token="t")
    assert session_allowed(None, user) and session_allowed("web:u1", user)
    assert not session_allowed("web:u2", user) and not session_allowed("anon:x", user)
    assert bot_metadata(user) == {"auth_token": "t"}
    assert bot_metadata(Peer(sender_id="anon:x")) == {}
    assert handshake_token({"token": "abc"}) == "abc"
    assert handshake_token('{"token": "abc"}') == "abc"
    assert handshake_token({"token": 5}) is None and handshake_token(None) is None
