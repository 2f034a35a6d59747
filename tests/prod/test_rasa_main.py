"""The production Rasa launcher's speed-up keeps the action-response check intact."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

from deploy.rasa_main import install_speedups

pytestmark = pytest.mark.prod


@pytest.fixture(scope="module")
def action():
    install_speedups()
    return RemoteAction("action_how_to_repay", EndpointConfig(url="http://127.0.0.1:9/webhook"))


def test_installed_once(action):
    patched = RemoteAction._validate_action_result
    install_speedups()
    assert RemoteAction._validate_action_result is patched and patched._fenqi_cached


def test_valid_response_passes(action):
    response = {"events": [{"event": "slot", "name": "order_id", "value": None}],
                "responses": [{"text": "您好", "buttons": [{"title": "A", "payload": "/x"}]}]}
    assert action._validate_action_result(response) is True


@pytest.mark.parametrize("response", [{"events": "not a list"}, {"events": [{"no_event_key": 1}]},
                                      {"responses": "text"}, {"events": [], "responses": [{"text": 3}]}])
def test_same_verdict_as_rasas_own_check(action, response):
    import jsonschema

    try:
        jsonschema.validate(response, RemoteAction.action_response_format_spec())
        expected = None
    except ValidationError as exc:
        expected = exc.message
    if expected is None:
        assert action._validate_action_result(response) is True
    else:
        with pytest.raises(ValidationError) as err:
            action._validate_action_result(response)
        assert err.value.message.startswith(expected)
        assert "Failed to validate Action server response" in err.value.message


def test_action_calls_reuse_one_session_and_connection(monkeypatch):
    """Two calls through one endpoint arrive on one TCP connection, with the endpoint's headers."""
    import asyncio

    from aiohttp import web

    from deploy.rasa_main import install_shared_sessions

    install_shared_sessions()

    async def scenario():
        peers, headers = [], []

        async def webhook(request):
            peers.append(request.transport.get_extra_info("peername"))
            headers.append(request.headers.get("X-Fenqi"))
            return web.json_response({"events": [], "responses": []})

        app = web.Application()
        app.router.add_post("/webhook", webhook)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        endpoint = EndpointConfig(url=f"http://127.0.0.1:{port}/webhook", headers={"X-Fenqi": "1"})
        try:
            answers = [await endpoint.request(json={"next_action": "x"}) for _ in range(2)]
            other = EndpointConfig(url=f"http://127.0.0.1:{port}/webhook")
            await other.request(json={})
            monkeypatch.setattr("deploy.rasa_main.KEEPALIVE_S", 0.3)
            idle = EndpointConfig(url=f"http://127.0.0.1:{port}/webhook")
            await idle.request(json={})
            await asyncio.sleep(0.6)  # idle longer than the keep-alive: a fresh connection
            await idle.request(json={})
        finally:
            await runner.cleanup()
        return answers, peers, headers

    answers, peers, headers = asyncio.run(scenario())
    assert answers == [{"events": [], "responses": []}] * 2
    assert peers[0] == peers[1] != peers[2]  # kept alive per endpoint, not shared between endpoints
    assert peers[3] != peers[4]
    assert headers == ["1", "1", None, None, None]


MODEL = Path(__file__).resolve().parents[2] / "models" / "fenqi.tar.gz"
TEXTS = ["你好", "我这个月要还多少钱", "那提前还呢？", "备用金怎么用", "为什么我有额度却不能分期", "帮我转人工",
         "+++ === ---"]


def with_fresh_agent(collect):
    """``await collect(agent)`` on the trained model, freshly loaded."""
    from rasa.core.agent import Agent

    assert MODEL.exists(), "run `make train` first"

    async def go():
        return await collect(Agent.load(str(MODEL)))
    return asyncio.run(go())


@pytest.mark.e2e
def test_serving_load_gives_the_same_predictions_as_rasas_load():
    """DIET built by one prediction (deploy.rasa_main) predicts exactly as after Rasa's training step."""
    from rasa.utils.tensorflow.models import RasaModel

    from deploy.rasa_main import install_inference_loading

    async def rankings(agent):
        return [[(r["name"], round(r["confidence"], 5)) for r in (await agent.parse_message(t))["intent_ranking"]]
                for t in TEXTS]

    install_inference_loading()
    serving = RasaModel.__dict__["load"]  # the classmethod itself
    assert getattr(serving.__func__, "_fenqi_inference", False)
    try:
        RasaModel.load = classmethod(serving.__func__._fenqi_original)
        expected = with_fresh_agent(rankings)
    finally:
        RasaModel.load = serving
    assert with_fresh_agent(rankings) == expected


@pytest.mark.e2e
def test_graph_runs_without_dask_give_dasks_results():
    """The sequential graph runner (deploy.rasa_main) parses and predicts exactly as dask's."""
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.shared.core.events import UserUttered

    from deploy.rasa_main import install_sequential_graph_runner

    async def outcomes(agent):
        out = []
        for k, text in enumerate(TEXTS):
            parsed = await agent.parse_message(text)
            tracker = await agent.processor.fetch_tracker_with_initial_session(f"graph-{k}")
            tracker.update(UserUttered(text, parsed["intent"], parsed["entities"], parsed))
            prediction = agent.processor.predict_next_with_tracker(tracker)
            out.append((parsed["intent"], parsed["entities"], [r["name"] for r in parsed["intent_ranking"]],
                        prediction["policy"], prediction["confidence"]))
        return out

    install_sequential_graph_runner()
    sequential = DaskGraphRunner.run
    assert sequential._fenqi_sequential
    try:
        DaskGraphRunner.run = sequential._fenqi_original  # Rasa's own, with dask
        expected = with_fresh_agent(outcomes)
    finally:
        DaskGraphRunner.run = sequential
    assert with_fresh_agent(outcomes) == expected
