"""Console security as small pure pieces: cookie attributes, CSRF checks, the login rate limit."""
from __future__ import annotations

import hmac
import time
from collections import deque
from typing import Callable, Deque, Dict, Optional

SESSION_COOKIE = "fq_console"
LOGIN_CSRF_COOKIE = "fq_console_login"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf"
SIGNED = "signed"  # the request key of the signed-in agent (fenqi.handoff.agents.SignedIn)


def cookie_options(secure: bool, max_age: Optional[int] = None) -> Dict[str, object]:
    """HttpOnly, SameSite=Strict, path /; Secure when configured (HTTPS deployments)."""
    options: Dict[str, object] = {"httponly": True, "samesite": "Strict", "path": "/", "secure": secure}
    if max_age is not None:
        options["max_age"] = max_age
    return options


def csrf_ok(expected: Optional[str], given: Optional[str]) -> bool:
    """Constant-time comparison; a missing token on either side never matches."""
    if not expected or not given or not isinstance(given, str) or len(given) > 128:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


class LoginLimiter:
    """At most ``max_failures`` failed sign-ins per key (client address, agent name) per ``window`` s."""

    def __init__(self, max_failures: int = 5, window: float = 300.0,
                 clock: Callable[[], float] = time.monotonic, max_keys: int = 10_000) -> None:
        self.max_failures = max_failures
        self.window = window
        self._clock = clock
        self._max_keys = max_keys
        self._failures: Dict[str, Deque[float]] = {}

    def _recent(self, key: str) -> Deque[float]:
        now = self._clock()
        times = self._failures.get(key)
        if times is None:
            return deque()
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            self._failures.pop(key, None)
        return times

    def blocked(self, *keys: str) -> bool:
        return any(len(self._recent(k)) >= self.max_failures for k in keys)

    def failed(self, *keys: str) -> None:
        if len(self._failures) >= self._max_keys:  # bounded memory under a flood of names
            self._failures.clear()
        for key in keys:
            self._failures.setdefault(key, deque()).append(self._clock())

    def reset(self, *keys: str) -> None:
        for key in keys:
            self._failures.pop(key, None)
