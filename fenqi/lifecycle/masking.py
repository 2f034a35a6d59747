"""What an operator sees in an export: every string through :func:`fenqi.privacy.mask_secrets`.

Personal numbers typed in a conversation are masked at rest already; this masks them again
(anything older or missed), drops anything shaped like a bearer token and replaces WeChat
conversation ids by a pseudonym. OpenID columns are replaced by the same pseudonym.
"""
from __future__ import annotations

from typing import Any

from fenqi.privacy import mask_secrets, pseudonym

OPENID_KEYS = ("openid",)  # a column or JSON key holding a bare OpenID


def masked(value: Any) -> Any:
    """``value`` (JSON-like: dicts, lists, strings, numbers) with every string masked."""
    if isinstance(value, str):
        return mask_secrets(value)
    if isinstance(value, dict):
        return {key: (pseudonym(item) if key in OPENID_KEYS and isinstance(item, str) else masked(item))
                for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [masked(item) for item in value]
    return value
