"""A new table of personal data registers itself once and is then purged by age, exported and
erased with the rest (the shopper inbox to come, issue #21)."""
from datetime import timedelta

import pytest
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, insert, select

from fenqi.clock import utcnow
from fenqi.db.engine import session_scope
from fenqi.db.models import User
from fenqi.db.types import UtcDateTime
from fenqi.lifecycle import registry
from fenqi.lifecycle.purge import cutoff_for, purge
from fenqi.lifecycle.subject_data import erase_user, export_user

inbox = Table("inbox_items", MetaData(), Column("id", Integer, primary_key=True),
              Column("sender_id", String(255), nullable=False), Column("text", String(255), nullable=False),
              Column("created_at", UtcDateTime(), nullable=False))


@pytest.fixture
def registered(engine):
    inbox.create(engine)
    saved = list(registry._REGISTRY)
    kind = registry.register(registry.TableKind("inbox items", inbox, time_column="created_at",
                                                sender_column="sender_id"))
    assert registry.register(kind) is kind and registry.kinds().count(kind) == 1  # idempotent
    yield
    registry._REGISTRY[:] = saved


def test_a_registered_table_is_purged_exported_and_erased(registered, factory):
    now = utcnow()
    at = lambda days: now - timedelta(days=days)  # noqa: E731
    with session_scope(factory) as session:
        session.add_all([User(user_id="u1", name="甲", region="北京", credit_rating="A"),
                         User(user_id="u2", name="乙", region="上海", credit_rating="B")])
        session.execute(insert(inbox), [
            {"sender_id": "web:u1", "text": "旧消息 13812345678", "created_at": at(200)},
            {"sender_id": "web:u1", "text": "新消息 13812345678", "created_at": at(1)},
            {"sender_id": "rest:u:u1:app", "text": "接口消息", "created_at": at(1)},
            {"sender_id": "web:u2", "text": "别人的消息", "created_at": at(1)}])
    with session_scope(factory) as session:
        dry = purge(session, None, None, cutoff_for(180, now), dry_run=True)
        assert dry.counts["inbox items"] == 1 and len(session.execute(select(inbox)).all()) == 4
        assert purge(session, None, None, cutoff_for(180, now)).counts["inbox items"] == 1
    with session_scope(factory) as session:
        exported = export_user(session, None, "u1")["inbox items"]
        assert sorted(row["text"] for row in exported) == ["接口消息", "新消息 138****5678"]  # masked
        assert erase_user(session, None, "u1").counts["inbox items"] == 2
    with session_scope(factory) as session:
        assert [row.text for row in session.execute(select(inbox))] == ["别人的消息"]


def test_a_table_aged_by_a_naive_time_column_is_refused():
    """Purges compare an aware cutoff: a plain ``DateTime`` column would hold naive times."""
    naive = Table("naive_items", MetaData(), Column("id", Integer, primary_key=True),
                  Column("created_at", DateTime, nullable=False))
    with pytest.raises(TypeError, match="UtcDateTime"):
        registry.TableKind("naive items", naive, time_column="created_at")
    assert registry.TableKind("naive items", naive).time_column is None  # not aged: nothing compared
