"""Handoff tickets in the account store (session per call, SQLAlchemy 2.0 style).

At most one open ticket per sender: :func:`open_ticket` returns the open one if there is one
(also under a race, thanks to the partial unique index ``one_open_ticket_per_sender``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import List, Optional, Sequence, Tuple

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fenqi.db.models import HandoffTicket, User

from .reasons import REASONS

SUMMARY_MAX = 255


class TicketNotFound(LookupError):
    """No ticket with that id."""


@dataclass(frozen=True)
class TicketRequest:
    sender_id: str
    channel: Optional[str]
    user_id: Optional[str]           # only a verified user's id
    summary: str
    transcript: Sequence[dict]       # [{"speaker": ..., "text": masked}]
    reason: Optional[str] = None     # fenqi.handoff.reasons.REASONS


def open_ticket_for(session: Session, sender_id: str) -> Optional[HandoffTicket]:
    return session.scalars(select(HandoffTicket).where(
        HandoffTicket.sender_id == sender_id, HandoffTicket.status == "open")).first()


def queue_position(session: Session, ticket: HandoffTicket) -> int:
    """1 + the open tickets created before this one (ties broken by id)."""
    earlier = or_(HandoffTicket.created_at < ticket.created_at,
                  and_(HandoffTicket.created_at == ticket.created_at, HandoffTicket.id < ticket.id))
    ahead = session.scalar(select(func.count()).select_from(HandoffTicket).where(
        HandoffTicket.status == "open", HandoffTicket.id != ticket.id, earlier))
    return int(ahead or 0) + 1


def open_ticket(session: Session, request: TicketRequest, now: datetime) -> Tuple[HandoffTicket, bool]:
    """The sender's open ticket, creating it if needed; ``(ticket, created)``."""
    existing = open_ticket_for(session, request.sender_id)
    if existing is not None:
        return existing, False
    user_id = request.user_id
    if user_id is not None and session.get(User, user_id) is None:
        user_id = None
    if request.reason is not None and request.reason not in REASONS:
        raise ValueError(f"unknown handoff reason {request.reason!r}")
    ticket = HandoffTicket(sender_id=request.sender_id, channel=request.channel, user_id=user_id,
                           summary=request.summary[:SUMMARY_MAX], transcript=list(request.transcript),
                           status="open", created_at=now, reason=request.reason)
    try:
        with session.begin_nested():
            session.add(ticket)
    except IntegrityError:  # another server opened one for this sender meanwhile
        existing = open_ticket_for(session, request.sender_id)
        if existing is None:
            raise
        return existing, False
    return ticket, True


def get_ticket(session: Session, ticket_id: int) -> HandoffTicket:
    ticket = session.get(HandoffTicket, ticket_id)
    if ticket is None:
        raise TicketNotFound(f"no ticket {ticket_id}")
    return ticket


def close_ticket(session: Session, ticket_id: int, now: datetime) -> Tuple[HandoffTicket, bool]:
    """Close a ticket; ``(ticket, changed)`` — closing a closed ticket changes nothing."""
    ticket = get_ticket(session, ticket_id)
    if ticket.status == "closed":
        return ticket, False
    ticket.status, ticket.closed_at = "closed", now
    session.flush()
    return ticket, True


def list_tickets(session: Session, include_closed: bool = False) -> List[HandoffTicket]:
    """Open tickets in queue order (or all tickets, oldest first)."""
    query = select(HandoffTicket).order_by(HandoffTicket.created_at, HandoffTicket.id)
    if not include_closed:
        query = query.where(HandoffTicket.status == "open")
    return list(session.scalars(query))
