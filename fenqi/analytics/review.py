"""Conversation review (pure rules + indexed queries): the filtered list, one conversation's
masked transcript with each shopper message's intent and confidence, its ticket and rating, and
the leads' tags and "reviewed" mark (``conversation_reviews``).

Text is shown only through :func:`fenqi.privacy.mask_for_people` (personal numbers, tokens,
sender ids, OpenIDs); sender ids themselves are never returned.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from sqlalchemy import exists, func, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from fenqi.clock import local
from fenqi.db.models import (
    REVIEW_TAGS,
    Agent,
    AnalyticsConversation,
    AnalyticsTurn,
    ConversationReview,
    HandoffTicket,
    TicketMessage,
    TicketTakeover,
)
from fenqi.handoff.reasons import label as reason_label
from fenqi.privacy import mask_for_people

from .events import BOT, USER, Event, as_dict, as_list, conversation_events, events_by_id
from .labels import intent_label
from .periods import Period, PeriodError, period_from

C, T = AnalyticsConversation, AnalyticsTurn
PAGE_SIZE = 50
MAX_PAGE = 1000
PREVIEW_CHARS = 60
TAG_CHARS, MAX_TAGS, FREE_TAGS_CHARS = 20, 10, 200
INTENT = re.compile(r"^[a-z_]{1,64}$")
TAG_SPLIT = re.compile(r"[,，、;；\s]+")
STATE_LABELS = {"queued": "排队中", "accepted": "人工服务中", "returned": "已交还机器人", "closed": "已结束"}
AUTHOR_LABELS = {"shopper": "用户", "agent": "客服", "system": "系统"}


class ReviewError(ValueError):
    """Tags that cannot be stored (too many, too long)."""


@dataclass(frozen=True)
class Filters:
    """What the conversation list shows (query string: period, channel, intent, fallback=1,
    handoff=1, low_rating=1, unreviewed=1, page)."""

    period: Period
    channel: Optional[str] = None
    intent: Optional[str] = None
    fallback: bool = False
    handoff: bool = False
    low_rating: bool = False
    unreviewed: bool = False
    page: int = 1

    def query(self, page: Optional[int] = None) -> str:
        parts = [self.period.query()]
        if self.channel:
            parts.append(f"channel={self.channel}")
        if self.intent:
            parts.append(f"intent={self.intent}")
        parts += [f"{name}=1" for name in ("fallback", "handoff", "low_rating", "unreviewed") if getattr(self, name)]
        if (page or self.page) > 1:
            parts.append(f"page={page or self.page}")
        return "&".join(parts)


def filters_from(query: Mapping[str, str], today: date, channel: Optional[str]) -> Filters:
    """Filters from a query string (``channel`` already validated); raises PeriodError."""
    intent = query.get("intent") or None
    if intent is not None and not INTENT.match(intent):
        intent = None
    try:
        page = min(max(int(query.get("page") or 1), 1), MAX_PAGE)
    except ValueError:
        page = 1
    return Filters(period=period_from(query, today), channel=channel, intent=intent,
                   fallback=query.get("fallback") == "1", handoff=query.get("handoff") == "1",
                   low_rating=query.get("low_rating") == "1", unreviewed=query.get("unreviewed") == "1", page=page)


@dataclass(frozen=True)
class ConversationRow:
    id: int
    started_at: datetime          # business time
    channel: str
    messages: int
    fallbacks: int
    intents: Tuple[str, ...]
    ticket_id: Optional[int]
    reason: Optional[str]
    rating: Optional[int]
    tags: Tuple[str, ...]
    reviewed: bool
    preview: str                  # the first shopper message, masked and cut


def _where(filters: Filters) -> List[Any]:
    where: List[Any] = [C.day >= filters.period.first, C.day <= filters.period.last]
    if filters.channel:
        where.append(C.channel == filters.channel)
    if filters.intent:
        where.append(exists().where(T.conversation_id == C.id, T.intent == filters.intent))
    if filters.fallback:
        where.append(C.fallbacks > 0)
    if filters.handoff:
        where.append(C.ticket_id.isnot(None))
    if filters.low_rating:
        where.append(TicketTakeover.rating <= 2)
    if filters.unreviewed:
        where.append(or_(ConversationReview.reviewed.is_(None), ConversationReview.reviewed.is_(False)))
    return where


def _joined(statement: Any) -> Any:
    return (statement.outerjoin(HandoffTicket, HandoffTicket.id == C.ticket_id)
            .outerjoin(TicketTakeover, TicketTakeover.ticket_id == C.ticket_id)
            .outerjoin(ConversationReview, ConversationReview.conversation_id == C.id))


def shown(text: str) -> str:
    """Message text as people may read it."""
    return mask_for_people(text or "")


def message_text(event: Event) -> str:
    """A shopper message as shown: button payloads (``/how_to_repay``) as the topic clicked."""
    text = event.text
    if text.startswith("/"):
        intent = as_dict(event.parse_data.get("intent")).get("name")
        return f"[点选] {intent_label(intent if isinstance(intent, str) else text[1:].split('{')[0])}"
    return shown(text)


def tags_of(value: Any) -> Tuple[str, ...]:
    return tuple(t for t in value if isinstance(t, str)) if isinstance(value, list) else ()


def list_conversations(session: Session, tracker: Optional[Connection], filters: Filters,
                       page_size: int = PAGE_SIZE) -> Tuple[List[ConversationRow], int]:
    """One page of conversations (newest first) and how many match."""
    where = _where(filters)
    total = session.scalar(_joined(select(func.count()).select_from(C)).where(*where)) or 0
    rows = session.execute(_joined(
        select(C.id, C.started_at, C.channel, C.messages, C.fallbacks, C.ticket_id, HandoffTicket.reason,
               TicketTakeover.rating, ConversationReview.tags, ConversationReview.reviewed).select_from(C))
        .where(*where).order_by(C.id.desc()).limit(page_size).offset((filters.page - 1) * page_size)).all()
    ids = [r.id for r in rows]
    intents: Dict[int, List[str]] = {i: [] for i in ids}
    first: Dict[int, int] = {}
    if ids:
        for conversation_id, intent, turn_id in session.execute(
                select(T.conversation_id, T.intent, T.id).where(T.conversation_id.in_(ids)).order_by(T.id)):
            first.setdefault(conversation_id, turn_id)
            if intent and intent not in intents[conversation_id]:
                intents[conversation_id].append(intent)
    previews = events_by_id(tracker, first.values()) if tracker is not None else {}
    out = []
    for r in rows:
        event = previews.get(first.get(r.id, -1))
        preview = message_text(event) if event is not None else ""
        out.append(ConversationRow(
            id=r.id, started_at=local(r.started_at), channel=r.channel, messages=r.messages,
            fallbacks=r.fallbacks, intents=tuple(intents[r.id]), ticket_id=r.ticket_id, reason=r.reason,
            rating=r.rating, tags=tags_of(r.tags), reviewed=bool(r.reviewed),
            preview=preview[:PREVIEW_CHARS] + ("…" if len(preview) > PREVIEW_CHARS else "")))
    return out, int(total)


@dataclass(frozen=True)
class Line:
    """One message of the transcript."""

    speaker: str                     # "user" | "bot"
    at: datetime                     # business time
    text: str                        # masked
    intent: Optional[str] = None     # shopper messages
    confidence: Optional[float] = None
    question_id: Optional[str] = None
    fallback: bool = False
    buttons: Tuple[str, ...] = ()    # bot replies


@dataclass(frozen=True)
class TicketView:
    id: int
    reason: str
    state: str
    created_at: datetime
    wait_seconds: Optional[float]
    rating: Optional[int]
    summary: str
    messages: Tuple[Tuple[str, datetime, str], ...]   # (author label, business time, masked text)


@dataclass(frozen=True)
class ConversationView:
    id: int
    channel: str
    started_at: datetime
    last_at: datetime
    messages: int
    fallbacks: int
    lines: Tuple[Line, ...]
    ticket: Optional[TicketView]
    tags: Tuple[str, ...]
    reviewed: bool
    reviewer: Optional[str]


def transcript(events: Sequence[Event], turns: Mapping[int, Any]) -> List[Line]:
    """The shopper's messages (with intent, confidence, standard question) and the bot's replies."""
    lines = []
    for event in events:
        if event.type == USER:
            turn = turns.get(event.id)
            lines.append(Line("user", local(event.at), message_text(event),
                              intent=turn.intent if turn else event.intent,
                              confidence=turn.confidence if turn else None,
                              question_id=turn.question_id if turn else None,
                              fallback=bool(turn.fallback) if turn else False))
        elif event.type == BOT:
            buttons = as_list(as_dict(event.data.get("data")).get("buttons"))
            titles = tuple(shown(str(as_dict(b).get("title", ""))) for b in buttons if as_dict(b))
            if event.text or titles:
                lines.append(Line("bot", local(event.at), shown(event.text), buttons=titles))
    return lines


def _ticket_view(session: Session, ticket_id: int) -> Optional[TicketView]:
    ticket = session.get(HandoffTicket, ticket_id)
    if ticket is None:
        return None
    takeover = session.get(TicketTakeover, ticket_id)
    state = takeover.state if takeover else ("queued" if ticket.status == "open" else "closed")
    wait = None
    if takeover is not None and takeover.served and takeover.accepted_at is not None:
        wait = max(0.0, (takeover.accepted_at - ticket.created_at).total_seconds())
    messages = session.scalars(select(TicketMessage).where(TicketMessage.ticket_id == ticket_id)
                               .order_by(TicketMessage.id).limit(500))
    return TicketView(id=ticket.id, reason=reason_label(ticket.reason), state=STATE_LABELS.get(state, state),
                      created_at=local(ticket.created_at), wait_seconds=wait,
                      rating=takeover.rating if takeover else None, summary=shown(ticket.summary or ""),
                      messages=tuple((AUTHOR_LABELS.get(m.author, m.author), local(m.created_at),
                                      shown(m.text)) for m in messages))


def conversation_view(session: Session, tracker: Optional[Connection], conversation_id: int) -> Optional[ConversationView]:
    """One conversation as a lead reviews it, or None."""
    c = session.get(AnalyticsConversation, conversation_id)
    if c is None:
        return None
    turns = {t.id: t for t in session.scalars(select(AnalyticsTurn).where(AnalyticsTurn.conversation_id == c.id))}
    events = conversation_events(tracker, c.sender_id, c.id, c.last_event_id) if tracker is not None else []
    review = session.get(ConversationReview, c.id)
    reviewer = session.get(Agent, review.agent_id).name if review is not None and review.agent_id else None
    return ConversationView(
        id=c.id, channel=c.channel, started_at=local(c.started_at), last_at=local(c.last_at),
        messages=c.messages, fallbacks=c.fallbacks, lines=tuple(transcript(events, turns)),
        ticket=_ticket_view(session, c.ticket_id) if c.ticket_id else None,
        tags=tags_of(review.tags) if review else (), reviewed=bool(review and review.reviewed), reviewer=reviewer)


def parse_tags(fixed: Sequence[str], free: str) -> List[str]:
    """The tags to store: the chosen fixed ones, then the free-text ones (split on commas,
    、 or spaces), each at most 20 characters, at most 10, no duplicates."""
    if len(free or "") > FREE_TAGS_CHARS:
        raise ReviewError(f"自定义标签最多 {FREE_TAGS_CHARS} 字")
    tags = [t for t in REVIEW_TAGS if t in fixed]
    for tag in TAG_SPLIT.split((free or "").strip()):
        if not tag:
            continue
        if len(tag) > TAG_CHARS:
            raise ReviewError(f"每个标签最多 {TAG_CHARS} 字")
        if tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise ReviewError(f"最多 {MAX_TAGS} 个标签")
    return tags


def save_review(session: Session, conversation_id: int, tags: Sequence[str], reviewed: bool, agent_id: int,
                now: datetime) -> bool:
    """Store the tags and mark of a conversation; False when there is no such conversation."""
    if session.get(AnalyticsConversation, conversation_id) is None:
        return False
    review = session.get(ConversationReview, conversation_id)
    if review is None:
        review = ConversationReview(conversation_id=conversation_id)
        session.add(review)
    review.tags, review.reviewed, review.agent_id, review.updated_at = list(tags), reviewed, agent_id, now
    session.flush()
    return True


__all__ = ["Filters", "filters_from", "list_conversations", "conversation_view", "parse_tags", "save_review",
           "ReviewError", "PeriodError", "ConversationRow", "ConversationView", "Line", "TicketView"]
