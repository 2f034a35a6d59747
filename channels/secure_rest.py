"""A REST channel that derives who is talking on the server (replaces Rasa's ``rest:``).

Same URL and JSON as the stock channel (``POST /webhooks/rest/webhook``,
``{"sender", "message", "metadata": {"auth_token"}}``, optional ``?stream=true``), but:

* the body is bounded (16 KiB) and typed: malformed JSON, a non-object body or a non-string
  message gets HTTP 400 with a one-line reason (``{"error": ...}``), never a 500;
* the conversation id is derived on the server (:func:`fenqi.security.inbound.rest_sender_id`):
  ``rest:u:<verified user>[:<sender>]`` with a valid app token, ``rest:anon:<sender>`` without (a
  WeChat-channel token, an over-long-lived one or one signed out is not valid here); a
  ``sender`` with another channel's prefix (``web:``, ``wx:``, ``anon:``, ``rest:``) is refused;
* ``input_channel`` and all metadata but the token are ignored;
* a message longer than 500 characters is answered with a Chinese notice before NLU;
* personal numbers are masked before the message reaches NLU, the tracker or a log;
* a turn that fails (lock or tracker store down) or runs past ``TURN_DEADLINE_S`` is answered
  with the busy message, never ``[]`` (``channels/turns.py``);
* ``?stream=true`` always ends: the turn's messages, one JSON line each, once the turn is stored.
"""
from __future__ import annotations

import json
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, Union

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse, ResponseStream

from channels.turns import busy_message, run_turn
from fenqi.identity import APP, IdentityError, TokenRules
from fenqi.resilience import TURN_DEADLINE_S
from fenqi.security.inbound import InputError, RestRequest, parse_rest_body, rest_sender_id
from fenqi.security.limits import STREAM_TIMEOUT_SECONDS, Limits
from fenqi.settings import load_limits, token_rules_once

logger = logging.getLogger(__name__)


def verified_user(token: Optional[str], rules: TokenRules) -> Optional[str]:
    """The token's subject when it verifies as an app token, else None (the actions verify it
    again, sign-outs included, and explain expiry)."""
    if not token:
        return None
    try:
        return rules.verify(token, presented_on=APP).user_id
    except IdentityError:
        return None


def _error(reason: str, status: int = 400) -> HTTPResponse:
    return response.json({"error": reason}, status=status)


class SecureRestInput(RestInput):
    """``rest`` with server-derived senders and bounded, typed input (see module doc)."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls()

    def __init__(self, limits: Optional[Limits] = None,
                 token_rules: Optional[Callable[[], TokenRules]] = None) -> None:
        self.limits = limits or load_limits()
        self._rules = token_rules or token_rules_once()

    def message_for(self, request: RestRequest) -> tuple[str, Dict[str, Any]]:
        """The server-derived sender id and the metadata handed to the bot."""
        user_id = verified_user(request.token, self._rules())
        sender_id = rest_sender_id(user_id, request.sender_key)
        return sender_id, ({"auth_token": request.token} if request.token else {})

    async def _stream(self, on_new_message: Callable[[UserMessage], Awaitable[Any]], text: str,
                      sender_id: str, metadata: Dict[str, Any]) -> Callable[[Any], Awaitable[None]]:
        async def stream(resp: Any) -> None:
            # the turn's messages once it is stored (channels/turns.py), one JSON line each
            for item in await self._turn(on_new_message, text, sender_id, metadata,
                                         min(TURN_DEADLINE_S, STREAM_TIMEOUT_SECONDS)):
                await resp.write(json.dumps(item) + "\n")
        return stream

    async def _turn(self, on_new_message: Callable[[UserMessage], Awaitable[Any]], text: str,
                    sender_id: str, metadata: Dict[str, Any],
                    deadline: float = TURN_DEADLINE_S) -> List[Dict[str, Any]]:
        """The turn's messages, or the busy message when it failed or ran out of time."""
        collector = CollectingOutputChannel()
        message = UserMessage(text, collector, sender_id, input_channel=self.name(), metadata=metadata)
        if not await run_turn(on_new_message, message, deadline):
            return [busy_message(sender_id)]
        return collector.messages

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        rest = Blueprint("secure_rest_webhook", __name__)

        @rest.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @rest.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> Union[ResponseStream, HTTPResponse]:
            declared = request.headers.get("content-length") or "0"
            if declared.isdigit() and int(declared) > self.limits.max_body_bytes:
                return _error(f"request body too large (max {self.limits.max_body_bytes} bytes)", 413)
            try:
                parsed = parse_rest_body(request.body or b"", self.limits.max_body_bytes)
            except InputError as exc:
                return _error(exc.reason, exc.status)
            sender_id, metadata = self.message_for(parsed)
            if len(parsed.text) > self.limits.max_message_chars:
                notice = [{"recipient_id": sender_id, "text": self.limits.too_long_text}]
                return response.json(notice)
            stream = request.args.get("stream", "").lower() in ("true", "1", "yes")
            if stream:
                return response.stream(await self._stream(on_new_message, parsed.text, sender_id,
                                                          metadata), content_type="text/event-stream")
            return response.json(await self._turn(on_new_message, parsed.text, sender_id, metadata))

        return rest
