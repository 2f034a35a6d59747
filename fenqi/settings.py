"""One typed settings object, read from the environment once per process (never at import time).

:func:`load_settings` builds :class:`Settings` (pydantic ``BaseSettings``, v1 API) with one section
per concern: ``store`` (account store), ``identity`` (user tokens), ``web`` (widget web app),
``wechat`` (WeChat channel), ``console`` (agent console), ``limits`` (input and rate limits),
``scaleout`` (Redis across Rasa instances), ``deploy`` (ports and instances of ``make run`` /
``make run-prod``), ``clock`` (the business zone and the tests' clock, read by :mod:`fenqi.clock`),
``retention`` (how long personal data is kept, where the tracker store is) and ``models`` (where
trained models, their history and gate records are); ``evaluation`` (``make eval``) is read by the
scripts alone.
``FENQI_ENV`` is parsed here only (only an explicit ``development`` enables demo defaults; anything
else is production); ``Settings.production`` is what the rest reads. Every variable
is in the README's configuration table.

The flat names ``database_url``, ``jwt_secret``, ``token_ttl`` and ``production`` stay available
(and accepted by the constructor) for the code that reads only those.
"""
from __future__ import annotations

import os
import secrets
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BaseSettings, Field, root_validator, validate_model, validator

from fenqi import identity as _identity
from fenqi.security import limits as _limits

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TIMEZONE = "Asia/Shanghai"  # business time (fenqi.clock reads this section; never the reverse)
ENVIRONMENTS = ("development", "production")


class ConfigurationError(RuntimeError):
    """A required setting is missing or invalid."""


def var_dir() -> Path:
    """Where local state lives (``FENQI_VAR_DIR``, default ``<project>/var``); created on use."""
    path = Path(os.environ.get("FENQI_VAR_DIR") or PROJECT_ROOT / "var")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _dev_secret() -> str:
    path = var_dir() / "dev-jwt-secret"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(32), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


class _Section(BaseSettings):
    class Config:
        env_prefix = "FENQI_"
        allow_mutation = False
        case_sensitive = True


class StoreSettings(_Section):
    """``FENQI_DATABASE_URL``: the account store (any SQLAlchemy URL); default SQLite under var/.
    ``FENQI_TRACKER_URL``: Rasa's tracker store, read by analytics (the console) and the data
    lifecycle (purge, export, erase); default the embedded mode's ``var/tracker.db`` (endpoints.yml),
    production mode sets its PostgreSQL database."""

    database_url: str = ""
    tracker_url: str = ""

    @validator("database_url", always=True)
    def _default_sqlite(cls, url: str) -> str:
        return url or f"sqlite:///{var_dir() / 'fenqi.db'}"

    @validator("tracker_url", always=True)
    def _default_tracker(cls, url: str) -> str:
        return url or f"sqlite:///{var_dir() / 'tracker.db'}"


class ClockSettings(_Section):
    """Business time (:mod:`fenqi.clock`): ``FENQI_TIMEZONE``, an IANA zone (default Asia/Shanghai,
    whatever the server's ``TZ``). For whole-bot test runs only (``FENQI_ENV=development``; refused
    in production): ``FENQI_CLOCK_AT``, an ISO 8601 instant with its offset (``2026-12-01T23:30:00Z``:
    the clock stands there), or ``FENQI_CLOCK_OFFSET``, seconds added to the real time."""

    timezone: str = DEFAULT_TIMEZONE
    clock_at: str = ""
    clock_offset: float = 0.0

    @validator("timezone")
    def _iana_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"not an IANA time zone: {name!r} (e.g. Asia/Shanghai)") from None
        return name

    @validator("clock_at")
    def _instant(cls, text: str) -> str:
        if text:
            parse_instant(text)
        return text

    @property
    def fixed_at(self) -> Optional[datetime]:
        return parse_instant(self.clock_at) if self.clock_at else None

    @property
    def offset(self) -> timedelta:
        return timedelta(seconds=self.clock_offset)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def set_by_test(self) -> bool:
        return bool(self.clock_at) or bool(self.clock_offset)


