"""What a WeChat push means for the bot: classify a parsed wechatpy message."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from wechatpy import parse_message
from wechatpy.messages import BaseMessage

from fenqi.privacy import pseudonym

from .errors import bad_request

TEXT = "text"  # goes to the bot (text, or voice with recognition)
WELCOME = "welcome"  # subscribe event
UNSUPPORTED = "unsupported"  # image, video, location, link, voice without recognition, ...
IGNORED = "ignored"  # other events (menu clicks, LOCATION reports, unsubscribe): no reply

SUBSCRIBE_EVENTS = ("subscribe", "subscribe_scan")
SENDER_PREFIX = "wx:"  # the WeChat conversation id is SENDER_PREFIX + OpenID


@dataclass(frozen=True)
class Inbound:
    kind: str  # one of TEXT, WELCOME, UNSUPPORTED, IGNORED
    openid: str  # FromUserName
    account: str  # ToUserName (our 公众号's original id)
    dedupe_key: str
    msg_type: str  # wechatpy type, for logs (never the content)
    text: str = ""
    message: Optional[BaseMessage] = None

    @property
    def sender_id(self) -> str:
        """Rasa sender id: never the bare OpenID, always namespaced."""
        return SENDER_PREFIX + self.openid


def _is_event(message: BaseMessage) -> bool:
    return str(message._data.get("MsgType") or "").lower() == "event"


def dedupe_key(message: BaseMessage) -> str:
    """Messages are retried with the same MsgId; events by FromUserName + CreateTime (+ event).

    The key is logged, claimed in Redis and becomes the turn's message id in the tracker, so the
    OpenID in it is a :func:`~fenqi.privacy.pseudonym` (issue #21), never the OpenID itself."""
    if _is_event(message) or not message.id:
        event = str(message._data.get("Event") or "").lower()
        return f"evt:{pseudonym(str(message.source))}:{message._data.get('CreateTime', '')}:{event}"
    return f"msg:{message.id}"


def parse_inbound(xml: str) -> Inbound:
    """Parse checked XML into an :class:`Inbound`; missing essentials -> 400."""
    try:
        message = parse_message(xml)
    except Exception as exc:  # xmltodict/KeyError/ValueError on missing or malformed fields
        raise bad_request("not a WeChat message") from exc
    if message is None or not isinstance(getattr(message, "_data", None), dict):
        raise bad_request("not a WeChat message")
    openid = message.source
    if not openid or not isinstance(openid, str):
        raise bad_request("message without FromUserName")
    try:
        key = dedupe_key(message)
    except (TypeError, ValueError) as exc:
        raise bad_request("malformed MsgId") from exc
    common = dict(openid=openid, account=message.target or "", dedupe_key=key,
                  msg_type=_type_name(message), message=message)
    if message.type == "text":
        text = message.content if isinstance(message.content, str) else ""
        return Inbound(kind=TEXT if text.strip() else UNSUPPORTED, text=text.strip(), **common)
    if message.type == "voice":
        recognition = message.recognition if isinstance(message.recognition, str) else ""
        if recognition.strip():
            return Inbound(kind=TEXT, text=recognition.strip(), **common)
        return Inbound(kind=UNSUPPORTED, **common)
    if _is_event(message):
        event = getattr(message, "event", "")
        return Inbound(kind=WELCOME if event in SUBSCRIBE_EVENTS else IGNORED, **common)
    return Inbound(kind=UNSUPPORTED, **common)


def _type_name(message: BaseMessage) -> str:
    if _is_event(message):
        return f"event:{getattr(message, 'event', '') or 'unknown'}"
    return str(message.type or "unknown")
