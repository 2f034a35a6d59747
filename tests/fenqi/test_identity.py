"""Signed user tokens: only a token signed with the server secret, unexpired, within the lifetime
cap, for the channel it is presented on and issued after the user's last sign-out names a user."""
import time

import jwt
import pytest

from fenqi.identity import (
    APP,
    WECHAT,
    IdentityError,
    TokenRules,
    issue_token,
    presented_on,
    revoked,
    to_millis,
    verify_token,
)

SECRET = "s" * 40
LATER = int(time.time()) + 7 * 86400  # parametrised tokens are built at collection time


def test_round_trip_gives_subject_and_channel():
    identity = verify_token(issue_token("demo_ok", SECRET, ttl=60, channel="wechat"), SECRET, presented_on=WECHAT)
    assert identity.user_id == "demo_ok" and identity.channel == "wechat"
    assert identity.expires_at > time.time() and identity.expires_at - identity.issued_at == 60


def test_a_wechat_channel_token_is_refused_on_rest_and_the_widget_and_an_app_token_on_wechat():
    wechat = issue_token("demo_ok", SECRET, ttl=300, channel="wechat")
    with pytest.raises(IdentityError) as err:
        verify_token(wechat, SECRET)  # presented on REST / the widget (APP)
    assert err.value.reason == "wrong_channel"
    for claim in (None, "web", "app", "rest"):
        app = issue_token("demo_ok", SECRET, ttl=300, channel=claim)
        assert verify_token(app, SECRET, presented_on=APP).channel == claim
        with pytest.raises(IdentityError, match="not accepted on wechat"):
            verify_token(app, SECRET, presented_on=WECHAT)
    with pytest.raises(IdentityError) as err:
        verify_token(issue_token("demo_ok", SECRET, channel="partner-x"), SECRET)
    assert err.value.reason == "wrong_channel"
    assert (presented_on("wechat"), presented_on("rest"), presented_on("secure_socketio"), presented_on(None)) == (
        WECHAT, APP, APP, APP)


def test_a_token_living_longer_than_the_cap_is_refused_even_while_unexpired():
    rules = TokenRules(SECRET, max_ttl=900)
    assert rules.verify(issue_token("demo_ok", SECRET, ttl=900)).user_id == "demo_ok"
    for ttl in (901, 30 * 86400):
        with pytest.raises(IdentityError) as err:
            rules.verify(issue_token("demo_ok", SECRET, ttl=ttl))
        assert err.value.reason == "lifetime"
    with pytest.raises(IdentityError) as err:  # the default cap: 2 hours
        verify_token(issue_token("demo_ok", SECRET, ttl=365 * 86400), SECRET)
    assert err.value.reason == "lifetime"


def test_a_token_issued_before_the_users_sign_out_is_revoked_one_issued_after_is_not():
    just_before = verify_token(issue_token("demo_ok", SECRET), SECRET)
    signed_out = to_millis(time.time())
    time.sleep(0.002)
    after = verify_token(issue_token("demo_ok", SECRET), SECRET)
    assert revoked(just_before, signed_out) and not revoked(after, signed_out)
    assert not revoked(just_before, None)


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
    (jwt.encode({"sub": "demo_ok", "exp": int(time.time()) + 3600, "iat": int(time.time()), "iss": "fenqi-assistant",
                 "chn": ["web"]}, SECRET, algorithm="HS256"), "invalid"),
    (jwt.encode({"sub": "demo_ok", "exp": LATER, "iat": "soon", "iss": "fenqi-assistant"},
                SECRET, algorithm="HS256"), "invalid"),
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
