"""One WeChat MsgId delivered to two instances (nginx sends WeChat's retry elsewhere) runs one bot
turn and gives one answer: turn claims in a real Redis (fenqi/wechat/shared.py), wechatpy as
WeChat, the local fake customer-service API."""
from __future__ import annotations

import asyncio

import pytest

from fenqi.identity import issue_token
from fenqi.wechat.api import WeChatApi
from fenqi.wechat.binding import SqlDirectory
from fenqi.wechat.config import WeChatConfig
from fenqi.wechat.conversation import Responder
from fenqi.wechat.shared import RedisTurnClaims, claims_from_env
from fenqi.wechat.webhook import WeChatWebhook
from tests.fenqi.wechat.test_wechat_webhook import APPID, JWT_SECRET, SECRET, TOKEN, Bot
from tests.support.wechat_simulator import FakeWeChatApi, WeChatClient

pytestmark = [pytest.mark.prod, pytest.mark.timeout(60)]
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def test_no_redis_url_means_no_claims():
    assert claims_from_env({}) is None


@pytest.mark.parametrize("delay, passive", [(0.0, 1.0), (0.8, 0.3)])
def test_a_retry_on_the_other_instance_neither_reruns_nor_reanswers(redis_server, factory, delay, passive):
    url = f"redis://127.0.0.1:{redis_server.port}/4"

    async def main():
        fake, bot = FakeWeChatApi(APPID, SECRET), Bot(delay=delay)
        base = await fake.start()
        config = WeChatConfig(token=TOKEN, appid=APPID, appsecret=SECRET, encoding_aes_key=AES_KEY,
                              api_base=base, passive_timeout=passive)
        instances = []
        for _ in range(2):  # two processes: their own turn memory and API client, one Redis
            api = WeChatApi(config, backoff=0.01)
            responder = Responder(bot, SqlDirectory(lambda: factory),
                                  lambda user_id: issue_token(user_id, JWT_SECRET, ttl=300))
            instances.append((WeChatWebhook(config, responder, api=api, claims=RedisTurnClaims(url)), api))
        client = WeChatClient("http://unused", TOKEN, APPID, AES_KEY)
        xml = client.text("oUser9", f"重试{delay}", msg_id=int(delay * 10) + 900)
        answers = []
        try:
            for webhook, _ in instances:  # the first delivery, then WeChat's retry elsewhere
                params, body = client.prepare(xml, True, None)
                response = await webhook.handle_post(params, body)
                assert response.status == 200, (response.status, response.body)
                if response.body != "success":
                    answers.append(client.parse_reply(response.body, params).content)
            for webhook, _ in instances:
                await webhook.drain()
        finally:
            for webhook, api in instances:
                await api.close()
                await webhook.claims.close()
            await fake.stop()
        answers += [text for _, text in fake.sent]
        assert len(bot.requests) == 1
        assert answers == [f"答:重试{delay}"]
    asyncio.run(main())


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
