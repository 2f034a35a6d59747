"""The WeChat channel mounted the way Rasa mounts it, on a real Sanic server on a random port.

wechatpy plays the WeChat server (signing, encrypting, parsing replies); a local aiohttp app
plays api.weixin.qq.com; the bot is a small coroutine at the Rasa boundary (``on_new_message``)
that answers through the collecting output channel after a delay.
"""
from __future__ import annotations

import asyncio
import base64
import os
import socket
import uuid
from types import SimpleNamespace
from typing import List

import aiohttp
import pytest
from rasa.core.channels.channel import UserMessage, register
from sanic import Sanic

from channels.wechat import WeChatInput
from fenqi.db.engine import session_scope
from fenqi.db.models import User
from fenqi.identity import WECHAT, issue_token, verify_token
from fenqi.wechat.binding import SqlDirectory, mint_binding_code
from fenqi.wechat.config import load_config
from tests.support.wechat_simulator import FakeWeChatApi, WeChatClient

pytestmark = pytest.mark.timeout(60)
Sanic.test_mode = True

TOKEN, APPID, SECRET = "wx-channel-token", "wx00112233445566aa", "channel-secret"
JWT_SECRET = "jwt-channel-secret-" + "q" * 32
PASSIVE = 1.5  # generous: fast paths include SQLite work in a thread, on a busy machine
SLOW = 0.4  # passive timeout for the retry test
ENV_KEYS = ("WECHAT_TOKEN", "WECHAT_APPID", "WECHAT_APPSECRET", "WECHAT_ENCODING_AES_KEY",
            "WECHAT_API_BASE", "WECHAT_PASSIVE_TIMEOUT")


class Bot:
    """Rasa's ``on_new_message`` stand-in: records UserMessages, answers after ``delay``."""

    def __init__(self, delay: float = 0.0):
        self.delay = delay
        self.messages: List[UserMessage] = []

    async def handle_message(self, message: UserMessage) -> None:
        self.messages.append(message)
        await asyncio.sleep(self.delay)
        out = message.output_channel
        if message.text == "菜单":
            await out.send_text_with_buttons(message.sender_id, "请选择：", [
                {"title": "查看额度", "payload": "/ask_credit"},
                {"title": "还款方式", "payload": "/ask_repay"}])
        else:
            await out.send_text_message(message.sender_id, f"答:{message.text}")


@pytest.fixture
def sessions(factory):
    with session_scope(factory) as session:
        session.add(User(user_id="u2001", name="王五", region="上海", credit_rating="A",
                         account_status="active"))
    return factory


@pytest.fixture
def clean_env(monkeypatch):
    for key in ENV_KEYS:
        monkeypatch.delenv(key, raising=False)
    return monkeypatch


class Stack:
    """Fake WeChat API + Sanic app with the channel registered by Rasa's own ``register``."""

    def __init__(self, sessions, credentials=None, bot_delay=0.0, aes_key=None, passive=PASSIVE):
        self.sessions = sessions
        self.passive = passive
        self.credentials = credentials
        self.bot = Bot(bot_delay)
        self.aes_key = aes_key or base64.b64encode(os.urandom(32)).decode().rstrip("=")
        self.fake = FakeWeChatApi(APPID, SECRET)

    async def __aenter__(self):
        base = await self.fake.start()
        credentials = self.credentials if self.credentials is not None else {
            "token": TOKEN, "appid": APPID, "appsecret": SECRET, "encoding_aes_key": self.aes_key,
            "api_base": base, "passive_timeout": self.passive}
        config = load_config(credentials)
        self.channel = WeChatInput(
            config, directory=SqlDirectory(lambda: self.sessions),
            mint_token=lambda user_id: issue_token(user_id, JWT_SECRET, ttl=300, channel="wechat"))
        self.app = Sanic("wechat_test_" + uuid.uuid4().hex)
        self.app.ctx.agent = SimpleNamespace(handle_message=self.bot.handle_message)
        register([self.channel], self.app, route="/webhooks/")
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        self.server = await self.app.create_server(sock=sock, return_asyncio_server=True,
                                                   access_log=False)
        await self.server.startup()
        await self.server.before_start()
        await self.server.after_start()
        self.url = f"http://127.0.0.1:{port}/webhooks/wechat/webhook"
        self.client = WeChatClient(self.url, TOKEN, APPID, self.aes_key)
        self.http = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc):
        await self.http.close()
        if self.channel.webhook is not None:
            await self.channel.webhook.drain()
        await self.server.before_stop()
        self.server.close()
        await self.server.wait_closed()
        await self.server.after_stop()
        await self.fake.stop()

    async def post(self, xml, encrypt=None):
        encrypt = bool(self.client.aes_key) if encrypt is None else encrypt  # plaintext refused with a key
        return await self.client.post(self.http, xml, encrypt=encrypt)


def run(coro):
    asyncio.run(coro)


