"""Live takeover for a WeChat user: wechatpy as WeChat, the webhook core with the takeover hook, the
real customer-service client against the local fake API, a real SQLite store."""
from __future__ import annotations

import asyncio
import base64
import os

import pytest

from channels.takeover import WeChatTakeover
from fenqi import clock
from fenqi.db.engine import session_scope
from fenqi.db.models import TicketTakeover
from fenqi.handoff import TicketRequest, live, open_ticket
from fenqi.handoff.agents import add_agent
from fenqi.handoff.relay import TakeoverRelay, wechat_sender
from fenqi.handoff.takeover import Accept, HandBack
from fenqi.wechat.api import WeChatApi
from fenqi.wechat.binding import SqlDirectory
from fenqi.wechat.config import WeChatConfig
from fenqi.wechat.conversation import Responder
from fenqi.wechat.webhook import WeChatWebhook
from tests.fenqi.wechat.test_wechat_webhook import APPID, SECRET, TOKEN, Bot
from tests.support.wechat_simulator import FakeWeChatApi, WeChatClient

pytestmark = pytest.mark.timeout(60)


def test_wechat_takeover_silences_the_bot_delivers_agent_messages_and_takes_a_numbered_rating(factory):
    aes_key = base64.b64encode(os.urandom(32)).decode("ascii").rstrip("=")
    with session_scope(factory) as s:
        agent = add_agent(s, "安娜", "a long enough secret", clock.now()).id
        ticket = open_ticket(s, TicketRequest("wx:oShopper", "wechat", None, "近期话题：无", []),
                             clock.now())[0].id
    relay = TakeoverRelay(lambda: factory)

    async def main():
        fake, bot = FakeWeChatApi(APPID, SECRET), Bot()
        base = await fake.start()
        config = WeChatConfig(token=TOKEN, appid=APPID, appsecret=SECRET, encoding_aes_key=aes_key,
                              api_base=base, passive_timeout=2.0)
        api = WeChatApi(config, backoff=0.01)
        responder = Responder(bot, SqlDirectory(lambda: factory), lambda user_id: "unused",
                              takeover=WeChatTakeover(relay).hook)
        webhook = WeChatWebhook(config, responder, api=api)
        client = WeChatClient("http://unused", TOKEN, APPID, aes_key)

        async def say(text, msg_id):
            params, body = client.prepare(client.text("oShopper", text, msg_id=msg_id), True, None)
            response = await webhook.handle_post(params, body)
            return client.parse_reply(response.body, params) if response.body != "success" else None

        try:
            assert (await say("在吗", 1)).content == "答:在吗"              # queued: the bot answers
            with session_scope(factory) as s:
                live.transition(s, ticket, Accept(agent), clock.now())
                live.post_agent_message(s, ticket, agent, "您好，我来处理", clock.now())
            await relay.deliver_once(["wx:"], wechat_sender(api))
            assert fake.sent == [("oShopper", "人工客服 安娜 为您服务。"),
                                 ("oShopper", "人工客服 安娜：您好，我来处理")]
            assert await say("我的订单扣款两次", 2) is None                 # agent owns it: no reply at all
            assert [r.text for r in bot.requests] == ["在吗"]
            with session_scope(factory) as s:
                logged = [m.text for m in live.messages(s, ticket) if m.author == "shopper"]
                assert logged == ["我的订单扣款两次"]
                live.transition(s, ticket, HandBack(agent), clock.now())
            await relay.deliver_once(["wx:"], wechat_sender(api))
            assert fake.sent[-2][1] == live.RESUMED and "回复数字 1–5" in fake.sent[-1][1]
            assert "4 分" in (await say("4", 3)).content                    # a numbered rating
            assert (await say("怎么还款", 4)).content == "答:怎么还款"        # the bot again
        finally:
            await webhook.drain()
            await api.close()
            await fake.stop()
        with session_scope(factory) as s:
            assert s.get(TicketTakeover, ticket).rating == 4
    asyncio.run(main())
