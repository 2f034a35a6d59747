"""Why the bot handed a conversation to a person (pure): stored with the ticket, counted by analytics.

* ``asked``: the shopper asked for a person (转人工) out of the blue;
* ``after_fallback``: they asked right after a message the bot did not understand or could not
  answer (a clarifying question, an offer of a human, an out-of-scope answer);
* ``fallback_ladder``: the bot missed ``max_fallbacks`` messages in a row and handed over itself.
"""
from __future__ import annotations

from typing import Mapping, Optional, Sequence

from fenqi.fallback.steps import user_intent
from fenqi.nlp import FALLBACK, OUT_OF_SCOPE

ASKED, AFTER_FALLBACK, FALLBACK_LADDER = "asked", "after_fallback", "fallback_ladder"
REASONS = (ASKED, AFTER_FALLBACK, FALLBACK_LADDER)
LABELS = {ASKED: "用户主动要求", AFTER_FALLBACK: "未能解答后用户要求", FALLBACK_LADDER: "连续未能理解，自动转接"}
UNKNOWN_LABEL = "未记录"


def label(reason: Optional[str]) -> str:
    return LABELS.get(reason or "", UNKNOWN_LABEL)


def requested_reason(events: Sequence[Mapping]) -> str:
    """The reason of a ticket the shopper asked for (``request_human``): ``after_fallback`` when
    their message before was one the bot missed (``nlu_fallback`` or ``out_of_scope``), else ``asked``."""
    users = [e for e in events if e.get("event") == "user"]
    previous = user_intent(users[-2]) if len(users) >= 2 else ""
    return AFTER_FALLBACK if previous in (FALLBACK, OUT_OF_SCOPE) else ASKED
