"""What to say to one inbound message: welcome, binding, polite refusal, or a bot turn."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Dict, List, Optional, Protocol

from fenqi.security.inbound import clean_text, sanitize_payload
from fenqi.security.limits import MAX_MESSAGE_CHARS, TOO_LONG_TEXT

from . import texts
from .inbound import TEXT, UNSUPPORTED, WELCOME, Inbound
from .options import OptionMemory, OptionStore, render_bot_messages
from .ttl import TTLMap

logger = logging.getLogger(__name__)

# Linear time: one run of separators, then the code; the text is stripped and bounded first.
BIND_COMMAND = re.compile(r"绑定[:：\s]*([0-9A-Za-z]{4,32})")


@dataclass(frozen=True)
class BotRequest:
    """What the channel hands the bot: no OpenID, only a namespaced sender id and a signed token."""

    sender_id: str
    text: str
    message_id: str
    metadata: Dict[str, Any] = field(default_factory=dict)


Bot = Callable[[BotRequest], Awaitable[List[Dict[str, Any]]]]
# Live agent takeover (#13): (sender_id, text) -> None (the bot answers) or the reply ("" = silence).
TakeoverHook = Callable[[str, str], Awaitable[Optional[str]]]


@dataclass(frozen=True)
class BindOutcome:
    ok: bool
    user_id: Optional[str] = None
    reason: str = ""  # "unknown" | "expired" | "used" when not ok


class Directory(Protocol):
    """OpenID -> account (see :mod:`fenqi.wechat.binding` for the SQL implementation)."""

    async def user_for(self, openid: str) -> Optional[str]: ...

    async def bind(self, openid: str, code: str) -> BindOutcome: ...


class AttemptLimiter:
    """At most ``max_failures`` failed binding attempts per OpenID per ``window`` seconds."""

    def __init__(self, max_failures: int = 5, window: float = 600):
        self.max_failures = max_failures
        self._failures: TTLMap[int] = TTLMap(window)

    def blocked(self, openid: str) -> bool:
        return (self._failures.get(openid) or 0) >= self.max_failures

    def failed(self, openid: str) -> None:
        self._failures.set(openid, (self._failures.get(openid) or 0) + 1)

    def reset(self, openid: str) -> None:
        self._failures.pop(openid)


class Responder:
    """Turns an :class:`Inbound` into the full reply text ("" = say nothing)."""

    def __init__(self, bot: Bot, directory: Directory, mint_token: Callable[[str], str],
                 options: Optional[OptionStore] = None, limiter: Optional[AttemptLimiter] = None,
                 max_message_chars: int = MAX_MESSAGE_CHARS,
                 takeover: Optional[TakeoverHook] = None):
        self.max_message_chars = max_message_chars
        self.bot = bot
        self.takeover = takeover
        self.directory = directory
        self.mint_token = mint_token
        self.options: OptionStore = options if options is not None else OptionMemory()
        self.limiter = limiter or AttemptLimiter()

    async def respond(self, inbound: Inbound) -> str:
        if inbound.kind == WELCOME:
            return texts.welcome(await self._user(inbound.openid) is not None)
        if inbound.kind == UNSUPPORTED:
            return texts.UNSUPPORTED
        if inbound.kind != TEXT:
            return ""
        if len(inbound.text) > self.max_message_chars:
            return TOO_LONG_TEXT.format(limit=self.max_message_chars)
        command = BIND_COMMAND.fullmatch(inbound.text.strip())
        if command:
            return await self._bind(inbound.openid, command.group(1))
        if self.takeover is not None:  # an agent owns the conversation, or this is a rating
            handled = await self.takeover(inbound.sender_id, inbound.text)
            if handled is not None:
                return handled
        return await self._bot_turn(inbound)

    async def _user(self, openid: str) -> Optional[str]:
        try:
            return await self.directory.user_for(openid)
        except Exception as exc:  # account store down: answer generically rather than not at all
            logger.warning("wechat binding lookup failed (%s); answering without identity",
                           exc.__class__.__name__, exc_info=logger.isEnabledFor(logging.DEBUG))
            return None

    async def _bind(self, openid: str, code: str) -> str:
        if self.limiter.blocked(openid):
            return texts.BIND_FAILED["throttled"]
        try:
            outcome = await self.directory.bind(openid, code)
        except Exception:
            logger.exception("wechat binding failed")
            return texts.BOT_ERROR
        if outcome.ok:
            self.limiter.reset(openid)
            logger.info("wechat openid bound to an account")
            return texts.BIND_OK
        self.limiter.failed(openid)
        return texts.BIND_FAILED.get(outcome.reason, texts.BIND_FAILED["unknown"])

    async def _bot_turn(self, inbound: Inbound) -> str:
        typed = sanitize_payload(clean_text(inbound.text))  # masked before NLU, tracker and logs
        text = await self.options.resolve(inbound.openid, typed) or typed
        user_id = await self._user(inbound.openid)
        metadata = {"auth_token": self.mint_token(user_id)} if user_id else {}
        request = BotRequest(sender_id=inbound.sender_id, text=text,
                             message_id=inbound.dedupe_key, metadata=metadata)
        try:
            messages = await self.bot(request)
        except Exception:
            logger.exception("wechat bot turn failed")
            return texts.BOT_ERROR
        reply, options = render_bot_messages(messages or [])
        await self.options.remember(inbound.openid, options)
        return reply or texts.BOT_SILENT
