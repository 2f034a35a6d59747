"""Every input limit in one place; each can be overridden by an environment variable, read by the
settings object (``fenqi.settings.LimitsSettings``; ``fenqi.settings.load_limits`` builds
:class:`Limits` from it). This module imports nothing of the settings (one direction only).

``FENQI_MAX_BODY_BYTES``       REST / socket.io body size (default 16 KiB)
``FENQI_MAX_MESSAGE_CHARS``    characters of one user message that reach NLU (default 500)
``FENQI_SOCKET_RATE``          socket.io messages per connection per minute (default 30)
``FENQI_SOCKET_MESSAGES_PER_POST`` user messages one engine.io POST may carry to the bot (default 3)
``FENQI_SOCKET_HISTORY_INTERVAL``  seconds between two history loads of one connection (default 60)
``FENQI_RELAY_RATE``           relay requests per client per minute (default 600)
``FENQI_RELAY_MAX_CONCURRENT`` relay requests in flight, whole app (default 64)
``FENQI_RELAY_PER_CLIENT``     relay requests in flight per client address (default 8)
``FENQI_HTTP_MAX_BODY``        any request body to Rasa (Sanic's limit; default 64 KiB)
"""
from __future__ import annotations

from dataclasses import dataclass

MAX_BODY_BYTES = 16 * 1024
MAX_MESSAGE_CHARS = 500
MAX_SENDER_CHARS = 64
MAX_TOKEN_CHARS = 4096
SOCKET_RATE_PER_MINUTE = 30
SOCKET_BURST = 10                  # messages one connection may send at once (then the rate)
SOCKET_MESSAGES_PER_POST = 3       # user messages of one engine.io POST that reach the bot
SOCKET_HISTORY_INTERVAL = 60       # seconds: one history (full tracker) load per connection
RELAY_RATE_PER_MINUTE = 600
RELAY_MAX_CONCURRENT = 64
RELAY_MAX_PER_CLIENT = 8
STREAM_TIMEOUT_SECONDS = 60.0
HTTP_MAX_BODY = 64 * 1024  # every route of Rasa's server; the channels enforce their own, smaller limits

TOO_LONG_TEXT = "您的消息太长了（最多 {limit} 个字），请简要描述您的问题，或分几条发送。"
RATE_LIMITED_TEXT = "您发送得太快了，请稍等片刻再发送。"


@dataclass(frozen=True)
class Limits:
    max_body_bytes: int = MAX_BODY_BYTES
    max_message_chars: int = MAX_MESSAGE_CHARS
    socket_rate_per_minute: int = SOCKET_RATE_PER_MINUTE
    socket_messages_per_post: int = SOCKET_MESSAGES_PER_POST
    socket_history_interval: int = SOCKET_HISTORY_INTERVAL
    relay_rate_per_minute: int = RELAY_RATE_PER_MINUTE
    relay_max_concurrent: int = RELAY_MAX_CONCURRENT
    relay_max_per_client: int = RELAY_MAX_PER_CLIENT

    @property
    def too_long_text(self) -> str:
        return TOO_LONG_TEXT.format(limit=self.max_message_chars)
