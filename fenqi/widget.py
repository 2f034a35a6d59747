"""Widget session rules, Rasa-free: who is on a socket connection, which conversation it may
use, what the bot is told, and the visible history of a conversation.

Used by the secure socket.io channel (``channels/secure_socketio.py``, the plumbing); see its
module docstring for the protocol.
"""
from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Sequence

from fenqi.identity import Identity, IdentityError, TokenRules, revoked
from fenqi.security.inbound import clean_text, sanitize_payload

USER_PREFIX = "web:"
ANONYMOUS_PREFIX = "anon:"
MAX_MESSAGE_CHARS = 500  # longer messages get a notice instead of reaching NLU
DEFAULT_HISTORY_LIMIT = 50


@dataclass(frozen=True)
class Peer:
    """Who is on one socket connection, as the server established it."""

    sender_id: str
    user_id: Optional[str] = None
    token: Optional[str] = None
    issued_at: Optional[float] = None
    expires_at: Optional[float] = None

    @property
    def authenticated(self) -> bool:
        return self.user_id is not None

    def with_token(self, token: str, identity: Identity) -> "Peer":
        return Peer(self.sender_id, self.user_id, token, identity.issued_at, identity.expires_at)


def user_sender_id(identity: Identity) -> str:
    """The conversation id of a verified user: the same on every device and reload."""
    return USER_PREFIX + identity.user_id


def anonymous_sender_id() -> str:
    """A fresh conversation id for one unauthenticated connection."""
    return ANONYMOUS_PREFIX + uuid.uuid4().hex


def _not_signed_out(identity: Identity, revoked_before: Optional[float]) -> Identity:
    if revoked(identity, revoked_before):
        raise IdentityError("signed_out", "the user signed out: sign in again")
    return identity


def peer_for_token(token: Optional[str], rules: TokenRules, revoked_before: Optional[float] = None) -> Peer:
    """The peer for a connect attempt; raises :class:`IdentityError` for a bad token (one the
    rules refuse, or issued before the user's last sign-out, ``revoked_before``).

    No token at all means an anonymous visitor; a token that fails verification is
    refused rather than downgraded, so the client learns its token is bad.
    """
    if token is None or token == "":
        return Peer(sender_id=anonymous_sender_id())
    identity = _not_signed_out(rules.verify(token), revoked_before)
    return Peer(user_sender_id(identity), identity.user_id, token, identity.issued_at, identity.expires_at)


def token_subject(token: Optional[str], rules: TokenRules) -> Optional[str]:
    """The user a token names if it verifies (sign-out checks come after), else None."""
    try:
        return rules.verify(token).user_id
    except IdentityError:
        return None


def reverify(peer: Peer, new_token: Optional[str], rules: TokenRules,
             revoked_before: Optional[float] = None) -> Peer:
    """Verify the connection's token again before a message (it may have expired, or the user
    may have signed out since: ``revoked_before``).

    ``new_token`` (a refreshed token sent with the message) replaces the stored one only
    if it names the same user. Raises :class:`IdentityError` otherwise.
    """
    if not peer.authenticated:
        if new_token:
            raise IdentityError("anonymous_connection", "reconnect with the token to sign in")
        return peer
    token = new_token or peer.token
    identity = _not_signed_out(rules.verify(token), revoked_before)
    if identity.user_id != peer.user_id:
        raise IdentityError("subject_mismatch", "token belongs to another user")
    return peer if token == peer.token or token is None else peer.with_token(token, identity)


def delivery_refusal(peer: Optional[Peer], rules: TokenRules,
                     revoked_before: Optional[float] = None) -> Optional[IdentityError]:
    """Why a socket must no longer receive its user's conversation (its token expired, or the
    user signed out), or None. Anonymous sockets and unknown peers are never refused here."""
    if peer is None or not peer.authenticated:
        return None
    try:
        reverify(peer, None, rules, revoked_before)
    except IdentityError as error:
        return error
    return None


def session_allowed(requested: Optional[str], peer: Peer) -> bool:
    """A client may name no session or its own, never anyone else's."""
    return requested in (None, "", peer.sender_id)


def bot_metadata(peer: Peer) -> Dict[str, Any]:
    """Metadata handed to the bot: the verified token and nothing the client chose."""
    return {"auth_token": peer.token} if peer.authenticated else {}


def _quick_replies(buttons: Any) -> List[Dict[str, str]]:
    if not isinstance(buttons, list):
        return []
    return [{"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
            for b in buttons if isinstance(b, dict) and b.get("payload")]


def history_messages(events: Iterable[Any], limit: int = DEFAULT_HISTORY_LIMIT) -> List[Dict[str, Any]]:
    """The visible messages of a tracker's events, oldest first, at most ``limit``.

    A user message that was a quick-reply payload (``/intent...``) is shown with the
    button title the user clicked, as it appeared on the page. Metadata (which holds
    the auth token) is never included.
    """
    messages: List[Dict[str, Any]] = []
    titles: Dict[str, str] = {}
    for event in events:
        kind = getattr(event, "type_name", None)
        if kind == "user":
            text = event.text or ""
            if not text:
                continue
            messages.append({"sender": "user", "text": titles.get(text, text),
                             "timestamp": event.timestamp})
        elif kind == "bot":
            data = event.data or {}
            replies = _quick_replies(data.get("buttons") or data.get("quick_replies"))
            titles = {r["payload"]: r["title"] for r in replies} or titles
            if not (event.text or replies or data.get("image")):
                continue
            message: Dict[str, Any] = {"sender": "bot", "text": event.text or "",
                                       "timestamp": event.timestamp}
            if replies:
                message["quick_replies"] = replies
            if data.get("image"):
                message["image"] = data["image"]
            messages.append(message)
    return messages[-limit:] if limit > 0 else []


def merge_history(bot: Sequence[Dict[str, Any]], live: Sequence[Dict[str, Any]],
                  limit: int = DEFAULT_HISTORY_LIMIT) -> List[Dict[str, Any]]:
    """The tracker's messages and the live-agent conversation in time order (the tracker's first
    on a tie), at most the last ``limit``."""
    merged = sorted([*bot, *live], key=lambda m: float(m.get("timestamp") or 0.0))
    return merged[-limit:] if limit > 0 else []


def message_text(data: Any) -> Optional[str]:
    """The user's cleaned text (masked, no control characters) from a ``user_uttered`` payload,
    or None when malformed. Not truncated: the caller answers an over-long message itself."""
    if not isinstance(data, dict):
        return None
    text = data.get("message")
    if not isinstance(text, str) or len(text) > 64 * 1024:
        return None
    text = sanitize_payload(clean_text(text))
    return text or None


def log_id(sid: str) -> str:
    """A short pseudonym of a socket id for logs (the id itself is a bearer credential)."""
    return hashlib.sha256(sid.encode("utf-8")).hexdigest()[:8]


def handshake_token(auth: Any) -> Optional[str]:
    """The token a client sent in the socket.io ``auth`` object, if any."""
    if isinstance(auth, str):
        try:
            auth = json.loads(auth)
        except ValueError:
            return None
    if isinstance(auth, dict) and isinstance(auth.get("token"), str):
        return auth["token"]
    return None
