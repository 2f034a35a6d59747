"""Async client for the two WeChat APIs the channel uses: access_token and customer-service send.

Never blocks the event loop (aiohttp); never logs the token, the secret or message content.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any, Awaitable, Callable, Dict, Iterable, Mapping, Optional

import aiohttp

from .config import WeChatConfig

logger = logging.getLogger(__name__)

TOKEN_PATH = "/cgi-bin/token"
CUSTOM_SEND_PATH = "/cgi-bin/message/custom/send"
TOKEN_INVALID = frozenset({40001, 40014, 42001})  # invalid / malformed / expired access_token
SYSTEM_BUSY = -1


class WeChatApiError(Exception):
    """WeChat answered with a non-zero ``errcode`` (or nothing usable)."""

    def __init__(self, errcode: int, errmsg: str = ""):
        super().__init__(f"wechat api error {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class _Transient(Exception):
    """A failure worth retrying (network, 5xx, errcode -1)."""


class WeChatApi:
    """access_token cached until shortly before expiry, refreshed when WeChat rejects it."""

    def __init__(self, config: WeChatConfig, retries: int = 3, backoff: float = 0.5,
                 timeout: float = 5.0, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep):
        if not config.can_call_api:
            raise ValueError("WECHAT_APPID and WECHAT_APPSECRET are required for the API")
        self.config = config
        self.retries = retries
        self.backoff = backoff
        self.timeout = timeout
        self._clock = clock
        self._sleep = sleep
        self._session: Optional[aiohttp.ClientSession] = None
        self._lock: Optional[asyncio.Lock] = None
        self._token: Optional[str] = None
        self._token_expires = 0.0

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def _call(self, method: str, path: str, params: Mapping[str, str],
                    body: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        """One API call with retries and exponential backoff on transient failures."""
        data = json.dumps(body, ensure_ascii=False).encode("utf-8") if body is not None else None
        headers = {"Content-Type": "application/json; charset=utf-8"} if data is not None else None
        attempt = 0
        while True:
            try:
                async with self._client().request(method, self.config.api_base + path, params=params,
                                                  data=data, headers=headers) as response:
                    if response.status >= 500:
                        raise _Transient(f"HTTP {response.status}")
                    if response.status != 200:
                        raise WeChatApiError(response.status, "unexpected HTTP status")
                    payload = await response.json(content_type=None)
                if not isinstance(payload, dict):
                    raise WeChatApiError(-2, "response is not a JSON object")
                if payload.get("errcode") == SYSTEM_BUSY:
                    raise _Transient("system busy")
                return payload
            except (aiohttp.ClientError, asyncio.TimeoutError, _Transient) as exc:
                attempt += 1
                if attempt > self.retries:
                    logger.warning("wechat %s failed after %d attempts: %s", path, attempt,
                                   exc.__class__.__name__)
                    if isinstance(exc, _Transient):
                        raise WeChatApiError(SYSTEM_BUSY, str(exc)) from exc
                    raise
                delay = self.backoff * (2 ** (attempt - 1))
                logger.info("wechat %s transient failure (%s), retry %d in %.2fs", path,
                            exc.__class__.__name__, attempt, delay)
                await self._sleep(delay)

    async def access_token(self, stale: Optional[str] = None) -> str:
        """A valid token; pass the token WeChat just rejected as ``stale`` to force a refresh."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            fresh = self._token and self._clock() < self._token_expires
            if fresh and self._token is not None and self._token != stale:
                return self._token
            payload = await self._call("GET", TOKEN_PATH, {
                "grant_type": "client_credential", "appid": self.config.appid,
                "secret": self.config.appsecret})
            token = payload.get("access_token")
            if not token:
                raise WeChatApiError(int(payload.get("errcode") or -2), str(payload.get("errmsg") or ""))
            expires_in = float(payload.get("expires_in") or 7200)
            self._token = str(token)
            self._token_expires = self._clock() + max(expires_in - 300, expires_in / 2)
            logger.info("wechat access_token refreshed (valid %ds)", int(expires_in))
            return self._token

    async def send_text(self, openid: str, text: str) -> None:
        """One customer-service text message; refresh the token once if WeChat says it is invalid."""
        body = {"touser": openid, "msgtype": "text", "text": {"content": text}}
        token = await self.access_token()
        for refreshed in (False, True):
            payload = await self._call("POST", CUSTOM_SEND_PATH, {"access_token": token}, body)
            errcode = int(payload.get("errcode") or 0)
            if errcode == 0:
                return
            if errcode in TOKEN_INVALID and not refreshed:
                token = await self.access_token(stale=token)
                continue
            raise WeChatApiError(errcode, str(payload.get("errmsg") or ""))

    async def send_texts(self, openid: str, parts: Iterable[str]) -> None:
        """Send parts in order (each already ≤ 2,048 bytes)."""
        for part in parts:
            await self.send_text(openid, part)
