"""Whose data: a user's conversation ids, derived the way the channels derive them.

A verified user talks in ``web:<user>`` (widget), ``rest:u:<user>`` and ``rest:u:<user>:<key>``
(REST) and ``wx:<openid>`` for every OpenID bound to the account (the WeChat conversation, also
what was said there before binding). Anonymous conversations (``anon:``, ``rest:anon:``, an unbound
``wx:``) are linked to no account and are only ever removed by age.

User ids may contain ``:``, so ``rest:u:a:b`` could be user ``a`` with key ``b`` or user ``a:b``:
it belongs to ``a`` only when no user ``a:b`` exists, and a key never contains ``:``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import FrozenSet, Tuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from fenqi.db.models import User, WechatBinding
from fenqi.security.inbound import REST_USER_PREFIX, SENDER_PATTERN
from fenqi.wechat.inbound import SENDER_PREFIX as WECHAT_PREFIX
from fenqi.widget import USER_PREFIX as WIDGET_PREFIX


@dataclass(frozen=True)
class Subject:
    """One user, their bound OpenIDs and the other user ids that extend theirs with ``:``."""

    user_id: str
    openids: Tuple[str, ...] = ()
    longer_user_ids: FrozenSet[str] = field(default_factory=frozenset)

    @property
    def exact_ids(self) -> Tuple[str, ...]:
        """Conversation ids that are this user's whatever else is stored."""
        return (WIDGET_PREFIX + self.user_id, REST_USER_PREFIX + self.user_id,
                *(WECHAT_PREFIX + openid for openid in self.openids))

    @property
    def prefixes(self) -> Tuple[str, ...]:
        """Prefixes of this user's REST conversations with a client key (filter with :meth:`owns`)."""
        return (REST_USER_PREFIX + self.user_id + ":",)

    def owns(self, sender_id: str) -> bool:
        """Whether the conversation ``sender_id`` is this user's."""
        if sender_id in self.exact_ids:
            return True
        prefix = self.prefixes[0]
        if not sender_id.startswith(prefix):
            return False
        key = sender_id[len(prefix):]
        return bool(SENDER_PATTERN.fullmatch(key)) and f"{self.user_id}:{key}" not in self.longer_user_ids


def subject_for(session: Session, user_id: str) -> Subject:
    """The :class:`Subject` of ``user_id`` from the account store (bindings, other user ids)."""
    openids = tuple(session.scalars(select(WechatBinding.openid).where(WechatBinding.user_id == user_id)
                                    .order_by(WechatBinding.openid)))
    longer = frozenset(session.scalars(select(User.user_id).where(
        User.user_id.startswith(user_id + ":", autoescape=True))))
    return Subject(user_id, openids, longer)
