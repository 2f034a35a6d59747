"""A socket.io channel that trusts only verified tokens, never the client's word.

Rasa's stock ``socketio`` channel checks a JWT at connect and then believes whatever
``session_id`` and metadata the client sends, so anyone who learns a session id can read
or write that conversation. This channel instead:

* verifies the user token (``fenqi.identity``: signature, expiry, lifetime cap, channel claim,
  the user's last sign-out) on connect, on every message and history request, **and before every
  delivery** to the user's room: a socket whose token expired or whose user signed out elsewhere
  leaves the room (it receives nothing more of that conversation) and gets ``auth_error`` (a timer
  also evicts it when its token expires, with no delivery needed);
* ``sign_out`` (the page signs its user out) records the sign-out in the store (every token of
  that user issued until now is refused, ``fenqi.signout``) and ends every socket of that user:
  ``auth_error`` ``{reason: "signed_out"}`` and the room closed, across instances;
* derives the conversation id on the server: ``web:<user_id>`` for a verified user,
  ``anon:<random>`` (one per connection) for a visitor without a token;
* refuses a ``session_id`` other than the one it derived (``session_refused``);
* drops client metadata and hands the bot only ``{"auth_token": <verified token>}``;
* sends a turn's answers once the turn is stored, and the busy message (to the asking socket)
  when the turn failed or ran past its deadline (``channels/turns.py``); the message is acked
  when its turn is over, so the widget knows a message was dropped when no ack comes;
* sends the verified user's earlier messages from the agent's tracker store on
  ``session_request`` (event ``history``), so a reloaded page shows the conversation;
* bounds what one engine.io POST can make the server do (issue #21): at most
  ``FENQI_SOCKET_MESSAGES_PER_POST`` user messages of one POST reach the bot (the rest get one
  “您发送得太快了…”), besides the per-connection rate; the history (a full tracker load) at most once
  per ``FENQI_SOCKET_HISTORY_INTERVAL`` seconds per connection (a repeat gets ``history`` with no
  messages and ``limited: true``).

Events (client -> server): ``session_request`` ``{session_id?}``, ``user_uttered``
``{message, session_id?, token?}``, ``sign_out`` (acknowledged ``{ok}``). Server -> client:
``session_confirm`` (the session id),
``history`` ``{session_id, messages}``, ``bot_uttered`` (stock payloads), ``bot_typing``
``{typing}``, ``auth_error`` ``{reason, message}``, ``session_refused`` ``{reason, session_id}``.
"""
from __future__ import annotations

import asyncio
import logging
import time
from contextvars import ContextVar
from typing import Any, Awaitable, Callable, Dict, List, Optional, Set, Text

import engineio
from engineio.payload import Payload
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer
from socketio.exceptions import ConnectionRefusedError

from channels.scaleout import manager_options
from channels.takeover import SocketTakeover
from channels.turns import BufferedOutput, run_turn
from fenqi.identity import IdentityError, TokenRules
from fenqi.resilience import BUSY_TEXT
from fenqi.security.limits import RATE_LIMITED_TEXT, SOCKET_BURST, Limits
from fenqi.security.ratelimit import RateLimiter, RequestBudget
from fenqi.settings import load_limits, token_rules_once
from fenqi.signout import Revocations, process_revocations
from fenqi.widget import (
    DEFAULT_HISTORY_LIMIT,
    USER_PREFIX,
    Peer,
    bot_metadata,
    delivery_refusal,
    handshake_token,
    history_messages,
    log_id,
    merge_history,
    message_text,
    peer_for_token,
    reverify,
    session_allowed,
    token_subject,
)

logger = logging.getLogger(__name__)

CHANNEL_NAME = "secure_socketio"
# The session rules (who a connection is, which session it may use, what the bot is told) are
# Rasa-free and live in fenqi/widget.py; this module is the socket.io plumbing.

# --- socket.io plumbing ---------------------------------------------------------------

HistorySource = Callable[[Optional[Sanic], str, int], Awaitable[List[Dict[str, Any]]]]
Gate = Callable[[str], Awaitable[None]]  # before a delivery to a room: evict the sockets no longer entitled
_timers: Set["asyncio.Task[None]"] = set()
SIGNED_OUT_TEXT = "该账号已退出登录，请重新登录后再查询账户信息。"

