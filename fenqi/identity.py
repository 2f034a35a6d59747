"""Signed user tokens (JWT, HS256): the only way the bot learns who is asking.

A token is accepted when its signature, issuer, subject and expiry verify **and**:

* its lifetime (``exp - iat``) is at most the cap (``FENQI_TOKEN_MAX_TTL``, default 2 h): a token
  minted to last a month is refused even while it is "valid";
* its channel claim (``chn``) fits where it is presented: the WeChat channel mints ``chn=wechat``
  tokens per turn, accepted on WeChat turns only; REST and the widget accept the host app's tokens
  only (no ``chn``, or ``app``/``web``/``rest``);
* it was issued after the user's last sign-out, if any (:func:`revoked`; ``fenqi.signout``).

``iat`` is kept to the millisecond (as are sign-out marks), so a sign-out and a sign-in in the same
second stay apart.
Token times are the real wall clock (PyJWT checks ``exp`` against it), not the business clock.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import FrozenSet, Mapping, Optional

import jwt

ALGORITHM = "HS256"
ISSUER = "fenqi-assistant"
MAX_TOKEN_CHARS = 4096
MAX_TOKEN_TTL = 7200  # seconds; FENQI_TOKEN_MAX_TTL (fenqi.settings) overrides it

# Where a token is presented -> the channel claims accepted there.
APP = "app"          # REST, the widget (socket.io): tokens the host app's backend minted
WECHAT = "wechat"    # WeChat turns: tokens the WeChat channel minted for a bound OpenID
ACCEPTED_CLAIMS: Mapping[str, FrozenSet[Optional[str]]] = {
    APP: frozenset({None, "app", "web", "rest"}),
    WECHAT: frozenset({"wechat"}),
}


class IdentityError(Exception):
    """The token is missing, forged, expired, malformed, too long-lived, for another channel or
    signed out. ``reason`` is a short code (``missing``, ``invalid``, ``bad_signature``,
    ``expired``, ``lifetime``, ``wrong_channel``, ``signed_out``, ...)."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Identity:
    user_id: str
    channel: Optional[str] = None
    expires_at: Optional[float] = None
    issued_at: Optional[float] = None


def issue_token(user_id: str, secret: str, ttl: int = 3600, channel: Optional[str] = None,
                now: Optional[float] = None) -> str:
    """Mint a token whose subject is ``user_id``, valid for ``ttl`` seconds."""
    if not user_id:
        raise ValueError("user_id must not be empty")
    issued = to_millis(now if now is not None else time.time())
    claims = {"sub": str(user_id), "iat": issued, "exp": issued + int(ttl), "iss": ISSUER}
    if channel:
        claims["chn"] = channel
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_token(token: Optional[str], secret: str, *, max_ttl: int = MAX_TOKEN_TTL,
                 presented_on: str = APP) -> Identity:
    """Return the verified identity or raise :class:`IdentityError` (see the module doc)."""
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
    issued, expires = claims["iat"], claims["exp"]
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (issued, expires)):
        raise IdentityError("invalid", "token times are not numbers")
    if expires - issued > max_ttl:
        raise IdentityError("lifetime", f"token lifetime {expires - issued:.0f} s exceeds {max_ttl} s")
    channel = claims.get("chn")
    if channel is not None and not isinstance(channel, str):
        raise IdentityError("invalid", "token channel claim is not a string")
    if channel not in ACCEPTED_CLAIMS.get(presented_on, frozenset()):
        raise IdentityError("wrong_channel", f"a {channel or 'app'} token is not accepted on {presented_on}")
    return Identity(user_id=sub, channel=channel, expires_at=expires, issued_at=issued)


def to_millis(epoch: float) -> float:
    """Epoch seconds cut to the millisecond (token ``iat`` and sign-out marks alike)."""
    return math.floor(epoch * 1000) / 1000


def revoked(identity: Identity, revoked_before: Optional[float]) -> bool:
    """Whether the user signed out (at epoch ``revoked_before``) after this token was issued."""
    return revoked_before is not None and (identity.issued_at or 0.0) <= revoked_before


@dataclass(frozen=True)
class TokenRules:
    """The secret and the lifetime cap a process verifies tokens with (from the settings)."""

    secret: str
    max_ttl: int = MAX_TOKEN_TTL

    def verify(self, token: Optional[str], presented_on: str = APP) -> Identity:
        return verify_token(token, self.secret, max_ttl=self.max_ttl, presented_on=presented_on)


def presented_on(input_channel: Optional[str]) -> str:
    """Where a Rasa turn's token was presented, from the turn's input channel name."""
    return WECHAT if input_channel == WECHAT else APP
