"""The figures of the analytics page, from aggregates (pure; definitions: docs/analytics.md).

Conversation figures count the conversations that **started** in the period, with the tickets
opened in them (their reasons, waiting times and ratings); message figures count the shopper
messages **sent** in the period. A rate with nothing to divide by is ``None`` (shown as “-”).
"""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from datetime import date
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

RATINGS = (1, 2, 3, 4, 5)


@dataclass(frozen=True)
class Counts:
    """Aggregated counts of one channel (or all) over a period."""

    conversations: int = 0
    handoffs: int = 0            # conversations with a handoff ticket
    messages: int = 0            # shopper messages
    fallbacks: int = 0           # of which fallbacks (clarifying question or out_of_scope)
    questions: int = 0           # of which questions (typed, not small talk or a request for a human)
    answered_directly: int = 0   # questions answered without a fallback or a clarifying question

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(*(a + b for a, b in zip(self.astuple(), other.astuple())))

    def astuple(self) -> Tuple[int, ...]:
        return (self.conversations, self.handoffs, self.messages, self.fallbacks, self.questions,
                self.answered_directly)


@dataclass(frozen=True)
class TicketFact:
    """A handoff ticket opened in a conversation of the period."""

    channel: str
    day: date                     # the conversation's business date
    reason: Optional[str]
    wait_seconds: Optional[float]  # until an agent accepted it (None: never accepted)
    rating: Optional[int]


@dataclass(frozen=True)
class Figures:
    """Every figure of one channel (or all channels) over a period."""

    counts: Counts
    containment: Optional[float]
    handoff_rate: Optional[float]
    fallback_rate: Optional[float]
    answered_directly_rate: Optional[float]
    reasons: Dict[Optional[str], int]
    served: int
    wait_median_seconds: Optional[float]
    csat: Optional[float]
    ratings: Tuple[int, int, int, int, int]   # how many 1, 2, 3, 4, 5
    latency_p50_ms: Optional[int]
    latency_p95_ms: Optional[int]

    @property
    def rated(self) -> int:
        return sum(self.ratings)


@dataclass(frozen=True)
class DayPoint:
    """One business day of the daily series."""

    day: date
    conversations: int = 0
    handoffs: int = 0
    messages: int = 0
    fallbacks: int = 0
    rating_sum: int = 0
    rated: int = 0

    @property
    def containment(self) -> Optional[float]:
        return rate(self.conversations - self.handoffs, self.conversations)

    @property
    def handoff_rate(self) -> Optional[float]:
        return rate(self.handoffs, self.conversations)

    @property
    def fallback_rate(self) -> Optional[float]:
        return rate(self.fallbacks, self.messages)

    @property
    def csat(self) -> Optional[float]:
        return self.rating_sum / self.rated if self.rated else None


@dataclass(frozen=True)
class Report:
    """The analytics page: figures per channel and in total, the daily series and the rankings."""

    by_channel: Dict[str, Figures]
    total: Figures
    daily: List[DayPoint]
    intents: List[Tuple[str, int]] = field(default_factory=list)
    questions: List[Tuple[str, int]] = field(default_factory=list)
    fallback_intents: List[Tuple[str, int]] = field(default_factory=list)


def rate(part: int, whole: int) -> Optional[float]:
    return part / whole if whole else None


def percentile(histogram: Mapping[int, int], q: float) -> Optional[int]:
    """The nearest-rank ``q`` percentile (0 < q <= 1) of values given as value -> count."""
    n = sum(histogram.values())
    if n == 0:
        return None
    rank, seen = max(1, math.ceil(q * n)), 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    return None  # unreachable


def merge_histograms(histograms: Iterable[Mapping[int, int]]) -> Dict[int, int]:
    merged: Dict[int, int] = {}
    for histogram in histograms:
        for value, count in histogram.items():
            merged[value] = merged.get(value, 0) + count
    return merged


def figures(counts: Counts, latency: Mapping[int, int], tickets: Sequence[TicketFact]) -> Figures:
    """The figures of one channel (or all) from its counts, latency histogram (ms -> messages)
    and tickets."""
    reasons: Dict[Optional[str], int] = {}
    for ticket in tickets:
        reasons[ticket.reason] = reasons.get(ticket.reason, 0) + 1
    waits = [t.wait_seconds for t in tickets if t.wait_seconds is not None]
    ratings = tuple(sum(1 for t in tickets if t.rating == r) for r in RATINGS)
    rated = sum(ratings)
    return Figures(
        counts=counts,
        containment=rate(counts.conversations - counts.handoffs, counts.conversations),
        handoff_rate=rate(counts.handoffs, counts.conversations),
        fallback_rate=rate(counts.fallbacks, counts.messages),
        answered_directly_rate=rate(counts.answered_directly, counts.questions),
        reasons=reasons, served=len(waits),
        wait_median_seconds=statistics.median(waits) if waits else None,
        csat=sum(r * n for r, n in zip(RATINGS, ratings)) / rated if rated else None,
        ratings=(ratings[0], ratings[1], ratings[2], ratings[3], ratings[4]),
        latency_p50_ms=percentile(latency, 0.50), latency_p95_ms=percentile(latency, 0.95))


def report(counts: Mapping[str, Counts], latency: Mapping[str, Mapping[int, int]], tickets: Sequence[TicketFact],
           channels: Sequence[str], selected: Sequence[str], daily: Sequence[DayPoint],
           intents: Sequence[Tuple[str, int]] = (), questions: Sequence[Tuple[str, int]] = (),
           fallback_intents: Sequence[Tuple[str, int]] = ()) -> Report:
    """The :class:`Report`: figures for each of ``channels`` and a total over ``selected`` (the sum
    of its channels' counts, histograms and tickets)."""
    by_channel = {c: figures(counts.get(c, Counts()), latency.get(c, {}), [t for t in tickets if t.channel == c])
                  for c in channels}
    total_counts = sum((counts.get(c, Counts()) for c in selected), Counts())
    total = figures(total_counts, merge_histograms(latency.get(c, {}) for c in selected),
                    [t for t in tickets if t.channel in selected])
    return Report(by_channel=by_channel, total=total, daily=list(daily), intents=list(intents),
                  questions=list(questions), fallback_intents=list(fallback_intents))
