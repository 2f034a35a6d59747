"""Replay caches: remember a (timestamp, nonce) once, for as long as its signature is acceptable.

:class:`MemoryNonceCache` serves one process (embedded mode); :class:`RedisNonceCache` is shared
by every instance (production: ``FENQI_WECHAT_REDIS_URL``, the settings' ``scaleout`` section).
``first_use(key, fingerprint)`` is atomic: True the first time, True again for the *same*
fingerprint (an identical retry), False when the key comes back with another fingerprint (a
replay with a new body).
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable, Protocol

from fenqi.wechat.ttl import TTLMap

logger = logging.getLogger(__name__)

PREFIX = "fenqi:wechat:nonce:"  # beside the MsgId claims (fenqi:wechat:turn:)


class NonceCache(Protocol):
    def first_use(self, key: str, fingerprint: str) -> bool: ...


class MemoryNonceCache:
    def __init__(self, ttl: float, max_entries: int = 200_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._seen: TTLMap[str] = TTLMap(ttl, max_entries, clock)
        self._lock = threading.Lock()

    def first_use(self, key: str, fingerprint: str) -> bool:
        with self._lock:
            known = self._seen.get(key)
            if known is None:
                self._seen.set(key, fingerprint)
                return True
            return known == fingerprint


class RedisNonceCache:
    """``SET key fingerprint NX EX ttl``: atomic across processes and machines. Redis down: this
    process's own memory instead (a replay is still refused by the instance that saw the
    original; the shopper gets an answer, not an HTTP 500)."""

    def __init__(self, client: Any, ttl: float, prefix: str = PREFIX) -> None:
        self._client, self._ttl, self._prefix = client, max(1, int(ttl)), prefix
        self._fallback = MemoryNonceCache(ttl)

    def first_use(self, key: str, fingerprint: str) -> bool:
        name = self._prefix + key
        try:
            if self._client.set(name, fingerprint, nx=True, ex=self._ttl):
                self._fallback.first_use(key, fingerprint)  # known here too, should Redis go
                return True
            known = self._client.get(name)
        except Exception as exc:  # redis.RedisError and socket errors
            logger.warning("nonce cache: Redis unavailable (%s), this process's memory only", exc.__class__.__name__)
            return self._fallback.first_use(key, fingerprint)
        return (known.decode() if isinstance(known, bytes) else known) == fingerprint


def nonce_cache(ttl: float, redis_url: str = "") -> NonceCache:
    """Redis at ``redis_url`` (the settings' ``scaleout.wechat_redis_url``, production), else in-process."""
    if not redis_url:
        return MemoryNonceCache(ttl)
    import redis

    return RedisNonceCache(redis.Redis.from_url(redis_url, socket_timeout=2), ttl, PREFIX)
