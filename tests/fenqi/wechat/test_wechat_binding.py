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
    assert len(code) == 10 and set(code) <= set("23456789ABCDEFGHJKMNPQRSTUVWXYZ")
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



# --- issue #11: unguessable codes, atomic attempt limits in the store -------------------------

def test_codes_are_case_insensitive(sessions):
    code = mint(sessions)
    assert bind(sessions, "oA", f" {code.lower()} ").ok


def test_attempts_are_limited_per_openid_per_code_and_globally(sessions):
    from fenqi.wechat.binding import AttemptLimits
    limits = AttemptLimits(per_openid=3, per_code=2, total=5, window=600)
    reasons = [bind(sessions, "oGuesser", f"WRONG{i:05d}", limits=limits).reason for i in range(4)]
    assert reasons == ["unknown"] * 3 + ["throttled"]
    assert [bind(sessions, f"o{i}", "SAMECODE22", limits=limits).reason for i in range(3)] == \
        ["unknown", "unknown", "throttled"]
    code = mint(sessions)
    assert bind(sessions, "oLate", code, limits=limits).reason == "throttled"  # global budget spent


def test_parallel_guessers_never_exceed_the_limit(sessions):
    """Many threads (as many processes would) guessing at once: the store counts every attempt."""
    from concurrent.futures import ThreadPoolExecutor

    from fenqi.db.models import BindingAttempt
    from fenqi.wechat.binding import AttemptLimits
    limits = AttemptLimits(per_openid=5, per_code=100, total=10_000, window=600)

    def guess(i):
        try:
            return bind(sessions, "oSwarm", f"GUESS{i:05d}", limits=limits).reason
        except Exception as exc:  # SQLite "database is locked" under contention counts as refused
            return type(exc).__name__
    with ThreadPoolExecutor(8) as pool:
        reasons = list(pool.map(guess, range(40)))
    assert reasons.count("unknown") <= 5
    with session_scope(sessions) as session:
        rows = session.query(BindingAttempt).all()
        assert max(r.attempts for r in rows if r.key.startswith("openid:")) <= 5
