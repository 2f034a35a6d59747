"""WeChat's numbered options shared by several instances in a real Redis (fenqi/wechat/shared.py):
one instance shows "回复 1：…", the shopper's "1" reaches another and still means the payload."""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging

import pytest

from deploy.services import Redis, free_port
from fenqi.identity import issue_token
from fenqi.wechat.binding import SqlDirectory
from fenqi.wechat.config import WeChatConfig
from fenqi.wechat.conversation import Responder
from fenqi.wechat.options import MAX_OPTIONS, MAX_TITLE_CHARS, OptionMemory
from fenqi.wechat.shared import MAX_OPTIONS_BYTES, OPTIONS_PREFIX, RedisOptionMemory, option_memory
from fenqi.wechat.webhook import WeChatWebhook
from tests.fenqi.wechat.test_wechat_webhook import APPID, JWT_SECRET, TOKEN, Bot
from tests.support.wechat_simulator import WeChatClient

pytestmark = [pytest.mark.prod, pytest.mark.timeout(60)]
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
OPTIONS = [("额度", "/ask_credit"), ("还款", "/ask_repay")]


@pytest.fixture
def url(redis_server):
    return f"redis://127.0.0.1:{redis_server.port}/6"


@contextlib.asynccontextmanager
async def memories(url, count=2, **options):
    """``count`` memories on one Redis: as many Rasa instances."""
    made = [RedisOptionMemory(url, **options) for _ in range(count)]
    try:
        yield made
    finally:
        for memory in made:
            await memory.close()


def test_the_factory_chooses_redis_only_with_a_url(url):
    assert isinstance(option_memory(""), OptionMemory)
    assert isinstance(option_memory(url), RedisOptionMemory)


def test_one_instance_remembers_the_other_resolves(url):
    async def main():
        async with memories(url) as (first, second):
            await first.remember("oShopperA", OPTIONS)
            assert await second.resolve("oShopperA", "1") == "/ask_credit"
            assert await second.resolve("oShopperA", "２。") == "/ask_repay"
            assert await second.resolve("oShopperA", "3") is None
            assert await second.resolve("oShopperB", "1") is None  # per OpenID
            assert await second.recall("oShopperA") == tuple(OPTIONS)
            await second.remember("oShopperA", [])  # the other instance answered without buttons
            assert await first.resolve("oShopperA", "1") is None
    asyncio.run(main())


def test_keys_hide_the_openid_and_expire_after_thirty_minutes(url):
    import redis

    async def main():
        async with memories(url, 1) as (memory,):
            await memory.remember("oSecretOpenId", OPTIONS)
            return memory._key("oSecretOpenId")
    key = asyncio.run(main())
    client = redis.Redis.from_url(url)
    assert key.startswith(OPTIONS_PREFIX) and client.exists(key)
    assert not any(b"oSecretOpenId" in name for name in client.keys("*"))
    assert 29 * 60 * 1000 < client.pttl(key) <= 30 * 60 * 1000
    client.delete(key)
    client.close()


def test_options_expire_after_the_ttl(url):
    async def main():
        async with memories(url, ttl=0.3) as (writer, reader):
            await writer.remember("oShopperT", OPTIONS)
            assert await reader.resolve("oShopperT", "1") == "/ask_credit"
            await asyncio.sleep(0.6)
            assert await reader.resolve("oShopperT", "1") is None
    asyncio.run(main())


def test_oversize_and_hostile_values_are_bounded(url):
    import redis

    hostile = [("标" * 10_000, "/x" * 10_000), ("还款", "/ask_repay")] + [("\ud83d" * 500, "\x00" * 200)] * 500

    async def main():
        client = redis.Redis.from_url(url)
        async with memories(url, 1) as (memory,):
            key = memory._key("oHostile")
            await memory.remember("oHostile", hostile)
            assert client.strlen(key) <= MAX_OPTIONS_BYTES
            recalled = await memory.recall("oHostile")
            assert len(recalled) == MAX_OPTIONS and all(len(title) <= MAX_TITLE_CHARS for title, _ in recalled)
            assert await memory.resolve("oHostile", "1") is None  # oversize payload: read as text
            assert await memory.resolve("oHostile", "2") == "/ask_repay"
            # whatever else the key may hold is no options, never an error
            for raw in ("not json", json.dumps({"1": "/x"}), json.dumps([["a", 1]]), json.dumps([["a"]]),
                        json.dumps([["t", "/p"]] * (MAX_OPTIONS + 1)),
                        json.dumps([["t" * MAX_OPTIONS_BYTES, "/p"]])):
                client.set(key, raw)
                assert await memory.resolve("oHostile", "1") is None, raw
            client.delete(key)
            client.hset(key, "1", "/x")  # WRONGTYPE
            assert await memory.resolve("oHostile", "1") is None
            client.delete(key)
        client.close()
    asyncio.run(main())


def test_redis_down_means_text_not_an_error(tmp_path, caplog):
    """A Redis that goes away after use, and one that was never there: logged without the OpenID."""
    server = Redis(tmp_path / "redis", free_port())
    server.start()
    caplog.set_level(logging.WARNING, logger="fenqi.wechat.shared")

    async def main():
        memory, absent = RedisOptionMemory(f"redis://127.0.0.1:{server.port}/0"), RedisOptionMemory(
            f"redis://127.0.0.1:{free_port()}/0")
        try:
            await memory.remember("oShopperDown", OPTIONS)
            assert await memory.resolve("oShopperDown", "1") == "/ask_credit"
            server.stop()
            assert await memory.resolve("oShopperDown", "1") is None
            await memory.remember("oShopperDown", OPTIONS)
            await absent.remember("oShopperDown", OPTIONS)
            assert await absent.resolve("oShopperDown", "1") is None
        finally:
            server.stop()
            await memory.close()
            await absent.close()
    asyncio.run(main())
    warnings = [record.getMessage() for record in caplog.records if record.name == "fenqi.wechat.shared"]
    assert len(warnings) >= 4 and all("option memory unavailable" in message for message in warnings)
    assert not any("oShopperDown" in message for message in warnings)


def test_a_number_sent_to_the_other_instance_picks_the_option(url, factory):
    """The production bug: buttons shown by one instance, the shopper's "2" handled by another."""
    def answer(request):
        if request.text == "/ask_repay":
            return [{"text": "还款方式如下"}]
        return [{"text": "您想了解：", "buttons": [{"title": t, "payload": p} for t, p in OPTIONS]}]

    async def main():
        bot = Bot(answer=answer)
        config = WeChatConfig(token=TOKEN, appid=APPID, encoding_aes_key=AES_KEY, passive_timeout=2.0)
        client = WeChatClient("http://unused", TOKEN, APPID, AES_KEY)
        replies = []
        async with memories(url) as shared:  # two processes: their own memory objects, one Redis
            instances = [WeChatWebhook(config, Responder(bot, SqlDirectory(lambda: factory),
                                                         lambda user_id: issue_token(user_id, JWT_SECRET, ttl=300),
                                                         options=memory)) for memory in shared]
            for webhook, (text, msg_id) in zip(instances, [("帮助", 9701), ("2", 9702)]):
                params, body = client.prepare(client.text("oShopperX", text, msg_id=msg_id), True, None)
                response = await webhook.handle_post(params, body)
                assert response.status == 200, (response.status, response.body)
                replies.append(client.parse_reply(response.body, params).content)
                await webhook.drain()
        assert [request.text for request in bot.requests] == ["帮助", "/ask_repay"]
        assert replies == ["您想了解：\n回复 1：额度\n回复 2：还款", "还款方式如下"]
    asyncio.run(main())
