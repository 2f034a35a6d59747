"""Who is asking, verified: the signed token in the message metadata -> an account snapshot.

The token must fit the turn's channel (a WeChat-channel token only on WeChat turns, the host app's
tokens on REST and the widget), stay within the lifetime cap, and be issued after the user's last
sign-out (``fenqi.signout``)."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Dict, Optional

from rasa_sdk import Tracker

from actions.store import session_factory
from fenqi.accounts.repository import load_snapshot
from fenqi.db.engine import session_scope
from fenqi.identity import IdentityError, presented_on, revoked
from fenqi.settings import load_settings
from fenqi.signout import revoked_before
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
        identity = load_settings().identity.rules.verify(token, presented_on(tracker.get_latest_input_channel()))
    except IdentityError as exc:
        if exc.reason != "missing":
            logger.info("rejected token for sender %s: %s", tracker.sender_id, exc.reason)
        reason = exc.reason if exc.reason in ("missing", "expired") else "invalid"
        return AccountContext(None, reason)
    with session_scope(session_factory()) as session:
        if revoked(identity, revoked_before(session, identity.user_id)):
            logger.info("rejected token for sender %s: signed_out", tracker.sender_id)
            return AccountContext(None, "expired")  # "your login has ended: sign in again"
        snapshot = load_snapshot(session, identity.user_id)
    if snapshot is None:
        return AccountContext(None, "unknown_user")
    return AccountContext(snapshot)
