"""The action server's one connection to the account store (engine created on first use)."""
from __future__ import annotations

from functools import lru_cache

from sqlalchemy.orm import sessionmaker

from fenqi.db.engine import make_engine, make_session_factory
from fenqi.handoff import ensure_ticket_table
from fenqi.handoff.tickets import ensure_takeover_tables
from fenqi.settings import load_settings


@lru_cache(maxsize=1)
def session_factory() -> sessionmaker:
    """One engine per process, never at import; an older store gets the ticket table here."""
    engine = make_engine(load_settings().database_url)
    ensure_ticket_table(engine)
    ensure_takeover_tables(engine)
    return make_session_factory(engine)
