"""WeChat state shared by several Rasa instances, in Redis (issue #13, production mode).

:class:`RedisTurnClaims`: the first instance to see a message's dedupe key (MsgId) claims it with
``SET NX EX``; a retry that nginx sends to another instance finds the claim and only says
``success`` — the claiming instance runs the one bot turn and delivers the one answer (passively
or through the customer-service API). ``FENQI_WECHAT_REDIS_URL`` unset: no claims (one process).

:class:`RedisOptionMemory`: the numbered options last shown to each OpenID, so the shopper's "1"
resolves on whichever instance receives it; unset: :class:`~fenqi.wechat.options.OptionMemory`.
"""
from __future__ import annotations

import hashlib
import json
import logging
import uuid
from typing import Any, Mapping, Optional, Protocol, Sequence, Tuple

from .options import (
    MAX_OPTIONS,
    MAX_PAYLOAD_CHARS,
    MAX_TITLE_CHARS,
    OPTIONS_TTL,
    Option,
    OptionMemory,
    OptionStore,
    bounded_options,
    choice_number,
    resolve_choice,
)

logger = logging.getLogger(__name__)

ENV_URL = "FENQI_WECHAT_REDIS_URL"
CLAIM_TTL = 600  # seconds: WeChat retries within ~15 s; the key outlives them comfortably


class TurnClaims(Protocol):
    async def claim(self, key: str) -> bool: ...


class RedisTurnClaims:
    """Cluster-wide "who runs this message" in Redis; fails open (logs) when Redis is down."""

    def __init__(self, url: str, prefix: str = "fenqi:wechat:turn:", ttl: int = CLAIM_TTL,
                 client: Optional[Any] = None) -> None:
        if client is None:
            from redis.asyncio import Redis

            client = Redis.from_url(url)
        self._redis = client
        self._prefix = prefix
        self._ttl = ttl
        self.owner = uuid.uuid4().hex  # this process, stored as the claim's value (diagnostics)

    async def claim(self, key: str) -> bool:
        try:
            return bool(await self._redis.set(self._prefix + key, self.owner, nx=True, ex=self._ttl))
        except Exception as exc:  # Redis down: better two answers than none
            logger.warning("wechat turn claim unavailable (%s); running the turn here", exc.__class__.__name__)
            return True

    async def close(self) -> None:
        await self._redis.close()


def turn_claims(redis_url: str) -> Optional[RedisTurnClaims]:
    """Claims in Redis at ``redis_url`` (the settings' ``scaleout.wechat_redis_url``), else None."""
    return RedisTurnClaims(redis_url) if redis_url else None


def claims_from_env(env: Optional[Mapping[str, str]] = None) -> Optional[RedisTurnClaims]:
    """:func:`turn_claims` at the ``FENQI_WECHAT_REDIS_URL`` of ``env``'s settings (production)."""
    from fenqi.settings import ScaleoutSettings, section

    return turn_claims(section(ScaleoutSettings, env).wechat_redis_url)


OPTIONS_PREFIX = "fenqi:wechat:options:"
# JSON of MAX_OPTIONS bounded pairs (ensure_ascii: <= 12 bytes a code point, plus quotes and commas)
MAX_OPTIONS_BYTES = 12 * MAX_OPTIONS * (MAX_TITLE_CHARS + MAX_PAYLOAD_CHARS + 8) + 2


def _decode_options(raw: Any) -> Tuple[Option, ...]:
    """Options read back from Redis; anything malformed or oversize is no options."""
    if not raw or len(raw) > MAX_OPTIONS_BYTES:
        return ()
    try:
        value = json.loads(raw)
    except ValueError:
        return ()
    if not isinstance(value, list) or len(value) > MAX_OPTIONS or not all(
            isinstance(pair, list) and len(pair) == 2 and all(isinstance(part, str) for part in pair)
            for pair in value):
        return ()
    return bounded_options([(title, payload) for title, payload in value])


class RedisOptionMemory:
    """:class:`~fenqi.wechat.options.OptionMemory` in Redis, shared by every instance: one JSON value
    per OpenID (key: a hash of it) with a TTL. Redis down: logged, nothing recalled (the reply is text)."""

    def __init__(self, url: str, prefix: str = OPTIONS_PREFIX, ttl: float = OPTIONS_TTL,
                 client: Optional[Any] = None) -> None:
        if client is None:
            from redis.asyncio import Redis

            client = Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        self._redis = client
        self._prefix = prefix
        self._ttl_ms = max(1, int(ttl * 1000))

    def _key(self, openid: str) -> str:
        return self._prefix + hashlib.sha256(openid.encode("utf-8")).hexdigest()

    async def remember(self, openid: str, options: Sequence[Option]) -> None:
        try:
            if options:
                value = json.dumps([list(pair) for pair in bounded_options(options)])
                await self._redis.set(self._key(openid), value, px=self._ttl_ms)
            else:
                await self._redis.delete(self._key(openid))
        except Exception as exc:  # Redis down: the next "1" is read as text
            logger.warning("wechat option memory unavailable (%s); options not remembered",
                           exc.__class__.__name__)

    async def recall(self, openid: str) -> Tuple[Option, ...]:
        try:  # GETRANGE bounds what is read, whatever the key holds
            raw = await self._redis.getrange(self._key(openid), 0, MAX_OPTIONS_BYTES)
        except Exception as exc:
            logger.warning("wechat option memory unavailable (%s); the reply is read as text",
                           exc.__class__.__name__)
            return ()
        return _decode_options(raw)

    async def resolve(self, openid: str, text: str) -> Optional[str]:
        if choice_number(text) is None:  # no Redis round trip for ordinary text
            return None
        return resolve_choice(text, await self.recall(openid)) or None

    async def close(self) -> None:
        await self._redis.close()


def option_memory(redis_url: str) -> OptionStore:
    """Options in Redis at ``redis_url`` (the settings' ``scaleout.wechat_redis_url``), else in-process."""
    return RedisOptionMemory(redis_url) if redis_url else OptionMemory()
