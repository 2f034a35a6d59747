"""The nonce replay cache: in process without a Redis URL (embedded), one decision per key."""
from fenqi.security.replay import MemoryNonceCache, nonce_cache
from fenqi.settings import read_settings


def test_without_the_scaleout_redis_url_the_cache_is_in_process(monkeypatch, tmp_path):
    monkeypatch.setenv("FENQI_VAR_DIR", str(tmp_path))
    settings = read_settings({"FENQI_ENV": "development"})
    assert settings.scaleout.wechat_redis_url == ""
    cache = nonce_cache(600, settings.scaleout.wechat_redis_url)
    assert isinstance(cache, MemoryNonceCache)
    assert cache.first_use("k", "a") and cache.first_use("k", "a") and not cache.first_use("k", "b")


def test_the_settings_object_carries_the_scaleout_url(monkeypatch, tmp_path):
    monkeypatch.setenv("FENQI_VAR_DIR", str(tmp_path))
    settings = read_settings({"FENQI_ENV": "development", "FENQI_WECHAT_REDIS_URL": "redis://h:1/2"})
    assert settings.scaleout.wechat_redis_url == "redis://h:1/2"


def test_with_redis_down_the_process_memory_still_refuses_a_replay():
    """Redis unreachable: no HTTP 500 for the shopper; this process still refuses a replay."""
    import socket

    import redis

    from fenqi.security.replay import RedisNonceCache

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cache = RedisNonceCache(redis.Redis(host="127.0.0.1", port=port, socket_timeout=1), ttl=600)
    assert cache.first_use("1700000000:n1", "body-a")
    assert cache.first_use("1700000000:n1", "body-a")  # WeChat's identical retry
    assert not cache.first_use("1700000000:n1", "body-b")  # a replay with another body