def test_name_and_credentials_none_reads_environment(clean_env):
    clean_env.setenv("WECHAT_TOKEN", "env-token")
    channel = WeChatInput.from_credentials(None)
    assert WeChatInput.name() == "wechat" and channel.url_prefix() == "wechat"
    assert channel.config.token == "env-token"


def test_unconfigured_channel_answers_503(sessions, clean_env):
    async def main():
        async with Stack(sessions, credentials={}) as s:
            verify = await s.client.verify(s.http, "123")
            posted = await s.post(s.client.text("oUser1", "你好", msg_id=1))
            assert (verify.status, verify.body) == (503, "wechat channel not configured")
            assert (posted.status, posted.body) == (503, "wechat channel not configured")
            assert s.bot.messages == []
    run(main())


def test_url_verification(sessions):
    async def main():
        async with Stack(sessions) as s:
            ok = await s.client.verify(s.http, "echo-5521")
            assert (ok.status, ok.body) == (200, "echo-5521")
            forged = dict(s.client.params(), signature="f" * 40)
            bad = await s.client.verify(s.http, "echo", params=forged)
            assert bad.status == 403 and "echo" not in bad.body
            async with s.http.get(s.url.rsplit("/", 1)[0] + "/") as health:
                assert (await health.json())["configured"] is True
    run(main())


def test_text_reaches_rasa_as_a_user_message_and_the_reply_is_passive(sessions):
    async def main():
        async with Stack(sessions) as s:
            reply = await s.post(s.client.text("oUser1", "为什么有额度不能分期", msg_id=11))
            assert reply.status == 200 and reply.text == "答:为什么有额度不能分期"
            message = s.bot.messages[0]
            assert (message.sender_id, message.input_channel) == ("wx:oUser1", "wechat")
            assert message.metadata == {}  # unbound: no identity at all
            encrypted = await s.post(s.client.text("oUser1", "备用金", msg_id=12), encrypt=True)
            assert "<Encrypt>" in encrypted.body and encrypted.text == "答:备用金"
    run(main())


def test_bound_user_gets_a_signed_token_in_metadata(sessions):
    with session_scope(sessions) as session:
        code = mint_binding_code(session, "u2001")
    async def main():
        async with Stack(sessions) as s:
            bound = await s.post(s.client.text("oUser1", f"绑定 {code}", msg_id=21))
            assert "绑定成功" in bound.text
            await s.post(s.client.text("oUser1", "我的账单", msg_id=22))
            (message,) = s.bot.messages
            identity = verify_token(message.metadata["auth_token"], JWT_SECRET, presented_on=WECHAT)
            assert (identity.user_id, identity.channel) == ("u2001", "wechat")
    run(main())


def test_retried_message_while_bot_is_slow_runs_once_and_is_delivered_once(sessions):
    async def main():
        async with Stack(sessions, bot_delay=SLOW * 4, passive=SLOW) as s:
            xml = s.client.text("oUser1", "慢慢来", msg_id=31)
            first = asyncio.ensure_future(s.post(xml))
            await asyncio.sleep(0.1)
            replies = [await first] + list(await asyncio.gather(s.post(xml), s.post(xml)))
            assert [r.body for r in replies] == ["success"] * 3
            await s.channel.webhook.drain()
            assert len(s.bot.messages) == 1
            assert s.fake.sent == [("oUser1", "答:慢慢来")]
            assert s.fake.token_calls == 1
    run(main())


def test_numbered_buttons_round_trip(sessions):
    async def main():
        async with Stack(sessions) as s:
            menu = await s.post(s.client.text("oUser1", "菜单", msg_id=41))
            assert menu.text == "请选择：\n回复 1：查看额度\n回复 2：还款方式"
            picked = await s.post(s.client.text("oUser1", "2", msg_id=42))
            assert s.bot.messages[-1].text == "/ask_repay"
            assert picked.text == "答:/ask_repay"
    run(main())


def test_subscribe_and_image(sessions):
    async def main():
        async with Stack(sessions) as s:
            welcome = await s.post(s.client.event("oNew", "subscribe"))
            image = await s.post(s.client.image("oNew", msg_id=51))
            assert "欢迎" in welcome.text and "文字" in image.text
            assert s.bot.messages == []
    run(main())


def test_hostile_and_oversized_requests(sessions):
    async def main():
        async with Stack(sessions) as s:
            params, body = s.client.prepare(s.client.text("oUser1", "你好", msg_id=61))
            async with s.http.post(s.url, params=dict(params, signature="0" * 40), data=body) as r:
                assert r.status == 403
            dtd = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml>&e;</xml>'
            async with s.http.post(s.url, params=s.client.params(), data=dtd) as r:
                assert r.status == 400
            big = b"<xml>" + b"a" * (64 * 1024) + b"</xml>"
            async with s.http.post(s.url, params=s.client.params(), data=big) as r:
                assert r.status == 413

            async def chunked():  # no Content-Length: the stream itself is capped
                for _ in range(80):
                    yield b"a" * 1024
            async with s.http.post(s.url, params=s.client.params(), data=chunked()) as r:
                assert r.status == 413
            assert s.bot.messages == []
    run(main())
