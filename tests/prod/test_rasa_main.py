"""The production Rasa launcher's speed-up keeps the action-response check intact."""
from __future__ import annotations

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


def test_action_calls_reuse_one_session_and_connection():
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
        finally:
            await runner.cleanup()
        return answers, peers, headers

    answers, peers, headers = asyncio.run(scenario())
    assert answers == [{"events": [], "responses": []}] * 2
    assert peers[0] == peers[1] != peers[2]  # kept alive per endpoint, not shared between endpoints
    assert headers == ["1", "1", None]
