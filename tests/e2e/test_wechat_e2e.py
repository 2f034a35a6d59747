"""WeChat end to end: wechatpy-signed, AES-encrypted pushes to the real Rasa server's WeChat
channel, answered by the real action server from the real account store."""
import asyncio

import aiohttp
import pytest

from tests.support.stack import WECHAT_ENV
from tests.support.wechat_simulator import WeChatClient

pytestmark = pytest.mark.e2e


@pytest.fixture
def wechat(bot_stack):
    return WeChatClient(f"{bot_stack.rasa_url}/webhooks/wechat/webhook", WECHAT_ENV["WECHAT_TOKEN"],
                        appid=WECHAT_ENV["WECHAT_APPID"], aes_key=WECHAT_ENV["WECHAT_ENCODING_AES_KEY"])


def say(wechat, openid, text):
    async def go():
        async with aiohttp.ClientSession() as session:
            return await wechat.post(session, wechat.text(openid, text), encrypt=True)
    reply = asyncio.run(go())
    assert reply.status == 200, reply.body
    return reply.text or ""


def test_unbound_user_gets_steps_and_how_to_bind(wechat):
    reply = say(wechat, "o-e2e-unbound", "小米分期怎么还款")
    assert "我的订单" in reply and "绑定" in reply
    assert "¥" not in reply


def test_bound_user_gets_their_own_diagnosis(bot_stack, wechat):
    minted = bot_stack.fenqi("wechat", "code", "demo_low_limit")
    assert minted.returncode == 0, minted.stderr
    code = minted.stdout.split()[0]
    assert "绑定成功" in say(wechat, "o-e2e-bound", f"绑定 {code}")
    reply = say(wechat, "o-e2e-bound", "为什么我有额度却不能分期")
    assert "【额度不足】" in reply and "¥500.00" in reply


def test_forged_signature_is_refused(bot_stack, wechat):
    forged = WeChatClient(wechat.url, "not-the-token")
    async def go():
        async with aiohttp.ClientSession() as session:
            return await forged.post(session, forged.text("o-e2e-forger", "小米分期怎么还款"))
    assert asyncio.run(go()).status == 403
