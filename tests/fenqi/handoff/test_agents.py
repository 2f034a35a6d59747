"""Agent accounts and console sessions in a real SQLite store (argon2id hashes, hashed session tokens)."""
from datetime import datetime, timedelta

import pytest

from fenqi.db.engine import session_scope
from fenqi.db.models import Agent, AgentSession
from fenqi.handoff.agents import AgentError, add_agent, authenticate, end_session, resume_session, start_session
from tests.support.times import BJ

T0 = datetime(2026, 5, 1, 10, 0, 0, tzinfo=BJ)
PASSWORD = "correct horse battery"


def test_password_is_stored_only_as_an_argon2id_hash(factory):
    with session_scope(factory) as s:
        agent = add_agent(s, "安娜", PASSWORD, T0)
        assert agent.password_hash.startswith("$argon2id$") and PASSWORD not in agent.password_hash
    with session_scope(factory) as s:
        assert authenticate(s, "安娜", PASSWORD).name == "安娜"
        assert authenticate(s, "安娜", PASSWORD + "x") is None
        assert authenticate(s, "nobody", PASSWORD) is None


@pytest.mark.parametrize("name, password", [("", PASSWORD), ("a b", PASSWORD), ("x" * 33, PASSWORD),
                                            ("<script>", PASSWORD), ("ok", "short"), ("ok", "x" * 129)])
def test_bad_names_and_weak_passwords_are_refused(factory, name, password):
    with session_scope(factory) as s:
        with pytest.raises(AgentError):
            add_agent(s, name, password, T0)


def test_a_name_is_taken_once(factory):
    with session_scope(factory) as s:
        add_agent(s, "ben", PASSWORD, T0)
        with pytest.raises(AgentError):
            add_agent(s, "ben", PASSWORD, T0)


def test_a_disabled_agent_cannot_sign_in_or_keep_a_session(factory):
    with session_scope(factory) as s:
        agent = add_agent(s, "ben", PASSWORD, T0)
        token = start_session(s, agent, T0)
    with session_scope(factory) as s:
        s.get(Agent, agent.id).active = False
    with session_scope(factory) as s:
        assert authenticate(s, "ben", PASSWORD) is None
        assert resume_session(s, token, T0) is None


def test_session_token_is_stored_hashed_expires_and_ends(factory):
    with session_scope(factory) as s:
        agent = add_agent(s, "ben", PASSWORD, T0)
        token = start_session(s, agent, T0)
    with session_scope(factory) as s:
        row = s.scalars(__import__("sqlalchemy").select(AgentSession)).one()
        assert token not in (row.token_hash, row.csrf_token) and len(row.token_hash) == 64
        signed = resume_session(s, token, T0 + timedelta(hours=1))
        assert (signed.name, signed.csrf_token) == ("ben", row.csrf_token)
        assert s.get(Agent, agent.id).last_seen_at == T0 + timedelta(hours=1)
        assert resume_session(s, token, T0 + timedelta(hours=9)) is None
        assert resume_session(s, "forged", T0) is None and resume_session(s, None, T0) is None
        end_session(s, token)
    with session_scope(factory) as s:
        assert resume_session(s, token, T0 + timedelta(hours=1)) is None


def test_roles_are_granted_revoked_and_read_with_every_session_resume(factory):
    from fenqi.handoff.agents import grant_role, revoke_role
    with session_scope(factory) as s:
        add_agent(s, "组长", PASSWORD, T0, roles=["lead"])
        token = start_session(s, authenticate(s, "组长", PASSWORD), T0)
        with pytest.raises(AgentError):
            add_agent(s, "x", PASSWORD, T0, roles=["boss"])
    with session_scope(factory) as s:
        assert resume_session(s, token, T0).roles == frozenset({"lead"})
        assert grant_role(s, "组长", "trainer") and not grant_role(s, "组长", "trainer")
        assert resume_session(s, token, T0).has("trainer")
        assert revoke_role(s, "组长", "lead") and not revoke_role(s, "组长", "lead")
        assert not resume_session(s, token, T0).has("lead")
        for bad in (lambda: grant_role(s, "nobody", "lead"), lambda: grant_role(s, "组长", "admin")):
            with pytest.raises(AgentError):
                bad()
