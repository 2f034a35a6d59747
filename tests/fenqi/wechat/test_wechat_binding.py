"""OpenID binding against a real SQLite account store."""
import asyncio
from datetime import timedelta

import pytest

from fenqi.db.engine import session_scope
from fenqi.db.models import BindingCode
from fenqi.wechat.binding import SqlDirectory, bind_openid, mint_binding_code, unbind_openid, user_for_openid


def mint(sessions, user_id="u1001", **kwargs):
    with session_scope(sessions) as session:
        return mint_binding_code(session, user_id, **kwargs)


def bind(sessions, openid, code, **kwargs):
    with session_scope(sessions) as session:
        return bind_openid(session, openid, code, **kwargs)


def bound_user(sessions, openid):
    with session_scope(sessions) as session:
        return user_for_openid(session, openid)


def test_code_binds_openid_once(sessions):
    code = mint(sessions)
    assert len(code) == 6 and code.isdigit()
    assert bound_user(sessions, "oA") is None
    outcome = bind(sessions, "oA", code)
    assert outcome.ok and outcome.user_id == "u1001"
    assert bound_user(sessions, "oA") == "u1001"
    again = bind(sessions, "oB", code)
    assert not again.ok and again.reason == "used"
    assert bound_user(sessions, "oB") is None


def test_unknown_and_expired_codes_bind_nothing(sessions, now):
    assert bind(sessions, "oA", "000000x").reason == "unknown"
    code = mint(sessions, ttl=60, now=now)
    outcome = bind(sessions, "oA", code, now=now + timedelta(seconds=61))
    assert not outcome.ok and outcome.reason == "expired"
    assert bound_user(sessions, "oA") is None
    with session_scope(sessions) as session:
        assert session.get(BindingCode, code).used is False


def test_rebinding_moves_the_openid_to_the_new_account(sessions):
    bind(sessions, "oA", mint(sessions, "u1001"))
    assert bind(sessions, "oA", mint(sessions, "u1002")).ok
    assert bound_user(sessions, "oA") == "u1002"


def test_unbind(sessions):
    bind(sessions, "oA", mint(sessions))
    with session_scope(sessions) as session:
        assert unbind_openid(session, "oA") is True
        assert unbind_openid(session, "oA") is False
    assert bound_user(sessions, "oA") is None


def test_minting_for_an_unknown_user_fails(sessions):
    with pytest.raises(ValueError):
        mint(sessions, "nobody")


def test_directory_runs_off_the_event_loop_with_a_session_per_call(sessions):
    directory = SqlDirectory(lambda: sessions)
    code = mint(sessions, "u1002")

    async def scenario():
        assert await directory.user_for("oZ") is None
        results = await asyncio.gather(directory.bind("oZ", code), directory.bind("oY", code))
        return results, await directory.user_for("oZ"), await directory.user_for("oY")

    results, z, y = asyncio.run(scenario())
    assert sorted(r.ok for r in results) == [False, True]  # the code is consumed exactly once
    assert {z, y} == {"u1002", None}
