"""Channel configuration: ``credentials.yml`` keys first, the settings' ``wechat`` section
(``WECHAT_*`` variables, :mod:`fenqi.settings`) as fallback."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional

from fenqi.settings import WeChatSettings, section

DEFAULT_API_BASE = "https://api.weixin.qq.com"
DEFAULT_PASSIVE_TIMEOUT = 4.0  # WeChat waits 5 s; leave headroom for the network
MAX_BODY_BYTES = 64 * 1024
TIMESTAMP_WINDOW = 300  # seconds a signed request stays acceptable (and its nonce remembered)

# credentials.yml keys: the fields of fenqi.settings.WeChatSettings (WECHAT_<KEY> in the environment)
KEYS = tuple(WeChatSettings.__fields__)


@dataclass(frozen=True)
class WeChatConfig:
    token: str = ""
    appid: str = ""
    appsecret: str = ""
    encoding_aes_key: str = ""
    api_base: str = DEFAULT_API_BASE
    passive_timeout: float = DEFAULT_PASSIVE_TIMEOUT
    max_body_bytes: int = MAX_BODY_BYTES
    timestamp_window: int = TIMESTAMP_WINDOW

    @property
    def configured(self) -> bool:
        """The webhook can verify requests (a token is set)."""
        return bool(self.token)

    @property
    def can_decrypt(self) -> bool:
        """Safe mode (``encrypt_type=aes``) needs the EncodingAESKey and the AppID."""
        return bool(self.encoding_aes_key and self.appid)

    @property
    def can_call_api(self) -> bool:
        """Customer-service messages need AppID and AppSecret."""
        return bool(self.appid and self.appsecret)


def _pick(credentials: Mapping[str, Any], settings: WeChatSettings, key: str) -> str:
    value = credentials.get(key)
    if value is None or str(value).strip() == "":
        value = getattr(settings, key)
    return str(value).strip()


def load_config(credentials: Optional[Mapping[str, Any]] = None,
                environ: Optional[Mapping[str, str]] = None,
                settings: Optional[WeChatSettings] = None) -> WeChatConfig:
    """Build the config; ``credentials`` may be None (``channels.wechat.WeChatInput:`` with no keys).

    The fallback is ``settings`` (the ``wechat`` section), else read from ``environ`` (default:
    the process environment)."""
    credentials = credentials or {}
    fallback = settings if settings is not None else section(WeChatSettings, environ)
    timeout_text = _pick(credentials, fallback, "passive_timeout")
    try:
        timeout = float(timeout_text) if timeout_text else DEFAULT_PASSIVE_TIMEOUT
    except ValueError as exc:
        raise ValueError("WECHAT_PASSIVE_TIMEOUT must be a number of seconds") from exc
    if not 0 < timeout < 5:
        raise ValueError("passive_timeout must be between 0 and 5 seconds (WeChat waits 5 s)")
    return WeChatConfig(
        token=_pick(credentials, fallback, "token"),
        appid=_pick(credentials, fallback, "appid"),
        appsecret=_pick(credentials, fallback, "appsecret"),
        encoding_aes_key=_pick(credentials, fallback, "encoding_aes_key"),
        api_base=(_pick(credentials, fallback, "api_base") or DEFAULT_API_BASE).rstrip("/"),
        passive_timeout=timeout,
    )
