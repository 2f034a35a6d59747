"""Sign-out on the server (issue 21): a user's tokens issued up to the moment they signed out are
refused from then on, on every channel and device (``token_revocations``; ``fenqi.identity.revoked``).

Signed tokens are stateless, so without this a page that signed out elsewhere (or a token copied
before) kept being served until it expired. The widget's ``sign_out`` event and
``python -m fenqi sign-out USER_ID`` record one; times are token times (epoch seconds, the real
wall clock that ``iat`` is minted with), stored as UTC instants.
"""
from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timezone
from typing import Callable, Dict, Optional, Tuple

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from fenqi.db.engine import session_scope
from fenqi.db.models import TokenRevocation
from fenqi.identity import to_millis

logger = logging.getLogger(__name__)


def sign_out(session: Session, user_id: str, at: Optional[float] = None) -> float:
    """Refuse ``user_id``'s tokens issued up to ``at`` (epoch seconds, default: now); returns it.
    A later sign-out moves the mark forward, never back."""
    if not user_id:
        raise ValueError("user_id must not be empty")
    at = to_millis(time.time() if at is None else at)
    moment = datetime.fromtimestamp(at, timezone.utc)
    for _ in range(3):
        row = session.get(TokenRevocation, user_id)
        if row is not None:
            row.revoked_before = max(row.revoked_before, moment)
            session.flush()
            return row.revoked_before.timestamp()
        try:
            with session.begin_nested():
                session.add(TokenRevocation(user_id=user_id, revoked_before=moment))
            return at
        except IntegrityError:  # another sign-out inserted it first
            continue
    raise RuntimeError(f"could not record the sign-out of {user_id!r}")


def revoked_before(session: Session, user_id: str) -> Optional[float]:
    """When ``user_id`` last signed out (epoch seconds), or None."""
    row = session.get(TokenRevocation, user_id)
    return row.revoked_before.timestamp() if row is not None else None


class Revocations:
    """The channels' view of sign-outs: looked up in the store (off the event loop) and kept for
    ``ttl`` seconds, so a message or a delivery costs no query each time. A store failure is
    logged and treated as "not signed out" (tokens still expire)."""

    def __init__(self, factory: Callable[[], sessionmaker], ttl: float = 2.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._factory_source = factory
        self._factory: Optional[sessionmaker] = None
        self._ttl = ttl
        self._clock = clock
        self._cache: Dict[str, Tuple[float, Optional[float]]] = {}

    def _sessions(self) -> sessionmaker:
        if self._factory is None:
            self._factory = self._factory_source()
        return self._factory

    def _lookup(self, user_id: str) -> Optional[float]:
        with session_scope(self._sessions()) as session:
            return revoked_before(session, user_id)

    def _record(self, user_id: str, at: Optional[float]) -> float:
        with session_scope(self._sessions()) as session:
            return sign_out(session, user_id, at)

    async def cutoff(self, user_id: str) -> Optional[float]:
        """When ``user_id`` last signed out (epoch seconds), or None."""
        cached = self._cache.get(user_id)
        if cached is not None and self._clock() - cached[0] < self._ttl:
            return cached[1]
        try:
            value = await asyncio.to_thread(self._lookup, user_id)
        except Exception:
            logger.exception("sign-out lookup failed")
            return cached[1] if cached is not None else None
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[user_id] = (self._clock(), value)
        return value

    async def sign_out(self, user_id: str, at: Optional[float] = None) -> float:
        """Record a sign-out (raises on a store failure: the caller says it did not happen)."""
        value = await asyncio.to_thread(self._record, user_id, at)
        self._cache[user_id] = (self._clock(), value)
        return value


def process_revocations() -> Revocations:
    """Revocations in the process's one store (opened on first use)."""
    from fenqi.db.engine import process_store

    return Revocations(lambda: process_store().sessions)
