"""Channel configuration: ``credentials.yml`` keys first, environment variables as fallback."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Mapping, Optional

DEFAULT_API_BASE = "https://api.weixin.qq.com"
DEFAULT_PASSIVE_TIMEOUT = 4.0  # WeChat waits 5 s; leave headroom for the network
MAX_BODY_BYTES = 64 * 1024
TIMESTAMP_WINDOW = 300  # seconds a signed request stays acceptable (and its nonce remembered)

# credentials.yml key -> environment variable
KEYS = {
    "token": "WECHAT_TOKEN",
    "appid": "WECHAT_APPID",
    "appsecret": "WECHAT_APPSECRET",
    "encoding_aes_key": "WECHAT_ENCODING_AES_KEY",
    "api_base": "WECHAT_API_BASE",
    "passive_timeout": "WECHAT_PASSIVE_TIMEOUT",
}


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


def _pick(credentials: Mapping[str, Any], environ: Mapping[str, str], key: str) -> str:
    value = credentials.get(key)
    if value is None or str(value).strip() == "":
        value = environ.get(KEYS[key], "")
    return str(value).strip()


def load_config(credentials: Optional[Mapping[str, Any]] = None,
                environ: Optional[Mapping[str, str]] = None) -> WeChatConfig:
    """Build the config; ``credentials`` may be None (``channels.wechat.WeChatInput:`` with no keys)."""
    credentials = credentials or {}
    environ = os.environ if environ is None else environ
    timeout_text = _pick(credentials, environ, "passive_timeout")
    try:
        timeout = float(timeout_text) if timeout_text else DEFAULT_PASSIVE_TIMEOUT
    except ValueError as exc:
        raise ValueError("WECHAT_PASSIVE_TIMEOUT must be a number of seconds") from exc
    if not 0 < timeout < 5:
        raise ValueError("passive_timeout must be between 0 and 5 seconds (WeChat waits 5 s)")
    return WeChatConfig(
        token=_pick(credentials, environ, "token"),
        appid=_pick(credentials, environ, "appid"),
        appsecret=_pick(credentials, environ, "appsecret"),
        encoding_aes_key=_pick(credentials, environ, "encoding_aes_key"),
        api_base=(_pick(credentials, environ, "api_base") or DEFAULT_API_BASE).rstrip("/"),
        passive_timeout=timeout,
    )
