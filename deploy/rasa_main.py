"""``python -m deploy.rasa_main ...``: Rasa's own command line with production speed-ups.

Rasa 3.6 validates every action-server response with ``jsonschema.validate``, which first
re-validates the response *schema* against the JSON-Schema meta-schema: about a fifth of a
Rasa process's CPU per message under load (py-spy, docs/benchmarks.md). Here the schema is
checked once and one validator is reused; the check of each response is unchanged (same
errors, same message). Everything else is ``rasa`` as installed.
"""
from __future__ import annotations

import os
import sys
from functools import lru_cache
from typing import Any, Dict, List, Optional, Text


@lru_cache(maxsize=1)
def _validator():
    """One validator for Rasa's (constant) action-response schema, checked once."""
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def install_speedups() -> None:
    """Replace ``RemoteAction._validate_action_result`` by a cached-validator version."""
    from jsonschema import ValidationError
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    if getattr(RemoteAction._validate_action_result, "_fenqi_cached", False):
        return

    def _validate_action_result(self, result: Dict[Text, Any]) -> bool:
        try:
            _validator().validate(result)
            return True
        except ValidationError as e:
            e.message += (
                f". Failed to validate Action server response from API, "
                f"make sure your response from the Action endpoint is valid. "
                f"For more information about the format visit "
                f"{DOCS_BASE_URL}/custom-actions"
            )
            raise e

    _validate_action_result._fenqi_cached = True
    RemoteAction._validate_action_result = _validate_action_result


# --- limits (issue #11): kept apart from the start-up speed-ups above ---------------------
HTTP_MAX_BODY = 64 * 1024  # every route; the channels enforce their own, smaller limits


def apply_limits() -> None:
    """Bound every request body (Sanic reads ``SANIC_*`` variables when Rasa creates its app)
    and create every file private (umask 077: tracker db, logs, models written by this process)."""
    os.environ.setdefault("SANIC_REQUEST_MAX_SIZE", os.environ.get("FENQI_HTTP_MAX_BODY", str(HTTP_MAX_BODY)))
    os.environ.setdefault("SANIC_REQUEST_TIMEOUT", "30")
    os.umask(0o077)


def api_token_matches(provided: Any, expected: str) -> bool:
    """Constant-time comparison of an API token (never ``==``)."""
    import hmac

    return isinstance(provided, str) and hmac.compare_digest(provided.encode(), expected.encode())


def provided_api_token(request: Any) -> Optional[str]:
    """The API token from ``Authorization: Bearer|Token <t>`` (preferred: not logged) or ``?token=``."""
    header = (request.headers.get("authorization") or "").strip()
    scheme, _, value = header.partition(" ")
    if scheme.lower() in ("bearer", "token") and value.strip():
        return value.strip()
    return request.args.get("token")


def harden_api_auth() -> None:
    """Rasa's ``requires_auth`` with the token in a header as well and a constant-time compare."""
    import rasa.server
    from functools import wraps
    from inspect import isawaitable

    original = rasa.server.requires_auth
    if getattr(original, "_fenqi_hardened", False):
        return

    def requires_auth(app: Any, token: Optional[str] = None) -> Any:
        if token is None:  # JWT or no auth: Rasa's own logic
            return original(app, token)
        fallback = original(app, None) if app.config.get("USE_JWT") else None

        def decorator(f: Any) -> Any:
            jwt_guarded = fallback(f) if fallback else None

            @wraps(f)
            async def decorated(request: Any, *args: Any, **kwargs: Any) -> Any:
                if api_token_matches(provided_api_token(request), token):
                    result = f(request, *args, **kwargs)
                    return await result if isawaitable(result) else result
                if jwt_guarded is not None:
                    return await jwt_guarded(request, *args, **kwargs)
                from rasa.server import ErrorResponse
                raise ErrorResponse(401, "NotAuthenticated", "User is not authenticated.")
            return decorated
        return decorator

    requires_auth._fenqi_hardened = True  # type: ignore[attr-defined]
    rasa.server.requires_auth = requires_auth


def check_api_token(argv: List[str]) -> None:
    """Outside development, refuse to start with a short or placeholder ``--auth-token``."""
    from fenqi.settings import check_production_secret, is_development

    if is_development() or "--auth-token" not in argv:
        return
    index = argv.index("--auth-token")
    check_production_secret("RASA_API_TOKEN (--auth-token)", argv[index + 1] if index + 1 < len(argv) else "")


def main() -> None:
    apply_limits()
    check_api_token(sys.argv)
    harden_api_auth()
    install_speedups()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
