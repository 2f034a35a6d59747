"""The webhook core end to end: wechatpy as WeChat, a fake WeChat API, a real account store.

The bot is the Rasa boundary: a small coroutine that records each request and answers after
a configurable delay, like a Rasa turn would.
"""
import asyncio
from typing import Any, Dict, List

import pytest

from fenqi.db.engine import session_scope
from fenqi.identity import WECHAT, issue_token, verify_token
from fenqi.wechat import texts
from fenqi.wechat.api import WeChatApi
from fenqi.wechat.binding import SqlDirectory, mint_binding_code
from fenqi.wechat.config import WeChatConfig
from fenqi.wechat.conversation import BotRequest, Responder
from fenqi.wechat.splitting import utf8_len
from fenqi.wechat.webhook import WeChatWebhook
from tests.support.wechat_simulator import FakeWeChatApi, WeChatClient

pytestmark = pytest.mark.timeout(30)

TOKEN, APPID, SECRET = "wx-test-token", "wx1234567890abcdef", "app-secret"
JWT_SECRET = "jwt-test-secret-" + "z" * 32
PASSIVE = 1.0  # generous: fast paths include SQLite work in a thread, on a busy machine
SLOW = 0.3  # passive timeout for the tests about slow answers


class Bot:
    """Answers "答:<text>" after ``delay`` seconds; records every request."""

    def __init__(self, delay: float = 0.0, answer=None):
        self.delay = delay
        self.requests: List[BotRequest] = []
        self.answer = answer or (lambda req: [{"text": f"答:{req.text}"}])

    async def __call__(self, request: BotRequest) -> List[Dict[str, Any]]:
        self.requests.append(request)
        await asyncio.sleep(self.delay)
        return self.answer(request)


class Harness:
    def __init__(self, sessions, aes_key, bot, api=True, passive=PASSIVE):
        self.sessions = sessions
        self.aes_key = aes_key
        self.bot = bot
        self.want_api = api
        self.passive = passive
        self.client = WeChatClient("http://unused", TOKEN, APPID, aes_key)
        self.fake = FakeWeChatApi(APPID, SECRET)

    async def __aenter__(self):
        base = await self.fake.start()
        self.config = WeChatConfig(token=TOKEN, appid=APPID, appsecret=SECRET if self.want_api else "",
                                   encoding_aes_key=self.aes_key, api_base=base,
                                   passive_timeout=self.passive)
        self.api = WeChatApi(self.config, backoff=0.01) if self.want_api else None
        responder = Responder(self.bot, SqlDirectory(lambda: self.sessions),
                              lambda user_id: issue_token(user_id, JWT_SECRET, ttl=300, channel="wechat"))
        self.webhook = WeChatWebhook(self.config, responder, api=self.api)
        return self

    async def __aexit__(self, *exc):
        await self.webhook.drain()
        if self.api:
            await self.api.close()
        await self.fake.stop()

    async def post(self, xml, encrypt=None, params=None):
        encrypt = bool(self.aes_key) if encrypt is None else encrypt  # plaintext is refused with a key
        params, body = self.client.prepare(xml, encrypt, params)
        response = await self.webhook.handle_post(params, body)
        message = self.client.parse_reply(response.body, params) if response.status == 200 else None
        return response, message


def run(coro):
    return asyncio.run(coro)


def test_fast_answer_is_a_passive_xml_reply(sessions, aes_key):
    async def main():
        async with Harness(sessions, aes_key, Bot()) as h:
            response, reply = await h.post(h.client.text("oUser1", "为什么不能分期", msg_id=1))
            assert response.status == 200 and response.content_type.startswith("application/xml")
            assert reply.content == "答:为什么不能分期"
            assert reply.target == "oUser1" and reply.source == h.client.account  # From/To swapped
            assert h.bot.requests[0].sender_id == "wx:oUser1"
            assert h.fake.sent == []
    run(main())


def test_encrypted_request_gets_an_encrypted_reply(sessions, aes_key):
    async def main():
        async with Harness(sessions, aes_key, Bot()) as h:
            response, reply = await h.post(h.client.text("oUser1", "备用金", msg_id=2), encrypt=True)
            assert "<Encrypt>" in response.body and "备用金" not in response.body
            assert reply.content == "答:备用金"
    run(main())


def test_slow_answer_says_success_then_arrives_by_customer_service_api(sessions, aes_key):
    async def main():
        async with Harness(sessions, aes_key, Bot(delay=SLOW + 0.3), passive=SLOW) as h:
            response, reply = await h.post(h.client.text("oUser1", "慢问题", msg_id=3))
            assert (response.status, response.body, reply) == (200, "success", None)
            await h.webhook.drain()
            assert h.fake.sent == [("oUser1", "答:慢问题")]
    run(main())


