"""Live agent takeover for the Rasa channels (issue #13): the hooks channels call, kept apart.

* before a shopper's message reaches Rasa: :meth:`SocketTakeover.intercept` — while an agent owns
  the conversation the message goes to the ticket's log and Rasa never sees it (the bot says
  nothing: no Rasa-native pause needed, the tracker simply gets no turn);
* on server start: an outbox task delivers agent/system messages to the shopper's socket.io room
  (``bot_uttered``) or through WeChat's customer-service API. The widget's outbox reads only the
  messages of shoppers connected to this process, so messages waiting for shoppers who left never
  hold up the others; a message nobody could deliver within ``FENQI_AGENT_MESSAGE_TTL`` expires.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, List, Optional, Set, Tuple

from fenqi.handoff.relay import TakeoverRelay, wechat_sender, widget_payload

logger = logging.getLogger(__name__)

WIDGET_PREFIXES = ("web:", "anon:")
WECHAT_PREFIXES = ("wx:",)
_tasks: Set["asyncio.Task[None]"] = set()


def _keep(task: "asyncio.Task[None]") -> None:
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


def connected_senders(sio: Any, namespace: Optional[str], prefixes: Tuple[str, ...]) -> List[str]:
    """The conversation ids (rooms named ``web:…``/``anon:…``) with a connection on this process;
    python-socketio drops a room when its last participant leaves."""
    try:
        rooms = list(sio.manager.rooms.get(namespace or "/", {}))
    except AttributeError:
        return []
    return [room for room in rooms if isinstance(room, str) and room.startswith(prefixes)]


def connected(sio: Any, room: str, namespace: Optional[str]) -> bool:
    """Whether a socket of this process is in ``room``."""
    try:
        return any(True for _ in sio.manager.get_participants(namespace or "/", room))
    except (KeyError, AttributeError):
        return False


class SocketTakeover:
    """The socket.io widget's side: intercept messages, deliver the outbox to rooms."""

    def __init__(self, relay: Optional[TakeoverRelay] = None) -> None:
        self.relay = relay or TakeoverRelay()
        self._started = False

    async def intercept(self, sio: Any, sender_id: str, text: str, event: str,
                        namespace: Optional[str]) -> bool:
        """True when the message was handled here (Rasa must not see it)."""
        outcome = await self.relay.intercept(sender_id, text)
        if outcome.reply:
            await sio.emit(event, {"text": outcome.reply, "source": "system"}, room=sender_id, namespace=namespace)
        return outcome.handled

    def start(self, sio: Any, event: str, namespace: Optional[str],
              gate: Optional[Callable[[str], Awaitable[None]]] = None) -> None:
        """Start the outbox task once (on the first connection or at server start). ``gate`` (the
        channel's) first evicts the sockets whose token expired or whose user signed out."""
        if self._started:
            return
        self._started = True

        async def send(delivery: Any) -> Optional[str]:
            if gate is not None:
                await gate(delivery.sender_id)
                if not connected(sio, delivery.sender_id, namespace):
                    return "signed_out"  # nobody entitled to it is connected here any more
            await sio.emit(event, widget_payload(delivery), room=delivery.sender_id, namespace=namespace)
            return None

        def here(delivery: Any) -> bool:
            """The shopper has a connection on this process (several Rasa instances: the one they
            are connected to delivers; none: the message waits for their next connection)."""
            return connected(sio, delivery.sender_id, namespace)
        def reachable() -> List[str]:
            """Only these shoppers' messages are read: the ones waiting for shoppers who left
            never fill the outbox's page (issue #21)."""
            return connected_senders(sio, namespace, WIDGET_PREFIXES)
        _keep(asyncio.ensure_future(self.relay.run_outbox(WIDGET_PREFIXES, send, here=here,
                                                          recipients=reachable)))


class WeChatTakeover:
    """WeChat's side: a Responder hook, and the outbox through the customer-service API."""

    def __init__(self, relay: Optional[TakeoverRelay] = None) -> None:
        self.relay = relay or TakeoverRelay()
        self._started = False

    async def hook(self, sender_id: str, text: str) -> Optional[str]:
        """None: the bot answers; "" : say nothing (an agent has it); else the text to reply."""
        outcome = await self.relay.intercept(sender_id, text)
        if not outcome.handled:
            return None
        return outcome.reply or ""

    def start(self, api: Any) -> None:
        """Start the outbox task once."""
        if self._started:
            return
        self._started = True
        _keep(asyncio.ensure_future(self.relay.run_outbox(WECHAT_PREFIXES, wechat_sender(api))))
