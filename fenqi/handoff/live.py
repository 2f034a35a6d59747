"""Live takeover in the account store: the state machine applied to tickets, the message log,
the outbox the channels deliver from and the hook they call before the bot.

Every state change is a conditional UPDATE on the state read before (optimistic locking), so two
agents (or console processes) accepting one ticket at once cannot both win. Shopper text is
masked (:func:`fenqi.privacy.mask_pii`) before it is stored.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Collection, Dict, List, Optional, Sequence, Tuple

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fenqi.db.models import Agent, HandoffTicket, TicketMessage, TicketTakeover
from fenqi.privacy import mask_pii

from . import takeover as tk
from .tickets import TicketNotFound, get_ticket, open_ticket_for

MAX_TEXT = 1000
ONLINE_WINDOW = timedelta(seconds=120)     # an agent seen this recently is online
RECIPIENT_BATCH = 500                      # shoppers per outbox query (bounded IN list)
EXPIRED = "expired"                        # delivery_error of a message that waited too long
RATING = re.compile(r"^\s*(?:评分\s*[:：]?\s*)?([1-5])\s*(?:分|星)?\s*$")

GREETING = "人工客服 {name} 为您服务。"
RELEASED = "人工客服暂时离开，您的问题已重新排队，其他客服会尽快接待您。在此期间智能助手继续为您解答。"
RESUMED = "人工服务已结束，智能助手继续为您服务。"
RATING_REQUEST = "请为本次人工服务评分（1–5 分，5 分最满意）。"
RATING_THANKS = "感谢您的评价（{score} 分）！还有其他问题可以继续问我。"


class Conflict(tk.InvalidTransition):
    """The ticket changed meanwhile (another agent or process got there first)."""


@dataclass(frozen=True)
class Intercept:
    """What a channel does instead of (or before) the bot for one shopper message.

    ``handled``: the bot must not see the message; ``reply``: text to send the shopper (or None).
    """

    handled: bool
    reply: Optional[str] = None
    ticket_id: Optional[int] = None


PASS = Intercept(handled=False)


@dataclass(frozen=True)
class Delivery:
    """An agent or system message waiting to reach the shopper."""

    message_id: int
    ticket_id: int
    sender_id: str
    channel: Optional[str]
    kind: str
    text: str
    last_inbound_at: Optional[datetime]
    agent: Optional[str] = None       # the writing agent's name (agent messages)
    created_at: Optional[datetime] = None


def bounded(text: str, limit: int = MAX_TEXT) -> str:
    """Stripped text, refused when empty, cut at ``limit`` characters."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("empty message")
    return text.strip()[:limit]


def _row(session: Session, ticket: HandoffTicket) -> TicketTakeover:
    """The ticket's takeover row, created as 'queued' (or 'closed' for a closed ticket) on first use."""
    row = session.get(TicketTakeover, ticket.id)
    if row is not None:
        return row
    state = tk.QUEUED if ticket.status == "open" else tk.CLOSED
    # the ticket was opened in answer to the shopper's message: their last message is that old
    row = TicketTakeover(ticket_id=ticket.id, state=state, served=False, rating_offered=False,
                         last_inbound_at=ticket.created_at)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # created by someone else meanwhile
        row = session.get(TicketTakeover, ticket.id)
        if row is None:
            raise
    return row


def state_of(row: TicketTakeover) -> tk.TakeoverState:
    return tk.TakeoverState(state=row.state, agent_id=row.agent_id, served=bool(row.served), rating=row.rating)


def takeover_state(session: Session, ticket: HandoffTicket) -> tk.TakeoverState:
    row = session.get(TicketTakeover, ticket.id)
    if row is None:
        return tk.TakeoverState(state=tk.QUEUED if ticket.status == "open" else tk.CLOSED)
    return state_of(row)


def _system(session: Session, ticket_id: int, text: str, now: datetime, kind: str = "text") -> None:
    session.add(TicketMessage(ticket_id=ticket_id, author="system", kind=kind, text=text,
                              created_at=now, delivery="pending"))