def parse_instant(text: str) -> datetime:
    """An ISO 8601 instant with its offset (``Z`` allowed); a naive one is refused (``ValueError``)."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(f"not an ISO 8601 instant: {text!r}") from None
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no offset (write e.g. 2026-12-01T23:30:00Z)")
    return moment


class IdentitySettings(_Section):
    """``FENQI_JWT_SECRET`` (HS256 secret of user tokens), ``FENQI_TOKEN_TTL`` (lifetime of the
    tokens the project mints, seconds) and ``FENQI_TOKEN_MAX_TTL`` (the longest lifetime, ``exp -
    iat``, a token may have to be accepted; default 2 h)."""

    jwt_secret: str = ""
    token_ttl: int = Field(default=3600, ge=1)
    token_max_ttl: int = Field(default=_identity.MAX_TOKEN_TTL, ge=60, le=7 * 86400)

    @property
    def rules(self) -> _identity.TokenRules:
        """What tokens are verified with (secret and lifetime cap)."""
        return _identity.TokenRules(self.jwt_secret, self.token_max_ttl)


class WebSettings(_Section):
    """The widget web app (``webapp/``): where it listens and where the Rasa server is."""

    web_host: str = "localhost"
    web_port: int = Field(default=8080, gt=0, lt=65536)
    rasa_url: str = "http://localhost:5005"
    rasa_public_url: str = ""  # empty: the browser uses the web app's origin (relay)
    rasa_socket_path: str = "/socket.io"


class WeChatSettings(_Section):
    """The WeChat channel; ``credentials.yml`` keys win over these (``fenqi.wechat.config``)."""

    token: str = ""
    appid: str = ""
    appsecret: str = ""
    encoding_aes_key: str = ""
    api_base: str = ""
    passive_timeout: str = ""

    class Config:
        env_prefix = "WECHAT_"


class ConsoleSettings(_Section):
    """The agent console (``console/``, issue #13): ``FENQI_CONSOLE_HOST``, ``FENQI_CONSOLE_PORT`` and
    ``FENQI_CONSOLE_SECURE_COOKIE`` (cookies only over HTTPS; default on in production);
    ``FENQI_AGENT_MESSAGE_TTL``: seconds an agent message may wait for a shopper who is not connected
    before it is marked undeliverable (``expired``, shown in the console; issue #21)."""

    console_host: str = "127.0.0.1"
    console_port: int = Field(default=8090, gt=0, lt=65536)
    console_secure_cookie: Optional[bool] = None
    agent_message_ttl: int = Field(default=900, ge=10, le=7 * 24 * 3600)

    @property
    def host(self) -> str:
        return self.console_host

    @property
    def port(self) -> int:
        return self.console_port

    @property
    def secure_cookie(self) -> bool:
        return bool(self.console_secure_cookie)


class LimitsSettings(_Section):
    """Input and rate limits (``fenqi.security.limits`` holds the defaults; docs/security.md);
    ``FENQI_HTTP_MAX_BODY`` bounds every request body Rasa's Sanic accepts (``deploy/rasa_main.py``)."""

    max_body_bytes: int = Field(default=_limits.MAX_BODY_BYTES, ge=1024, le=1024 * 1024)
    max_message_chars: int = Field(default=_limits.MAX_MESSAGE_CHARS, ge=10, le=4000)
    socket_rate: int = Field(default=_limits.SOCKET_RATE_PER_MINUTE, ge=1, le=100000)
    socket_messages_per_post: int = Field(default=_limits.SOCKET_MESSAGES_PER_POST, ge=1, le=100)
    socket_history_interval: int = Field(default=_limits.SOCKET_HISTORY_INTERVAL, ge=0, le=3600)
    relay_rate: int = Field(default=_limits.RELAY_RATE_PER_MINUTE, ge=1, le=1000000)
    relay_max_concurrent: int = Field(default=_limits.RELAY_MAX_CONCURRENT, ge=1, le=10000)
    relay_per_client: int = Field(default=_limits.RELAY_MAX_PER_CLIENT, ge=1, le=10000)
    http_max_body: int = Field(default=_limits.HTTP_MAX_BODY, ge=1024, le=16 * 1024 * 1024)


class ScaleoutSettings(_Section):
    """Several Rasa instances (production mode sets these): socket.io emits through Redis
    (``FENQI_SOCKETIO_REDIS_URL``, ``FENQI_SOCKETIO_REDIS_CHANNEL``), WeChat MsgId claims, the
    WeChat nonce replay cache and numbered options (``FENQI_WECHAT_REDIS_URL``)."""

    socketio_redis_url: str = ""
    socketio_redis_channel: str = "fenqi-socketio"
    wechat_redis_url: str = ""


class DeploySettings(_Section):
    """Ports of ``make run`` and of the production stack (``make run-prod``, docs/deploy.md)."""

    rasa_interface: str = Field(default="127.0.0.1", env="RASA_INTERFACE")
    rasa_port: int = Field(default=5005, env="RASA_PORT")
    actions_port: int = Field(default=5055, env="ACTIONS_PORT")
    web_port: int = Field(default=8080, env="WEB_PORT")
    rasa_api_token: str = Field(default="", env="RASA_API_TOKEN")
    prod_port: int = Field(default=8000, env="PROD_PORT")
    prod_actions_port: int = Field(default=8055, env="PROD_ACTIONS_PORT")
    rasa_instances: int = Field(default=2, ge=1, env="RASA_INSTANCES")
    action_instances: int = Field(default=2, ge=1, env="ACTION_INSTANCES")
    rasa_base_port: int = Field(default=5105, env="RASA_BASE_PORT")
    actions_base_port: int = Field(default=5155, env="ACTIONS_BASE_PORT")
    pg_port: int = Field(default=5433, env="PG_PORT")
    redis_port: int = Field(default=6380, env="REDIS_PORT")
    # the production stack's own secrets (generated into var/prod/secrets.env when unset)
    pg_superuser_password: str = Field(default="", env="PG_SUPERUSER_PASSWORD")
    db_password: str = Field(default="", env="DB_PASSWORD")


class EvaluationSettings(_Section):
    """``make eval`` / ``scripts/compare_classifiers.py``: the real questions kept outside the project
    (``FENQI_DEV_QUESTIONS``; measured only, never trained on)."""

    dev_questions: str = ""

    @property
    def dev_questions_path(self) -> Path:
        return Path(self.dev_questions or PROJECT_ROOT.parent / "shared" / "eval" / "real_questions_dev.tsv")


class RetentionSettings(_Section):
    """Data lifecycle (PIPL; ``fenqi.lifecycle``, docs/security.md): ``FENQI_RETENTION_DAYS``
    (conversations, tickets, takeover messages and log files older than this are purged, daily by
    the supervisor). The tracker store they are purged from is the store section's
    ``FENQI_TRACKER_URL``."""

    retention_days: int = Field(default=180, ge=1, le=3650)


class ModelsSettings(_Section):
    """``FENQI_MODELS_DIR``: the trained models (``fenqi.tar.gz`` from ``make train``, candidates) and the
    training loop's ``history/`` (every model that was live) and ``gates/`` (gate records); default
    ``<project>/models``."""

    models_dir: str = ""

    @validator("models_dir", always=True)
    def _default_models(cls, path: str) -> str:
        return path or str(PROJECT_ROOT / "models")


_FLAT = {"database_url": "store", "jwt_secret": "identity", "token_ttl": "identity"}


class Settings(BaseModel):
    """Everything configurable, by section; see the module docstring."""

    env: str = "development"
    store: StoreSettings = Field(default_factory=StoreSettings)
    identity: IdentitySettings = Field(default_factory=IdentitySettings)
    web: WebSettings = Field(default_factory=lambda: WebSettings())
    wechat: WeChatSettings = Field(default_factory=WeChatSettings)
    deploy: DeploySettings = Field(default_factory=lambda: DeploySettings())
    console: ConsoleSettings = Field(default_factory=lambda: ConsoleSettings())
    # Redis across Rasa instances (socket.io emits, WeChat MsgId claims and nonce replay cache)
    scaleout: ScaleoutSettings = Field(default_factory=ScaleoutSettings)
    limits: LimitsSettings = Field(default_factory=LimitsSettings)
    clock: ClockSettings = Field(default_factory=ClockSettings)
    retention: RetentionSettings = Field(default_factory=lambda: RetentionSettings())
    models: ModelsSettings = Field(default_factory=ModelsSettings)

    class Config:
        allow_mutation = False

    @root_validator(pre=True)
    def _flat_names(cls, values: Dict[str, Any]) -> Dict[str, Any]:
        """Accept ``Settings(database_url=..., jwt_secret=..., token_ttl=..., production=...)``."""
        values = dict(values)
        for name, section in _FLAT.items():
            if name in values:
                current = values.get(section)
                fields = current.dict() if isinstance(current, BaseModel) else dict(current or {})
                fields[name] = values.pop(name)
                values[section] = fields
        if "production" in values:
            values["env"] = "production" if values.pop("production") else "development"
        return values

    @validator("env")
    def _known_env(cls, env: str) -> str:
        if env not in ENVIRONMENTS:
            raise ValueError(f"FENQI_ENV must be one of {', '.join(ENVIRONMENTS)}, got {env!r}")
        return env

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def database_url(self) -> str:
        return self.store.database_url

    @property
    def tracker_url(self) -> str:
        return self.store.tracker_url

    @property
    def jwt_secret(self) -> str:
        return self.identity.jwt_secret

    @property
    def token_ttl(self) -> int:
        return self.identity.token_ttl


def env_names(section: Any) -> Dict[str, str]:
    """Field name -> environment variable of a settings section."""
    prefix = section.__config__.env_prefix
    return {name: field.field_info.extra.get("env") or prefix + name.upper()
            for name, field in section.__fields__.items()}


def environment(environ: Optional[Mapping[str, str]] = None) -> str:
    """``FENQI_ENV``, the one place it is parsed: only an explicit ``development`` (any case) is
    development; anything else, unset, ``prod`` or ``Production`` included, is production (fail
    closed, issue #11)."""
    return "development" if is_development(environ) else "production"


def section(cls: Any, environ: Optional[Mapping[str, str]] = None) -> Any:
    """Section ``cls`` from ``environ`` alone (default: the process environment), validated."""
    environ = os.environ if environ is None else environ
    names = env_names(cls)
    data = {name: environ[key] for name, key in names.items() if key in environ}
    values, fields_set, error = validate_model(cls, data)
    if error is not None:
        first = error.errors()[0]
        name = str(first["loc"][0])
        if name == "token_ttl":
            raise ConfigurationError("FENQI_TOKEN_TTL must be an integer number of seconds")
        raise ConfigurationError(f"{names.get(name, name)}: {first['msg']}")
    return cls.construct(fields_set, **values)


def read_settings(environ: Optional[Mapping[str, str]] = None) -> Settings:
    """Build :class:`Settings` from ``environ`` (default: the process environment).

    Outside production a missing ``FENQI_JWT_SECRET`` becomes a random local-only secret kept in
    ``var/dev-jwt-secret``; in production it must be set and at least 32 characters.
    """
    environ = os.environ if environ is None else environ
    env = environment(environ)
    production = env == "production"
    identity = section(IdentitySettings, environ)
    secret = identity.jwt_secret
    if not secret:
        if production:
            raise ConfigurationError("FENQI_JWT_SECRET must be set unless FENQI_ENV=development")
        secret = _dev_secret()
    if production:
        check_production_secret("FENQI_JWT_SECRET", secret)
    if identity.token_ttl > identity.token_max_ttl:
        raise ConfigurationError(f"FENQI_TOKEN_TTL ({identity.token_ttl} s) exceeds FENQI_TOKEN_MAX_TTL "
                                 f"({identity.token_max_ttl} s): minted tokens would be refused")
    return Settings(env=env, store=section(StoreSettings, environ),
                    identity=IdentitySettings.construct(jwt_secret=secret, token_ttl=identity.token_ttl,
                                                        token_max_ttl=identity.token_max_ttl),
                    web=section(WebSettings, environ), wechat=section(WeChatSettings, environ),
                    deploy=section(DeploySettings, environ), console=console_settings(environ),
                    scaleout=section(ScaleoutSettings, environ), limits=section(LimitsSettings, environ),
                    clock=clock_settings(environ), retention=section(RetentionSettings, environ),
                    models=section(ModelsSettings, environ))


def clock_settings(environ: Optional[Mapping[str, str]] = None) -> ClockSettings:
    """The clock section; a test clock (``FENQI_CLOCK_AT``/``FENQI_CLOCK_OFFSET``) outside
    ``FENQI_ENV=development`` is a :class:`ConfigurationError`."""
    clock = section(ClockSettings, environ)
    if clock.set_by_test and environment(environ) == "production":
        raise ConfigurationError("FENQI_CLOCK_AT / FENQI_CLOCK_OFFSET set the clock for tests only: "
                                 "refused unless FENQI_ENV=development")
    return clock


def console_settings(environ: Optional[Mapping[str, str]] = None) -> ConsoleSettings:
    """The console section; secure cookies default to on in production."""
    console = section(ConsoleSettings, environ)
    if console.console_secure_cookie is None:
        production = environment(environ) == "production"
        console = ConsoleSettings.construct(console_host=console.console_host,
                                            console_port=console.console_port,
                                            console_secure_cookie=production,
                                            agent_message_ttl=console.agent_message_ttl)
    return console


def load_limits(env: Optional[Mapping[str, str]] = None) -> _limits.Limits:
    """The input and rate limits (:class:`fenqi.security.limits.Limits`) from the limits section read
    from ``env`` (default: the process environment); a bad value is a ``ValueError`` naming its
    variable."""
    try:
        s = section(LimitsSettings, env)
    except ConfigurationError as exc:
        raise ValueError(str(exc)) from exc
    return _limits.Limits(max_body_bytes=s.max_body_bytes, max_message_chars=s.max_message_chars,
                          socket_rate_per_minute=s.socket_rate,
                          socket_messages_per_post=s.socket_messages_per_post,
                          socket_history_interval=s.socket_history_interval, relay_rate_per_minute=s.relay_rate,
                          relay_max_concurrent=s.relay_max_concurrent,
                          relay_max_per_client=s.relay_per_client)


def load_console_settings() -> ConsoleSettings:
    """The console section of the process's settings (no user-token secret needed)."""
    return console_settings()


def load_settings() -> Settings:
    """The process's settings, from the environment (see :func:`read_settings`)."""
    return read_settings()


def token_rules_once() -> Callable[[], _identity.TokenRules]:
    """A provider of the token rules (secret, lifetime cap) that reads the settings on its first
    call only (a channel's per-request lookup; a missing production secret still fails on use, with
    the variable named)."""
    cached: List[_identity.TokenRules] = []

    def provider() -> _identity.TokenRules:
        if not cached:
            cached.append(load_settings().identity.rules)
        return cached[0]
    return provider


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
