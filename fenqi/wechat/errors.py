"""Request rejections carrying the HTTP status the webhook answers with."""
from __future__ import annotations


class WebhookError(Exception):
    """Reject the request with ``status``; ``message`` is safe to return and to log."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def bad_request(message: str) -> WebhookError:
    return WebhookError(400, message)


def forbidden(message: str = "invalid signature") -> WebhookError:
    return WebhookError(403, message)


def too_large(message: str = "request body too large") -> WebhookError:
    return WebhookError(413, message)


def not_configured(message: str = "wechat channel not configured") -> WebhookError:
    return WebhookError(503, message)
