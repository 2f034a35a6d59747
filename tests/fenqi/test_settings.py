"""Settings: SQLite default under var/, a local-only random secret, production refuses demo defaults."""
import pytest

from fenqi.settings import ConfigurationError, load_settings, read_settings, token_rules_once


@pytest.fixture
def env(monkeypatch, tmp_path):
    for name in ("FENQI_DATABASE_URL", "FENQI_TRACKER_URL", "FENQI_JWT_SECRET", "FENQI_ENV", "FENQI_TOKEN_TTL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FENQI_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("FENQI_ENV", "development")
    return monkeypatch


def test_defaults_are_local_sqlite_and_a_persistent_random_secret(env, tmp_path):
    first, second = load_settings(), load_settings()
    assert first.database_url == f"sqlite:///{tmp_path / 'var' / 'fenqi.db'}"
    assert first.tracker_url == f"sqlite:///{tmp_path / 'var' / 'tracker.db'}"  # make run's tracker store
    assert len(first.jwt_secret) >= 32 and first.jwt_secret == second.jwt_secret
    assert (tmp_path / "var" / "dev-jwt-secret").stat().st_mode & 0o077 == 0
    assert first.token_ttl == 3600 and not first.production


def test_environment_overrides(env):
    env.setenv("FENQI_DATABASE_URL", "postgresql://db/fenqi")
    env.setenv("FENQI_TRACKER_URL", "postgresql://db/fenqi_tracker")
    env.setenv("FENQI_JWT_SECRET", "x" * 32)
    env.setenv("FENQI_TOKEN_TTL", "60")
    s = load_settings()
    assert (s.database_url, s.jwt_secret, s.token_ttl) == ("postgresql://db/fenqi", "x" * 32, 60)
    assert s.tracker_url == "postgresql://db/fenqi_tracker"


@pytest.mark.parametrize("secret", ["", "short", "change-me-at-least-32-characters-long-secret",
                                    "x" * 40, "e2e-test-secret-not-for-production-0123456789"])
@pytest.mark.parametrize("mode", ["production", "Production", "prod", None])
def test_production_requires_a_strong_secret(env, secret, mode):
    """Anything but an explicit FENQI_ENV=development is production (fail closed, issue #11)."""
    if mode is None:
        env.delenv("FENQI_ENV")
    else:
        env.setenv("FENQI_ENV", mode)
    env.setenv("FENQI_JWT_SECRET", secret)
    with pytest.raises(ConfigurationError):
        load_settings()


def test_bad_ttl_is_a_clear_error(env):
    env.setenv("FENQI_TOKEN_TTL", "soon")
    with pytest.raises(ConfigurationError, match="FENQI_TOKEN_TTL"):
        load_settings()


def test_one_object_with_sections_read_from_one_environment(env):
    env.setenv("FENQI_WEB_PORT", "9090")
    env.setenv("WECHAT_TOKEN", "wx")
    env.setenv("RASA_INSTANCES", "3")
    s = load_settings()
    assert (s.web.web_port, s.wechat.token, s.deploy.rasa_instances) == (9090, "wx", 3)
    assert s.store.database_url == s.database_url and s.identity.jwt_secret == s.jwt_secret


def test_fenqi_env_is_parsed_once_and_fails_closed(env):
    from fenqi.settings import environment

    assert environment({"FENQI_ENV": "development"}) == "development"
    for value in ({}, {"FENQI_ENV": "production"}, {"FENQI_ENV": "prod"}, {"FENQI_ENV": "Production"}):
        assert environment(value) == "production"
    env.setenv("FENQI_ENV", "prod")
    with pytest.raises(ConfigurationError, match="FENQI_JWT_SECRET"):  # production: no demo secret
        load_settings()


def test_bad_port_names_its_variable(env):
    env.setenv("FENQI_WEB_PORT", "70000")
    with pytest.raises(ConfigurationError, match="FENQI_WEB_PORT"):
        load_settings()


def test_flat_constructor_stays_for_callers_that_need_four_values():
    from fenqi.settings import Settings

    s = Settings(database_url="sqlite://", jwt_secret="x" * 32, token_ttl=60, production=True)
    assert (s.database_url, s.jwt_secret, s.token_ttl, s.production) == ("sqlite://", "x" * 32, 60, True)


def test_a_random_secret_passes_in_production(env):
    import secrets
    env.setenv("FENQI_ENV", "production")
    env.setenv("FENQI_JWT_SECRET", secrets.token_urlsafe(32))
    assert load_settings().production


def test_cors_origins_are_an_explicit_allowlist():
    from fenqi.settings import cors_origins
    assert cors_origins({}) == ()
    assert cors_origins({"FENQI_CORS_ORIGINS": "https://shop.example, http://localhost:8080/"}) == (
        "https://shop.example", "http://localhost:8080")
    for bad in ("*", "shop.example"):
        with pytest.raises(ConfigurationError):
            cors_origins({"FENQI_CORS_ORIGINS": bad})


def test_token_rules_once_reads_the_settings_on_first_use_only(monkeypatch):
    monkeypatch.setenv("FENQI_ENV", "development")
    monkeypatch.setenv("FENQI_JWT_SECRET", "first-secret-9f8e7d6c5b4a3210-aXbYcZdW")
    monkeypatch.setenv("FENQI_TOKEN_MAX_TTL", "900")
    monkeypatch.setenv("FENQI_TOKEN_TTL", "900")
    provider = token_rules_once()
    assert (provider().secret, provider().max_ttl) == ("first-secret-9f8e7d6c5b4a3210-aXbYcZdW", 900)
    monkeypatch.setenv("FENQI_JWT_SECRET", "second-secret-0a1b2c3d4e5f6789-QwErTy")
    assert provider().secret == "first-secret-9f8e7d6c5b4a3210-aXbYcZdW"
    assert token_rules_once()().secret == "second-secret-0a1b2c3d4e5f6789-QwErTy"


def test_the_token_lifetime_cap_is_a_setting_and_bounds_the_minted_lifetime():
    base = {"FENQI_ENV": "development", "FENQI_JWT_SECRET": "s" * 40}
    assert read_settings(base).identity.token_max_ttl == 7200
    assert read_settings({**base, "FENQI_TOKEN_MAX_TTL": "600", "FENQI_TOKEN_TTL": "600"}).identity.rules.max_ttl == 600
    with pytest.raises(ConfigurationError, match="FENQI_TOKEN_MAX_TTL"):
        read_settings({**base, "FENQI_TOKEN_MAX_TTL": "600"})  # the default FENQI_TOKEN_TTL (3600) is longer
    with pytest.raises(ConfigurationError, match="FENQI_TOKEN_MAX_TTL"):
        read_settings({**base, "FENQI_TOKEN_MAX_TTL": "10"})  # below the 60 s floor


def test_deploy_secrets_and_the_http_body_limit_are_settings():
    from deploy.cluster import given_secrets
    from fenqi.settings import LimitsSettings, section

    assert section(LimitsSettings, {}).http_max_body == 64 * 1024
    assert section(LimitsSettings, {"FENQI_HTTP_MAX_BODY": "32768"}).http_max_body == 32768
    assert given_secrets({"DB_PASSWORD": "d" * 30, "FENQI_JWT_SECRET": "j" * 40}) == {
        "DB_PASSWORD": "d" * 30, "FENQI_JWT_SECRET": "j" * 40}



def test_retention_defaults_to_180_days_and_the_embedded_tracker_store(env, tmp_path):
    for name in ("FENQI_RETENTION_DAYS", "FENQI_TRACKER_URL"):
        env.delenv(name, raising=False)
    s = load_settings()
    assert s.retention.retention_days == 180
    assert s.tracker_url == f"sqlite:///{tmp_path / 'var' / 'tracker.db'}"
    env.setenv("FENQI_RETENTION_DAYS", "30")
    env.setenv("FENQI_TRACKER_URL", "postgresql+psycopg2://fenqi@db/fenqi_tracker")
    s = load_settings()
    assert (s.retention.retention_days, s.tracker_url) == (30, "postgresql+psycopg2://fenqi@db/fenqi_tracker")
    env.setenv("FENQI_RETENTION_DAYS", "0")
    with pytest.raises(ConfigurationError, match="FENQI_RETENTION_DAYS"):
        load_settings()
