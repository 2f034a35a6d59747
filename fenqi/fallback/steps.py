"""Fallback as pure functions of the tracker's events: how many misses in a row, and what to do
about it (clarify, offer a human, hand off).

A miss is a message the bot cannot answer: not understood (``nlu_fallback``) or understood as
outside what it answers (``out_of_scope``). Both climb the same ladder, in any mix: three in a
row hand off to a human (``max_fallbacks`` in topics.yml)."""
from __future__ import annotations

from enum import Enum
from typing import Iterable, List, Mapping, Sequence

from fenqi.nlp import FALLBACK, OUT_OF_SCOPE

from .topics import Topics

MISSES = frozenset({FALLBACK, OUT_OF_SCOPE})
_RESETS = {"session_started", "restart"}


class FallbackStep(str, Enum):
    CLARIFY = "clarify"            # "您是想问……吗？" (out of scope: what the bot answers)
    OFFER_HUMAN = "offer_human"    # 转人工 button plus what the bot can do
    HANDOFF = "handoff"            # open a ticket without asking again


ANSWERED_SLOT = "last_question"  # the standard question answered last (domain.yml, actions/answering.py)


def user_intent(event: Mapping) -> str:
    return ((event.get("parse_data") or {}).get("intent") or {}).get("name") or ""


def consecutive_misses(events: Sequence[Mapping]) -> int:
    """User messages in a row, counted back from the latest, that were misses (not understood or
    out of scope, any mix). A message the bot still answered with a standard question (a follow-up
    read against the last answer: the ``last_question`` slot was set after it) is no miss."""
    count = 0
    answered = False  # a standard question was answered after the message being looked at
    for event in reversed(events):
        kind = event.get("event")
        if kind in _RESETS:
            break
        if kind == "slot" and event.get("name") == ANSWERED_SLOT and event.get("value"):
            answered = True
        if kind == "user":
            if user_intent(event) not in MISSES or answered:
                break
            count += 1
    return count


def fallback_step(count: int, cap: int) -> FallbackStep:
    """1st miss: clarify (or say what the bot answers); then offer a human; from the ``cap``-th
    miss on: hand off."""
    if count >= cap:
        return FallbackStep.HANDOFF
    return FallbackStep.CLARIFY if count <= 1 else FallbackStep.OFFER_HUMAN


def suggestions(ranking: Iterable[Mapping], topics: Topics, k: int = 2) -> List[str]:
    """The ``k`` likeliest core intents of an intent ranking (best first), topped up from the menu."""
    ranked = sorted(ranking or (), key=lambda r: -(r.get("confidence") or 0.0))
    picked: List[str] = []
    for name in [r.get("name") for r in ranked] + list(topics.menu):
        if isinstance(name, str) and topics.is_core(name) and name not in picked:
            picked.append(name)
        if len(picked) == k:
            break
    return picked
