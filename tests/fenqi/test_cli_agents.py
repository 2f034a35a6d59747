"""``python -m fenqi agents …`` as a real subprocess: the password comes from stdin, never argv."""
from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import select

from fenqi import clock
from fenqi.db.engine import make_engine, make_session_factory, session_scope
from fenqi.db.models import Agent
from fenqi.handoff.agents import authenticate
from tests.fenqi import test_cli_tickets
from tests.fenqi.test_cli_tickets import ROOT, run

PASSWORD = "a long enough secret"


@pytest.fixture
def env(tmp_path):
    """A seeded SQLite store for the CLI (as in test_cli_tickets)."""
    return test_cli_tickets.env.__wrapped__(tmp_path)


def add(env, name, stdin):
    return subprocess.run([sys.executable, "-m", "fenqi", "agents", "add", name], cwd=ROOT, env=env,
                          input=stdin, capture_output=True, text=True, timeout=60)


def test_agents_add_reads_the_password_from_stdin_and_stores_a_hash(env):
    result = add(env, "安娜", PASSWORD + "\n")
    assert result.returncode == 0, result.stderr
    assert "agent 安娜 added" in result.stdout and PASSWORD not in result.stdout + result.stderr
    engine = make_engine(env["FENQI_DATABASE_URL"])
    try:
        with session_scope(make_session_factory(engine)) as s:
            stored = s.scalars(select(Agent)).one()
            assert stored.password_hash.startswith("$argon2id$")
            assert authenticate(s, "安娜", PASSWORD) is not None
    finally:
        engine.dispose()
    listing = run(env, "agents", "list")
    assert listing.returncode == 0 and listing.stdout.split("\t")[1:3] == ["安娜", "active"]


def test_agents_add_refuses_weak_passwords_taken_names_and_has_no_password_argument(env):
    short = add(env, "ben", "short\n")
    assert short.returncode == 2 and "password" in short.stderr
    assert add(env, "ben", PASSWORD + "\n").returncode == 0
    taken = add(env, "ben", PASSWORD + "\n")
    assert taken.returncode == 2 and "exists" in taken.stderr
    assert run(env, "agents", "add", "carl", "--password", PASSWORD).returncode == 2  # argparse refuses


def test_tickets_close_goes_through_the_takeover_and_leaves_a_served_ticket_to_its_agent(env):

    from fenqi.db.models import TicketTakeover
    from fenqi.handoff import live
    from fenqi.handoff.agents import add_agent
    from fenqi.handoff.takeover import Accept
    from tests.fenqi.test_cli_tickets import add_tickets
    add_tickets(env, ("a", None), ("b", None))
    engine = make_engine(env["FENQI_DATABASE_URL"])
    try:
        with session_scope(make_session_factory(engine)) as s:
            agent = add_agent(s, "安娜", PASSWORD, clock.now())
            live.transition(s, 2, Accept(agent.id), clock.now())
        closed = run(env, "tickets", "close", "1")
        assert closed.returncode == 0 and "closed ticket #1" in closed.stdout
        served = run(env, "tickets", "close", "2")
        assert served.returncode == 2 and "served by an agent" in served.stderr
        with session_scope(make_session_factory(engine)) as s:
            assert s.get(TicketTakeover, 1).state == "closed" and s.get(TicketTakeover, 2).state == "accepted"
    finally:
        engine.dispose()



def test_roles_are_given_with_add_or_grant_and_taken_with_revoke(env):
    lead = subprocess.run([sys.executable, "-m", "fenqi", "agents", "add", "王组长", "--role", "lead"], cwd=ROOT,
                          env=env, input=PASSWORD + "\n", capture_output=True, text=True, timeout=60)
    assert lead.returncode == 0 and "roles: lead" in lead.stdout
    assert "now has role trainer" in run(env, "agents", "grant", "王组长", "trainer").stdout
    assert "no longer has role lead" in run(env, "agents", "revoke", "王组长", "lead").stdout
    assert run(env, "agents", "list").stdout.split("\t")[1:4] == ["王组长", "active", "trainer"]
