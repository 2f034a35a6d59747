"""The webhook as plain async functions: request args + body in, status + body out.

Flow for a POST: verify signature -> size/XML checks -> (decrypt) -> parse -> dedupe ->
run the turn once -> passive XML reply if ready within ``passive_timeout``, else ``success``
and the answer goes out later through the customer-service API.

Several instances (``claims``, fenqi.wechat.shared): the instance that claimed the MsgId runs the
turn and shares its answer and who delivered it; a retry on another instance waits as long as
the first instance would for that answer and replies with it (issue #21).
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from dataclasses import dataclass
from typing import Mapping, Optional, Set

from fenqi.security.replay import MemoryNonceCache, NonceCache

from . import texts
from .api import WeChatApi
from .config import WeChatConfig
from .conversation import Responder
from .errors import WebhookError, not_configured, too_large
from .inbound import IGNORED, Inbound, parse_inbound
from .passive import SUCCESS, text_reply_xml
from .shared import SharedAnswer, TurnClaims, key_hash
from .signing import Envelope, open_envelope, seal_reply, verify_echo
from .splitting import split_message
from .turns import API, PASSIVE, InMemoryTurnStore, Turn, TurnStore

WECHAT_ATTEMPTS = 3  # WeChat sends a message at most three times, 5 s apart
NO_API_HOLD = 1.5  # without the customer-service API, hold past WeChat's 5 s so it retries
SHARED_POLL = (0.05, 0.25)  # first and longest pause between looks for another instance's answer

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WebhookResponse:
    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"


def _plain(status: int, body: str) -> WebhookResponse:
    return WebhookResponse(status, body)


def _who(openid: str) -> str:
    """A short pseudonym for logs (never the OpenID itself)."""
    return hashlib.sha256(openid.encode("utf-8")).hexdigest()[:10]


class WeChatWebhook:
    def __init__(self, config: WeChatConfig, responder: Responder, api: Optional[WeChatApi] = None,
                 turns: Optional[TurnStore] = None, nonces: Optional[NonceCache] = None,
                 claims: Optional[TurnClaims] = None):
        self.config = config
        self.nonces: NonceCache = nonces if nonces is not None else MemoryNonceCache(
            2 * config.timestamp_window)
        self.claims = claims  # several instances: one of them runs each message (fenqi.wechat.shared)
        self.responder = responder
        self.api = api
        self.turns: TurnStore = turns if turns is not None else InMemoryTurnStore()
        self._background: Set["asyncio.Task[None]"] = set()

    # -- HTTP entry points -------------------------------------------------------------------

    def check_declared_size(self, content_length: Optional[str]) -> None:
        """Reject early when Content-Length already says the body is too big."""
        try:
            declared = int(content_length) if content_length else 0
        except ValueError:
            declared = 0
        if declared > self.config.max_body_bytes:
            raise too_large()

    async def handle_get(self, args: Mapping[str, str]) -> WebhookResponse:
        try:
            return _plain(200, verify_echo(self.config, args, self.nonces))
        except WebhookError as exc:
            logger.warning("wechat GET rejected: %s %s", exc.status, exc.message)
            return _plain(exc.status, exc.message)

    async def handle_post(self, args: Mapping[str, str], body: bytes) -> WebhookResponse:
        started = time.monotonic()
        try:
            if not self.config.configured:
                raise not_configured()
            if len(body) > self.config.max_body_bytes:
                raise too_large()
            envelope = open_envelope(self.config, args, body, self.nonces)
            inbound = parse_inbound(envelope.xml)
        except WebhookError as exc:
            logger.warning("wechat POST rejected: %s %s", exc.status, exc.message)
            return _plain(exc.status, exc.message)
        logger.info("wechat %s from %s key=%s", inbound.msg_type, _who(inbound.openid), inbound.dedupe_key)
        if inbound.kind == IGNORED:
            return _plain(200, SUCCESS)
        turn = self.turns.get(inbound.dedupe_key)
        shared_attempts = 0
        if self.claims is not None and self.api is None:  # the last try gets an apology: count them all
            shared_attempts = await self.claims.attempt(inbound.dedupe_key)
        if turn is None and self.claims is not None and not await self.claims.claim(inbound.dedupe_key):
            logger.info("wechat retry of key #%s: another instance runs it", key_hash(inbound.dedupe_key)[:12])
            remaining = self.config.passive_timeout - (time.monotonic() - started)
            return await self._answer_elsewhere(inbound, envelope, remaining, shared_attempts)
        if turn is None:
            turn = Turn(inbound.dedupe_key)
            self.turns.put(turn)
            self._spawn(self._run(turn, inbound))
        else:
            logger.info("wechat retry of key=%s (turn %s)", inbound.dedupe_key,
                        "finished" if turn.finished else "running")
        remaining = self.config.passive_timeout - (time.monotonic() - started)
        return await self._answer(turn, inbound, envelope, remaining, shared_attempts)

    # -- turn lifecycle ----------------------------------------------------------------------

    async def _run(self, turn: Turn, inbound: Inbound) -> None:
        """Run the turn exactly once; deliver through the API if no request is waiting for it."""
        try:
            text = await self.responder.respond(inbound)
        except Exception:
            logger.exception("wechat turn failed key=%s", turn.key)
            text = ""
        turn.finish(tuple(split_message(text)))
        if self.claims is not None:  # a retry on another instance replies with it
            await self.claims.publish(turn.key, turn.parts)
        if turn.waiters == 0:
            await self._deliver_by_api(turn, inbound.openid)

    def _hold(self, remaining: float, last_chance: bool) -> float:
        """How long one delivery waits for the answer: without the API a slow answer is held past
        WeChat's 5 s so that WeChat retries (the last try is not held)."""
        return remaining if self.api is not None or last_chance else remaining + NO_API_HOLD

    async def _answer(self, turn: Turn, inbound: Inbound, envelope: Envelope,
                      remaining: float, shared_attempts: int = 0) -> WebhookResponse:
        """The reply to one delivery of a message.

        A retry after a passive reply gets that reply again (WeChat retries only when it got
        nothing). Without the customer-service API a slow answer is held past WeChat's 5 s so
        that WeChat retries and the retry answers passively; the last retry gets an apology
        rather than nothing.
        """
        turn.waiters += 1
        turn.attempts += 1
        last_chance = self.api is None and max(turn.attempts, shared_attempts) >= WECHAT_ATTEMPTS
        wait = self._hold(remaining, last_chance)
        try:
            if not turn.finished and wait > 0:
                await asyncio.wait([turn.done], timeout=wait)  # never cancels the turn
        except asyncio.CancelledError:  # WeChat hung up: make sure someone still delivers
            turn.waiters -= 1
            if turn.finished and turn.waiters == 0:
                self._spawn(self._deliver_by_api(turn, inbound.openid))
            raise
        turn.waiters -= 1
        if not turn.finished:
            if last_chance and await self._claim(turn, PASSIVE, texts.TOO_SLOW):
                return self._passive(envelope, inbound, texts.TOO_SLOW)
            if turn.claimed_by == PASSIVE and turn.passive_text:  # another instance replied meanwhile
                return self._passive(envelope, inbound, turn.passive_text)
            if turn.waiters == 0 and self.api is not None:
                logger.info("wechat key=%s not ready in time; answering later via API", turn.key)
            return _plain(200, SUCCESS)
        parts = turn.parts
        if turn.claimed_by == PASSIVE and turn.passive_text:  # a retry: WeChat lost our reply
            return self._passive(envelope, inbound, turn.passive_text)
        if parts and (len(parts) == 1 or self.api is None) and await self._claim(turn, PASSIVE, parts[0]):
            return self._passive(envelope, inbound, parts[0])
        if turn.claimed_by == PASSIVE and turn.passive_text:  # another instance replied passively
            return self._passive(envelope, inbound, turn.passive_text)
        if turn.waiters == 0:
            self._spawn(self._deliver_by_api(turn, inbound.openid))
        return _plain(200, SUCCESS)

    async def _claim(self, turn: Turn, how: str, text: str = "") -> bool:
        """Take the delivery of ``turn`` here (and, with several instances, cluster-wide); on False
        ``turn`` says who has it (a passive reply elsewhere: its text, to send again)."""
        if not turn.claim(how):
            return False
        if how == PASSIVE:
            turn.passive_text = text
        if self.claims is None:
            return True
        other = await self.claims.claim_delivery(turn.key, how, text)
        if other is None:
            return True
        turn.claimed_by = PASSIVE if other.delivered_by == PASSIVE else API
        turn.passive_text = other.passive_text if other.delivered_by == PASSIVE else ""
        return False

    async def _shared_answer(self, key: str, wait: float) -> SharedAnswer:
        """Another instance's answer to ``key``, looked for during at most ``wait`` seconds."""
        assert self.claims is not None
        deadline = time.monotonic() + max(0.0, wait)
        pause = SHARED_POLL[0]
        while True:
            known = await self.claims.answer(key)
            left = deadline - time.monotonic()
            if known.ready or known.delivered_by is not None or left <= 0:
                return known
            await asyncio.sleep(min(pause, left))
            pause = min(pause * 1.5, SHARED_POLL[1])

    async def _answer_elsewhere(self, inbound: Inbound, envelope: Envelope, remaining: float,
                                shared_attempts: int) -> WebhookResponse:
        """A delivery of a message another instance claimed (WeChat's retry landed here): the
        same answer, passively, if that instance has not delivered it otherwise."""
        assert self.claims is not None
        key = inbound.dedupe_key
        last_chance = self.api is None and shared_attempts >= WECHAT_ATTEMPTS
        known = await self._shared_answer(key, self._hold(remaining, last_chance))
        text: Optional[str] = None
        if known.delivered_by == PASSIVE:
            text = known.passive_text  # WeChat lost that reply: send it again
        elif known.delivered_by is None and known.ready and known.first and (known.parts == 1 or self.api is None):
            text = known.first
        elif known.delivered_by is None and not known.ready and last_chance:
            text = texts.TOO_SLOW
        if text is not None and known.delivered_by is None:
            other = await self.claims.claim_delivery(key, PASSIVE, text)
            if other is not None:  # the first instance delivered meanwhile
                text = other.passive_text if other.delivered_by == PASSIVE else None
        if not text:
            return _plain(200, SUCCESS)
        logger.info("wechat retry of key #%s answered with the shared answer", key_hash(key)[:12])
        return self._passive(envelope, inbound, text)

    def _passive(self, envelope: Envelope, inbound: Inbound, text: str) -> WebhookResponse:
        reply = seal_reply(self.config, envelope, text_reply_xml(inbound.message, text))
        return WebhookResponse(200, reply, "application/xml; charset=utf-8")

    async def _deliver_by_api(self, turn: Turn, openid: str) -> None:
        if self.api is None:  # a retry will take the answer passively
            return
        if not turn.parts or not await self._claim(turn, API):
            return
        try:
            await self.api.send_texts(openid, turn.parts)
            logger.info("wechat key=%s delivered via API in %d part(s)", turn.key, len(turn.parts))
        except Exception as exc:
            logger.error("wechat key=%s API delivery failed: %s", turn.key, exc)

    def _spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait for background turns/deliveries (tests, graceful shutdown)."""
        while self._background:
            await asyncio.wait(set(self._background), timeout=timeout)
