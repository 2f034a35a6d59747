"""Who is asking, verified: the signed token in the message metadata -> an account snapshot."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Dict, Optional

from rasa_sdk import Tracker

from actions.store import session_factory
from fenqi.accounts.repository import load_snapshot
from fenqi.db.engine import session_scope
from fenqi.identity import IdentityError, verify_token
from fenqi.settings import load_settings
from fenqi.state import AccountSnapshot

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AccountContext:
    """The verified snapshot, or why there is none (``missing``/``expired``/``invalid``/``unknown_user``)."""

    snapshot: Optional[AccountSnapshot]
    anonymous_reason: Optional[str] = None


def latest_metadata(tracker: Tracker) -> Dict[str, Any]:
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    return metadata if isinstance(metadata, dict) else {}


def account_context(tracker: Tracker) -> AccountContext:
    """Verify the token of the latest user message and load that user's account (session per call)."""
    token = latest_metadata(tracker).get("auth_token")
    try:
        identity = verify_token(token, load_settings().jwt_secret)
    except IdentityError as exc:
        if exc.reason != "missing":
            logger.info("rejected token for sender %s: %s", tracker.sender_id, exc.reason)
        reason = exc.reason if exc.reason in ("missing", "expired") else "invalid"
        return AccountContext(None, reason)
    with session_scope(session_factory()) as session:
        snapshot = load_snapshot(session, identity.user_id)
    if snapshot is None:
        return AccountContext(None, "unknown_user")
    return AccountContext(snapshot)
