"""Signed user tokens (JWT, HS256): the only way the bot learns who is asking."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Optional

import jwt

ALGORITHM = "HS256"
ISSUER = "fenqi-assistant"
MAX_TOKEN_CHARS = 4096


class IdentityError(Exception):
    """The token is missing, forged, expired or malformed. ``reason`` is a short code."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Identity:
    user_id: str
    channel: Optional[str] = None
    expires_at: Optional[int] = None


def issue_token(user_id: str, secret: str, ttl: int = 3600, channel: Optional[str] = None,
                now: Optional[float] = None) -> str:
    """Mint a token whose subject is ``user_id``, valid for ``ttl`` seconds."""
    if not user_id:
        raise ValueError("user_id must not be empty")
    issued = int(now if now is not None else time.time())
    claims = {"sub": str(user_id), "iat": issued, "exp": issued + int(ttl), "iss": ISSUER}
    if channel:
        claims["chn"] = channel
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_token(token: Optional[str], secret: str) -> Identity:
    """Return the verified identity or raise :class:`IdentityError`."""
    if not token or not isinstance(token, str):
        raise IdentityError("missing", "no token")
    if len(token) > MAX_TOKEN_CHARS or not token.isascii():
        raise IdentityError("invalid", "token invalid: not a JWT")
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], issuer=ISSUER,
                            options={"require": ["sub", "exp", "iat"]})
    except jwt.ExpiredSignatureError as exc:
        raise IdentityError("expired", "token expired") from exc
    except jwt.InvalidSignatureError as exc:
        raise IdentityError("bad_signature", "token signature invalid") from exc
    except jwt.PyJWTError as exc:
        raise IdentityError("invalid", f"token invalid: {exc.__class__.__name__}") from exc
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise IdentityError("invalid", "token has no subject")
    return Identity(user_id=sub, channel=claims.get("chn"), expires_at=claims.get("exp"))