# The budget of the engine.io POST being handled: set before engine.io reads the POST's packets;
# python-socketio runs each event handler as a task created meanwhile, which inherits it.
POST_BUDGET: ContextVar[Optional[RequestBudget]] = ContextVar("fenqi_post_budget", default=None)
MESSAGES = "user_message"


async def tracker_history(app: Optional[Sanic], sender_id: str, limit: int) -> List[Dict[str, Any]]:
    """History from the Rasa agent's tracker store (``app.ctx.agent``), if there is one."""
    agent = getattr(getattr(app, "ctx", None), "agent", None)
    store = getattr(agent, "tracker_store", None)
    if store is None:
        return []
    tracker = await store.retrieve_full_tracker(sender_id)
    return history_messages(tracker.events, limit) if tracker else []


class GuardedEngineIOServer(engineio.AsyncServer):
    """engine.io that answers hostile polling requests with 4xx, never a 500 or a hang.

    Before engine.io sees a POST: a body over ``max_http_buffer_size`` is 413, a body that is
    not UTF-8 is 400 (engine.io would raise, or disconnect and leave the request waiting) and so is
    one of more packets than engine.io decodes (16: it would log a traceback and drop them); a
    request for a session closed meanwhile is 400. Each POST gets its :class:`RequestBudget`.
    """

    async def handle_request(self, *args: Any, **kwargs: Any) -> Any:
        request = args[0] if args else None
        body = getattr(request, "body", None)
        if getattr(request, "method", "") == "POST" and isinstance(body, (bytes, bytearray)):
            if len(body) > self.max_http_buffer_size:
                return response.text("payload too large", status=413)
            try:
                body.decode("utf-8")
            except UnicodeDecodeError:
                return response.text("body is not UTF-8", status=400)
            if body.count(b"\x1e") >= Payload.max_decode_packets:  # engine.io would log and drop it
                return response.text("too many packets", status=400)
        budget = POST_BUDGET.set(RequestBudget())  # one per POST, whatever it carries
        try:
            return await super().handle_request(*args, **kwargs)
        except KeyError:  # engine.io's race: the session closed while this request was queued
            return response.text("session is disconnected", status=400)
        finally:
            POST_BUDGET.reset(budget)


class GuardedAsyncServer(AsyncServer):
    """socket.io whose malformed packets are dropped quietly (no traceback per hostile packet)."""

    def _engineio_server_class(self) -> type:
        return GuardedEngineIOServer

    async def _handle_eio_message(self, eio_sid: str, data: Any) -> None:
        try:
            await super()._handle_eio_message(eio_sid, data)
        except (ValueError, TypeError, KeyError, IndexError, RecursionError) as exc:
            logger.info("dropped a malformed socket.io packet (%s)", exc.__class__.__name__)


class SecureSocketIOOutput(SocketIOOutput):
    """Stock socket.io output, except a custom payload cannot redirect to another room, and every
    delivery first passes the gate (sockets whose token expired or whose user signed out leave
    the room: they receive nothing of it)."""

    def __init__(self, sio: AsyncServer, bot_message_evt: Text, gate: Optional[Gate] = None) -> None:
        super().__init__(sio, bot_message_evt)
        self._gate = gate

    @classmethod
    def name(cls) -> Text:
        return CHANNEL_NAME

    async def _send_message(self, socket_id: Text, response: Any) -> None:
        if self._gate is not None:
            await self._gate(socket_id)
        await self.sio.emit(self.bot_message_evt, response, room=socket_id)

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any],
                               **kwargs: Any) -> None:
        payload = {k: v for k, v in json_message.items() if k not in ("room", "to")}
        await self._send_message(recipient_id, payload)


class _AppAwareBlueprint(SocketBlueprint):
    """Remembers the Sanic app it is registered on (the agent lives in ``app.ctx``)."""

    def register(self, app: Sanic, options: Dict[Text, Any]) -> None:
        self.ctx.app = app
        super().register(app, options)