def test_retries_while_slow_run_the_bot_once_and_the_retry_gets_the_answer(sessions, aes_key):
    async def main():
        # answer at ~1.2 s: after the first request gave up (0.8 s), inside the retry's wait (to 1.6 s)
        async with Harness(sessions, aes_key, Bot(delay=1.2), passive=0.8) as h:
            xml = h.client.text("oUser1", "重试", msg_id=4)
            first, _ = await h.post(xml)  # times out
            second, reply = await h.post(xml)  # WeChat's retry; the answer arrives meanwhile
            third, again = await h.post(xml)  # a late retry: WeChat lost the passive reply
            await h.webhook.drain()
            assert first.body == "success"
            assert reply is not None and reply.content == "答:重试"
            assert again is not None and again.content == "答:重试"  # the same reply, not "success"
            assert len(h.bot.requests) == 1
            assert h.fake.sent == []  # delivered exactly once, passively
    run(main())


def test_three_concurrent_retries_while_very_slow_deliver_once_via_api(sessions, aes_key):
    async def main():
        async with Harness(sessions, aes_key, Bot(delay=SLOW * 4), passive=SLOW) as h:
            xml = h.client.text("oUser1", "很慢", msg_id=5)
            results = await asyncio.gather(*(h.post(xml) for _ in range(3)))
            await h.webhook.drain()
            assert [r.body for r, _ in results] == ["success"] * 3
            assert len(h.bot.requests) == 1
            assert h.fake.sent == [("oUser1", "答:很慢")]
    run(main())


def test_long_answers_are_split_and_sent_in_order(sessions, aes_key):
    paragraph = "第{}段：请打开小米商城App，在“我的-小米分期”中查看账单并按提示还款。"
    bot = Bot(answer=lambda req: [{"text": "\n".join(paragraph.format(i) for i in range(120))}])
    async def main():
        async with Harness(sessions, aes_key, bot) as h:
            response, reply = await h.post(h.client.text("oUser1", "详细说明", msg_id=6))
            await h.webhook.drain()
            assert response.body == "success" and reply is None
            contents = [c for _, c in h.fake.sent]
            assert len(contents) > 1 and all(utf8_len(c) <= 2048 for c in contents)
            assert contents[0].startswith(paragraph.format(0))
            assert contents[-1].endswith(paragraph.format(119))
    run(main())


def test_buttons_become_numbers_and_a_number_maps_back_to_the_payload(sessions, aes_key):
    def answer(req):
        if req.text == "/ask_repay":
            return [{"text": "还款方式如下"}]
        return [{"text": "您想了解：", "buttons": [{"title": "额度", "payload": "/ask_credit"},
                                                 {"title": "还款", "payload": "/ask_repay"}]}]
    async def main():
        async with Harness(sessions, aes_key, Bot(answer=answer)) as h:
            _, reply = await h.post(h.client.text("oUser1", "帮助", msg_id=7))
            assert reply.content == "您想了解：\n回复 1：额度\n回复 2：还款"
            _, other = await h.post(h.client.text("oUser2", "2", msg_id=8))  # no options for oUser2
            _, reply = await h.post(h.client.text("oUser1", "2", msg_id=9))
            assert [r.text for r in h.bot.requests] == ["帮助", "2", "/ask_repay"]
            assert reply.content == "还款方式如下"
    run(main())


def test_binding_then_the_bot_gets_a_signed_token_never_the_openid(sessions, aes_key):
    with session_scope(sessions) as session:
        code = mint_binding_code(session, "u1001")
    async def main():
        async with Harness(sessions, aes_key, Bot()) as h:
            _, before = await h.post(h.client.text("oUser1", "我的额度", msg_id=10))
            assert h.bot.requests[-1].metadata == {}
            bind_xml = h.client.text("oUser1", f"绑定 {code}", msg_id=11)
            _, bound = await h.post(bind_xml)
            _, retried = await h.post(bind_xml)  # a retry must not try the used code again
            assert bound.content == texts.BIND_OK and retried.content == texts.BIND_OK  # same reply
            _, after = await h.post(h.client.text("oUser1", "我的额度", msg_id=12))
            metadata = h.bot.requests[-1].metadata
            identity = verify_token(metadata["auth_token"], JWT_SECRET, presented_on=WECHAT)
            assert (identity.user_id, identity.channel) == ("u1001", "wechat")
            assert identity.expires_at - identity.issued_at == 300 and identity.expires_at <= __import__("time").time() + 300
            assert "oUser1" not in str(metadata)
            assert len(h.bot.requests) == 2  # the binding message never reached the bot
    run(main())


def test_wrong_binding_codes_are_throttled(sessions, aes_key):
    with session_scope(sessions) as session:
        code = mint_binding_code(session, "u1001")
    async def main():
        async with Harness(sessions, aes_key, Bot()) as h:
            replies = []
            for i in range(5):
                _, reply = await h.post(h.client.text("oUser9", "绑定 99999%d" % i, msg_id=100 + i))
                replies.append(reply.content)
            assert set(replies) == {texts.BIND_FAILED["unknown"]}
            _, reply = await h.post(h.client.text("oUser9", f"绑定 {code}", msg_id=110))
            assert reply.content == texts.BIND_FAILED["throttled"]
    run(main())


