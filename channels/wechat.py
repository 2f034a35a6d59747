"""Rasa 3.6 input channel for a WeChat Official Account (公众号).

``credentials.yml``::

    channels.wechat.WeChatInput:      # keys optional; environment variables are the fallback
      token: ...                      # WECHAT_TOKEN
      appid: ...                      # WECHAT_APPID
      appsecret: ...                  # WECHAT_APPSECRET
      encoding_aes_key: ...           # WECHAT_ENCODING_AES_KEY
      api_base: ...                   # WECHAT_API_BASE (default https://api.weixin.qq.com)

Webhook: ``/webhooks/wechat/webhook`` (GET = URL verification, POST = messages). All logic
lives in :mod:`fenqi.wechat`; this module only translates Sanic and Rasa types.
"""
from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.takeover import WeChatTakeover
from channels.turns import busy_message, run_turn
from fenqi.wechat.api import WeChatApi
from fenqi.wechat.assembly import build_webhook
from fenqi.wechat.config import WeChatConfig, load_config
from fenqi.wechat.conversation import BotRequest, Directory
from fenqi.wechat.errors import WebhookError
from fenqi.wechat.turns import TurnStore
from fenqi.wechat.webhook import WebhookResponse, WeChatWebhook

logger = logging.getLogger(__name__)


def _args(request: Request) -> Dict[str, str]:
    return {key: request.args.get(key) for key in request.args}


def _http(result: WebhookResponse) -> HTTPResponse:
    return response.text(result.body, status=result.status, content_type=result.content_type)


async def _read_capped(request: Request, limit: int) -> Optional[bytes]:
    """The streamed body, or None as soon as it exceeds ``limit`` bytes."""
    chunks: List[bytes] = []
    size = 0
    while True:
        chunk = await request.stream.read()
        if chunk is None:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)


class WeChatInput(InputChannel):
    """WeChat 公众号 webhook; replies passively within ``passive_timeout``, else via the API."""

    @classmethod
    def name(cls) -> Text:
        return "wechat"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "WeChatInput":
        return cls(load_config(credentials))

    def __init__(self, config: Optional[WeChatConfig] = None, directory: Optional[Directory] = None,
                 mint_token: Optional[Callable[[str], str]] = None, api: Optional[WeChatApi] = None,
                 turns: Optional[TurnStore] = None, takeover: Optional[WeChatTakeover] = None) -> None:
        self.config = config if config is not None else load_config()
        self._directory = directory
        self._mint_token = mint_token
        self._api = api
        self._turns = turns
        self._takeover = takeover or WeChatTakeover()  # live agent takeover (#13)
        self.webhook: Optional[WeChatWebhook] = None
        if not self.config.configured:
            logger.warning("WeChat channel not configured (no WECHAT_TOKEN): webhook answers 503")

    @staticmethod
    def bot_for(on_new_message: Callable[[UserMessage], Awaitable[Any]]):
        """The Rasa boundary: one ``UserMessage`` per turn, answers collected (the busy message
        when the turn failed or ran past its deadline: ``channels/turns.py``)."""
        async def bot(request: BotRequest) -> List[Dict[str, Any]]:
            collector = CollectingOutputChannel()
            message = UserMessage(request.text, collector, request.sender_id, input_channel=WeChatInput.name(),
                                  message_id=request.message_id, metadata=dict(request.metadata))
            if not await run_turn(on_new_message, message):  # not stored: the busy message
                return [busy_message(request.sender_id)]
            return collector.messages
        return bot

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = build_webhook(self.config, self.bot_for(on_new_message), directory=self._directory,
                                mint_token=self._mint_token, api=self._api, turns=self._turns,
                                takeover=self._takeover.hook)
        self.webhook = webhook
        wechat = Blueprint("wechat_webhook", __name__)

        @wechat.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok", "configured": webhook.config.configured})

        @wechat.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            return _http(await webhook.handle_get(_args(request)))

        @wechat.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            if not webhook.config.configured:
                return response.text("wechat channel not configured", status=503)
            try:
                webhook.check_declared_size(request.headers.get("content-length"))
            except WebhookError as exc:
                return response.text(exc.message, status=exc.status)
            self._takeover.start(webhook.api)  # live agent takeover (#13): the outbox, once
            body = await _read_capped(request, webhook.config.max_body_bytes)
            if body is None:
                return response.text("request body too large", status=413)
            return _http(await webhook.handle_post(_args(request), body))

        @wechat.listener("after_server_start")
        async def start_takeover_outbox(*_: Any) -> None:  # live agent takeover (#13)
            if webhook.config.configured:
                self._takeover.start(webhook.api)

        @wechat.listener("after_server_stop")
        async def close_api(*_: Any) -> None:
            if webhook.api is not None:
                await webhook.api.close()

        return wechat
