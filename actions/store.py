"""The action server's account store: the process's one :class:`fenqi.db.engine.Store`, and the
bounded thread pool its blocking work runs in (never on the action server's event loop)."""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable, Dict, List

from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker

from fenqi.db.engine import process_store
from fenqi.resilience import ACTION_DB_WAIT_S, BUSY_TEXT, DB_THREADS, BoundedThreads

logger = logging.getLogger(__name__)

DB_WORK = BoundedThreads(DB_THREADS, "actions-db")

Events = List[Dict[str, Any]]


def session_factory() -> sessionmaker:
    """Sessions of the process's store (opened on first use, never at import; schema: Alembic)."""
    return process_store().sessions


async def off_loop(dispatcher: CollectingDispatcher, work: Callable[[CollectingDispatcher], Any]) -> Events:
    """Run ``work(private_dispatcher)`` (blocking: SQL) in the bounded pool; its messages and events
    count only when it finishes in time. A database that fails or stays silent past
    ``ACTION_DB_WAIT_S`` gets the shopper the busy message instead (no slot changes); the other
    conversations of this server are served meanwhile."""
    private = CollectingDispatcher()
    try:
        events = await DB_WORK.run(work, private, timeout=ACTION_DB_WAIT_S)
    except (asyncio.TimeoutError, SQLAlchemyError) as exc:
        logger.warning("account store unavailable (%s): busy answer", exc.__class__.__name__)
        dispatcher.utter_message(text=BUSY_TEXT)
        return []
    dispatcher.messages.extend(private.messages)
    return list(events or [])
