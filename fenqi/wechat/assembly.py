"""Wire a :class:`WeChatWebhook` from configuration and a bot callable (defaults: the process's
store and settings, JWT)."""
from __future__ import annotations

from typing import Callable, Optional

from fenqi.identity import WECHAT, issue_token
from fenqi.settings import Settings, load_settings

from .api import WeChatApi
from .config import WeChatConfig
from .conversation import Bot, Directory, Responder, TakeoverHook
from .turns import TurnStore
from .webhook import WeChatWebhook

TOKEN_TTL = 300  # seconds: a token covers one bot turn, not a session
CHANNEL = WECHAT


def token_minter(jwt_secret: str) -> Callable[[str], str]:
    """Mint short-lived channel tokens: ``issue_token(user_id, secret, ttl=300, channel="wechat")``."""
    def mint(user_id: str) -> str:
        return issue_token(user_id, jwt_secret, ttl=TOKEN_TTL, channel=CHANNEL)
    return mint


def sql_directory() -> Directory:
    """Bindings in the process's one store (:func:`fenqi.db.engine.process_store`, opened on first use)."""
    from fenqi.db.engine import process_store

    from .binding import SqlDirectory

    return SqlDirectory(lambda: process_store().sessions)


def build_webhook(config: WeChatConfig, bot: Bot, directory: Optional[Directory] = None,
                  mint_token: Optional[Callable[[str], str]] = None, api: Optional[WeChatApi] = None,
                  turns: Optional[TurnStore] = None, takeover: Optional[TakeoverHook] = None,
                  settings: Optional[Settings] = None) -> WeChatWebhook:
    """The webhook with production defaults for whatever is not given; ``settings`` (default: the
    process's, read here once, when Rasa mounts the channel) is passed down."""
    from fenqi.security.replay import nonce_cache

    from .shared import option_memory, turn_claims  # Redis across instances when configured (#13)

    settings = settings if settings is not None else load_settings()
    if api is None and config.can_call_api:
        api = WeChatApi(config)
    redis_url = settings.scaleout.wechat_redis_url
    responder = Responder(bot=bot, directory=directory or sql_directory(),
                          mint_token=mint_token or token_minter(settings.jwt_secret), takeover=takeover,
                          options=option_memory(redis_url))
    return WeChatWebhook(config, responder, api=api, turns=turns,
                         nonces=nonce_cache(2 * config.timestamp_window, redis_url), claims=turn_claims(redis_url))