def test_subscribe_welcomes_and_explains_binding_to_unbound_users(sessions, aes_key):
    async def main():
        async with Harness(sessions, aes_key, Bot()) as h:
            xml = h.client.event("oNew", "subscribe", create_time=1700000000)
            _, reply = await h.post(xml)
            _, retry = await h.post(xml)
            assert reply.content == texts.welcome(bound=False) and texts.BIND_HINT in reply.content
            assert retry.content == reply.content and h.bot.requests == []
    run(main())


def test_images_and_unrecognised_voice_get_a_polite_text_and_never_reach_the_bot(sessions, aes_key):
    async def main():
        async with Harness(sessions, aes_key, Bot()) as h:
            _, image = await h.post(h.client.image("oUser1", msg_id=20))
            _, voice = await h.post(h.client.voice("oUser1", None, msg_id=21))
            assert image.content == voice.content == texts.UNSUPPORTED
            _, spoken = await h.post(h.client.voice("oUser1", "怎么还款", msg_id=22))
            assert spoken.content == "答:怎么还款"
            assert [r.text for r in h.bot.requests] == ["怎么还款"]
    run(main())


def test_other_events_are_acknowledged_silently(sessions, aes_key):
    async def main():
        async with Harness(sessions, aes_key, Bot()) as h:
            response, reply = await h.post(h.client.event("oUser1", "LOCATION", Latitude="39.9"))
            assert (response.body, reply, h.bot.requests) == ("success", None, [])
    run(main())


def test_a_failing_bot_turn_apologises(sessions, aes_key):
    def answer(req):
        raise RuntimeError("action server down")
    async def main():
        async with Harness(sessions, aes_key, Bot(answer=answer)) as h:
            _, reply = await h.post(h.client.text("oUser1", "你好", msg_id=30))
            assert reply.content == texts.BOT_ERROR
    run(main())


def test_reply_text_cannot_break_out_of_cdata(sessions, aes_key):
    async def main():
        async with Harness(sessions, aes_key, Bot(answer=lambda r: [{"text": "a]]><MsgType>x</MsgType>b"}])) as h:
            _, reply = await h.post(h.client.text("oUser1", "x", msg_id=31))
            assert reply.type == "text" and "<MsgType>x</MsgType>" in reply.content
    run(main())


def test_bad_requests_are_rejected_before_anything_runs(sessions, aes_key):
    async def main():
        async with Harness(sessions, aes_key, Bot()) as h:
            xml = h.client.text("oUser1", "你好", msg_id=40)
            params, body = h.client.prepare(xml)
            forged = dict(params, signature="0" * 40)
            assert (await h.webhook.handle_post(forged, body)).status == 403
            huge = h.client.text("oUser1", "长" * 30000, msg_id=41).encode()
            assert (await h.webhook.handle_post(h.client.params(), huge)).status == 413
            dtd = b'<!DOCTYPE xml [<!ENTITY a "b">]><xml><Content>&a;</Content></xml>'
            assert (await h.webhook.handle_post(h.client.params(), dtd)).status == 400
            assert h.bot.requests == [] and len(h.webhook.turns) == 0
            unconfigured = WeChatWebhook(WeChatConfig(), h.webhook.responder)
            assert (await unconfigured.handle_post(params, body)).status == 503
            # the forged attempt consumed nothing: the genuine message still gets its answer
            _, reply = await h.post(xml, params=params)
            assert reply.content == "答:你好"
    run(main())


def test_without_api_credentials_a_slow_answer_reaches_the_retry(sessions, aes_key):
    """No customer-service API: the first delivery is held past WeChat's 5 s (so WeChat retries)
    and the answer goes out passively, to that request or to the retry."""
    async def main():
        async with Harness(sessions, aes_key, Bot(delay=SLOW + 0.2), api=False, passive=SLOW) as h:
            xml = h.client.text("oUser1", "慢", msg_id=50)
            _, held = await h.post(xml)  # held beyond passive_timeout: answered passively
            _, retry = await h.post(xml)  # had WeChat given up, its retry gets the same reply
            await h.webhook.drain()
            assert held.content == "答:慢" and retry.content == "答:慢" and h.fake.sent == []
            assert len(h.bot.requests) == 1
    run(main())


def test_without_api_credentials_the_last_retry_gets_an_apology_not_nothing(sessions, aes_key):
    async def main():
        async with Harness(sessions, aes_key, Bot(delay=30), api=False, passive=0.1) as h:
            xml = h.client.text("oUser1", "很慢", msg_id=51)
            replies = [await h.post(xml) for _ in range(3)]
            assert [r.body for r, _ in replies[:2]] == ["success", "success"]
            assert replies[2][1].content == texts.TOO_SLOW
            for task in list(h.webhook._background):
                task.cancel()
    run(main())