class SecureSocketIOInput(SocketIOInput):
    """socket.io input that binds every conversation to a verified user (see module doc)."""

    @classmethod
    def name(cls) -> Text:
        return CHANNEL_NAME

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        credentials = credentials or {}
        return cls(
            user_message_evt=credentials.get("user_message_evt", "user_uttered"),
            bot_message_evt=credentials.get("bot_message_evt", "bot_uttered"),
            namespace=credentials.get("namespace"),
            socketio_path=credentials.get("socketio_path", "/socket.io"),
            history_limit=int(credentials.get("history_limit", DEFAULT_HISTORY_LIMIT)),
            cors_allowed_origins=credentials.get("cors_allowed_origins", []),
        )

    def __init__(
        self,
        user_message_evt: Text = "user_uttered",
        bot_message_evt: Text = "bot_uttered",
        namespace: Optional[Text] = None,
        socketio_path: Text = "/socket.io",
        history_limit: int = DEFAULT_HISTORY_LIMIT,
        cors_allowed_origins: Any = (),
        token_rules: Optional[Callable[[], TokenRules]] = None,
        history_source: Optional[HistorySource] = None,
        limits: Optional[Limits] = None,
        takeover: Optional[SocketTakeover] = None,
        revocations: Optional[Revocations] = None,
    ) -> None:
        super().__init__(user_message_evt, bot_message_evt, namespace,
                         session_persistence=True, socketio_path=socketio_path)
        self.history_limit = history_limit
        self.cors_allowed_origins = list(cors_allowed_origins) if not isinstance(
            cors_allowed_origins, str) else cors_allowed_origins
        self._rules = token_rules or token_rules_once()
        self._revocations = revocations or process_revocations()
        self._gate: Optional[Gate] = None
        self._history_source = history_source or tracker_history
        self.limits = limits or load_limits()
        self._rate = RateLimiter(self.limits.socket_rate_per_minute, per=60.0,
                                 burst=min(SOCKET_BURST, self.limits.socket_rate_per_minute))
        interval = self.limits.socket_history_interval  # one history load per connection per interval
        self._history_rate = RateLimiter(1, per=float(interval), burst=1) if interval > 0 else None
        self._takeover = takeover or SocketTakeover()  # live agent takeover (#13)

    def get_output_channel(self) -> Optional[SecureSocketIOOutput]:
        return SecureSocketIOOutput(self.sio, self.bot_message_evt, self._gate) if self.sio else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        sio = GuardedAsyncServer(async_mode="sanic", cors_allowed_origins=self.cors_allowed_origins,
                                 max_http_buffer_size=self.limits.max_body_bytes,
                                 **manager_options())  # Redis across instances when configured (#13)
        bp = _AppAwareBlueprint(sio, self.socketio_path, "secure_socketio_webhook", __name__)
        self.sio = sio
        ns = self.namespace

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        async def emit_safely(event: str, data: Any, room: str) -> None:
            """An emit that may be lost (Redis down) without failing the turn."""
            try:
                await sio.emit(event, data, room=room, namespace=ns)
            except Exception as exc:
                logger.warning("socket.io emit of %s failed (%s)", event, exc.__class__.__name__)
        expiry: Dict[str, asyncio.TimerHandle] = {}

        async def peer_of(sid: str) -> Optional[Peer]:
            try:
                return (await sio.get_session(sid, namespace=ns)).get("peer")
            except KeyError:  # disconnected meanwhile
                return None

        async def cutoff(peer: Peer) -> Optional[float]:
            return await self._revocations.cutoff(peer.user_id) if peer.user_id else None

        async def refuse_auth(sid: str, error: IdentityError) -> None:
            await sio.emit("auth_error", {"reason": error.reason, "message": str(error)},
                           room=sid, namespace=ns)

        def watch_expiry(sid: str, peer: Peer) -> None:
            """Evict the socket when its token expires (even if nothing is delivered then)."""
            old = expiry.pop(sid, None)
            if old is not None:
                old.cancel()
            if peer.authenticated and peer.expires_at is not None:
                delay = max(peer.expires_at - time.time(), 0.0) + 0.05

                def fire() -> None:
                    task = asyncio.ensure_future(check(sid))
                    _timers.add(task)
                    task.add_done_callback(_timers.discard)
                expiry[sid] = asyncio.get_running_loop().call_later(delay, fire)

        async def evict(sid: str, peer: Peer, error: IdentityError) -> None:
            await sio.leave_room(sid, peer.sender_id, namespace=ns)
            logger.info("Socket %s left %s: %s", log_id(sid), peer.sender_id, error.reason)
            await refuse_auth(sid, error)

        async def check(sid: str) -> bool:
            """False (and the socket evicted) when it may no longer receive its conversation."""
            peer = await peer_of(sid)
            if peer is None or not peer.authenticated:
                return True
            error = delivery_refusal(peer, self._rules(), await cutoff(peer))
            if error is None:
                return True
            await evict(sid, peer, error)
            return False

        async def gate(room: str) -> None:
            """Before a delivery to ``room``: its sockets on this instance are checked again."""
            if not room.startswith(USER_PREFIX):
                return
            for sid, _ in list(sio.manager.get_participants(ns or "/", room)):
                await check(sid)

        self._gate = gate

        @sio.on("connect", namespace=ns)
        async def connect(sid: Text, environ: Dict, auth: Any = None) -> bool:
            token = handshake_token(auth)
            rules = self._rules()
            try:
                user_id = token_subject(token, rules)
                revoked = await self._revocations.cutoff(user_id) if user_id else None
                peer = peer_for_token(token, rules, revoked)
            except IdentityError as error:
                logger.info("Refused socket %s: %s", log_id(sid), error.reason)
                raise ConnectionRefusedError(error.reason, {"reason": error.reason,
                                                            "message": str(error)})
            await sio.save_session(sid, {"peer": peer}, namespace=ns)
            await sio.enter_room(sid, peer.sender_id, namespace=ns)
            watch_expiry(sid, peer)
            self._takeover.start(sio, self.bot_message_evt, ns, gate)  # live agent takeover (#13): once
            logger.debug("Socket %s connected as %s", log_id(sid), peer.sender_id)
            return True

        @sio.on("disconnect", namespace=ns)
        async def disconnect(sid: Text, *_: Any) -> None:
            self._rate.forget(sid)
            if self._history_rate is not None:
                self._history_rate.forget(sid)
            timer = expiry.pop(sid, None)
            if timer is not None:
                timer.cancel()
            logger.debug("Socket %s disconnected", log_id(sid))

        @sio.on("sign_out", namespace=ns)
        async def sign_out(sid: Text, *_: Any) -> Dict[str, Any]:
            """The page signs its user out: refuse every token of the user issued until now and end
            every socket of the user (all instances: the emit and the room close go through the
            manager)."""
            peer = await peer_of(sid)
            if peer is None or not peer.authenticated:
                return {"ok": False, "reason": "anonymous"}
            try:
                reverify(peer, None, self._rules(), await cutoff(peer))
            except IdentityError as error:
                return {"ok": False, "reason": error.reason}
            try:
                await self._revocations.sign_out(peer.user_id)
            except Exception:
                logger.exception("Could not record a sign-out")
                return {"ok": False, "reason": "unavailable"}
            await sio.emit("auth_error", {"reason": "signed_out", "message": SIGNED_OUT_TEXT},
                           room=peer.sender_id, namespace=ns)
            await sio.close_room(peer.sender_id, namespace=ns)
            logger.info("Socket %s signed %s out", log_id(sid), peer.sender_id)
            return {"ok": True}

        @sio.on("session_request", namespace=ns)
        async def session_request(sid: Text, data: Any = None) -> None:
            peer = await peer_of(sid)
            if peer is None:
                return
            if not await check(sid):  # no history for an expired or signed-out socket
                return
            requested = data.get("session_id") if isinstance(data, dict) else None
            if not session_allowed(requested, peer):
                logger.warning("Socket %s (%s) asked for a foreign session", log_id(sid),
                               peer.sender_id)
                await sio.emit("session_refused", {"reason": "foreign_session",
                                                   "session_id": peer.sender_id},
                               room=sid, namespace=ns)
            await sio.emit("session_confirm", peer.sender_id, room=sid, namespace=ns)
            if peer.authenticated and self._history_rate is not None and not self._history_rate.allow(sid):
                logger.info("Socket %s: history asked again within %s s; not reloaded", log_id(sid),
                            self.limits.socket_history_interval)
                await sio.emit("history", {"session_id": peer.sender_id, "messages": [], "limited": True},
                               room=sid, namespace=ns)
                return
            messages: List[Dict[str, Any]] = []
            if peer.authenticated:
                try:
                    messages = await self._history_source(getattr(bp.ctx, "app", None),
                                                          peer.sender_id, self.history_limit)
                except Exception:  # history is a convenience; never break the session
                    logger.exception("Could not load history for %s", peer.sender_id)
                live = await self._takeover.relay.history(peer.sender_id, self.history_limit)
                messages = merge_history(messages, live, self.history_limit)
            await sio.emit("history", {"session_id": peer.sender_id, "messages": messages},
                           room=sid, namespace=ns)

        @sio.on(self.user_message_evt, namespace=ns)
        async def handle_message(sid: Text, data: Any = None) -> None:
            peer = await peer_of(sid)
            if peer is None:
                return
            payload = data if isinstance(data, dict) else {}
            fresh = payload.get("token") if isinstance(payload.get("token"), str) else None
            rules, revoked = self._rules(), await cutoff(peer)
            try:
                checked = reverify(peer, fresh, rules, revoked)
            except IdentityError as error:
                logger.info("Dropped message on %s: %s", log_id(sid), error.reason)
                if delivery_refusal(peer, rules, revoked) is not None:  # its own token is stale
                    await sio.leave_room(sid, peer.sender_id, namespace=ns)
                await refuse_auth(sid, error)
                return
            if checked is not peer:
                await sio.save_session(sid, {"peer": checked}, namespace=ns)
                await sio.enter_room(sid, checked.sender_id, namespace=ns)  # back in, if evicted
                watch_expiry(sid, checked)
            if not session_allowed(payload.get("session_id"), checked):
                logger.warning("Socket %s (%s) wrote to a foreign session", log_id(sid),
                               checked.sender_id)
                await sio.emit("session_refused", {"reason": "foreign_session",
                                                   "session_id": checked.sender_id},
                               room=sid, namespace=ns)
                return
            text = message_text(payload)
            if text is None:
                return
            budget, per_post = POST_BUDGET.get(), self.limits.socket_messages_per_post
            if budget is not None and not budget.take(MESSAGES, per_post):
                if budget.refused(MESSAGES, per_post) == 1:  # say so once per POST
                    logger.info("Socket %s: more than %d messages in one POST; the rest dropped",
                                log_id(sid), per_post)
                    await sio.emit(self.bot_message_evt, {"text": RATE_LIMITED_TEXT}, room=sid, namespace=ns)
                return
            if not self._rate.allow(sid):
                await sio.emit(self.bot_message_evt, {"text": RATE_LIMITED_TEXT}, room=sid, namespace=ns)
                return
            if len(text) > self.limits.max_message_chars:
                await sio.emit(self.bot_message_evt, {"text": self.limits.too_long_text},
                               room=sid, namespace=ns)
                return
            # live agent takeover (#13): an agent owns this conversation -> Rasa never sees it
            if await self._takeover.intercept(sio, checked.sender_id, text, self.bot_message_evt, ns):
                return
            buffered = BufferedOutput()  # sent once the turn is stored (channels/turns.py)
            message = UserMessage(text, buffered, checked.sender_id, input_channel=self.name(),
                                  metadata=bot_metadata(checked))
            await gate(checked.sender_id)
            await emit_safely("bot_typing", {"typing": True}, checked.sender_id)
            try:
                if await run_turn(on_new_message, message):
                    await buffered.replay(SecureSocketIOOutput(sio, self.bot_message_evt, gate))
                else:  # to this socket, from this process: reaches the shopper with Redis down
                    await sio.emit(self.bot_message_evt, {"text": BUSY_TEXT}, room=sid, namespace=ns,
                                   ignore_queue=True)
            finally:
                await emit_safely("bot_typing", {"typing": False}, checked.sender_id)

        return bp
