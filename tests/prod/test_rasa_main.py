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
