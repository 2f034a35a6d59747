"""Signed user tokens: only a token signed with the server secret, unexpired, names a user."""
import time

import jwt
import pytest

from fenqi.identity import IdentityError, issue_token, verify_token

SECRET = "s" * 40
LATER = int(time.time()) + 7 * 86400  # parametrised tokens are built at collection time


def test_round_trip_gives_subject_and_channel():
    identity = verify_token(issue_token("demo_ok", SECRET, ttl=60, channel="wechat"), SECRET)
    assert identity.user_id == "demo_ok" and identity.channel == "wechat"
    assert identity.expires_at > time.time()


@pytest.mark.parametrize("token, reason", [
    (None, "missing"),
    ("", "missing"),
    ("not-a-jwt", "invalid"),
    (issue_token("demo_ok", "another-secret-of-some-length-000"), "bad_signature"),
    (issue_token("demo_ok", SECRET, ttl=10, now=time.time() - 3600), "expired"),
    (jwt.encode({"sub": "demo_ok", "exp": LATER, "iat": 0, "iss": "fenqi-assistant"},
                SECRET, algorithm="HS512"), "invalid"),
    (jwt.encode({"sub": "demo_ok", "exp": LATER, "iat": 0, "iss": "someone-else"},
                SECRET, algorithm="HS256"), "invalid"),
    (jwt.encode({"exp": LATER, "iat": 0, "iss": "fenqi-assistant"}, SECRET,
                algorithm="HS256"), "invalid"),
    (jwt.encode({"sub": "demo_ok", "iat": 0, "iss": "fenqi-assistant"}, SECRET, algorithm="HS256"), "invalid"),
])
def test_rejected_tokens(token, reason):
    with pytest.raises(IdentityError) as err:
        verify_token(token, SECRET)
    assert err.value.reason == reason


def test_unsigned_token_is_rejected():
    unsigned = jwt.encode({"sub": "demo_ok", "exp": LATER, "iat": 0, "iss": "fenqi-assistant"},
                          None, algorithm="none")
    with pytest.raises(IdentityError):
        verify_token(unsigned, SECRET)


def test_empty_user_id_cannot_be_issued():
    with pytest.raises(ValueError):
        issue_token("", SECRET)


def test_non_ascii_or_huge_tokens_are_invalid_not_a_crash():
    import pytest as _pytest

    from fenqi.identity import IdentityError, verify_token
    for token in ("eyJ\udfff.x.y", "令牌", "a" * 5000):
        with _pytest.raises(IdentityError) as info:
            verify_token(token, "s" * 40)
        assert info.value.reason == "invalid"
