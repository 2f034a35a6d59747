"""Settings: SQLite default under var/, a local-only random secret, production refuses demo defaults."""
import pytest

from fenqi.settings import ConfigurationError, load_settings


@pytest.fixture
def env(monkeypatch, tmp_path):
    for name in ("FENQI_DATABASE_URL", "FENQI_JWT_SECRET", "FENQI_ENV", "FENQI_TOKEN_TTL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FENQI_VAR_DIR", str(tmp_path / "var"))
    return monkeypatch


def test_defaults_are_local_sqlite_and_a_persistent_random_secret(env, tmp_path):
    first, second = load_settings(), load_settings()
    assert first.database_url == f"sqlite:///{tmp_path / 'var' / 'fenqi.db'}"
    assert len(first.jwt_secret) >= 32 and first.jwt_secret == second.jwt_secret
    assert (tmp_path / "var" / "dev-jwt-secret").stat().st_mode & 0o077 == 0
    assert first.token_ttl == 3600 and not first.production


def test_environment_overrides(env):
    env.setenv("FENQI_DATABASE_URL", "postgresql://db/fenqi")
    env.setenv("FENQI_JWT_SECRET", "x" * 32)
    env.setenv("FENQI_TOKEN_TTL", "60")
    s = load_settings()
    assert (s.database_url, s.jwt_secret, s.token_ttl) == ("postgresql://db/fenqi", "x" * 32, 60)


@pytest.mark.parametrize("secret", ["", "short"])
def test_production_requires_a_strong_secret(env, secret):
    env.setenv("FENQI_ENV", "production")
    env.setenv("FENQI_JWT_SECRET", secret)
    with pytest.raises(ConfigurationError):
        load_settings()


def test_bad_ttl_is_a_clear_error(env):
    env.setenv("FENQI_TOKEN_TTL", "soon")
    with pytest.raises(ConfigurationError, match="FENQI_TOKEN_TTL"):
        load_settings()
