"""One WeChat MsgId delivered to two instances (nginx sends WeChat's retry elsewhere) runs one bot
turn and gives one answer, which a retry gets on either instance (issue #21): turn claims and
shared answers in a real Redis (fenqi/wechat/shared.py), wechatpy as WeChat, the local fake
customer-service API."""
from __future__ import annotations

import asyncio
import contextlib
from types import SimpleNamespace

import pytest

from fenqi.identity import issue_token
from fenqi.wechat import texts
from fenqi.wechat.api import WeChatApi
from fenqi.wechat.binding import SqlDirectory
from fenqi.wechat.config import WeChatConfig
from fenqi.wechat.conversation import Responder
from fenqi.wechat.shared import ANSWER_TTL, CLAIM_TTL, MAX_ANSWER_BYTES, RedisTurnClaims, claims_from_env
from fenqi.wechat.splitting import utf8_len
from fenqi.wechat.webhook import WeChatWebhook
from tests.fenqi.wechat.test_wechat_webhook import APPID, JWT_SECRET, SECRET, TOKEN, Bot
from tests.support.wechat_simulator import FakeWeChatApi, WeChatClient

pytestmark = [pytest.mark.prod, pytest.mark.timeout(60)]
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def test_no_redis_url_means_no_claims():
    assert claims_from_env({}) is None


@contextlib.asynccontextmanager
async def two_instances(url, factory, bot, passive=1.0, api=True, aes_key=AES_KEY):
    """Two webhooks (two processes: their own turn memory and API client) on one Redis, WeChat's
    fake customer-service API (``api=False``: none configured, an unverified account) and a
    wechatpy client encrypting as configured."""
    fake = FakeWeChatApi(APPID, SECRET)
    base = await fake.start()
    config = WeChatConfig(token=TOKEN, appid=APPID, appsecret=SECRET if api else "", encoding_aes_key=aes_key,
                          api_base=base, passive_timeout=passive)
    instances = []
    for _ in range(2):
        client_api = WeChatApi(config, backoff=0.01) if api else None
        responder = Responder(bot, SqlDirectory(lambda: factory),
                              lambda user_id: issue_token(user_id, JWT_SECRET, ttl=300))
        instances.append(WeChatWebhook(config, responder, api=client_api, claims=RedisTurnClaims(url)))
    client = WeChatClient("http://unused", TOKEN, APPID, aes_key)

    async def deliver(webhook, xml, hang_up_after=None):
        """One delivery of ``xml``: the passive reply's text, "" for ``success``, None when WeChat
        hung up first (after ``hang_up_after`` seconds)."""
        params, body = client.prepare(xml, bool(aes_key), None)
        try:
            response = await asyncio.wait_for(webhook.handle_post(params, body), hang_up_after)
        except asyncio.TimeoutError:
            return None
        assert response.status == 200, (response.status, response.body)
        return "" if response.body == "success" else client.parse_reply(response.body, params).content

    try:
        yield SimpleNamespace(instances=instances, deliver=deliver, fake=fake, client=client)
    finally:
        for webhook in instances:
            await webhook.drain()
            if webhook.api is not None:
                await webhook.api.close()
            await webhook.claims.close()
        await fake.stop()


@pytest.mark.parametrize("delay, passive", [(0.0, 1.0), (0.8, 0.3)])
def test_a_retry_on_the_other_instance_neither_reruns_nor_answers_twice(redis_server, factory, delay, passive):
    """With the customer-service API: a passive answer is repeated to the retry (WeChat lost it), an
    answer too slow for both goes out once through the API."""
    url = f"redis://127.0.0.1:{redis_server.port}/4"

    async def main():
        bot = Bot(delay=delay)
        async with two_instances(url, factory, bot, passive=passive) as wx:
            xml = wx.client.text("oUser9", f"重试{delay}", msg_id=int(delay * 10) + 900)
            replies = [await wx.deliver(webhook, xml) for webhook in wx.instances]  # then the retry elsewhere
        return bot, replies, [text for _, text in wx.fake.sent]
    bot, replies, sent = asyncio.run(main())
    assert len(bot.requests) == 1
    if delay:  # too slow for a passive reply: once, through the API (or the retry, were it slower)
        assert [r for r in replies if r] + sent == [f"答:重试{delay}"]
    else:  # the same passive answer to the retry, nothing through the API
        assert (replies, sent) == ([f"答:重试{delay}"] * 2, [])


@pytest.mark.parametrize("aes_key", [AES_KEY, ""], ids=["aes", "plaintext"])
def test_without_the_api_a_lost_passive_answer_is_repeated_by_the_other_instance(redis_server, factory, aes_key):
    """Issue #21: the first instance answered passively but WeChat did not get it; its retry lands
    on the other instance, which used to say ``success`` — the answer was lost (no customer-service
    API on an unverified account). It now replies with the same answer, encrypted as configured."""
    url = f"redis://127.0.0.1:{redis_server.port}/4"

    async def main():
        bot = Bot()
        async with two_instances(url, factory, bot, api=False, aes_key=aes_key) as wx:
            xml = wx.client.text("oLost", "提前还款怎么算", msg_id=7001 + len(aes_key))
            first = await wx.deliver(wx.instances[0], xml)
            retry = await wx.deliver(wx.instances[1], xml)
            again = await wx.deliver(wx.instances[0], xml)
        return bot, [first, retry, again]
    bot, replies = asyncio.run(main())
    assert len(bot.requests) == 1
    assert replies == ["答:提前还款怎么算"] * 3


