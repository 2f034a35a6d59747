"""The NLU inbox in the personal data lifecycle (``fenqi.lifecycle``, docs/security.md).

Its messages are masked before they are stored, yet they are what shoppers typed: they age like
conversations — an item last seen before the cutoff goes, with its sightings (and a group left
without items) — and they are exported and erased with the user whose conversations they came from
(through each sighting's analytics conversation). An item other shoppers also sent stays when one
user's sightings are erased, counted without them; one seen only in that user's conversations goes.
Registered in :mod:`fenqi.lifecycle.registry`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, List

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from fenqi.db.models import AnalyticsConversation, InboxGroup, InboxItem, InboxSighting

NAME = "nlu inbox messages"
EXPORTED_COLUMNS = ("text", "channel", "seen", "first_at", "last_at", "state")


@dataclass(frozen=True)
class InboxKind:
    """The inbox's items and sightings as one kind of personal data."""

    name: str = NAME
    user_linked: bool = True

    def purge(self, session: Session, cutoff: datetime, dry_run: bool) -> Dict[str, int]:
        old = list(session.scalars(select(InboxItem.id).where(InboxItem.last_at < cutoff)))
        if not dry_run:
            self._remove(session, old)
        return {self.name: len(old)}

    def _remove(self, session: Session, item_ids: List[int]) -> None:
        for i in range(0, len(item_ids), 500):
            chunk = item_ids[i:i + 500]
            session.execute(delete(InboxSighting).where(InboxSighting.item_id.in_(chunk)))
            session.execute(delete(InboxItem).where(InboxItem.id.in_(chunk)))
        empty = select(InboxItem.id).where(InboxItem.group_id == InboxGroup.id).exists()
        session.execute(delete(InboxGroup).where(~empty).execution_options(synchronize_session=False))

    def _sightings(self, session: Session, subject: Any) -> List[Any]:
        sender = AnalyticsConversation.sender_id
        rows = session.execute(
            select(InboxSighting.turn_id, InboxSighting.item_id, sender)
            .join(AnalyticsConversation, AnalyticsConversation.id == InboxSighting.conversation_id)
            .where(or_(sender.in_(subject.exact_ids), *[sender.startswith(p, autoescape=True)
                                                         for p in subject.prefixes]))).all()
        return [r for r in rows if subject.owns(r.sender_id)]

    def export(self, session: Session, subject: Any) -> List[Dict[str, Any]]:
        from fenqi.lifecycle.registry import row_dict

        ids = sorted({r.item_id for r in self._sightings(session, subject)})
        items = session.scalars(select(InboxItem).where(InboxItem.id.in_(ids)).order_by(InboxItem.id)) if ids else []
        return [{k: v for k, v in row_dict(InboxItem.__table__, item).items() if k in EXPORTED_COLUMNS}
                for item in items]

    def erase(self, session: Session, subject: Any, dry_run: bool) -> Dict[str, int]:
        mine = self._sightings(session, subject)
        ids = sorted({r.item_id for r in mine})
        if not mine or dry_run:
            return {self.name: len(ids)}
        session.execute(delete(InboxSighting).where(InboxSighting.turn_id.in_([r.turn_id for r in mine])))
        left = dict(session.execute(select(InboxSighting.item_id, func.count()).where(InboxSighting.item_id.in_(ids))
                                    .group_by(InboxSighting.item_id)).all())
        for item in session.scalars(select(InboxItem).where(InboxItem.id.in_(ids))):
            if left.get(item.id):
                item.seen = int(left[item.id])
        self._remove(session, [i for i in ids if not left.get(i)])
        return {self.name: len(ids)}
