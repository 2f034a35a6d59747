"""WeChat state shared by several Rasa instances, in Redis (issue #13, production mode).

:class:`RedisTurnClaims`: the first instance to see a message's dedupe key (MsgId) claims it with
``SET NX EX``; the claiming instance runs the one bot turn and stores the answer beside the claim
(:data:`ANSWER_TTL`: the first WeChat-sized part and the number of parts) together with who
delivered it (a passive reply and its text, or the customer-service API). A retry that nginx sends
to another instance waits a bounded time for that answer and replies with it passively — the same
text again when WeChat lost the first passive reply — or says ``success`` when the API has it
(issue #21). Keys hold a SHA-256 of the dedupe key (an event's key names the OpenID).
``FENQI_WECHAT_REDIS_URL`` unset: no claims (one process).

:class:`RedisOptionMemory`: the numbered options last shown to each OpenID, so the shopper's "1"
resolves on whichever instance receives it; unset: :class:`~fenqi.wechat.options.OptionMemory`.
"""
from __future__ import annotations

import hashlib
import json
import logging
import uuid
from dataclasses import dataclass
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
ANSWER_TTL = 60  # seconds an answer and its delivery are kept for retries on other instances
TURN_PREFIX = "fenqi:wechat:turn:"
ANSWER_PREFIX = "fenqi:wechat:answer:"
MAX_ANSWER_BYTES = 2048  # one WeChat text message (fenqi.wechat.splitting): what a passive reply holds
API = "api"
PASSIVE_MARK = "passive:"  # delivery value: "api", or "passive:" + the text replied


def key_hash(key: str) -> str:
    """What Redis keys and logs use for a dedupe key (an event's key contains the OpenID)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SharedAnswer:
    """What another instance knows of a message: its answer (the first part and how many parts
    there are; None while the turn runs) and how it was delivered (None: not yet)."""

    first: Optional[str] = None
    parts: int = 0
    delivered_by: Optional[str] = None     # "api" or "passive"
    passive_text: str = ""                 # what the passive reply said

    @property
    def ready(self) -> bool:
        return self.first is not None


class TurnClaims(Protocol):
    async def claim(self, key: str) -> bool: ...

    async def publish(self, key: str, parts: Sequence[str]) -> None: ...

    async def answer(self, key: str) -> SharedAnswer: ...

    async def claim_delivery(self, key: str, how: str, text: str = "") -> Optional[SharedAnswer]: ...

    async def attempt(self, key: str) -> int: ...


def _text(raw: Any) -> Optional[str]:
    """A stored text read back, or None when missing, malformed or oversize."""
    if raw is None or len(raw) > 4 * MAX_ANSWER_BYTES:
        return None
    try:
        return raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
    except UnicodeDecodeError:
        return None


def bounded_text(text: str, limit: int = MAX_ANSWER_BYTES) -> str:
    """``text`` cut to ``limit`` UTF-8 bytes, never mid-character."""
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


def _delivery(raw: Any) -> Tuple[Optional[str], str]:
    value = _text(raw)
    if value == API:
        return API, ""
    if value is not None and value.startswith(PASSIVE_MARK):
        return "passive", value[len(PASSIVE_MARK):]
    return None, ""


class RedisTurnClaims:
    """Cluster-wide "who runs this message, what was answered, who delivered it" in Redis.

    The claim is a string key (``SET NX EX``, :data:`CLAIM_TTL`); the answer a hash beside it
    (fields ``first``, ``parts``, ``delivery``, ``attempts``; :data:`ANSWER_TTL`, at most
    :data:`MAX_ANSWER_BYTES` of text). Fails open (logs) when Redis is down: the turn runs here,
    an answer not found is ``success`` as before.
    """

    def __init__(self, url: str, prefix: str = TURN_PREFIX, ttl: int = CLAIM_TTL,
                 client: Optional[Any] = None, answer_prefix: str = ANSWER_PREFIX,
                 answer_ttl: int = ANSWER_TTL) -> None:
        if client is None:
            from redis.asyncio import Redis

            client = Redis.from_url(url, socket_timeout=2, socket_connect_timeout=1)
        self._redis = client
        self._prefix = prefix
        self._ttl = ttl
        self._answers = answer_prefix
        self._answer_ttl = answer_ttl
        self.owner = uuid.uuid4().hex  # this process, stored as the claim's value (diagnostics)

    def claim_key(self, key: str) -> str:
        return self._prefix + key_hash(key)

    def answer_key(self, key: str) -> str:
        return self._answers + key_hash(key)

    async def claim(self, key: str) -> bool:
        try:
            return bool(await self._redis.set(self.claim_key(key), self.owner, nx=True, ex=self._ttl))
        except Exception as exc:  # Redis down: better two answers than none
            logger.warning("wechat turn claim unavailable (%s); running the turn here", exc.__class__.__name__)
            return True

    async def publish(self, key: str, parts: Sequence[str]) -> None:
        """Store the finished turn's answer for retries on other instances."""
        first = bounded_text(parts[0]) if parts else ""
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hset(self.answer_key(key), mapping={"first": first, "parts": str(len(parts))})
                pipe.expire(self.answer_key(key), self._answer_ttl)
                await pipe.execute()
        except Exception as exc:
            logger.warning("wechat answer not shared (%s); a retry elsewhere gets success",
                           exc.__class__.__name__)

    async def answer(self, key: str) -> SharedAnswer:
        """The message's answer and delivery as far as known (nothing when Redis is down)."""
        try:
            first, parts, delivery = await self._redis.hmget(self.answer_key(key), "first", "parts", "delivery")
        except Exception as exc:
            logger.warning("wechat shared answer unavailable (%s)", exc.__class__.__name__)
            return SharedAnswer()
        how, text = _delivery(delivery)
        try:
            count = max(0, int(parts)) if parts is not None else 0
        except ValueError:
            count = 0
        return SharedAnswer(first=_text(first), parts=count, delivered_by=how, passive_text=text)

    async def claim_delivery(self, key: str, how: str, text: str = "") -> Optional[SharedAnswer]:
        """Take the delivery of the answer (``api``, or ``passive`` with the text replied); None
        when taken here, else what the instance that took it recorded. Redis down: taken here."""
        value = API if how == API else PASSIVE_MARK + bounded_text(text)
        name = self.answer_key(key)
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hsetnx(name, "delivery", value)
                pipe.hget(name, "delivery")
                pipe.expire(name, self._answer_ttl)
                won, current, _ = await pipe.execute()
        except Exception as exc:
            logger.warning("wechat delivery claim unavailable (%s); delivering here", exc.__class__.__name__)
            return None
        if won:
            return None
        other, other_text = _delivery(current)
        return SharedAnswer(delivered_by=other, passive_text=other_text)

    async def attempt(self, key: str) -> int:
        """Count one more delivery of this message by WeChat, on any instance; 0 when unknown."""
        name = self.answer_key(key)
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hincrby(name, "attempts", 1)
                pipe.expire(name, self._answer_ttl)
                count, _ = await pipe.execute()
        except Exception as exc:
            logger.warning("wechat attempt count unavailable (%s)", exc.__class__.__name__)
            return 0
        return int(count)

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
