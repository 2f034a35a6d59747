"""Which channel a conversation came through, from its server-derived sender id (one rule)."""
from __future__ import annotations

from typing import Dict, Optional

from fenqi.handoff.view import CHANNEL_LABELS
from fenqi.security.inbound import REST_ANON_PREFIX, REST_USER_PREFIX
from fenqi.widget import ANONYMOUS_PREFIX, USER_PREFIX

WIDGET, WECHAT, REST, OTHER = "widget", "wechat", "rest", "other"
CHANNELS = (WIDGET, WECHAT, REST)              # the ones the pages list; OTHER only when it occurs
ALL_CHANNELS = CHANNELS + (OTHER,)
WECHAT_PREFIX = "wx:"                          # fenqi.wechat.inbound.Inbound.sender_id
PREFIXES = ((USER_PREFIX, WIDGET), (ANONYMOUS_PREFIX, WIDGET), (WECHAT_PREFIX, WECHAT),
            (REST_USER_PREFIX, REST), (REST_ANON_PREFIX, REST))
LABELS: Dict[str, str] = {WIDGET: CHANNEL_LABELS["secure_socketio"], WECHAT: CHANNEL_LABELS["wechat"],
                          REST: CHANNEL_LABELS["rest"], OTHER: "其他（调试、接口）"}


def channel_of(sender_id: str) -> str:
    """``widget`` (``web:``/``anon:``), ``wechat`` (``wx:``), ``rest`` (``rest:u:``/``rest:anon:``), else ``other``."""
    for prefix, channel in PREFIXES:
        if sender_id.startswith(prefix):
            return channel
    return OTHER


def parse_channel(value: Optional[str]) -> Optional[str]:
    """A channel filter from a query string: a known channel, or None for all."""
    return value if value in ALL_CHANNELS else None
