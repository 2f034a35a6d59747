"""How much a group of inbox messages needs a person (pure): the inbox is sorted by it.

Four signs that the model is unsure or wrong, each a share between 0 and 1:

* **uncertainty** — one minus the mean confidence of the predicted intent;
* **fallback** — the share of sightings the bot answered with its clarifying question or as out of scope;
* **boundary** — how close the two likeliest intents were (1 when tied, 0 at a margin of
  :data:`BOUNDARY_MARGIN` or more);
* **trouble** — the share of sightings after which the conversation went wrong: clarified, handed
  off to a person, or rated 1–2 (capped at 1).

``need = (uncertainty + fallback + boundary + trouble) / 4 × (1 + log2(seen))``: the four signs
averaged, weighted by how often the message (or one near-identical to it) was seen.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import List

BOUNDARY_MARGIN = 0.2
LOW_CONFIDENCE = 0.65  # the fallback threshold: below it the reason reads "低置信"
REASON_LABELS = {"low_confidence": "低置信", "fallback": "兜底", "boundary": "边界", "frequent": "高频",
                 "clarified": "已澄清", "handoff": "转人工", "low_rating": "低评分"}


@dataclass(frozen=True)
class Signs:
    """A group's sightings summed up."""

    seen: int
    confidence: float       # mean predicted-intent confidence
    margin: float           # smallest top-1 minus top-2 margin seen
    fallbacks: int
    clarified: int
    handoffs: int
    low_ratings: int


def need(s: Signs) -> float:
    if s.seen <= 0:
        return 0.0
    uncertainty = 1.0 - min(max(s.confidence, 0.0), 1.0)
    fallback = min(s.fallbacks / s.seen, 1.0)
    boundary = max(0.0, 1.0 - max(s.margin, 0.0) / BOUNDARY_MARGIN)
    trouble = min((s.clarified + s.handoffs + s.low_ratings) / s.seen, 1.0)
    return (uncertainty + fallback + boundary + trouble) / 4 * (1 + math.log2(s.seen))


def reasons(s: Signs) -> List[str]:
    """Why the group is where it is (keys of :data:`REASON_LABELS`)."""
    out = []
    if s.confidence < LOW_CONFIDENCE:
        out.append("low_confidence")
    if s.fallbacks:
        out.append("fallback")
    if s.margin < BOUNDARY_MARGIN / 2:
        out.append("boundary")
    if s.seen >= 3:
        out.append("frequent")
    if s.clarified:
        out.append("clarified")
    if s.handoffs:
        out.append("handoff")
    if s.low_ratings:
        out.append("low_rating")
    return out
