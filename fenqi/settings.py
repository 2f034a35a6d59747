"""Settings from the environment, read when asked (never at import time).

``FENQI_DATABASE_URL``  account store URL; default ``sqlite:///<project>/var/fenqi.db``.
``FENQI_JWT_SECRET``    HS256 secret for user tokens. Unset outside production, a random
                        local-only secret is created once in ``var/dev-jwt-secret`` (demo use).
``FENQI_ENV``           only ``development`` enables demo defaults (local secret, demo login);
                        anything else, unset included, is production (fail closed).
``FENQI_TOKEN_TTL``     lifetime of minted tokens in seconds (default 3600).
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional, Tuple

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
    production = not is_development()  # security (#11): fail closed
    secret = os.environ.get("FENQI_JWT_SECRET", "")
    if not secret:
        if production:
            raise ConfigurationError("FENQI_JWT_SECRET must be set unless FENQI_ENV=development")
        secret = _dev_secret()
    if production:
        check_production_secret("FENQI_JWT_SECRET", secret)  # security (#11)
    url = os.environ.get("FENQI_DATABASE_URL") or f"sqlite:///{var_dir() / 'fenqi.db'}"
    try:
        ttl = int(os.environ.get("FENQI_TOKEN_TTL", "3600"))
    except ValueError as exc:
        raise ConfigurationError("FENQI_TOKEN_TTL must be an integer number of seconds") from exc
    return Settings(database_url=url, jwt_secret=secret, token_ttl=ttl, production=production)


# --- security settings (issue #11; see docs/security.md) ----------------------------------
# ``FENQI_ENV``           exactly ``development`` (any case) enables demo defaults; otherwise production.
# ``FENQI_CORS_ORIGINS``  comma-separated origins allowed to call REST/socket.io from a browser
#                         (default: none; never ``*``).
MIN_SECRET_CHARS = 32
MIN_SECRET_DISTINCT = 10
PLACEHOLDER_WORDS = ("change-me", "changeme", "change_me", "placeholder", "example", "replace",
                     "your-", "your_", "secret-here", "not-for-production", "xxxx", "todo")


def is_development(env: Optional[Mapping[str, str]] = None) -> bool:
    """True only for an explicit ``FENQI_ENV=development``: unset, ``prod``, ``Production``... are production."""
    env = os.environ if env is None else env
    return env.get("FENQI_ENV", "").strip().lower() == "development"


def check_production_secret(name: str, value: str) -> None:
    """Refuse a short, low-variety or placeholder secret (``ConfigurationError`` naming ``name``)."""
    lowered = value.lower()
    if len(value) < MIN_SECRET_CHARS:
        raise ConfigurationError(f"{name} must be at least {MIN_SECRET_CHARS} characters in production")
    if any(word in lowered for word in PLACEHOLDER_WORDS):
        raise ConfigurationError(f"{name} is a placeholder: generate one (python -c 'import secrets; "
                                 "print(secrets.token_urlsafe(32))')")
    if len(set(value)) < MIN_SECRET_DISTINCT:
        raise ConfigurationError(f"{name} has too little variety to be a secret")


def cors_origins(env: Optional[Mapping[str, str]] = None) -> Tuple[str, ...]:
    """The browser origins allowed cross-origin (``FENQI_CORS_ORIGINS``); ``*`` is refused."""
    env = os.environ if env is None else env
    origins = tuple(o.strip().rstrip("/") for o in env.get("FENQI_CORS_ORIGINS", "").split(",") if o.strip())
    for origin in origins:
        if origin == "*" or not origin.startswith(("http://", "https://")):
            raise ConfigurationError(f"FENQI_CORS_ORIGINS: {origin!r} is not an origin (scheme://host[:port])")
    return origins
