"""Issue #11 WeChat attacks against the real Rasa server's WeChat channel (wechatpy as WeChat)."""
from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from tests.support.stack import WECHAT_ENV
from tests.support.wechat_simulator import WeChatClient

pytestmark = pytest.mark.e2e


@pytest.fixture
def wechat(bot_stack):
    return WeChatClient(f"{bot_stack.rasa_url}/webhooks/wechat/webhook", WECHAT_ENV["WECHAT_TOKEN"],
                        appid=WECHAT_ENV["WECHAT_APPID"], aes_key=WECHAT_ENV["WECHAT_ENCODING_AES_KEY"])


def post(wechat, xml, encrypt=True, params=None):
    async def go():
        async with aiohttp.ClientSession() as session:
            return await wechat.post(session, xml, encrypt=encrypt, params=params)
    return asyncio.run(go())


def raw_post(wechat, params, body):
    async def go():
        async with aiohttp.ClientSession() as session:
            async with session.post(wechat.url, params=params, data=body) as r:
                return r.status, await r.text()
    return asyncio.run(go())


def test_plaintext_is_refused_while_aes_is_configured(wechat):
    reply = post(wechat, wechat.text("o-sec-plain", "小米分期怎么还款"), encrypt=False)
    assert reply.status == 403


def test_a_signature_is_not_valid_forever(wechat):
    old = wechat.params(timestamp=str(int(time.time()) - 3600))
    assert post(wechat, wechat.text("o-sec-old", "小米分期怎么还款"), params=old).status == 403


def test_a_captured_request_cannot_carry_another_message(wechat):
    params, body = wechat.prepare(wechat.text("o-sec-replay", "你好"), encrypt=True)
    status, _ = raw_post(wechat, params, body)
    assert status == 200
    # same timestamp/nonce (and so the same URL signature), a new, correctly sealed body
    url_params = {k: params[k] for k in ("timestamp", "nonce", "signature")}
    forged_body, forged_params = wechat.seal(wechat.text("o-sec-replay", "转人工"), url_params)
    status, text = raw_post(wechat, forged_params, forged_body.encode())
    assert status == 403 and "replayed" in text


def test_a_retry_after_a_passive_reply_gets_the_same_reply(wechat):
    xml = wechat.text("o-sec-retry", "小米分期怎么还款")
    first = post(wechat, xml)
    second = post(wechat, xml)  # WeChat's retry when our first answer did not reach it
    assert first.text and second.text == first.text


def test_bind_command_with_20k_spaces_is_fast(wechat):
    started = time.monotonic()
    reply = post(wechat, wechat.text("o-sec-spaces", "绑定" + " " * 20000 + "x"))
    assert reply.status in (200, 413) and time.monotonic() - started < 3


def test_guessing_binding_codes_is_throttled_in_the_store(bot_stack, wechat):
    replies = [post(wechat, wechat.text("o-sec-guess", f"绑定 {i:06d}")).text for i in range(7)]
    assert "尝试次数过多" in replies[-1]
    import hashlib
    import sqlite3
    key = "openid:" + hashlib.sha256(b"o-sec-guess").hexdigest()[:40]
    with sqlite3.connect(bot_stack.workdir / "fenqi.db") as db:  # counted in the store, not a process
        [(attempts,)] = db.execute("SELECT attempts FROM binding_attempts WHERE key = ?", (key,)).fetchall()
    assert attempts == 5


def test_long_wechat_messages_get_a_notice(wechat):
    reply = post(wechat, wechat.text("o-sec-long", "还款" * 300))
    assert reply.status == 200 and "太长" in (reply.text or "")
