"""``python -m deploy.rasa_main ...``: Rasa's own command line with production speed-ups.

Work Rasa 3.6 repeats for every message although it does not depend on the message, done once:

* every action-server response is validated with ``jsonschema.validate``, which first
  re-validates the response *schema* against the JSON-Schema meta-schema: about a fifth of a
  Rasa process's CPU per message under load (py-spy, docs/benchmarks.md). Here the schema is
  checked once and one validator is reused; the check of each response is unchanged (same
  errors, same message);
* every action call opens a new ``aiohttp.ClientSession`` and a new TCP connection
  (``EndpointConfig.request``). Here each endpoint keeps one session (same headers, auth and
  timeout) whose connections are reused;
* at start-up, loading DIET trains it for one step before restoring its weights: about half of
  a Rasa process's start-up (py-spy). Here it is built by one prediction instead;
* every graph run (the NLU parse, then each dialogue prediction: three per message) builds a
  dask task graph of the model's nodes and has dask's scheduler walk it: about a twelfth of a
  Rasa process's CPU per message (py-spy, docs/benchmarks-analysis.md). Here the nodes of each
  target set are put in dependency order once and called in that order, with the same inputs
  and outputs.

When a dependency fails, a turn is answered only if it is stored (:mod:`deploy.fail_closed`).

The project root goes on ``sys.path`` so endpoints.yml's classes (``deploy.tracker_store``,
``deploy.lock_store``) always import: Rasa silently falls back to an in-memory store otherwise.
Everything else is ``rasa`` as installed.
"""
from __future__ import annotations

import asyncio
import os
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

ROOT = Path(__file__).resolve().parent.parent


def install_fail_closed() -> None:
    """:mod:`deploy.fail_closed`: strict tracker store, busy reply for a failed action call."""
    from deploy.fail_closed import install

    install()


@lru_cache(maxsize=1)
def _validator():
    """One validator for Rasa's (constant) action-response schema, checked once."""
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


KEEPALIVE_S = 2.0  # idle time after which a kept-alive connection is not reused
_SESSIONS: Dict[int, tuple] = {}  # id(endpoint config) -> (endpoint config, its session)


class _Borrowed:
    """``async with`` on a shared session: hands it out, leaves it open."""

    def __init__(self, session) -> None:
        self.session = session

    async def __aenter__(self):
        return self.session

    async def __aexit__(self, *exc) -> None:
        return None


def install_shared_sessions() -> None:
    """``EndpointConfig.session()``: one session per endpoint and event loop, kept open."""
    import aiohttp
    from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

    if getattr(EndpointConfig.session, "_fenqi_shared", False):
        return

    def session(self):
        loop = asyncio.get_running_loop()
        _, cached = _SESSIONS.get(id(self), (None, None))
        if cached is None or cached.closed or cached._loop is not loop:
            auth = (aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
                    if self.basic_auth else None)
            # As Rasa's own session, plus a connection pool whose idle connections are dropped
            # well before the server drops them (Sanic, the action server: 5 s): a connection
            # the server is closing is never reused.
            cached = aiohttp.ClientSession(headers=self.headers, auth=auth,
                                           timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
                                           connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_S))
            _SESSIONS[id(self)] = (self, cached)  # the endpoint is kept: its id stays unique
        return _Borrowed(cached)

    session._fenqi_shared = True
    EndpointConfig.session = session


