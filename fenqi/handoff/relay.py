"""The channels' side of a live takeover, async and channel-neutral (no Rasa, no socket.io).

A channel calls :meth:`TakeoverRelay.intercept` before it hands a shopper's message to the bot,
and runs :meth:`TakeoverRelay.run_outbox` to deliver what agents (and the takeover itself) say:
each pending message is claimed in the store first, so several processes deliver it once.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from sqlalchemy.orm import sessionmaker

from fenqi import clock as business_clock
from fenqi.db.engine import session_scope

from . import live

logger = logging.getLogger(__name__)

PAGE = 50             # outbox messages per query
PASS_BUDGET = 1000    # outbox messages looked at per poll (the rest: next poll)
EXPIRE_EVERY = 10.0   # seconds between sweeps for messages past their TTL
WECHAT_WINDOW = timedelta(hours=48)   # customer-service messages only within 48 h of the user's last message
RATING_BUTTONS = [{"title": f"{n} 分", "payload": f"评分 {n}"} for n in range(5, 0, -1)]
WECHAT_RATING_HINT = "回复数字 1–5 即可（5 分最满意）。"

# What a sender function returns: None when delivered, else a short failure reason for the console.
Sender = Callable[[live.Delivery], Awaitable[Optional[str]]]


def _as_said(text: str, agent: Optional[str]) -> str:
    """Agent messages carry the agent's name; system messages are as written."""
    return f"人工客服 {agent}：{text}" if agent else text


def shopper_text(delivery: live.Delivery) -> str:
    return _as_said(delivery.text, delivery.agent)


def _widget_message(text: str, kind: str, agent: Optional[str]) -> Dict[str, Any]:
    payload: Dict[str, Any] = {"text": _as_said(text, agent), "source": "agent" if agent else "system"}
    if kind == "rating_request":
        payload["quick_replies"] = list(RATING_BUTTONS)
    return payload


def widget_payload(delivery: live.Delivery) -> Dict[str, Any]:
    """A ``bot_uttered`` payload the widget shows; the rating request has 1–5 buttons."""
    return _widget_message(delivery.text, delivery.kind, delivery.agent)


def widget_history(log: Sequence[Tuple[Any, Optional[str]]]) -> List[Dict[str, Any]]:
    """:func:`fenqi.handoff.live.conversation_log` as widget history lines (``sender`` user/bot,
    epoch ``timestamp``), shown as they were delivered."""
    lines: List[Dict[str, Any]] = []
    for message, agent in log:
        stamp = message.created_at.timestamp()
        if message.author == "shopper":
            lines.append({"sender": "user", "text": message.text, "timestamp": stamp})
        else:
            lines.append({"sender": "bot", "timestamp": stamp,
                          **_widget_message(message.text, message.kind, agent)})
    return lines


def wechat_text(delivery: live.Delivery) -> str:
    text = shopper_text(delivery)
    return f"{text}\n{WECHAT_RATING_HINT}" if delivery.kind == "rating_request" else text


def wechat_window_open(last_inbound_at: Optional[datetime], now: datetime) -> bool:
    """WeChat accepts customer-service messages within 48 hours of the user's last message."""
    return last_inbound_at is not None and now - last_inbound_at < WECHAT_WINDOW