def transition(session: Session, ticket_id: int, event: tk.Event, now: datetime) -> tk.TakeoverState:
    """Apply ``event`` to the ticket, store it, and queue what the shopper is told."""
    ticket = get_ticket(session, ticket_id)
    row = _row(session, ticket)
    old = state_of(row)
    new = tk.apply(old, event)
    values: Dict[str, Any] = {"state": new.state, "agent_id": new.agent_id, "served": new.served, "rating": new.rating}
    if isinstance(event, tk.Accept):
        values["accepted_at"] = now
    if new.state in tk.ENDED_STATES and old.state not in tk.ENDED_STATES:
        values["ended_at"] = now
        values["rating_offered"] = new.awaiting_rating
    if isinstance(event, tk.Rate):
        values["rating_offered"] = False
    agent_match = (TicketTakeover.agent_id.is_(None) if old.agent_id is None
                   else TicketTakeover.agent_id == old.agent_id)
    rating_match = (TicketTakeover.rating.is_(None) if old.rating is None
                    else TicketTakeover.rating == old.rating)
    result = session.execute(update(TicketTakeover).where(
        TicketTakeover.ticket_id == ticket_id, TicketTakeover.state == old.state, agent_match,
        rating_match).values(**values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise Conflict("the ticket changed meanwhile; reload it")
    session.expire(row)
    if new.state in tk.ENDED_STATES and ticket.status == "open":
        ticket.status, ticket.closed_at = "closed", now
    if isinstance(event, tk.Accept):
        agent = session.get(Agent, event.agent_id)
        _system(session, ticket_id, GREETING.format(name=agent.name if agent else ""), now)
    elif isinstance(event, tk.Release):
        _system(session, ticket_id, RELEASED, now)
    elif isinstance(event, (tk.HandBack, tk.Close)) and old.state == tk.ACCEPTED:
        _system(session, ticket_id, RESUMED, now)
        _system(session, ticket_id, RATING_REQUEST, now, kind="rating_request")
    session.flush()
    return new


def post_agent_message(session: Session, ticket_id: int, agent_id: int, text: str,
                       now: datetime) -> TicketMessage:
    """An agent's message to the shopper (only the agent who accepted the ticket may write)."""
    ticket = get_ticket(session, ticket_id)
    current = takeover_state(session, ticket)
    if current.state != tk.ACCEPTED or current.agent_id != agent_id:
        raise tk.InvalidTransition("only the agent who accepted the ticket may write to the shopper")
    message = TicketMessage(ticket_id=ticket_id, author="agent", agent_id=agent_id, kind="text",
                            text=bounded(text), created_at=now, delivery="pending")
    session.add(message)
    session.flush()
    return message


def messages(session: Session, ticket_id: int, after_id: int = 0, limit: int = 200) -> List[TicketMessage]:
    """The ticket's live messages after ``after_id``, oldest first."""
    return list(session.scalars(select(TicketMessage).where(
        TicketMessage.ticket_id == ticket_id, TicketMessage.id > after_id)
        .order_by(TicketMessage.id).limit(limit)))


def conversation_log(session: Session, sender_id: str,
                     limit: int = 200) -> List[Tuple[TicketMessage, Optional[str]]]:
    """What the shopper saw of their live conversations (their own messages and the agent/system
    messages delivered to them; not the ones still pending or undeliverable) with the agent's
    name, oldest first, at most the last ``limit``."""
    rows = session.execute(
        select(TicketMessage, Agent.name)
        .join(HandoffTicket, HandoffTicket.id == TicketMessage.ticket_id)
        .outerjoin(Agent, Agent.id == TicketMessage.agent_id)
        .where(HandoffTicket.sender_id == sender_id,
               TicketMessage.delivery.in_(("received", "delivered")))
        .order_by(TicketMessage.id.desc()).limit(max(0, limit))).all()
    return [(message, name) for message, name in reversed(rows)]


def parse_rating(text: str) -> Optional[int]:
    """``5``, ``评分 5``, ``4分`` -> the score; anything else None."""
    match = RATING.match(text or "")
    return int(match.group(1)) if match else None


def _last_ticket(session: Session, sender_id: str) -> Optional[HandoffTicket]:
    return session.scalars(select(HandoffTicket).where(HandoffTicket.sender_id == sender_id)
                           .order_by(HandoffTicket.id.desc()).limit(1)).first()


def intercept(session: Session, sender_id: str, text: str, now: datetime) -> Intercept:
    """Called by a channel before the bot sees a shopper's message.

    * the sender's ticket is accepted: the message goes to the ticket's log, the bot sees nothing;
    * a served ticket just ended and the message is a rating 1–5: stored, thanked;
    * otherwise the bot answers (an open ticket notes when the shopper last wrote).
    """
    ticket = open_ticket_for(session, sender_id)
    if ticket is not None:
        row = _row(session, ticket)
        row.last_inbound_at = now
        if row.state == tk.ACCEPTED:
            session.add(TicketMessage(ticket_id=ticket.id, author="shopper", kind="text",
                                      text=mask_pii(bounded(text)), created_at=now, delivery="received"))
            session.flush()
            return Intercept(handled=True, ticket_id=ticket.id)
        return PASS
    last = _last_ticket(session, sender_id)
    offered = session.get(TicketTakeover, last.id) if last is not None else None
    if last is None or offered is None or not offered.rating_offered:
        return PASS
    row = offered
    score = parse_rating(text)
    if score is None:
        row.rating_offered = False  # the shopper moved on: digits mean options again
        return PASS
    try:
        transition(session, last.id, tk.Rate(score), now)
    except tk.InvalidTransition:
        return PASS
    session.add(TicketMessage(ticket_id=last.id, author="shopper", kind="text", text=f"评分 {score}",
                              created_at=now, delivery="received"))
    return Intercept(handled=True, reply=RATING_THANKS.format(score=score), ticket_id=last.id)


def pending_deliveries(session: Session, sender_prefixes: Sequence[str],
                       recipients: Optional[Collection[str]] = None, after_id: int = 0,
                       limit: int = 50) -> List[Delivery]:
    """Agent/system messages not yet delivered to shoppers whose sender id has one of the prefixes,
    at most ``limit``, each ticket's in order.

    Without ``recipients``: the oldest first with an id above ``after_id`` (a page of the outbox,
    read through ``ticket_messages_pending``). With ``recipients`` (sender ids, at most
    :data:`RECIPIENT_BATCH`): only those shoppers' messages — the ones a process can reach now — so
    messages waiting for shoppers who left never fill the page; read through
    ``handoff_tickets_by_sender`` and ``ticket_messages_pending_by_ticket`` (ticket by ticket).
    """
    prefixes = tuple(sender_prefixes)
    if not prefixes or (recipients is not None and not recipients):
        return []
    query = (select(TicketMessage, HandoffTicket.sender_id, HandoffTicket.channel,
                    func.coalesce(TicketTakeover.last_inbound_at, HandoffTicket.created_at), Agent.name)
             .join(HandoffTicket, HandoffTicket.id == TicketMessage.ticket_id)
             .outerjoin(TicketTakeover, TicketTakeover.ticket_id == TicketMessage.ticket_id)
             .outerjoin(Agent, Agent.id == TicketMessage.agent_id)
             .where(TicketMessage.delivery == "pending",
                    or_(*[HandoffTicket.sender_id.startswith(p, autoescape=True) for p in prefixes])))
    if recipients is None:
        query = query.where(TicketMessage.id > after_id).order_by(TicketMessage.id)
    else:
        if len(recipients) > RECIPIENT_BATCH:
            raise ValueError(f"at most {RECIPIENT_BATCH} recipients per query")
        tickets = select(HandoffTicket.id).where(HandoffTicket.sender_id.in_(sorted(recipients)))
        query = (query.where(TicketMessage.ticket_id.in_(tickets.scalar_subquery()))
                 .order_by(TicketMessage.ticket_id, TicketMessage.id))
    rows = session.execute(query.limit(limit)).all()
    return [Delivery(message_id=m.id, ticket_id=m.ticket_id, sender_id=sender, channel=channel, kind=m.kind,
                     text=m.text, last_inbound_at=inbound, agent=name, created_at=m.created_at)
            for m, sender, channel, inbound, name in rows]


def any_pending(session: Session) -> bool:
    """Whether any message waits for delivery (one index probe; the outbox's idle check)."""
    return session.scalar(select(TicketMessage.id).where(TicketMessage.delivery == "pending").limit(1)) is not None


def expire_pending(session: Session, before: datetime, limit: int = 500) -> int:
    """Mark at most ``limit`` messages still pending since before ``before`` as undeliverable
    (``failed``, reason ``expired``: the console shows it); the number marked."""
    stale = list(session.scalars(select(TicketMessage.id).where(
        TicketMessage.delivery == "pending", TicketMessage.created_at < before)
        .order_by(TicketMessage.id).limit(limit)))
    if not stale:
        return 0
    result = session.execute(update(TicketMessage).where(
        TicketMessage.id.in_(stale), TicketMessage.delivery == "pending")
        .values(delivery="failed", delivered_at=None, delivery_error=EXPIRED)
        .execution_options(synchronize_session=False))
    return int(result.rowcount or 0)


def claim(session: Session, message_id: int, now: datetime) -> bool:
    """Mark a pending message delivered before sending it; False if another process claimed it."""
    result = session.execute(update(TicketMessage).where(
        TicketMessage.id == message_id, TicketMessage.delivery == "pending")
        .values(delivery="delivered", delivered_at=now).execution_options(synchronize_session=False))
    return result.rowcount == 1


def mark_failed(session: Session, message_id: int, reason: str) -> None:
    session.execute(update(TicketMessage).where(TicketMessage.id == message_id)
                    .values(delivery="failed", delivered_at=None, delivery_error=reason[:64])
                    .execution_options(synchronize_session=False))


def agents_online(session: Session, now: datetime, window: timedelta = ONLINE_WINDOW) -> int:
    """Active agents seen in the console within ``window``."""
    return int(session.scalar(select(func.count()).select_from(Agent).where(
        Agent.active.is_(True), Agent.last_seen_at >= now - window)) or 0)


def ticket_or_none(session: Session, ticket_id: int) -> Optional[HandoffTicket]:
    try:
        return get_ticket(session, ticket_id)
    except TicketNotFound:
        return None
