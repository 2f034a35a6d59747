"""Wire a :class:`WeChatWebhook` from configuration and a bot callable (defaults: real store, JWT)."""
from __future__ import annotations

import threading
from typing import Callable, Optional

from fenqi.identity import issue_token
from fenqi.settings import Settings, load_settings

from .api import WeChatApi
from .config import WeChatConfig
from .conversation import Bot, Directory, Responder, TakeoverHook
from .turns import TurnStore
from .webhook import WeChatWebhook

TOKEN_TTL = 300  # seconds: a token covers one bot turn, not a session
CHANNEL = "wechat"


class LazySettings:
    """``load_settings()`` on first use, once (never at import or channel construction)."""

    def __init__(self, loader: Callable[[], Settings] = load_settings):
        self._loader = loader
        self._settings: Optional[Settings] = None
        self._lock = threading.Lock()

    def __call__(self) -> Settings:
        with self._lock:
            if self._settings is None:
                self._settings = self._loader()
            return self._settings


def token_minter(settings: Callable[[], Settings]) -> Callable[[str], str]:
    """Mint short-lived channel tokens: ``issue_token(user_id, secret, ttl=300, channel="wechat")``."""
    def mint(user_id: str) -> str:
        return issue_token(user_id, settings().jwt_secret, ttl=TOKEN_TTL, channel=CHANNEL)
    return mint


def sql_directory(settings: Callable[[], Settings]) -> Directory:
    from fenqi.db.engine import process_store

    from .binding import SqlDirectory

    return SqlDirectory(lambda: process_store().sessions)  # the process's one store


def build_webhook(config: WeChatConfig, bot: Bot, directory: Optional[Directory] = None,
                  mint_token: Optional[Callable[[str], str]] = None, api: Optional[WeChatApi] = None,
                  turns: Optional[TurnStore] = None, takeover: Optional[TakeoverHook] = None) -> WeChatWebhook:
    """The webhook with production defaults for whatever is not given."""
    settings = LazySettings()
    if api is None and config.can_call_api:
        api = WeChatApi(config)
    responder = Responder(bot=bot, directory=directory or sql_directory(settings),
                          mint_token=mint_token or token_minter(settings), takeover=takeover)
    from fenqi.security.replay import nonce_cache
    from fenqi.settings import ScaleoutSettings, section

    from .shared import turn_claims  # Redis claims across instances when configured (#13)

    redis_url = section(ScaleoutSettings).wechat_redis_url
    return WeChatWebhook(config, responder, api=api, turns=turns,
                         nonces=nonce_cache(2 * config.timestamp_window, redis_url), claims=turn_claims(redis_url))
