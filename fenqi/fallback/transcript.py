"""Recent turns of a conversation from the tracker's events (for ticket summaries and transcripts)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Mapping, Sequence

from fenqi.nlp import FALLBACK
from fenqi.privacy import mask_pii

from .steps import user_intent
from .topics import Topics


@dataclass(frozen=True)
class TranscriptLine:
    speaker: str  # "user" or "bot"
    text: str     # masked


def _shown(speaker: str, text: str, topics: Topics) -> str:
    """A button payload (``/how_to_repay{...}``) as what the user clicked, else the masked text.

    Personal numbers are masked everywhere, after an order label and on ``/...`` lines too.
    """
    if speaker == "user" and text.startswith("/"):
        intent = text[1:].split("{", 1)[0]
        return mask_pii(f"（点选：{topics.title(intent) or intent}）")
    return mask_pii(text)


def recent_turns(events: Sequence[Mapping], topics: Topics, limit: int) -> List[TranscriptLine]:
    """The last ``limit`` user/bot messages with text, oldest first, personal numbers masked."""
    turns: List[TranscriptLine] = []
    for event in reversed(events):
        text = (event.get("text") or "").strip()
        if event.get("event") in ("user", "bot") and text:
            turns.append(TranscriptLine(event["event"], _shown(event["event"], text, topics)))
            if len(turns) == limit:
                break
    return turns[::-1]


def recent_intents(events: Sequence[Mapping], limit: int) -> List[str]:
    """The last ``limit`` distinct recognised intents (not nlu_fallback), most recent last."""
    found: List[str] = []
    for event in reversed(events):
        name = user_intent(event) if event.get("event") == "user" else ""
        if name and name != FALLBACK and name not in found:
            found.append(name)
            if len(found) == limit:
                break
    return found[::-1]
