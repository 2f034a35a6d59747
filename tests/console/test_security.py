"""Console security pieces: cookie attributes, CSRF comparison, the login limiter's window."""
from console.security import LoginLimiter, cookie_options, csrf_ok
from fenqi.settings import load_console_settings


def test_cookies_are_http_only_strict_and_secure_when_configured():
    assert cookie_options(True) == {"httponly": True, "samesite": "Strict", "path": "/", "secure": True}
    assert cookie_options(False, 60)["secure"] is False and cookie_options(False, 60)["max_age"] == 60


def test_csrf_needs_both_sides_and_equal_values():
    assert csrf_ok("abc", "abc")
    for expected, given in (("abc", "abd"), ("abc", None), (None, "abc"), ("", ""), ("abc", "x" * 200)):
        assert not csrf_ok(expected, given)


def test_limiter_blocks_after_failures_and_forgets_after_the_window():
    clock = [0.0]
    limiter = LoginLimiter(max_failures=3, window=60, clock=lambda: clock[0])
    for _ in range(3):
        assert not limiter.blocked("name:ben")
        limiter.failed("name:ben")
    assert limiter.blocked("name:ben") and not limiter.blocked("name:anna")
    clock[0] = 61
    assert not limiter.blocked("name:ben")
    limiter.failed("name:ben")
    limiter.reset("name:ben")
    assert not limiter.blocked("name:ben")


def test_console_settings(monkeypatch):
    monkeypatch.setenv("FENQI_ENV", "development")  # unset is production since #11 (fail closed)
    monkeypatch.setenv("FENQI_CONSOLE_PORT", "9123")
    s = load_console_settings()
    assert (s.host, s.port, s.secure_cookie) == ("127.0.0.1", 9123, False)
    monkeypatch.delenv("FENQI_ENV")
    assert load_console_settings().secure_cookie is True
    monkeypatch.setenv("FENQI_ENV", "production")
    assert load_console_settings().secure_cookie is True
    monkeypatch.setenv("FENQI_CONSOLE_PORT", "nope")
    import pytest

    from fenqi.settings import ConfigurationError
    with pytest.raises(ConfigurationError):
        load_console_settings()
