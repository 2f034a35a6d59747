"""``python -m fenqi tickets …`` as a real subprocess on a SQLite file under tmp_path."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from fenqi.db.engine import make_engine, make_session_factory, session_scope
from fenqi.handoff import TicketRequest, open_ticket
from tests.support.times import BJ

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 5, 1, 10, 0, 0, tzinfo=BJ)


@pytest.fixture
def env(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FENQI_")}
    env.update(FENQI_DATABASE_URL=f"sqlite:///{tmp_path / 'db' / 'fenqi.db'}", FENQI_VAR_DIR=str(tmp_path / "var"),
               FENQI_JWT_SECRET="test-secret-for-cli-tickets-0123456789", SQLALCHEMY_SILENCE_UBER_WARNING="1",
               FENQI_ENV="development")
    assert run(env, "db", "init").returncode == 0
    assert run(env, "db", "seed-demo").returncode == 0
    return env


def run(env, *args):
    return subprocess.run([sys.executable, "-m", "fenqi", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)


def add_tickets(env, *senders):
    engine = make_engine(env["FENQI_DATABASE_URL"])
    try:
        with session_scope(make_session_factory(engine)) as s:
            for i, (sender, user) in enumerate(senders):
                open_ticket(s, TicketRequest(sender, "rest", user, "近期话题：怎么还款",
                                             [{"speaker": "user", "text": "手机138****5678"},
                                              {"speaker": "bot", "text": "好的"}]),
                            T0 + timedelta(seconds=i))
    finally:
        engine.dispose()


def rows(result):
    return [line.split("\t") for line in result.stdout.splitlines()]


def test_list_show_close(env):
    assert run(env, "tickets", "list").stdout.strip() == "no open tickets"
    add_tickets(env, ("web:demo_ok", "demo_ok"), ("anon-7", None))
    listing = rows(run(env, "tickets", "list"))
    assert [r[:3] for r in listing] == [["#1", "open", "queue 1"], ["#2", "open", "queue 2"]]
    assert listing[0][4:7] == ["demo_ok", "rest", "web:demo_ok"] and listing[1][4] == "-"
    assert listing[0][7] == "近期话题：怎么还款"

    shown = run(env, "tickets", "show", "2")
    assert shown.returncode == 0 and "ticket #2  open (queue 2)" in shown.stdout
    assert "用户: 手机138****5678" in shown.stdout and "助手: 好的" in shown.stdout
    assert "not verified" in shown.stdout

    closed = run(env, "tickets", "close", "1")
    assert closed.returncode == 0 and closed.stdout.strip() == "closed ticket #1"
    again = run(env, "tickets", "close", "1")
    assert again.returncode == 0 and "already closed" in again.stdout
    assert [r[:3] for r in rows(run(env, "tickets", "list"))] == [["#2", "open", "queue 1"]]
    everything = rows(run(env, "tickets", "list", "--all"))
    assert [r[:2] for r in everything] == [["#1", "closed"], ["#2", "open"]]
    assert everything[0][2].startswith("closed 20")


@pytest.mark.parametrize("args, fragment", [
    (("tickets", "close", "42"), "unknown ticket id 42"),
    (("tickets", "show", "42"), "unknown ticket id 42"),
])
def test_unknown_ticket_is_one_line_and_exit_2(env, args, fragment):
    result = run(env, *args)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fenqi: error: ") and fragment in lines[0]


@pytest.mark.parametrize("bad", ["abc", "0", "-3"])
def test_ticket_id_must_be_a_positive_number(env, bad):
    result = run(env, "tickets", "close", bad)
    assert result.returncode == 2 and "ID" in result.stderr


def test_an_older_store_without_the_table_gets_it_from_db_init(tmp_path, env):
    from alembic import command

    from fenqi.db.migrations import alembic_config
    command.downgrade(alembic_config(env["FENQI_DATABASE_URL"]), "0001")  # a store from before tickets
    refused = run(env, "tickets", "list")
    assert refused.returncode == 2 and "handoff_tickets" in refused.stderr and "db init" in refused.stderr
    assert run(env, "db", "init").returncode == 0  # alembic upgrade head: the one schema path
    result = run(env, "tickets", "list")
    assert result.returncode == 0 and result.stdout.strip() == "no open tickets"


def test_without_account_tables_the_error_says_what_to_run(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FENQI_")}
    env.update(FENQI_DATABASE_URL=f"sqlite:///{tmp_path / 'empty.db'}", FENQI_VAR_DIR=str(tmp_path / "var"),
               FENQI_ENV="development")
    result = run(env, "tickets", "list")
    assert result.returncode == 2 and "db init" in result.stderr
