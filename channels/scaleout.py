"""socket.io across several Rasa instances (issue #13): python-socketio's ``AsyncRedisManager``.

With ``FENQI_SOCKETIO_REDIS_URL`` set (production mode sets it to its Redis), every emit — a bot
answer, an agent message — is published through Redis and reaches the shopper's socket on
whichever instance holds it. Unset (the embedded default): the in-process manager, no Redis.
Redis down: emits are lost (the channel says "busy" to the asking socket directly); the manager
listens again within ``RESUBSCRIBE_MAX_S`` of Redis coming back.
"""
from __future__ import annotations

from typing import Any, Dict, Mapping, Optional

ENV_URL = "FENQI_SOCKETIO_REDIS_URL"
ENV_CHANNEL = "FENQI_SOCKETIO_REDIS_CHANNEL"


def manager_options(env: Optional[Mapping[str, str]] = None) -> Dict[str, Any]:
    """Extra ``AsyncServer`` options: ``client_manager`` when a Redis URL is configured."""
    from fenqi.settings import ScaleoutSettings, section

    scaleout = section(ScaleoutSettings, env)
    if not scaleout.socketio_redis_url:
        return {}
    return {"client_manager": redis_manager(scaleout.socketio_redis_url,
                                            scaleout.socketio_redis_channel or "fenqi-socketio")}


RESUBSCRIBE_MAX_S = 2.0  # python-socketio waits up to 60 s (doubling) before listening to Redis again


def redis_manager(url: str, channel: str) -> Any:
    """``AsyncRedisManager`` that listens to Redis again within ``RESUBSCRIBE_MAX_S`` after Redis
    comes back. The stock one doubles its pause after every failed attempt (1, 2, 4 … 60 s), and
    while it is not listening, every emit of the instance (bot answers included: they go through
    Redis to reach the shopper's socket) is lost."""
    import asyncio

    from socketio import AsyncRedisManager

    class ResilientRedisManager(AsyncRedisManager):
        async def _redis_listen_with_retries(self):  # python-socketio 5.x's loop, pause capped
            pause = 0.5
            while True:
                try:
                    self._redis_connect()
                    await self.pubsub.subscribe(self.channel)
                    pause = 0.5
                    async for message in self.pubsub.listen():
                        yield message
                except Exception as exc:
                    self._get_logger().error("Cannot receive from redis (%s); retrying in %.1f s",
                                             exc.__class__.__name__, pause)
                    await asyncio.sleep(pause)
                    pause = min(RESUBSCRIBE_MAX_S, pause * 2)

    return ResilientRedisManager(url, channel=channel)
