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
             "token_revocations", "agent_roles", "analytics_conversations", "analytics_turns", "analytics_cursor",
             "conversation_reviews", "model_releases", "nlu_inbox_cursor", "nlu_inbox_groups", "nlu_inbox_items",
             "nlu_inbox_sightings"}
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


def test_revision_0005_moves_local_times_written_before_it_to_utc_and_back(tmp_path, monkeypatch):
    """Rows written by a server in Beijing (naive local time) are read in the migrating process's
    zone and stored as UTC; the models read them back aware. Downgrade restores the local times."""
    import time
    from datetime import datetime, timezone

    from alembic import command
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from fenqi.db.migrations import alembic_config
    from fenqi.db.models import HandoffTicket

    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    try:
        url = f"sqlite:///{tmp_path / 'local.db'}"
        upgrade(url, "0004")
        engine = make_engine(url)
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO handoff_tickets (id, sender_id, summary, transcript, status, created_at, closed_at) "
                "VALUES (1, 'rest:anon:x', '', '[]', 'closed', '2026-12-01 09:30:00.000000', "
                "'2026-12-01 23:59:00.000000')"))
        upgrade(url)
        with Session(engine, future=True) as session:
            ticket = session.get(HandoffTicket, 1)
            assert ticket.created_at == datetime(2026, 12, 1, 1, 30, tzinfo=timezone.utc)
            assert ticket.closed_at == datetime(2026, 12, 1, 15, 59, tzinfo=timezone.utc)
        command.downgrade(alembic_config(url), "0004")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT created_at FROM handoff_tickets")).scalar_one().startswith(
                "2026-12-01 09:30:00")
        engine.dispose()
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
