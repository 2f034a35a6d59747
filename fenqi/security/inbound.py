"""Hostile input in, bounded and typed values out: the checks every channel runs before NLU.

* :func:`parse_rest_body` turns a raw REST body into a :class:`RestRequest` or raises
  :class:`InputError` with an HTTP status and a one-line reason.
* :func:`clean_text` removes what no user types (control characters, lone surrogates) and
  masks personal numbers; :func:`sanitize_payload` keeps a ``/intent{...}`` quick-reply payload
  only with well-formed entities (an ``order_id`` short id string).
* :func:`rest_sender_id` derives the REST conversation id on the server.
"""
from __future__ import annotations

import json
import re
import unicodedata
import uuid
from dataclasses import dataclass
from typing import Any, Dict, Optional

from fenqi.privacy import mask_pii

from .limits import MAX_BODY_BYTES, MAX_SENDER_CHARS, MAX_TOKEN_CHARS

# Conversation-id prefixes that other channels derive; a REST client may never name them.
RESERVED_PREFIXES = ("web:", "wx:", "anon:", "rest:")
REST_USER_PREFIX = "rest:u:"
REST_ANON_PREFIX = "rest:anon:"
SENDER_PATTERN = re.compile(r"[A-Za-z0-9_.@\-]{1,%d}" % MAX_SENDER_CHARS)
ORDER_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]{0,39}")
# Entities a button payload may carry (what fenqi/answers builds), each as a short string.
# A standard question's id (fenqi/knowledge/questions.yml): the action checks it names a real one.
QUESTION_ID_PATTERN = re.compile(r"[a-z]{1,10}\.[a-z_]{1,40}")
PAYLOAD_ENTITIES = {"order_id": ORDER_ID_PATTERN,
                    "product": re.compile(r"[\u4e00-\u9fffA-Za-z0-9]{1,20}"),
                    "question": QUESTION_ID_PATTERN}
_INTENT = re.compile(r"/([A-Za-z_][A-Za-z0-9_]{0,63})")
_CONTROL = {c for c in range(0x20) if c not in (0x09, 0x0A)} | set(range(0x7F, 0xA0))


class InputError(ValueError):
    """A request the server refuses: ``status`` (400/413) and a one-line ``reason``."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class RestRequest:
    """A validated REST message: the client's conversation key, the text, the token (if any)."""

    sender_key: Optional[str]
    text: str
    token: Optional[str]


def clean_text(text: str) -> str:
    """Text fit for NLU, storage and logs: no control characters or lone surrogates, NFC,
    trimmed, personal numbers masked. Linear in the length of ``text``."""
    text = "".join(" " if ord(ch) in _CONTROL or unicodedata.category(ch) == "Cs" else ch
                   for ch in text)
    text = unicodedata.normalize("NFC", text).strip()
    return mask_pii(text)


def sanitize_payload(text: str) -> str:
    """A ``/intent{...}`` payload with only well-formed entities; other text unchanged.

    Rasa turns ``/intent{"order_id": ...}`` into entities (and so slots) without NLU. Only the
    entities our buttons send survive, as short strings (``order_id``: an id; ``product``: a product
    name such as 备用金); anything else (numbers, lists, nested objects, other keys,
    ``@confidence``) drops them all, leaving ``/intent``.
    """
    if not text.startswith("/"):
        return text
    match = _INTENT.match(text)
    if match is None:
        return text[1:].strip() or text  # "/ 13812345678" is plain text, not a payload
    intent, rest = match.group(1), text[match.end():].strip()
    if not rest:
        return "/" + intent
    try:
        entities = json.loads(rest) if rest.startswith("{") else None
    except (ValueError, RecursionError):
        entities = None
    if not isinstance(entities, dict):
        return "/" + intent
    kept = {key: value for key, value in entities.items()
            if key in PAYLOAD_ENTITIES and isinstance(value, str) and PAYLOAD_ENTITIES[key].fullmatch(value)}
    if not kept or len(kept) != len(entities):
        return "/" + intent
    return "/" + intent + json.dumps(kept, ensure_ascii=False, separators=(",", ":"))


def valid_order_id(value: Any) -> Optional[str]:
    """``value`` if it is a short id string, else None (slots from old trackers included)."""
    return value if isinstance(value, str) and ORDER_ID_PATTERN.fullmatch(value) else None


def _object(body: bytes, max_bytes: int) -> Dict[str, Any]:
    if len(body) > max_bytes:
        raise InputError(f"request body too large (max {max_bytes} bytes)", 413)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError("body is not valid UTF-8") from exc
    try:
        data = json.loads(text)
    except RecursionError as exc:
        raise InputError("body is nested too deeply") from exc
    except ValueError as exc:
        raise InputError("body is not valid JSON") from exc
    if not isinstance(data, dict):
        raise InputError("body must be a JSON object")
    return data


def parse_rest_body(body: bytes, max_bytes: int = MAX_BODY_BYTES) -> RestRequest:
    """Validate a REST webhook body (``{"sender"?, "message", "metadata"?: {"auth_token"?}}``).

    The message text is cleaned (:func:`clean_text`, :func:`sanitize_payload`) but not
    truncated: the caller answers an over-long message itself. ``input_channel`` and any
    metadata key but ``auth_token`` are ignored.
    """
    data = _object(body, max_bytes)
    message = data.get("message")
    if not isinstance(message, str):
        raise InputError("message must be a string")
    sender = data.get("sender")
    if sender is not None:
        if isinstance(sender, str) and sender.lower().startswith(RESERVED_PREFIXES):
            raise InputError("sender uses a reserved prefix")
        if not isinstance(sender, str) or not SENDER_PATTERN.fullmatch(sender):
            raise InputError(f"sender must be 1-{MAX_SENDER_CHARS} characters of A-Z a-z 0-9 _ . @ -")
    metadata = data.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise InputError("metadata must be a JSON object")
    token = (metadata or {}).get("auth_token")
    if token is not None and (not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS
                              or not token.isascii()):
        raise InputError(f"metadata.auth_token must be an ASCII string of at most {MAX_TOKEN_CHARS} characters")
    text = sanitize_payload(clean_text(message))
    if not text:
        raise InputError("message must not be empty")
    return RestRequest(sender_key=sender, text=text, token=token or None)


def rest_sender_id(user_id: Optional[str], sender_key: Optional[str]) -> str:
    """The REST conversation id, derived on the server.

    A verified user gets ``rest:u:<user_id>[:<key>]`` — the user part comes from the token,
    so no other user (or token) can reach it. An anonymous client gets ``rest:anon:<key>``
    for the key it chose, or a fresh random id per request when it names none (no shared
    ``default`` conversation).
    """
    if user_id:
        return REST_USER_PREFIX + user_id + (":" + sender_key if sender_key else "")
    return REST_ANON_PREFIX + (sender_key or "r-" + uuid.uuid4().hex)
