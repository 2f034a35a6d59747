"""The action server's account store: the process's one :class:`fenqi.db.engine.Store`."""
from __future__ import annotations

from sqlalchemy.orm import sessionmaker

from fenqi.db.engine import process_store


def session_factory() -> sessionmaker:
    """Sessions of the process's store (opened on first use, never at import; schema: Alembic)."""
    return process_store().sessions