def install_inference_loading() -> None:
    """``RasaModel.load`` for serving: build the model by one prediction, not one training step.

    Rasa builds a TensorFlow model before restoring its weights by *training* it on one example
    (``model.fit``: the forward and backward graphs traced, an optimizer step), then traces the
    prediction graph. Serving needs only the latter: here one eager prediction on the example
    creates the variables, the checkpoint is restored into them (checked: every variable gets
    its value), the label embeddings are computed from the restored weights and the prediction
    graph is traced, as Rasa does after its training step. Same weights, same predictions
    (tests/prod/test_rasa_main.py); fine-tuning keeps Rasa's path.
    """
    from rasa.utils.tensorflow.models import RasaModel

    original = RasaModel.load.__func__
    if getattr(original, "_fenqi_inference", False):
        return

    def load(cls, model_file_name, model_data_example, predict_data_example=None, finetune_mode=False,
             *args, **kwargs):
        if finetune_mode or not predict_data_example:
            return original(cls, model_file_name, model_data_example, predict_data_example, finetune_mode,
                            *args, **kwargs)
        model = cls(*args, **kwargs)
        eager, model._run_eagerly = model._run_eagerly, True
        model.run_inference(predict_data_example)  # one eager prediction creates the variables
        model._run_eagerly = eager
        status = model.load_weights(model_file_name)
        status.assert_existing_objects_matched()  # every variable of the model got its trained value
        status.expect_partial()  # the optimizer's slots are in the checkpoint and not needed
        model.prepare_for_predict()  # label embeddings from the trained weights
        model.run_inference(predict_data_example)  # traces the prediction graph, as Rasa does
        return model

    load._fenqi_inference = True
    load._fenqi_original = original
    RasaModel.load = classmethod(load)


def install_sequential_graph_runner() -> None:
    """``DaskGraphRunner.run`` without dask: the minimal schema's nodes called in dependency order.

    Each ``GraphNode`` is called exactly as dask calls it: with the ``(node name, output)`` pair
    of every node (or input) it needs, in the order of its ``needs``; the result is the same
    ``{target: output}`` dict. The order for a set of targets is computed once.
    """
    from rasa.engine.exceptions import GraphRunError
    from rasa.engine.runner.dask import DaskGraphRunner

    if getattr(DaskGraphRunner.run, "_fenqi_sequential", False):
        return

    def plan(self, targets: tuple) -> List[tuple]:
        plans = self.__dict__.setdefault("_fenqi_plans", {})
        if targets not in plans:
            nodes = self._graph_schema.minimal_graph_schema(list(targets)).nodes
            order: List[tuple] = []
            done: set = set()

            def visit(name: str) -> None:
                if name in done:
                    return
                done.add(name)
                needs = tuple(nodes[name].needs.values())
                for need in needs:
                    if need in nodes:
                        visit(need)
                order.append((name, self._instantiated_nodes[name], needs))

            for target in targets:
                visit(target)
            plans[targets] = order
        return plans[targets]

    def run(self, inputs: Optional[Dict[Text, Any]] = None, targets: Optional[List[Text]] = None) -> Dict[Text, Any]:
        run_targets = tuple(targets if targets else self._graph_schema.target_names)
        order = plan(self, run_targets)
        values: Dict[Text, Any] = {}
        for name, value in (inputs or {}).items():
            if isinstance(value, str) and any(value == node for node, _, _ in order):
                raise GraphRunError(f"Input value '{value}' clashes with a node name. Make sure that none of "
                                    "the input names passed to the `run` method are the same as node names "
                                    "in the graph schema.")
            values[name] = (name, value)
        try:
            for name, node, needs in order:
                # dask passes a key it cannot resolve as the key itself; GraphNode reports it
                values[name] = node(*(values.get(need, need) for need in needs))
        except RuntimeError as e:
            raise GraphRunError("Error running runner.") from e
        return dict(values[target] for target in run_targets)

    run._fenqi_sequential = True
    run._fenqi_original = DaskGraphRunner.run
    DaskGraphRunner.run = run


def install_speedups() -> None:
    """Serving-only model loading, cached response validator, shared HTTP sessions, graph runs
    without dask (module docstring)."""
    install_inference_loading()
    install_shared_sessions()
    install_validator()
    install_sequential_graph_runner()


def install_validator() -> None:
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
def apply_limits() -> None:
    """Bound every request body (``FENQI_HTTP_MAX_BODY`` from the settings, default 64 KiB; Sanic
    reads ``SANIC_*`` variables when Rasa creates its app) and create every file private (umask
    077: tracker db, logs, models written by this process)."""
    from fenqi.settings import LimitsSettings, section

    os.environ.setdefault("SANIC_REQUEST_MAX_SIZE", str(section(LimitsSettings).http_max_body))
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
    from functools import wraps
    from inspect import isawaitable

    import rasa.server

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
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    apply_limits()
    check_api_token(sys.argv)
    harden_api_auth()
    install_speedups()
    install_fail_closed()  # a turn is answered only if stored; a failed action says "busy"
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
