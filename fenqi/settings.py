"""Settings from the environment, read when asked (never at import time).

``FENQI_DATABASE_URL``  account store URL; default ``sqlite:///<project>/var/fenqi.db``.
``FENQI_JWT_SECRET``    HS256 secret for user tokens. Unset outside production, a random
                        local-only secret is created once in ``var/dev-jwt-secret`` (demo use).
``FENQI_ENV``           ``production`` makes a missing secret an error.
``FENQI_TOKEN_TTL``     lifetime of minted tokens in seconds (default 3600).
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigurationError(RuntimeError):
    """A required setting is missing or invalid."""


def var_dir() -> Path:
    path = Path(os.environ.get("FENQI_VAR_DIR", PROJECT_ROOT / "var"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _dev_secret() -> str:
    path = var_dir() / "dev-jwt-secret"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(32), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


@dataclass(frozen=True)
class Settings:
    database_url: str
    jwt_secret: str
    token_ttl: int
    production: bool


def load_settings() -> Settings:
    production = os.environ.get("FENQI_ENV", "development") == "production"
    secret = os.environ.get("FENQI_JWT_SECRET", "")
    if not secret:
        if production:
            raise ConfigurationError("FENQI_JWT_SECRET must be set when FENQI_ENV=production")
        secret = _dev_secret()
    if production and len(secret) < 32:
        raise ConfigurationError("FENQI_JWT_SECRET must be at least 32 characters in production")
    url = os.environ.get("FENQI_DATABASE_URL") or f"sqlite:///{var_dir() / 'fenqi.db'}"
    try:
        ttl = int(os.environ.get("FENQI_TOKEN_TTL", "3600"))
    except ValueError as exc:
        raise ConfigurationError("FENQI_TOKEN_TTL must be an integer number of seconds") from exc
    return Settings(database_url=url, jwt_secret=secret, token_ttl=ttl, production=production)


# --- agent console (console/, issue #13): a separate block --------------------------------------

@dataclass(frozen=True)
class ConsoleSettings:
    """``FENQI_CONSOLE_HOST`` (127.0.0.1), ``FENQI_CONSOLE_PORT`` (8090) and
    ``FENQI_CONSOLE_SECURE_COOKIE`` (``1``/``0``; default on in production): cookies only over HTTPS."""

    host: str
    port: int
    secure_cookie: bool


def load_console_settings() -> ConsoleSettings:
    production = os.environ.get("FENQI_ENV", "development") == "production"
    try:
        port = int(os.environ.get("FENQI_CONSOLE_PORT", "8090"))
    except ValueError as exc:
        raise ConfigurationError("FENQI_CONSOLE_PORT must be a port number") from exc
    if not 0 < port < 65536:
        raise ConfigurationError("FENQI_CONSOLE_PORT must be a port number")
    secure = os.environ.get("FENQI_CONSOLE_SECURE_COOKIE", "1" if production else "0") not in ("0", "", "false")
    return ConsoleSettings(host=os.environ.get("FENQI_CONSOLE_HOST", "127.0.0.1"), port=port,
                           secure_cookie=secure)
