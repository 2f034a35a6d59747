"""A socket.io channel that trusts only verified tokens, never the client's word.

Rasa's stock ``socketio`` channel checks a JWT at connect and then believes whatever
``session_id`` and metadata the client sends, so anyone who learns a session id can read
or write that conversation. This channel instead:

* verifies the user token (``fenqi.identity``) on connect **and** on every message;
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
``{message, session_id?, token?}``. Server -> client: ``session_confirm`` (the session id),
``history`` ``{session_id, messages}``, ``bot_uttered`` (stock payloads), ``bot_typing``
``{typing}``, ``auth_error`` ``{reason, message}``, ``session_refused`` ``{reason, session_id}``.
"""
from __future__ import annotations

import logging
from contextvars import ContextVar
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

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
from fenqi.identity import IdentityError
from fenqi.resilience import BUSY_TEXT
from fenqi.security.limits import RATE_LIMITED_TEXT, SOCKET_BURST, Limits, load_limits
from fenqi.security.ratelimit import RateLimiter, RequestBudget
from fenqi.settings import jwt_secret_once
from fenqi.widget import (
    DEFAULT_HISTORY_LIMIT,
    Peer,
    bot_metadata,
    handshake_token,
    history_messages,
    log_id,
    merge_history,
    message_text,
    peer_for_token,
    reverify,
    session_allowed,
)

logger = logging.getLogger(__name__)

CHANNEL_NAME = "secure_socketio"
# The session rules (who a connection is, which session it may use, what the bot is told) are
# Rasa-free and live in fenqi/widget.py; this module is the socket.io plumbing.

# --- socket.io plumbing ---------------------------------------------------------------

HistorySource = Callable[[Optional[Sanic], str, int], Awaitable[List[Dict[str, Any]]]]

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
    """Stock socket.io output, except a custom payload cannot redirect to another room."""

    @classmethod
    def name(cls) -> Text:
        return CHANNEL_NAME

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any],
                               **kwargs: Any) -> None:
        payload = {k: v for k, v in json_message.items() if k not in ("room", "to")}
        await self.sio.emit(self.bot_message_evt, payload, room=recipient_id)


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
        secret_provider: Optional[Callable[[], str]] = None,
        history_source: Optional[HistorySource] = None,
        limits: Optional[Limits] = None,
        takeover: Optional[SocketTakeover] = None,
    ) -> None:
        super().__init__(user_message_evt, bot_message_evt, namespace,
                         session_persistence=True, socketio_path=socketio_path)
        self.history_limit = history_limit
        self.cors_allowed_origins = list(cors_allowed_origins) if not isinstance(
            cors_allowed_origins, str) else cors_allowed_origins
        self._secret_provider = secret_provider or jwt_secret_once()
        self._history_source = history_source or tracker_history
        self.limits = limits or load_limits()
        self._rate = RateLimiter(self.limits.socket_rate_per_minute, per=60.0,
                                 burst=min(SOCKET_BURST, self.limits.socket_rate_per_minute))
        interval = self.limits.socket_history_interval  # one history load per connection per interval
        self._history_rate = RateLimiter(1, per=float(interval), burst=1) if interval > 0 else None
        self._takeover = takeover or SocketTakeover()  # live agent takeover (#13)

    def get_output_channel(self) -> Optional[SecureSocketIOOutput]:
        return SecureSocketIOOutput(self.sio, self.bot_message_evt) if self.sio else None

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

        async def peer_of(sid: str) -> Optional[Peer]:
            return (await sio.get_session(sid, namespace=ns)).get("peer")

        async def refuse_auth(sid: str, error: IdentityError) -> None:
            await sio.emit("auth_error", {"reason": error.reason, "message": str(error)},
                           room=sid, namespace=ns)

        @sio.on("connect", namespace=ns)
        async def connect(sid: Text, environ: Dict, auth: Any = None) -> bool:
            try:
                peer = peer_for_token(handshake_token(auth), self._secret_provider())
            except IdentityError as error:
                logger.info("Refused socket %s: %s", log_id(sid), error.reason)
                raise ConnectionRefusedError(error.reason, {"reason": error.reason,
                                                            "message": str(error)})
            await sio.save_session(sid, {"peer": peer}, namespace=ns)
            await sio.enter_room(sid, peer.sender_id, namespace=ns)
            self._takeover.start(sio, self.bot_message_evt, ns)  # live agent takeover (#13): once
            logger.debug("Socket %s connected as %s", log_id(sid), peer.sender_id)
            return True

        @sio.on("disconnect", namespace=ns)
        async def disconnect(sid: Text, *_: Any) -> None:
            self._rate.forget(sid)
            if self._history_rate is not None:
                self._history_rate.forget(sid)
            logger.debug("Socket %s disconnected", log_id(sid))

        @sio.on("session_request", namespace=ns)
        async def session_request(sid: Text, data: Any = None) -> None:
            peer = await peer_of(sid)
            if peer is None:
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
            try:
                checked = reverify(peer, fresh, self._secret_provider())
            except IdentityError as error:
                logger.info("Dropped message on %s: %s", log_id(sid), error.reason)
                await refuse_auth(sid, error)
                return
            if checked is not peer:
                await sio.save_session(sid, {"peer": checked}, namespace=ns)
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
            await emit_safely("bot_typing", {"typing": True}, checked.sender_id)
            try:
                if await run_turn(on_new_message, message):
                    await buffered.replay(SecureSocketIOOutput(sio, self.bot_message_evt))
                else:  # to this socket, from this process: reaches the shopper with Redis down
                    await sio.emit(self.bot_message_evt, {"text": BUSY_TEXT}, room=sid, namespace=ns,
                                   ignore_queue=True)
            finally:
                await emit_safely("bot_typing", {"typing": False}, checked.sender_id)

        return bp
