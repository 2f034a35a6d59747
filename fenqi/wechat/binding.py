"""OpenID <-> account binding in the account store (``wechat_bindings``, ``binding_codes``).

A user proves account ownership with a one-time code minted by the server (demo: a CLI)
and sends "绑定 <code>" from WeChat; from then on the channel mints signed tokens for them.

Codes cannot be guessed (issue #11): 10 characters of a 31-letter alphabet (~49 bits), one-time,
10 minutes. Every attempt is counted atomically in the store (``binding_attempts``) per OpenID,
per code and globally, so the limits hold across threads, processes and instances.
"""
from __future__ import annotations

import asyncio
import hashlib
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Optional

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from fenqi import clock
from fenqi.db.engine import session_scope
from fenqi.db.models import BindingAttempt, BindingCode, User, WechatBinding

from .conversation import BindOutcome

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud and typed on phones
CODE_LENGTH = 10
CODE_TTL = 10 * 60  # seconds


@dataclass(frozen=True)
class AttemptLimits:
    """Binding attempts allowed per ``window`` seconds."""

    per_openid: int = 5
    per_code: int = 5
    total: int = 1000
    window: int = 10 * 60


def normalize_code(code: str) -> str:
    return code.strip().upper()


def _key(kind: str, value: str) -> str:
    return f"{kind}:{hashlib.sha256(value.encode('utf-8')).hexdigest()[:40]}"


def take_attempt(session: Session, key: str, limit: int, window: int, now: datetime) -> bool:
    """Count one attempt for ``key``; False (nothing counted) when its window is used up. Atomic:
    one conditional UPDATE (or INSERT) per call, so concurrent attempts can never exceed ``limit``."""
    fresh = now - timedelta(seconds=window)
    for _ in range(3):
        counted = session.execute(
            update(BindingAttempt)
            .where(BindingAttempt.key == key, BindingAttempt.window_start > fresh,
                   BindingAttempt.attempts < limit)
            .values(attempts=BindingAttempt.attempts + 1).execution_options(synchronize_session=False))
        if counted.rowcount == 1:
            return True
        renewed = session.execute(
            update(BindingAttempt)
            .where(BindingAttempt.key == key, BindingAttempt.window_start <= fresh)
            .values(window_start=now, attempts=1).execution_options(synchronize_session=False))
        if renewed.rowcount == 1:
            return True
        if session.scalar(select(BindingAttempt.key).where(BindingAttempt.key == key)) is not None:
            return False  # in the window and at the limit
        try:
            with session.begin_nested():
                session.add(BindingAttempt(key=key, window_start=now, attempts=1))
            return True
        except IntegrityError:  # another attempt inserted it first: count against that row
            continue
    return False


def user_for_openid(session: Session, openid: str) -> Optional[str]:
    """The user bound to ``openid``, or None."""
    return session.scalar(select(WechatBinding.user_id).where(WechatBinding.openid == openid))


def mint_binding_code(session: Session, user_id: str, ttl: int = CODE_TTL,
                      now: Optional[datetime] = None) -> str:
    """A fresh unused one-time code (10 characters) for ``user_id``, valid ``ttl`` seconds."""
    if session.get(User, user_id) is None:
        raise ValueError(f"unknown user {user_id!r}")
    now = now or clock.now()
    for _ in range(20):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        existing = session.get(BindingCode, code)
        if existing is None:
            session.add(BindingCode(code=code, user_id=user_id,
                                    expires_at=now + timedelta(seconds=ttl), used=False))
            session.flush()
            return code
        if existing.used or existing.expires_at <= now:
            session.delete(existing)  # recycle a dead code
            session.flush()
    raise RuntimeError("could not find a free binding code")


def bind_openid(session: Session, openid: str, code: str, now: Optional[datetime] = None,
                limits: AttemptLimits = AttemptLimits()) -> BindOutcome:
    """Consume ``code`` (atomically: a code binds once) and bind ``openid`` to its user.

    The attempt is counted first, per OpenID, per code and globally (:func:`take_attempt`);
    beyond a limit nothing is tried and the outcome is ``throttled``."""
    if not openid:
        raise ValueError("openid must not be empty")
    now = now or clock.now()
    code = normalize_code(code)
    for key, limit in ((_key("openid", openid), limits.per_openid), (_key("code", code), limits.per_code),
                       ("global", limits.total)):
        if not take_attempt(session, key, limit, limits.window, now):
            return BindOutcome(ok=False, reason="throttled")
    consumed = session.execute(
        update(BindingCode)
        .where(BindingCode.code == code, BindingCode.used.is_(False), BindingCode.expires_at > now)
        .values(used=True)
        .execution_options(synchronize_session=False))
    if consumed.rowcount != 1:
        row = session.get(BindingCode, code)
        reason = "unknown" if row is None else ("used" if row.used else "expired")
        return BindOutcome(ok=False, reason=reason)
    user_id = session.scalar(select(BindingCode.user_id).where(BindingCode.code == code))
    binding = session.get(WechatBinding, openid)
    if binding is None:
        session.add(WechatBinding(openid=openid, user_id=user_id, bound_at=now))
    else:  # re-binding to another account that the user just proved they own
        binding.user_id, binding.bound_at = user_id, now
    session.flush()
    return BindOutcome(ok=True, user_id=user_id)


def unbind_openid(session: Session, openid: str) -> bool:
    """Remove the binding; True if there was one."""
    binding = session.get(WechatBinding, openid)
    if binding is None:
        return False
    session.delete(binding)
    session.flush()
    return True


class SqlDirectory:
    """The :class:`fenqi.wechat.conversation.Directory` over the account store.

    One session per call, run in a worker thread so the event loop never waits on the database.
    """

    def __init__(self, session_factory: Callable[[], sessionmaker]):
        self._factory_source = session_factory
        self._factory: Optional[sessionmaker] = None
        self._lock = threading.Lock()

    def _sessions(self) -> sessionmaker:
        with self._lock:  # engine created on first use (never at import time), once
            if self._factory is None:
                self._factory = self._factory_source()
            return self._factory

    def _user_for(self, openid: str) -> Optional[str]:
        with session_scope(self._sessions()) as session:
            return user_for_openid(session, openid)

    def _bind(self, openid: str, code: str) -> BindOutcome:
        with session_scope(self._sessions()) as session:
            return bind_openid(session, openid, code)

    async def user_for(self, openid: str) -> Optional[str]:
        return await asyncio.get_running_loop().run_in_executor(None, self._user_for, openid)

    async def bind(self, openid: str, code: str) -> BindOutcome:
        return await asyncio.get_running_loop().run_in_executor(None, self._bind, openid, code)
