"""One user's data: everything held about them (export) and their conversation data (erase).

Export (PIPL right of access, for an operator to hand over): the account (the ``users`` row and
every table keyed by ``user_id``: credit line, 备用金, auto-repay, cart, orders with their bills,
user-specific maintenance windows), every registered kind (tickets with transcripts, takeover state
and messages; WeChat bindings; binding codes) and the account-linked conversations as Rasa stored
them. Every string is masked (:mod:`fenqi.lifecycle.masking`); binding codes are starred.

Erase removes the account-linked conversation data: the conversations in the tracker store, the
tickets (transcripts, takeover, messages), WeChat bindings and binding codes. The account itself
(orders, bills, limits) is the lender's record and stays.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from sqlalchemy import Table, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from fenqi import clock
from fenqi.db.models import Base, Bill, Order, User
from fenqi.lifecycle import trackers
from fenqi.lifecycle.masking import masked
from fenqi.lifecycle.registry import Totals, kinds, linked_kinds, row_dict
from fenqi.lifecycle.subjects import Subject, subject_for

CONVERSATIONS = "conversations"
EXPORT_FORMAT = 1


def _kind_tables() -> set:
    return {getattr(kind, "table", None) for kind in kinds()} - {None}


def account_tables() -> List[Table]:
    """Tables keyed by ``user_id`` that hold the account (not a registered kind, not ``users``)."""
    registered = _kind_tables() | {Base.metadata.tables["handoff_tickets"]}
    return [t for t in Base.metadata.sorted_tables
            if "user_id" in t.c and t.name != User.__tablename__ and t not in registered]


def _conversation_ids(tracker_engine: Optional[Engine], subject: Subject) -> List[str]:
    if tracker_engine is None or not trackers.has_tracker_table(tracker_engine):
        return []
    with tracker_engine.connect() as conn:
        found = trackers.conversation_ids(conn, subject.exact_ids, subject.prefixes)
    return [sid for sid in found if subject.owns(sid)]


def export_user(session: Session, tracker_engine: Optional[Engine], user_id: str) -> Optional[Dict[str, Any]]:
    """Everything held about ``user_id`` as JSON-ready data, masked; None for an unknown user."""
    user = session.get(User, user_id)
    if user is None:
        return None
    subject = subject_for(session, user_id)
    account: Dict[str, Any] = {"user": row_dict(User.__table__, user)}
    for table in account_tables():
        rows = session.execute(select(table).where(table.c.user_id == user_id)).all()
        account[table.name] = [row_dict(table, row) for row in rows]
    for order in account.get(Order.__tablename__, []):
        order["bills"] = [row_dict(Bill.__table__, b) for b in session.scalars(
            select(Bill).where(Bill.order_id == order["order_id"]).order_by(Bill.period_no))]
    data: Dict[str, Any] = {
        "format": EXPORT_FORMAT, "user_id": user_id,
        "exported_at": clock.utcnow().isoformat(timespec="seconds"),
        "masking": "personal numbers masked (first 3 and last 4 kept), tokens removed, OpenIDs and "
                   "wx: conversation ids as pseudonyms, binding codes starred (docs/security.md)",
        "account": account,
    }
    for kind in linked_kinds():
        data[kind.name] = kind.export(session, subject)
    sender_ids = _conversation_ids(tracker_engine, subject)
    events: Dict[str, List[Dict[str, Any]]] = {}
    if sender_ids and tracker_engine is not None:
        with tracker_engine.connect() as conn:
            events = trackers.conversation_events(conn, sender_ids)
    data[CONVERSATIONS] = [{"conversation_id": masked(sid), "events": masked(evts)} for sid, evts in events.items()]
    return data


@dataclass
class EraseReport:
    user_known: bool
    dry_run: bool
    counts: Dict[str, int] = field(default_factory=dict)

    def lines(self) -> List[str]:
        verb = "would erase" if self.dry_run else "erased"
        return [f"{verb}:"] + [f"  {kind}: {n}" for kind, n in self.counts.items()]


def erase_user(session: Session, tracker_engine: Optional[Engine], user_id: str,
               dry_run: bool = False) -> EraseReport:
    """Remove (or count) ``user_id``'s conversation data; the account store part in ``session``
    (the caller commits), the tracker store in its own transaction, before the bindings go."""
    subject = subject_for(session, user_id)
    report = EraseReport(user_known=session.get(User, user_id) is not None, dry_run=dry_run)
    sender_ids = _conversation_ids(tracker_engine, subject)
    removed = 0
    if sender_ids and tracker_engine is not None:
        with tracker_engine.begin() as conn:
            if dry_run:
                removed = sum(len(v) for v in trackers.conversation_events(conn, sender_ids).values())
            else:
                removed = trackers.delete_conversations(conn, sender_ids)
    report.counts[CONVERSATIONS] = len(sender_ids)
    report.counts["conversation events"] = removed
    totals = Totals()
    for kind in linked_kinds():
        totals.add(kind.erase(session, subject, dry_run))
    report.counts.update(totals.counts)
    return report
