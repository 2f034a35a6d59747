"""Split long replies into WeChat-sized text messages (≤ 2,048 UTF-8 bytes each)."""
from __future__ import annotations

from typing import List

MAX_MESSAGE_BYTES = 2048
_SENTENCE_ENDS = "。！？；!?;…"
_SOFT_BREAKS = "，、,： "


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def _fit(text: str, limit: int) -> int:
    """Largest character count whose UTF-8 encoding fits in ``limit`` bytes (never mid-character)."""
    size = 0
    for index, char in enumerate(text):
        size += utf8_len(char)
        if size > limit:
            return index
    return len(text)


def _cut_point(window: str) -> int:
    """Where to cut a window that is too long: after a line break, else a sentence end, else a comma."""
    for breaks in ("\n", _SENTENCE_ENDS, _SOFT_BREAKS):
        best = max(window.rfind(ch) for ch in breaks)
        if best > len(window) // 4:  # don't make absurdly short parts
            return best + 1
    return len(window)


def split_message(text: str, limit: int = MAX_MESSAGE_BYTES) -> List[str]:
    """Split ``text`` into parts of at most ``limit`` UTF-8 bytes, preferring line breaks."""
    if limit < 4:
        raise ValueError("limit must hold at least one UTF-8 character")
    parts: List[str] = []
    rest = text.strip()
    while rest:
        if utf8_len(rest) <= limit:
            parts.append(rest)
            break
        window = rest[:_fit(rest, limit)]
        cut = _cut_point(window)
        part = rest[:cut].strip()
        if part:
            parts.append(part)
        rest = rest[cut:].strip()
    return parts
