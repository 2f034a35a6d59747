"""The personal data the account store holds, by kind: one registry drives purge, export and erase.

Each kind knows its rows' age (for :func:`fenqi.lifecycle.purge.purge`), whose rows they are (for
export and erase) and how to remove them. A new table of personal data registers itself once and
is then purged, exported and erased like the others, e.g. a future shopper inbox::

    register(TableKind("inbox items", InboxItem.__table__, time_column="created_at",
                       sender_column="sender_id"))

Rows are removed explicitly (children before parents), never by relying on ``ON DELETE
CASCADE``, so SQLite and PostgreSQL behave the same.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Dict, List, Optional, Protocol, Sequence, Tuple

from sqlalchemy import Table, and_, delete, func, not_, or_, select
from sqlalchemy.orm import Session

from fenqi.db.models import BindingAttempt, BindingCode, HandoffTicket, TicketMessage, TicketTakeover, WechatBinding
from fenqi.db.types import UtcDateTime
from fenqi.lifecycle.masking import masked
from fenqi.lifecycle.subjects import Subject

Counts = Dict[str, int]


def row_dict(table: Table, row: Any, hidden: Sequence[str] = ()) -> Dict[str, Any]:
    """A row as JSON-ready values (times ISO 8601, money as strings), ``hidden`` columns starred,
    every string masked (:func:`fenqi.lifecycle.masking.masked`)."""
    out: Dict[str, Any] = {}
    for column in table.columns:
        value = getattr(row, column.key) if not isinstance(row, dict) else row[column.key]
        out[column.key] = "***" if column.key in hidden and value is not None else jsonable(value)
    return masked(out)


def jsonable(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


class Kind(Protocol):
    """One kind of personal data in the account store."""

    @property
    def name(self) -> str:
        """As printed in reports and used as the export's key."""

    @property
    def user_linked(self) -> bool:
        """Whether rows belong to a user (exported and erased) or only age (purged)."""

    def purge(self, session: Session, cutoff: datetime, dry_run: bool) -> Counts:
        """Remove (or count) the rows older than ``cutoff`` (aware); counts per printed kind."""

    def export(self, session: Session, subject: Subject) -> List[Dict[str, Any]]:
        """The subject's rows, JSON-ready and masked."""

    def erase(self, session: Session, subject: Subject, dry_run: bool) -> Counts:
        """Remove (or count) the subject's rows; counts per printed kind."""


@dataclass(frozen=True)
class TableKind:
    """A plain table: aged by ``time_column`` (a ``UtcDateTime`` column, compared with an aware
    cutoff; None: never purged by age, e.g. a current binding), linked to a user by ``user_column``
    and/or a conversation id in ``sender_column``."""

    name: str
    table: Table
    time_column: Optional[str] = None
    user_column: Optional[str] = None
    sender_column: Optional[str] = None
    hidden: Tuple[str, ...] = ()  # exported as "***" (secrets that are not the user's data)

    def __post_init__(self) -> None:
        if self.time_column is not None and not isinstance(self.table.c[self.time_column].type, UtcDateTime):
            raise TypeError(f"{self.table.name}.{self.time_column}: instants are UtcDateTime columns (fenqi.db.types)")

    @property
    def user_linked(self) -> bool:
        return self.user_column is not None or self.sender_column is not None

    def purge(self, session: Session, cutoff: datetime, dry_run: bool) -> Counts:
        if self.time_column is None:
            return {}
        old = self.table.c[self.time_column] < cutoff
        if dry_run:
            return {self.name: session.scalar(select(func.count()).select_from(self.table).where(old)) or 0}
        return {self.name: session.execute(delete(self.table).where(old)).rowcount or 0}

    def _whose(self, subject: Subject) -> Any:
        clauses = []
        if self.user_column is not None:
            clauses.append(self.table.c[self.user_column] == subject.user_id)
        if self.sender_column is not None:
            column = self.table.c[self.sender_column]
            clauses.append(column.in_(subject.exact_ids))
            clauses += [column.startswith(p, autoescape=True) for p in subject.prefixes]
        return or_(*clauses) if clauses else None

    def _rows(self, session: Session, subject: Subject) -> List[Any]:
        whose = self._whose(subject)
        if whose is None:
            return []
        rows = session.execute(select(self.table).where(whose)).all()
        if self.sender_column is None:
            return list(rows)
        key = self.table.c[self.sender_column].key
        return [r for r in rows if (self.user_column is not None
                                    and getattr(r, self.table.c[self.user_column].key) == subject.user_id)
                or subject.owns(getattr(r, key))]

    def export(self, session: Session, subject: Subject) -> List[Dict[str, Any]]:
        return [row_dict(self.table, row, self.hidden) for row in self._rows(session, subject)]

    def erase(self, session: Session, subject: Subject, dry_run: bool) -> Counts:
        rows = self._rows(session, subject)
        if rows and not dry_run:
            keys = [c for c in self.table.primary_key.columns]
            for row in rows:
                session.execute(delete(self.table).where(*[c == getattr(row, c.key) for c in keys]))
        return {self.name: len(rows)}


