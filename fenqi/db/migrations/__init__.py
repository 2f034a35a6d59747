"""Alembic migrations of the account store, and helpers to run them from Python.

``python -m fenqi.db.migrations upgrade`` (or ``current``) works from any directory;
the database is ``FENQI_DATABASE_URL`` unless ``url`` is given.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

HERE = Path(__file__).resolve().parent


def alembic_config(url: Optional[str] = None):
    """An Alembic ``Config`` for these migrations (no alembic.ini needed)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(HERE))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: Optional[str] = None, revision: str = "head") -> None:
    """Bring the database at ``url`` (default: the configured one) to ``revision``."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def current_revision(url: str) -> Optional[str]:
    """The revision stamped in the database, or None for an unmigrated one."""
    from alembic.runtime.migration import MigrationContext

    from fenqi.db.engine import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return str(ScriptDirectory.from_config(alembic_config()).get_current_head())
