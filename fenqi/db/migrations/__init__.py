"""Alembic migrations of the account store — the only way its schema is made — and helpers to
run them from Python (``python -m fenqi db init`` and ``python -m fenqi.db.migrations upgrade``).

The database is ``FENQI_DATABASE_URL`` unless ``url`` is given. A store made before migrations
existed here (tables, no revision) is stamped with the revision its tables match, then upgraded.
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


# Newest first: a table that first appeared in a revision -> that revision.
LEGACY_MARKERS = (("handoff_tickets", "0002"), ("users", "0001"))


def adopt_unversioned(url: str) -> Optional[str]:
    """Stamp a store that has tables but no revision (made by an older ``db init``); the stamped
    revision, or None when there was nothing to adopt."""
    from alembic import command
    from sqlalchemy import inspect

    from fenqi.db.engine import make_engine

    if current_revision(url) is not None:
        return None
    engine = make_engine(url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    for table, revision in LEGACY_MARKERS:
        if table in tables:
            command.stamp(alembic_config(url), revision)
            return revision
    return None


def upgrade(url: Optional[str] = None, revision: str = "head") -> None:
    """Bring the database at ``url`` (default: the configured one) to ``revision``."""
    from alembic import command

    from fenqi.settings import load_settings

    adopt_unversioned(url or load_settings().database_url)
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
