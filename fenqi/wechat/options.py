"""Bot buttons as numbered text options ("回复 1 …"), and numeric replies back to payloads."""
from __future__ import annotations

import re
import unicodedata
from typing import Any, Dict, List, Mapping, Optional, Protocol, Sequence, Tuple

from .ttl import TTLMap

Option = Tuple[str, str]  # (title, payload)

OPTIONS_TTL = 30 * 60  # seconds a shopper has to answer "回复 1" with "1"
MAX_OPTIONS = 20  # options remembered per OpenID; later numbers are read as text
MAX_TITLE_CHARS = 64
MAX_PAYLOAD_CHARS = 256  # a longer payload is not remembered (its number is read as text)

_NUMBER = re.compile(r"^\s*(\d{1,2})\s*[.。、)]?\s*$")


def options_from_buttons(buttons: Sequence[Mapping[str, Any]]) -> List[Option]:
    """Keep buttons that have a title; a missing payload falls back to the title."""
    options: List[Option] = []
    for button in buttons or ():
        title = str(button.get("title") or "").strip()
        payload = str(button.get("payload") or title).strip()
        if title:
            options.append((title, payload))
    return options


def render_options(options: Sequence[Option], start: int = 1) -> str:
    """``回复 1：标题`` lines, numbered from ``start``."""
    return "\n".join(f"回复 {start + i}：{title}" for i, (title, _) in enumerate(options))


def choice_number(text: str) -> Optional[int]:
    """The option number a user typed ("1", "１", " 2 。"), or None."""
    normalized = unicodedata.normalize("NFKC", text or "")
    match = _NUMBER.match(normalized)
    return int(match.group(1)) if match else None


def resolve_choice(text: str, options: Sequence[Option]) -> Optional[str]:
    """The payload for a numeric reply that picks one of ``options``; None otherwise."""
    number = choice_number(text)
    if number is None or not 1 <= number <= len(options):
        return None
    return options[number - 1][1]


def bounded_options(options: Sequence[Option]) -> Tuple[Option, ...]:
    """At most ``MAX_OPTIONS``, titles cut to ``MAX_TITLE_CHARS``; an oversize payload becomes ""
    (numbering is kept, that number resolves to nothing)."""
    return tuple((str(title)[:MAX_TITLE_CHARS], str(payload) if len(str(payload)) <= MAX_PAYLOAD_CHARS else "")
                 for title, payload in list(options)[:MAX_OPTIONS])


class OptionStore(Protocol):
    """The last options shown to each OpenID (in-process :class:`OptionMemory`, or shared in Redis:
    :class:`fenqi.wechat.shared.RedisOptionMemory`)."""

    async def remember(self, openid: str, options: Sequence[Option]) -> None: ...

    async def recall(self, openid: str) -> Tuple[Option, ...]: ...

    async def resolve(self, openid: str, text: str) -> Optional[str]: ...


class OptionMemory:
    """The last options shown to each OpenID in this process, forgotten after ``ttl`` seconds."""

    def __init__(self, ttl: float = OPTIONS_TTL, max_users: int = 100_000):
        self._store: TTLMap[Tuple[Option, ...]] = TTLMap(ttl, max_users)

    async def remember(self, openid: str, options: Sequence[Option]) -> None:
        if options:
            self._store.set(openid, bounded_options(options))
        else:
            self._store.pop(openid)

    async def recall(self, openid: str) -> Tuple[Option, ...]:
        return self._store.get(openid) or ()

    async def resolve(self, openid: str, text: str) -> Optional[str]:
        if choice_number(text) is None:
            return None
        return resolve_choice(text, await self.recall(openid)) or None


def render_bot_messages(messages: Sequence[Dict[str, Any]]) -> Tuple[str, List[Option]]:
    """Fold Rasa-style bot messages (text/buttons/image/attachment) into one text and its options.

    Buttons of all messages are numbered consecutively, so "回复 3" is unambiguous.
    """
    blocks: List[str] = []
    options: List[Option] = []
    for message in messages:
        lines: List[str] = []
        if message.get("text"):
            lines.append(str(message["text"]).strip())
        for key in ("image", "attachment"):
            if isinstance(message.get(key), str) and message[key].strip():
                lines.append(message[key].strip())
        new = options_from_buttons(message.get("buttons") or ())
        if new:
            lines.append(render_options(new, start=len(options) + 1))
            options.extend(new)
        if lines:
            blocks.append("\n".join(line for line in lines if line))
    return "\n\n".join(blocks), options
