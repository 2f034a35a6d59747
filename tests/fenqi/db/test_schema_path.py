"""Alembic is the only way the product makes a schema; an unversioned older store is adopted."""
from sqlalchemy import inspect

from fenqi.db.engine import make_engine
from fenqi.db.migrations import current_revision, head_revision, upgrade
from fenqi.db.models import Base


def _tables(url):
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_adopts_a_store_made_before_migrations_and_adds_what_it_lacks(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    later = {"handoff_tickets", "binding_attempts", "agents", "agent_sessions", "ticket_takeovers", "ticket_messages",
             "token_revocations"}
    try:  # what an older `db init` (create_all, before the ticket table existed) left behind
        Base.metadata.create_all(engine, tables=[t for name, t in Base.metadata.tables.items()
                                                 if name not in later])
    finally:
        engine.dispose()
    assert current_revision(url) is None and "handoff_tickets" not in _tables(url)
    upgrade(url)
    assert current_revision(url) == head_revision()
    assert _tables(url) == set(Base.metadata.tables)


def test_upgrade_on_an_empty_store_builds_everything(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    upgrade(url)
    assert current_revision(url) == head_revision() and _tables(url) == set(Base.metadata.tables)