class TakeoverRelay:
    """Store access for the channels; the session factory is made on first use (never at import).

    ``message_ttl``: how long an agent/system message may wait for its shopper before it is marked
    undeliverable (default: the ``FENQI_AGENT_MESSAGE_TTL`` setting, read on first use).
    """

    def __init__(self, factory: Optional[Callable[[], sessionmaker]] = None,
                 clock: Callable[[], datetime] = business_clock.now,
                 message_ttl: Optional[timedelta] = None) -> None:
        self._factory_source = factory or default_factory
        self._factory: Optional[sessionmaker] = None
        self._clock = clock
        self._ttl = message_ttl  # None: the setting, read on first use

    def factory(self) -> sessionmaker:
        if self._factory is None:
            self._factory = self._factory_source()
        return self._factory

    def _intercept(self, sender_id: str, text: str) -> live.Intercept:
        with session_scope(self.factory()) as session:
            return live.intercept(session, sender_id, text, self._clock())

    async def intercept(self, sender_id: str, text: str) -> live.Intercept:
        """What to do instead of the bot; on a store failure the bot answers as before."""
        try:
            return await asyncio.to_thread(self._intercept, sender_id, text)
        except Exception:
            logger.exception("takeover lookup failed; the bot answers")
            return live.PASS

    def _history(self, sender_id: str, limit: int) -> List[Dict[str, Any]]:
        with session_scope(self.factory()) as session:
            return widget_history(live.conversation_log(session, sender_id, limit))

    async def history(self, sender_id: str, limit: int) -> List[Dict[str, Any]]:
        """The live-agent part of a widget conversation (a reloaded page shows it); [] on a store
        failure (history is a convenience)."""
        try:
            return await asyncio.to_thread(self._history, sender_id, limit)
        except Exception:
            logger.exception("takeover history lookup failed")
            return []

    def _pending(self, prefixes: Sequence[str], recipients: Optional[Sequence[str]] = None,
                 after_id: int = 0) -> List[live.Delivery]:
        with session_scope(self.factory()) as session:
            return live.pending_deliveries(session, prefixes, recipients, after_id if recipients is None else 0,
                                           PAGE)

    def _any_pending(self) -> bool:
        with session_scope(self.factory()) as session:
            return live.any_pending(session)

    def _claim(self, message_id: int) -> bool:
        with session_scope(self.factory()) as session:
            return live.claim(session, message_id, self._clock())

    def _fail(self, message_id: int, reason: str) -> None:
        with session_scope(self.factory()) as session:
            live.mark_failed(session, message_id, reason)

    def message_ttl(self) -> timedelta:
        if self._ttl is None:
            self._ttl = default_message_ttl()
        return self._ttl

    def _expire(self) -> int:
        with session_scope(self.factory()) as session:
            return live.expire_pending(session, self._clock() - self.message_ttl())

    async def expire_once(self) -> int:
        """Mark messages pending longer than the message TTL as undeliverable (``expired``)."""
        expired = await asyncio.to_thread(self._expire)
        if expired:
            logger.info("takeover outbox: %d message(s) expired undelivered", expired)
        return expired

    async def deliver_once(self, prefixes: Sequence[str], send: Sender,
                           here: Optional[Callable[[live.Delivery], bool]] = None,
                           recipients: Optional[Callable[[], Iterable[str]]] = None) -> int:
        """Deliver what is pending for these senders; the number of messages handled.

        ``recipients`` (optional) names the shoppers this process can reach now (the socket.io
        channel: the rooms of its connections): only their messages are read, per batch of
        :data:`~fenqi.handoff.live.RECIPIENT_BATCH`, so however many messages wait for shoppers who
        left, a connected shopper's are read and sent in this pass. Without it every pending
        message of the prefixes is tried (WeChat: the API reaches anyone, or the message fails).
        ``here`` (optional) is checked again just before a message is claimed (the connection may
        have gone meanwhile); a message it refuses stays pending. At most :data:`PASS_BUDGET`
        messages are looked at per pass, in pages of :data:`PAGE`.
        """
        prefixes = tuple(prefixes)
        if not await asyncio.to_thread(self._any_pending):
            return 0  # the usual case: one index probe per poll
        batches: List[Optional[List[str]]] = [None]
        if recipients is not None:
            reachable = sorted({r for r in recipients() if isinstance(r, str) and r.startswith(prefixes)})
            batches = [reachable[i:i + live.RECIPIENT_BATCH]
                       for i in range(0, len(reachable), live.RECIPIENT_BATCH)]
        handled = seen = 0
        for batch in batches:
            after = 0
            while seen < PASS_BUDGET:
                page = await asyncio.to_thread(self._pending, prefixes, batch, after)
                progress = 0
                for delivery in page:
                    seen, after = seen + 1, delivery.message_id
                    if await self._deliver(delivery, send, here):
                        progress += 1
                handled += progress
                # a recipients' page is read again from the start (what was sent is no longer
                # pending); a page where nothing could be sent ends the batch
                if len(page) < PAGE or (batch is not None and not progress):
                    break
        return handled

    async def _deliver(self, delivery: live.Delivery, send: Sender,
                       here: Optional[Callable[[live.Delivery], bool]]) -> bool:
        if here is not None and not here(delivery):
            return False
        if not await asyncio.to_thread(self._claim, delivery.message_id):
            return False  # another process has it
        try:
            failure = await send(delivery)
        except Exception:
            logger.exception("takeover message %s not delivered", delivery.message_id)
            failure = "error"
        if failure:
            await asyncio.to_thread(self._fail, delivery.message_id, failure)
        return True

    async def run_outbox(self, prefixes: Sequence[str], send: Sender, interval: float = 0.5,
                         here: Optional[Callable[[live.Delivery], bool]] = None,
                         recipients: Optional[Callable[[], Iterable[str]]] = None) -> None:
        """Poll and deliver until cancelled, expiring stale messages every :data:`EXPIRE_EVERY`
        seconds; store errors are logged and retried."""
        next_expiry = 0.0
        loop = asyncio.get_running_loop()
        while True:
            try:
                if loop.time() >= next_expiry:
                    next_expiry = loop.time() + EXPIRE_EVERY
                    await self.expire_once()
                await self.deliver_once(prefixes, send, here, recipients)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("takeover outbox poll failed")
            await asyncio.sleep(interval)


def default_message_ttl() -> timedelta:
    """How long an agent message may wait for its shopper (``FENQI_AGENT_MESSAGE_TTL``)."""
    from fenqi.settings import load_console_settings

    return timedelta(seconds=load_console_settings().agent_message_ttl)


def default_factory() -> sessionmaker:
    """Sessions of the process's one account store (schema: Alembic, ``db init``)."""
    from fenqi.db.engine import process_store

    return process_store().sessions


def wechat_sender(api: Any, clock: Callable[[], datetime] = business_clock.now) -> Sender:
    """A :data:`Sender` through WeChat's customer-service API (``api.send_text(openid, text)``)."""
    from fenqi.wechat.api import WeChatApiError
    from fenqi.wechat.splitting import split_message

    async def send(delivery: live.Delivery) -> Optional[str]:
        if api is None:
            return "no_channel"
        if not wechat_window_open(delivery.last_inbound_at, clock()):
            return "window_closed"
        openid = delivery.sender_id[len("wx:"):]
        try:
            for part in split_message(wechat_text(delivery)):
                await api.send_text(openid, part)
        except WeChatApiError as exc:
            return {45015: "window_closed", 45047: "quota", 45009: "quota"}.get(exc.errcode, "api_error")
        return None
    return send
