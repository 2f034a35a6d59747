"""The API client against a local fake of api.weixin.qq.com."""
import asyncio

import aiohttp
import pytest

from fenqi.wechat.api import WeChatApi, WeChatApiError
from fenqi.wechat.config import WeChatConfig
from tests.support.wechat_simulator import FakeWeChatApi

pytestmark = pytest.mark.timeout(30)

APPID, SECRET = "wx1234567890abcdef", "app-secret"


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def scenario(test, **fake_options):
    """Run ``test(fake, api, clock)`` with a fake WeChat API server on a random port."""
    async def main():
        fake = FakeWeChatApi(APPID, SECRET, **fake_options)
        base = await fake.start()
        clock = Clock()
        api = WeChatApi(WeChatConfig(token="t", appid=APPID, appsecret=SECRET, api_base=base),
                        backoff=0.01, clock=clock)
        try:
            await test(fake, api, clock)
        finally:
            await api.close()
            await fake.stop()
    asyncio.run(main())


def test_token_is_cached_until_shortly_before_expiry():
    async def test(fake, api, clock):
        first = await api.access_token()
        assert await api.access_token() == first
        assert fake.token_calls == 1
        clock.now += 7200 - 301
        assert await api.access_token() == first
        clock.now += 2  # inside the 300 s safety margin
        assert await api.access_token() != first
        assert fake.token_calls == 2
    scenario(test)


def test_concurrent_callers_share_one_token_request():
    async def test(fake, api, clock):
        tokens = await asyncio.gather(*(api.access_token() for _ in range(5)))
        assert len(set(tokens)) == 1 and fake.token_calls == 1
    scenario(test)


def test_send_text_delivers_utf8_content():
    async def test(fake, api, clock):
        await api.send_texts("oUser1", ["第一条", "第二条"])
        assert fake.sent == [("oUser1", "第一条"), ("oUser1", "第二条")]
    scenario(test)


def test_expired_token_is_refreshed_once_and_the_send_retried():
    async def test(fake, api, clock):
        await api.send_text("oUser1", "一")
        fake.expire_tokens()  # WeChat revoked it early (e.g. another server refreshed)
        await api.send_text("oUser1", "二")
        assert [c for _, c in fake.sent] == ["一", "二"]
        assert fake.token_calls == 2 and len(fake.rejected_tokens) == 1
    scenario(test)


def test_network_failures_are_retried_with_backoff():
    async def test(fake, api, clock):
        fake.fail_next = 2  # token call fails twice with HTTP 500
        await api.send_text("oUser1", "稍后到达")
        assert fake.sent == [("oUser1", "稍后到达")]
        fake.busy_next = 1  # errcode -1 on the send
        await api.send_text("oUser1", "再来")
        assert fake.sent[-1] == ("oUser1", "再来")
    scenario(test)


def test_gives_up_after_the_retry_budget():
    async def test(fake, api, clock):
        fake.fail_next = 10
        with pytest.raises(WeChatApiError):
            await api.access_token()
        assert fake.token_calls == api.retries + 1
    scenario(test)


def test_unreachable_api_raises_a_client_error():
    async def main():
        api = WeChatApi(WeChatConfig(token="t", appid=APPID, appsecret=SECRET,
                                     api_base="http://127.0.0.1:9"), retries=1, backoff=0.01)
        try:
            with pytest.raises(aiohttp.ClientError):
                await api.access_token()
        finally:
            await api.close()
    asyncio.run(main())


def test_wrong_secret_is_reported_not_retried():
    async def main():
        fake = FakeWeChatApi(APPID, SECRET)
        base = await fake.start()
        api = WeChatApi(WeChatConfig(token="t", appid=APPID, appsecret="wrong", api_base=base))
        try:
            with pytest.raises(WeChatApiError) as info:
                await api.access_token()
            assert info.value.errcode == 40125 and fake.token_calls == 1
        finally:
            await api.close()
            await fake.stop()
    asyncio.run(main())


def test_api_needs_appid_and_secret():
    with pytest.raises(ValueError):
        WeChatApi(WeChatConfig(token="t"))
