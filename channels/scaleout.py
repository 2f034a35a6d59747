"""socket.io across several Rasa instances (issue #13): python-socketio's ``AsyncRedisManager``.

With ``FENQI_SOCKETIO_REDIS_URL`` set (production mode sets it to its Redis), every emit — a bot
answer, an agent message — is published through Redis and reaches the shopper's socket on
whichever instance holds it. Unset (the embedded default): the in-process manager, no Redis.
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
    from socketio import AsyncRedisManager

    return {"client_manager": AsyncRedisManager(scaleout.socketio_redis_url,
                                                channel=scaleout.socketio_redis_channel or "fenqi-socketio")}
