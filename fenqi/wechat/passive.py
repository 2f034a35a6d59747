"""Passive (synchronous) XML replies, built by wechatpy."""
from __future__ import annotations

import re

from wechatpy.messages import BaseMessage
from wechatpy.replies import create_reply

SUCCESS = "success"  # tells WeChat "received, no passive reply" (no retry, no error shown)

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_safe_text(text: str) -> str:
    """Text that survives wechatpy's CDATA template: no ``]]>`` and no XML-illegal characters."""
    return _XML_INVALID.sub("", text).replace("]]>", "]] >")


def text_reply_xml(message: BaseMessage, text: str) -> str:
    """A ``TextReply`` to ``message`` (From/To swapped by wechatpy)."""
    return create_reply(xml_safe_text(text), message=message, render=True)
