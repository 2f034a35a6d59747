"""The analytics page's aggregates: indexed SQL over the rollup and the tickets (SQLite and
PostgreSQL), small results, turned into a :class:`~fenqi.analytics.metrics.Report`.

Every query filters ``day`` (business date) first: ``analytics_conversations_by_day`` and
``analytics_turns_by_day`` (day, channel) serve them, so the cost grows with the period's
conversations and messages, not with the whole history.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Dict, List, Optional, Sequence, Tuple

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from fenqi.db.models import AnalyticsConversation, AnalyticsTurn, HandoffTicket, TicketTakeover

from .channels import CHANNELS, OTHER
from .metrics import Counts, DayPoint, Report, TicketFact, report
from .periods import Period

C, T = AnalyticsConversation, AnalyticsTurn
RANKING = 10


def _flag(condition: Any) -> Any:
    return func.sum(case((condition, 1), else_=0))


def _conversations(period: Period, channel: Optional[str]) -> List[Any]:
    where = [C.day >= period.first, C.day <= period.last]
    return where + ([C.channel == channel] if channel else [])


def _turns(period: Period, channel: Optional[str]) -> List[Any]:
    where = [T.day >= period.first, T.day <= period.last]
    return where + ([T.channel == channel] if channel else [])


Cell = Tuple[date, str]  # (business date, channel)


def grid(session: Session, period: Period) -> Dict[Cell, Counts]:
    """Conversation and message counts per business date and channel: one scan of each table
    serves the per-channel figures and the daily series."""
    cells: Dict[Cell, Dict[str, int]] = {}
    for row in session.execute(
            select(C.day, C.channel, func.count().label("n"), _flag(C.ticket_id.isnot(None)).label("handoffs"))
            .where(*_conversations(period, None)).group_by(C.day, C.channel)):
        cells.setdefault((row.day, row.channel), {}).update(conversations=row.n, handoffs=int(row.handoffs or 0))
    for row in session.execute(
            select(T.day, T.channel, func.count().label("n"), _flag(T.fallback.is_(True)).label("fallbacks"),
                   _flag(T.question.is_(True)).label("questions"),
                   _flag(T.question.is_(True) & T.fallback.is_(False) & T.clarified.is_(False)).label("direct"))
            .where(*_turns(period, None)).group_by(T.day, T.channel)):
        cells.setdefault((row.day, row.channel), {}).update(
            messages=row.n, fallbacks=int(row.fallbacks or 0), questions=int(row.questions or 0),
            answered_directly=int(row.direct or 0))
    return {cell: Counts(**values) for cell, values in cells.items()}


def channel_counts(cells: Dict[Cell, Counts]) -> Dict[str, Counts]:
    out: Dict[str, Counts] = {}
    for (_, channel), counts in cells.items():
        out[channel] = out.get(channel, Counts()) + counts
    return out


LATENCY_BUCKET_MS = 10  # latencies are counted in 10 ms steps: a few hundred groups, not thousands


def latency_histograms(session: Session, period: Period) -> Dict[str, Dict[int, int]]:
    """Response latencies of each channel as milliseconds (the 10 ms step they fall in, its lower
    edge) -> messages: percentiles exact to 10 ms from one small grouped result."""
    bucket = (T.latency_ms / LATENCY_BUCKET_MS).label("bucket")  # integer division on both databases
    out: Dict[str, Dict[int, int]] = {}
    for row in session.execute(select(T.channel, bucket, func.count().label("n"))
                               .where(*_turns(period, None), T.latency_ms.isnot(None))
                               .group_by(T.channel, bucket)):
        out.setdefault(row.channel, {})[int(row.bucket) * LATENCY_BUCKET_MS] = row.n
    return out


def ticket_facts(session: Session, period: Period, channel: Optional[str] = None) -> List[TicketFact]:
    """The tickets opened in the period's conversations, with reason, wait and rating."""
    rows = session.execute(
        select(C.channel, C.day, HandoffTicket.reason, HandoffTicket.created_at, TicketTakeover.accepted_at,
               TicketTakeover.served, TicketTakeover.rating)
        .join(HandoffTicket, HandoffTicket.id == C.ticket_id)
        .outerjoin(TicketTakeover, TicketTakeover.ticket_id == HandoffTicket.id)
        .where(*_conversations(period, channel)))
    return [TicketFact(channel=r.channel, day=r.day, reason=r.reason, rating=r.rating,
                       wait_seconds=max(0.0, (r.accepted_at - r.created_at).total_seconds())
                       if r.served and r.accepted_at is not None else None) for r in rows]


def daily_points(cells: Dict[Cell, Counts], period: Period, channel: Optional[str],
                 tickets: Sequence[TicketFact]) -> List[DayPoint]:
    """One point per business day of the period (days without traffic included)."""
    points = []
    for day in period.days:
        counts = sum((c for (d, ch), c in cells.items() if d == day and (channel is None or ch == channel)), Counts())
        rated = [x.rating for x in tickets if x.day == day and x.rating is not None
                 and (channel is None or x.channel == channel)]
        points.append(DayPoint(day=day, conversations=counts.conversations, handoffs=counts.handoffs,
                               messages=counts.messages, fallbacks=counts.fallbacks,
                               rating_sum=sum(rated), rated=len(rated)))
    return points


def daily_series(session: Session, period: Period, channel: Optional[str] = None) -> List[DayPoint]:
    """The daily points alone (the charts)."""
    return daily_points(grid(session, period), period, channel, ticket_facts(session, period, channel))


def _top(counter: Dict[str, int], limit: int = RANKING) -> List[Tuple[str, int]]:
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))[:limit]


def rankings(session: Session, period: Period, channel: Optional[str]) -> Tuple[List[Tuple[str, int]], ...]:
    """(top intents, top standard questions, intents with the most fallbacks) — most first, then
    by name — from one grouped scan of the period's messages."""
    intents: Dict[str, int] = {}
    questions: Dict[str, int] = {}
    misses: Dict[str, int] = {}
    for row in session.execute(select(T.intent, T.question_id, T.guess, T.fallback, func.count().label("n"))
                               .where(*_turns(period, channel)).group_by(T.intent, T.question_id, T.guess, T.fallback)):
        intents[row.intent] = intents.get(row.intent, 0) + row.n
        if row.question_id is not None:
            questions[row.question_id] = questions.get(row.question_id, 0) + row.n
        if row.fallback:
            misses[row.guess] = misses.get(row.guess, 0) + row.n
    return _top(intents), _top(questions), _top(misses)


def build_report(session: Session, period: Period, channel: Optional[str] = None) -> Report:
    """Everything the analytics page shows for ``period`` and ``channel`` (None: all channels)."""
    cells = grid(session, period)
    counts = channel_counts(cells)
    channels = list(CHANNELS) + ([OTHER] if OTHER in counts else [])
    selected = [channel] if channel else channels
    tickets = ticket_facts(session, period)
    intents, questions, misses = rankings(session, period, channel)
    return report(counts, latency_histograms(session, period), tickets, channels, selected,
                  daily_points(cells, period, channel, tickets),
                  intents=intents, questions=questions, fallback_intents=misses)
