"""The analytics page's aggregates: indexed SQL over the rollup and the tickets (SQLite and
PostgreSQL), small results, turned into a :class:`~fenqi.analytics.metrics.Report`.

Every query filters ``day`` (business date) first: ``analytics_conversations_by_day`` and
``analytics_turns_by_day`` (day, channel) serve them, so the cost grows with the period's
conversations and messages, not with the whole history.
"""
from __future__ import annotations

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


def channel_counts(session: Session, period: Period) -> Dict[str, Counts]:
    """Conversation and message counts of each channel in the period."""
    conversations = {row.channel: row for row in session.execute(
        select(C.channel, func.count().label("n"), _flag(C.ticket_id.isnot(None)).label("handoffs"))
        .where(*_conversations(period, None)).group_by(C.channel))}
    turns = {row.channel: row for row in session.execute(
        select(T.channel, func.count().label("n"), _flag(T.fallback.is_(True)).label("fallbacks"),
               _flag(T.question.is_(True)).label("questions"),
               _flag(T.question.is_(True) & T.fallback.is_(False) & T.clarified.is_(False)).label("direct"))
        .where(*_turns(period, None)).group_by(T.channel))}
    out: Dict[str, Counts] = {}
    for channel in set(conversations) | set(turns):
        c, t = conversations.get(channel), turns.get(channel)
        out[channel] = Counts(conversations=c.n if c else 0, handoffs=int(c.handoffs or 0) if c else 0,
                              messages=t.n if t else 0, fallbacks=int(t.fallbacks or 0) if t else 0,
                              questions=int(t.questions or 0) if t else 0,
                              answered_directly=int(t.direct or 0) if t else 0)
    return out


def latency_histograms(session: Session, period: Period) -> Dict[str, Dict[int, int]]:
    """Response latencies of each channel as milliseconds -> messages (exact percentiles)."""
    out: Dict[str, Dict[int, int]] = {}
    for row in session.execute(select(T.channel, T.latency_ms, func.count().label("n"))
                               .where(*_turns(period, None), T.latency_ms.isnot(None))
                               .group_by(T.channel, T.latency_ms)):
        out.setdefault(row.channel, {})[int(row.latency_ms)] = row.n
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


def daily_points(session: Session, period: Period, channel: Optional[str],
                 tickets: Sequence[TicketFact]) -> List[DayPoint]:
    """One point per business day of the period (days without traffic included)."""
    conversations = {r.day: r for r in session.execute(
        select(C.day, func.count().label("n"), _flag(C.ticket_id.isnot(None)).label("handoffs"))
        .where(*_conversations(period, channel)).group_by(C.day))}
    turns = {r.day: r for r in session.execute(
        select(T.day, func.count().label("n"), _flag(T.fallback.is_(True)).label("fallbacks"))
        .where(*_turns(period, channel)).group_by(T.day))}
    points = []
    for day in period.days:
        c, t = conversations.get(day), turns.get(day)
        rated = [x.rating for x in tickets if x.day == day and x.rating is not None]
        points.append(DayPoint(day=day, conversations=c.n if c else 0, handoffs=int(c.handoffs or 0) if c else 0,
                               messages=t.n if t else 0, fallbacks=int(t.fallbacks or 0) if t else 0,
                               rating_sum=sum(rated), rated=len(rated)))
    return points


def daily_series(session: Session, period: Period, channel: Optional[str] = None) -> List[DayPoint]:
    """The daily points alone (the charts)."""
    return daily_points(session, period, channel, ticket_facts(session, period, channel))


def ranking(session: Session, period: Period, channel: Optional[str], column: Any, *where: Any,
            limit: int = RANKING) -> List[Tuple[str, int]]:
    """The most frequent values of a turn column (most first, then by name)."""
    count = func.count().label("n")
    rows = session.execute(select(column, count).where(*_turns(period, channel), *where)
                           .group_by(column).order_by(count.desc(), column).limit(limit))
    return [(value, n) for value, n in rows]


def build_report(session: Session, period: Period, channel: Optional[str] = None) -> Report:
    """Everything the analytics page shows for ``period`` and ``channel`` (None: all channels)."""
    counts = channel_counts(session, period)
    channels = list(CHANNELS) + ([OTHER] if OTHER in counts else [])
    selected = [channel] if channel else channels
    tickets = ticket_facts(session, period)
    chosen = [t for t in tickets if t.channel in selected]
    return report(counts, latency_histograms(session, period), tickets, channels, selected,
                  daily_points(session, period, channel, chosen),
                  intents=ranking(session, period, channel, T.intent),
                  questions=ranking(session, period, channel, T.question_id, T.question_id.isnot(None)),
                  fallback_intents=ranking(session, period, channel, T.guess, T.fallback.is_(True)))
