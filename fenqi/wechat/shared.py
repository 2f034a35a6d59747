"""WeChat state shared by several Rasa instances, in Redis (issue #13, production mode).

:class:`RedisTurnClaims`: the first instance to see a message's dedupe key (MsgId) claims it with
``SET NX EX``; a retry that nginx sends to another instance finds the claim and only says
``success`` — the claiming instance runs the one bot turn and delivers the one answer (passively
or through the customer-service API). ``FENQI_WECHAT_REDIS_URL`` unset: no claims (one process).
"""
from __future__ import annotations

import logging
import uuid
from typing import Any, Mapping, Optional, Protocol

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
