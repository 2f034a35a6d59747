"""A ticket's short summary and transcript from the conversation's events (pure)."""
from __future__ import annotations

from typing import List, Mapping, Sequence

from fenqi.fallback import Topics, consecutive_misses, recent_intents, recent_turns

from .hours import ServiceInfo


def ticket_summary(events: Sequence[Mapping], topics: Topics, limit: int) -> str:
    """``近期话题：怎么还款、提前还款；连续 3 次未能理解`` (core topics only; misses in a row if any)."""
    titles = [topics.titles[i] for i in recent_intents(events, limit * 3) if topics.is_core(i)][-limit:]
    parts = ["近期话题：" + "、".join(titles)] if titles else ["近期话题：无"]
    misses = consecutive_misses(events)
    if misses:
        parts.append(f"连续 {misses} 次未能理解")
    return "；".join(parts)


def ticket_transcript(events: Sequence[Mapping], topics: Topics, service: ServiceInfo) -> List[dict]:
    """The last few user/bot messages, masked, as stored in a ticket."""
    return [{"speaker": t.speaker, "text": t.text}
            for t in recent_turns(events, topics, service.transcript_messages)]