def test_without_the_api_a_retry_waits_for_the_turn_still_running_on_the_other_instance(redis_server, factory):
    """WeChat hung up on the first instance before the answer was ready; its retry reaches the other
    instance while the turn still runs there: the retry waits (bounded) for the stored answer."""
    url = f"redis://127.0.0.1:{redis_server.port}/4"

    async def main():
        bot = Bot(delay=0.8)
        async with two_instances(url, factory, bot, passive=0.3, api=False) as wx:
            xml = wx.client.text("oSlow", "为什么不能分期", msg_id=7101)
            first = await wx.deliver(wx.instances[0], xml, hang_up_after=0.2)
            retry = await wx.deliver(wx.instances[1], xml)
        return bot, first, retry
    bot, first, retry = asyncio.run(main())
    assert len(bot.requests) == 1
    assert (first, retry) == (None, "答:为什么不能分期")


def test_without_the_api_the_last_retry_elsewhere_gets_the_apology_for_a_very_slow_turn(redis_server, factory):
    """WeChat's three tries spread over both instances still count as three: the third gets the
    apology rather than nothing, and only once."""
    url = f"redis://127.0.0.1:{redis_server.port}/4"

    async def main():
        bot = Bot(delay=3.0)
        async with two_instances(url, factory, bot, passive=0.3, api=False) as wx:
            xml = wx.client.text("oVerySlow", "账单", msg_id=7201)
            replies = [await wx.deliver(wx.instances[0], xml, hang_up_after=0.2),
                       await wx.deliver(wx.instances[1], xml),
                       await wx.deliver(wx.instances[1], xml)]
        return bot, replies
    bot, replies = asyncio.run(main())
    assert len(bot.requests) == 1
    assert replies == [None, "", texts.TOO_SLOW]


def test_shared_answers_are_bounded_short_lived_and_keyed_without_openids(redis_server, factory):
    """An event's dedupe key names the OpenID: Redis keys hold its SHA-256 only; the stored answer is
    at most one WeChat message (2048 bytes) and lives ANSWER_TTL seconds."""
    import redis

    url = f"redis://127.0.0.1:{redis_server.port}/4"
    long_answer = "分期还款的步骤如下。" * 400  # several WeChat messages

    async def main():
        bot = Bot(answer=lambda request: [{"text": long_answer}])
        async with two_instances(url, factory, bot, api=False) as wx:
            replies = [await wx.deliver(webhook, wx.client.text("oSecretOpenId", "怎么还款", msg_id=7301))
                       for webhook in wx.instances]
            event = wx.client.event("oSecretOpenId", "subscribe")
            welcome = [await wx.deliver(webhook, event) for webhook in wx.instances]
            return replies, welcome, wx.instances[0].claims
    replies, welcome, claims = asyncio.run(main())
    assert replies[0] == replies[1] and utf8_len(replies[0]) <= MAX_ANSWER_BYTES
    assert welcome[0] == welcome[1] and welcome[0]
    client = redis.Redis.from_url(url)
    try:
        names = [name.decode() for name in client.keys("fenqi:wechat:*")]
        assert not any("oSecretOpenId" in name for name in names)
        answer = claims.answer_key("msg:7301")
        assert answer in names and claims.claim_key("msg:7301") in names
        assert utf8_len(client.hget(answer, "first").decode()) <= MAX_ANSWER_BYTES
        assert int(client.hget(answer, "parts")) > 1
        assert 0 < client.ttl(answer) <= ANSWER_TTL
        assert ANSWER_TTL < client.ttl(claims.claim_key("msg:7301")) <= CLAIM_TTL
        values = [v for name in names if client.type(name) == b"hash" for v in client.hgetall(name).values()]
        assert values and not any(b"oSecretOpenId" in v for v in values)
    finally:
        client.close()


def test_the_nonce_cache_is_shared_through_the_scaleout_redis_url(redis_server):
    """Two instances, one Redis (``FENQI_WECHAT_REDIS_URL``): a nonce replayed with another body on
    the other instance is refused there; an identical retry is not."""
    from fenqi.security.replay import RedisNonceCache, nonce_cache
    from fenqi.settings import ScaleoutSettings, section

    url = section(ScaleoutSettings, {"FENQI_WECHAT_REDIS_URL": f"redis://127.0.0.1:{redis_server.port}/5"}
                  ).wechat_redis_url
    first, second = nonce_cache(600, url), nonce_cache(600, url)
    assert isinstance(first, RedisNonceCache)
    assert first.first_use("1700000000:n1", "body-a")
    assert second.first_use("1700000000:n1", "body-a")  # WeChat's retry, elsewhere
    assert not second.first_use("1700000000:n1", "body-b")  # a replay with a new body
