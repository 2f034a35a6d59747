"""The webhook's defaults come from one settings object, passed down (no lazy wrapper of its own)."""
import pytest

from fenqi.identity import WECHAT, verify_token
from fenqi.security.replay import MemoryNonceCache, RedisNonceCache
from fenqi.settings import read_settings
from fenqi.wechat.assembly import build_webhook
from fenqi.wechat.config import WeChatConfig
from fenqi.wechat.options import OptionMemory
from fenqi.wechat.shared import RedisOptionMemory, RedisTurnClaims

SECRET = "assembly-test-secret-" + "k7Qx2" * 8


async def bot(request):
    return []


@pytest.fixture
def settings(monkeypatch, tmp_path):
    monkeypatch.setenv("FENQI_VAR_DIR", str(tmp_path))

    def read(**env):
        return read_settings({"FENQI_ENV": "production", "FENQI_JWT_SECRET": SECRET, **env})
    return read


def test_tokens_are_minted_with_the_given_settings_secret(settings):
    webhook = build_webhook(WeChatConfig(token="t"), bot, directory=object(), settings=settings())
    identity = verify_token(webhook.responder.mint_token("u1"), SECRET, presented_on=WECHAT)
    assert (identity.user_id, identity.channel) == ("u1", "wechat")
    assert isinstance(webhook.nonces, MemoryNonceCache) and webhook.claims is None
    assert isinstance(webhook.responder.options, OptionMemory)


def test_the_scaleout_redis_url_shares_nonces_claims_and_options(settings):
    webhook = build_webhook(WeChatConfig(token="t"), bot, directory=object(),
                            settings=settings(FENQI_WECHAT_REDIS_URL="redis://127.0.0.1:9/2"))
    assert isinstance(webhook.nonces, RedisNonceCache) and isinstance(webhook.claims, RedisTurnClaims)
    assert isinstance(webhook.responder.options, RedisOptionMemory)


def test_without_settings_the_process_settings_are_read_once_at_mount(monkeypatch, tmp_path):
    monkeypatch.setenv("FENQI_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("FENQI_ENV", "production")
    monkeypatch.delenv("FENQI_JWT_SECRET", raising=False)
    from fenqi.settings import ConfigurationError

    with pytest.raises(ConfigurationError, match="FENQI_JWT_SECRET"):  # fails at start, closed
        build_webhook(WeChatConfig(token="t"), bot, directory=object())
    monkeypatch.setenv("FENQI_JWT_SECRET", SECRET)
    webhook = build_webhook(WeChatConfig(token="t"), bot, directory=object())
    assert verify_token(webhook.responder.mint_token("u2"), SECRET, presented_on=WECHAT).user_id == "u2"
