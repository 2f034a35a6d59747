"""`alembic upgrade head` on an empty database builds exactly the schema of fenqi/db/models.py,
on SQLite and on PostgreSQL; downgrade removes it again; the migrated store takes the demo data."""
from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select

from fenqi.accounts.demo import seed_demo
from fenqi.db.engine import make_engine, make_session_factory, session_scope
from fenqi.db.migrations import alembic_config, current_revision, head_revision, upgrade
from fenqi.db.models import Base, Order
from tests.support.schema import init_db

pytestmark = pytest.mark.prod


def _schema(url: str) -> dict:
    """Everything the inspector sees, per table (alembic's own table left out)."""
    engine = make_engine(url)
    try:
        insp = inspect(engine)
        out = {}
        for table in sorted(set(insp.get_table_names()) - {"alembic_version"}):
            out[table] = {
                "columns": [(c["name"], str(c["type"]), c["nullable"], c.get("default"))
                            for c in insp.get_columns(table)],
                "pk": insp.get_pk_constraint(table)["constrained_columns"],
                "fks": sorted((tuple(f["constrained_columns"]), f["referred_table"],
                               tuple(f["referred_columns"]), (f.get("options") or {}).get("ondelete"))
                              for f in insp.get_foreign_keys(table)),
                "checks": sorted((c["name"], c["sqltext"]) for c in insp.get_check_constraints(table)),
                "uniques": sorted(tuple(u["column_names"]) for u in insp.get_unique_constraints(table)),
                "indexes": sorted((i["name"], tuple(i["column_names"]), i["unique"])
                                  for i in insp.get_indexes(table)),
            }
        return out
    finally:
        engine.dispose()


def _diff_against_models(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            return compare_metadata(ctx, Base.metadata)
    finally:
        engine.dispose()


def _create_all(url: str) -> None:
    engine = make_engine(url)
    try:
        init_db(engine)
    finally:
        engine.dispose()


@pytest.fixture
def pg_urls(pg_server):
    """Two fresh, empty PostgreSQL databases: one for the migration, one for create_all()."""
    names = [f"mig_{secrets.token_hex(4)}", f"ref_{secrets.token_hex(4)}"]
    pg_server.ensure_role_and_databases("fenqi_test", "test-password", names)
    return [pg_server.url(n, "fenqi_test", "test-password") for n in names]


def _sqlite_urls(tmp_path):
    return [f"sqlite:///{tmp_path / 'migrated.db'}", f"sqlite:///{tmp_path / 'reference.db'}"]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_upgrade_head_builds_exactly_the_models_schema(backend, tmp_path, request):
    migrated, reference = (_sqlite_urls(tmp_path) if backend == "sqlite"
                           else request.getfixturevalue("pg_urls"))
    upgrade(migrated)
    _create_all(reference)

    assert current_revision(migrated) == head_revision()
    assert _diff_against_models(migrated) == []
    migrated_schema = _schema(migrated)
    assert set(migrated_schema) == set(Base.metadata.tables)
    assert migrated_schema == _schema(reference)
    # CHECK constraints carry the allowed values of fenqi.state (alembic's diff ignores them).
    assert ("credit_rating_valid" in {name for name, _ in migrated_schema["users"]["checks"]})


@pytest.mark.parametrize("command_line", [("fenqi", "db", "init"), ("fenqi.db.migrations", "upgrade")])
def test_every_mode_makes_its_store_through_alembic(command_line, tmp_path):
    """make run, the test stacks and the benchmark run `python -m fenqi db init`; production
    (python -m deploy, docker-compose) runs `python -m fenqi.db.migrations upgrade`: both are
    Alembic's head, the same schema as the models."""
    url, reference = _sqlite_urls(tmp_path)
    env = {**os.environ, "FENQI_DATABASE_URL": url, "FENQI_VAR_DIR": str(tmp_path / "var")}
    subprocess.run([sys.executable, "-m", *command_line], env=env, check=True, capture_output=True, timeout=120)
    _create_all(reference)
    assert current_revision(url) == head_revision()
    assert _schema(url) == _schema(reference)


def test_downgrade_base_removes_every_table_and_upgrade_is_repeatable(tmp_path):
    url = f"sqlite:///{tmp_path / 'roundtrip.db'}"
    upgrade(url)
    command.downgrade(alembic_config(url), "base")
    assert set(_schema(url)) == set()
    assert current_revision(url) is None
    upgrade(url)
    assert set(_schema(url)) == set(Base.metadata.tables)


def test_migrated_postgres_store_takes_the_demo_accounts(pg_urls):
    url = pg_urls[0]
    upgrade(url)
    engine = make_engine(url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            seed_demo(session)
        with session_scope(make_session_factory(engine)) as session:
            orders = session.scalars(select(Order.order_id).where(Order.user_id == "demo_ok")).all()
    finally:
        engine.dispose()
    assert "ORD-DEMO-OK-2" in orders
