"""Demo-only sign-in: pick a demo user from the account store, get a signed token.

In production the shopping app's own backend mints the token for its logged-in user; this
module stands in for that so the widget can be tried locally. It is on only with an explicit
``FENQI_ENV=development`` (see :mod:`webapp.config`), and only for the packaged demo accounts:
real accounts in the same store are neither listed nor signed in.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple

from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from fenqi.accounts.demo import demo_user_ids
from fenqi.accounts.repository import list_users
from fenqi.db.engine import make_session_factory, session_scope
from fenqi.identity import issue_token
from fenqi.settings import Settings
from fenqi.state import User

ACCOUNT_STATUS_LABELS = {"active": "正常", "frozen": "已冻结", "pending_verification": "待验证"}


class UnknownUser(LookupError):
    """No such user in the account store."""


class NoAccountTables(RuntimeError):
    """The account store has not been created (``python -m fenqi db init``)."""


@dataclass(frozen=True)
class DemoLogin:
    token: str
    user: User
    expires_at: int


def user_card(user: User) -> Dict[str, Any]:
    """What the demo picker shows for a user (no account details beyond the profile)."""
    return {
        "user_id": user.user_id,
        "name": user.name,
        "region": user.region,
        "credit_rating": user.credit_rating,
        "account_status": ACCOUNT_STATUS_LABELS.get(user.account_status, user.account_status),
    }


class DemoAccounts:
    """Reads users for the demo login; one session per call."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._factory: sessionmaker = make_session_factory(engine)

    def users(self) -> Tuple[User, ...]:
        """The demo users present in the store (never any other account)."""
        if not inspect(self._engine).has_table("users"):
            raise NoAccountTables("run: python -m fenqi db init && python -m fenqi db seed-demo")
        demo = demo_user_ids()
        with session_scope(self._factory) as session:
            return tuple(u for u in list_users(session) if u.user_id in demo)

    def login(self, user_id: str, settings: Settings, now: Optional[float] = None) -> DemoLogin:
        """A token for ``user_id`` if it is a user of the store, else :class:`UnknownUser`."""
        user = next((u for u in self.users() if u.user_id == user_id), None)
        if user is None:
            raise UnknownUser(user_id)
        issued = int(now if now is not None else time.time())
        token = issue_token(user.user_id, settings.jwt_secret, ttl=settings.token_ttl,
                            channel="web", now=issued)
        return DemoLogin(token=token, user=user, expires_at=issued + settings.token_ttl)
