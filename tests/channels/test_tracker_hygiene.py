"""strip_secrets: bearer tokens leave user events and the session-metadata slot before storage."""
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered

from channels.tracker_hygiene import strip_secrets


def test_tokens_are_removed_from_user_events_and_session_metadata():
    events = [SlotSet("session_started_metadata", {"auth_token": "eyJ.a.b", "other": 1}),
              ActionExecuted("action_listen"),
              UserUttered("hi", metadata={"auth_token": "eyJ.a.b"}), UserUttered("hi")]
    assert strip_secrets(events) == 2
    assert events[0].value == {"other": 1} and events[2].metadata == {}
    assert strip_secrets(events) == 0


def test_tokens_are_removed_from_parse_data_metadata_when_it_is_a_separate_dict():
    """From a session's second turn Rasa's user event holds two metadata dicts (issue #21)."""
    event = UserUttered("hi", parse_data={"intent": {"name": "greet"}, "entities": [],
                                          "metadata": {"auth_token": "eyJ.a.b", "keep": 1}},
                        metadata={"auth_token": "eyJ.a.b", "model_id": "m"})
    assert event.parse_data["metadata"] is not event.metadata
    assert strip_secrets([event]) == 1
    assert event.metadata == {"model_id": "m"} and event.parse_data["metadata"] == {"keep": 1}
    assert "auth_token" not in str(event.as_dict())