TICKETS, MESSAGES = "tickets", "takeover messages"


@dataclass(frozen=True)
class TicketKind:
    """Handoff tickets with their transcripts, takeover state and live messages (the outbox).

    A ticket expires when it was opened, closed (if it was) and last written to before the
    cutoff; it goes whole (an open ticket nobody touched for the whole retention goes too). A ticket is the user's when it carries their verified
    user id or was opened in one of their conversations."""

    name: str = TICKETS
    user_linked: bool = True

    def _remove(self, session: Session, ids: List[int], dry_run: bool) -> Counts:
        messages = 0
        for chunk in _chunks(ids):
            messages += session.scalar(select(func.count()).select_from(TicketMessage)
                                       .where(TicketMessage.ticket_id.in_(chunk))) or 0
            if not dry_run:
                session.execute(delete(TicketMessage).where(TicketMessage.ticket_id.in_(chunk)))
                session.execute(delete(TicketTakeover).where(TicketTakeover.ticket_id.in_(chunk)))
                session.execute(delete(HandoffTicket).where(HandoffTicket.id.in_(chunk)))
        return {TICKETS: len(ids), MESSAGES: messages}

    def purge(self, session: Session, cutoff: datetime, dry_run: bool) -> Counts:
        recent_message = (select(TicketMessage.id).where(TicketMessage.ticket_id == HandoffTicket.id,
                                                          TicketMessage.created_at >= cutoff).exists())
        old = and_(HandoffTicket.created_at < cutoff,
                   or_(HandoffTicket.closed_at.is_(None), HandoffTicket.closed_at < cutoff),
                   not_(recent_message))
        ids = list(session.scalars(select(HandoffTicket.id).where(old).order_by(HandoffTicket.id)))
        return self._remove(session, ids, dry_run)

    def _tickets(self, session: Session, subject: Subject) -> List[HandoffTicket]:
        candidates = session.scalars(select(HandoffTicket).where(or_(
            HandoffTicket.user_id == subject.user_id, HandoffTicket.sender_id.in_(subject.exact_ids),
            *[HandoffTicket.sender_id.startswith(p, autoescape=True) for p in subject.prefixes]))
            .order_by(HandoffTicket.id))
        return [t for t in candidates if t.user_id == subject.user_id or subject.owns(t.sender_id)]

    def export(self, session: Session, subject: Subject) -> List[Dict[str, Any]]:
        out = []
        for ticket in self._tickets(session, subject):
            item = row_dict(HandoffTicket.__table__, ticket)
            takeover = session.get(TicketTakeover, ticket.id)
            item["takeover"] = row_dict(TicketTakeover.__table__, takeover) if takeover else None
            item["messages"] = [row_dict(TicketMessage.__table__, m) for m in session.scalars(
                select(TicketMessage).where(TicketMessage.ticket_id == ticket.id).order_by(TicketMessage.id))]
            out.append(item)
        return out

    def erase(self, session: Session, subject: Subject, dry_run: bool) -> Counts:
        return self._remove(session, [t.id for t in self._tickets(session, subject)], dry_run)


def _chunks(ids: List[int], size: int = 500) -> List[List[int]]:
    return [ids[i:i + size] for i in range(0, len(ids), size)]


_REGISTRY: List[Kind] = []


def register(kind: Kind) -> Kind:
    """Add a kind of personal data (idempotent by name); returns it."""
    if all(existing.name != kind.name for existing in _REGISTRY):
        _REGISTRY.append(kind)
    return kind


def kinds() -> List[Kind]:
    """Every registered kind, in registration order."""
    return list(_REGISTRY)


def linked_kinds() -> List[Kind]:
    """The registered kinds whose rows belong to a user (export, erase)."""
    return [kind for kind in _REGISTRY if kind.user_linked]


register(TicketKind())
register(TableKind("wechat bindings", WechatBinding.__table__, user_column="user_id"))
register(TableKind("binding codes", BindingCode.__table__, time_column="expires_at", user_column="user_id",
                   hidden=("code",)))
register(TableKind("binding attempts", BindingAttempt.__table__, time_column="window_start"))


@dataclass
class Totals:
    """Counts per printed kind, in first-seen order."""

    counts: Counts = field(default_factory=dict)

    def add(self, counts: Counts) -> None:
        for name, n in counts.items():
            self.counts[name] = self.counts.get(name, 0) + int(n)


def _register_inbox() -> None:
    """The NLU inbox (issue #20): masked shopper messages, aged and linked through their conversations."""
    from fenqi.training.inbox_lifecycle import InboxKind

    register(InboxKind())


_register_inbox()
