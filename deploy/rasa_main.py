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
from typing import Any, Dict, Text


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


def main() -> None:
    apply_limits()
    install_speedups()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
