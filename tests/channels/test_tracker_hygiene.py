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
