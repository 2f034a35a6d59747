"""Agent accounts, their roles and console sessions in the account store.

Passwords are stored only as argon2id hashes (argon2-cffi's defaults); a session cookie carries a
random token of which only the SHA-256 is stored, next to the session's CSRF token. Roles
(:data:`ROLES`: ``lead`` sees analytics and reviews conversations, ``trainer`` the NLU inbox) are
granted and revoked with the agents CLI and read again on every request, so a revoke takes effect
at once.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import FrozenSet, Iterable, List, Optional

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fenqi.db.models import AGENT_ROLES, Agent, AgentRole, AgentSession

NAME = re.compile(r"^[\w\u4e00-\u9fff·.-]{1,32}$")
PASSWORD_MIN, PASSWORD_MAX = 10, 128
ROLES = AGENT_ROLES
LEAD, TRAINER = "lead", "trainer"
SESSION_TTL = timedelta(hours=8)
_HASHER = PasswordHasher()
# Verified when the name is unknown, so a missing account costs the same time as a wrong password.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))


class AgentError(ValueError):
    """An agent name or password that cannot be used."""


@dataclass(frozen=True)
class SignedIn:
    """A console session as the server knows it."""

    agent_id: int
    name: str
    csrf_token: str
    roles: FrozenSet[str] = frozenset()

    def has(self, role: str) -> bool:
        return role in self.roles


def check_name(name: str) -> str:
    if not isinstance(name, str) or not NAME.match(name):
        raise AgentError("agent name: 1–32 letters, digits, Chinese characters, '.', '-', '_' or '·'")
    return name


def check_password(password: str) -> str:
    if not isinstance(password, str) or not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise AgentError(f"password: {PASSWORD_MIN}–{PASSWORD_MAX} characters")
    return password


def check_role(role: str) -> str:
    if role not in ROLES:
        raise AgentError(f"role: one of {', '.join(ROLES)}, got {role!r}")
    return role


def add_agent(session: Session, name: str, password: str, now: datetime, roles: Iterable[str] = ()) -> Agent:
    """A new agent with ``roles``; raises :class:`AgentError` for a bad or taken name, a weak
    password or an unknown role."""
    wanted = sorted({check_role(r) for r in roles})
    agent = Agent(name=check_name(name), password_hash=_HASHER.hash(check_password(password)),
                  active=True, created_at=now)
    try:
        with session.begin_nested():
            session.add(agent)
    except IntegrityError:
        raise AgentError(f"agent {name!r} exists already") from None
    for role in wanted:
        session.add(AgentRole(agent_id=agent.id, role=role))
    session.flush()
    return agent


def agent_named(session: Session, name: str) -> Agent:
    agent = session.scalars(select(Agent).where(Agent.name == name)).first()
    if agent is None:
        raise AgentError(f"no agent named {name!r} (see: python -m fenqi agents list)")
    return agent


def roles_of(session: Session, agent_id: int) -> FrozenSet[str]:
    return frozenset(session.scalars(select(AgentRole.role).where(AgentRole.agent_id == agent_id)))


def grant_role(session: Session, name: str, role: str) -> bool:
    """Give agent ``name`` the role; False when it had it already."""
    agent, role = agent_named(session, name), check_role(role)
    if role in roles_of(session, agent.id):
        return False
    session.add(AgentRole(agent_id=agent.id, role=role))
    session.flush()
    return True


def revoke_role(session: Session, name: str, role: str) -> bool:
    """Take the role from agent ``name`` (effective on its next request); False when it had none."""
    agent, role = agent_named(session, name), check_role(role)
    result = session.execute(delete(AgentRole).where(AgentRole.agent_id == agent.id, AgentRole.role == role))
    return bool(result.rowcount)


def list_agents(session: Session) -> List[Agent]:
    return list(session.scalars(select(Agent).order_by(Agent.id)))


def authenticate(session: Session, name: str, password: str) -> Optional[Agent]:
    """The active agent with this name and password, else None (same work either way)."""
    agent = session.scalars(select(Agent).where(Agent.name == name)).first() if isinstance(name, str) else None
    candidate = agent.password_hash if agent is not None else _DUMMY_HASH
    try:
        _HASHER.verify(candidate, password if isinstance(password, str) else "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if agent is None or not agent.active:
        return None
    if _HASHER.check_needs_rehash(agent.password_hash):
        agent.password_hash = _HASHER.hash(password)
    return agent


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(session: Session, agent: Agent, now: datetime, ttl: timedelta = SESSION_TTL) -> str:
    """A new session for ``agent``; returns the cookie token (never stored as such)."""
    token = secrets.token_urlsafe(32)
    session.execute(delete(AgentSession).where(AgentSession.expires_at < now))
    session.add(AgentSession(token_hash=_digest(token), agent_id=agent.id, csrf_token=secrets.token_urlsafe(32),
                             created_at=now, expires_at=now + ttl))
    agent.last_seen_at = now
    session.flush()
    return token


def resume_session(session: Session, token: Optional[str], now: datetime) -> Optional[SignedIn]:
    """The signed-in agent of a cookie token, or None (unknown, expired, agent disabled)."""
    if not token or len(token) > 128:
        return None
    row = session.get(AgentSession, _digest(token))
    if row is None or row.expires_at <= now:
        return None
    agent = session.get(Agent, row.agent_id)
    if agent is None or not agent.active:
        return None
    agent.last_seen_at = now
    return SignedIn(agent_id=agent.id, name=agent.name, csrf_token=row.csrf_token,
                    roles=roles_of(session, agent.id))


def end_session(session: Session, token: Optional[str]) -> None:
    if token:
        session.execute(delete(AgentSession).where(AgentSession.token_hash == _digest(token)))
