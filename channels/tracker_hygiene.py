"""No bearer token at rest: strip ``auth_token`` from user events before a tracker is stored.

Every channel (REST, socket.io, WeChat) hands the verified token to the bot in the message
metadata; Rasa copies it into the user event twice: ``metadata`` and ``parse_data.metadata``
(the ``latest_message`` the action server reads), and on a session's first message into the
``session_started_metadata`` slot. Rasa's processor saves the tracker once a turn has run (after
the actions): the actions of the *current* turn still read the token from the latest message,
but the stored events (tracker store, ``/conversations`` API, history) never hold it. Installed
once per Rasa process when the project's channels are loaded (``channels/__init__.py``).

The two copies are one dict on a session's first turn but two from the second turn on (Rasa
rebuilds ``metadata`` with the model id), so each is scrubbed on its own (issue #21).
"""
from __future__ import annotations

from typing import Any, Iterable

SECRET_METADATA_KEYS = ("auth_token",)
SESSION_METADATA_SLOT = "session_started_metadata"  # Rasa copies the first message's metadata here


def _scrub(mapping: Any) -> bool:
    if not isinstance(mapping, dict) or not any(key in mapping for key in SECRET_METADATA_KEYS):
        return False
    for key in SECRET_METADATA_KEYS:
        mapping.pop(key, None)
    return True


def _scrub_user_event(event: Any) -> bool:
    parse_data = getattr(event, "parse_data", None)
    in_parse_data = _scrub(parse_data.get("metadata")) if isinstance(parse_data, dict) else False
    return _scrub(getattr(event, "metadata", None)) | in_parse_data


def strip_secrets(events: Iterable[Any]) -> int:
    """Remove secret metadata keys in place from user events (their ``metadata`` and
    ``parse_data.metadata``) and from the ``session_started_metadata`` slot events; the number of
    events changed."""
    changed = 0
    for event in events:
        kind = getattr(event, "type_name", None)
        if kind == "user" and _scrub_user_event(event):
            changed += 1
        elif kind == "slot" and getattr(event, "key", None) == SESSION_METADATA_SLOT \
                and _scrub(getattr(event, "value", None)):
            changed += 1
    return changed


def install_token_scrubber() -> None:
    """Wrap ``MessageProcessor.save_tracker`` so every save strips secrets first (idempotent)."""
    from rasa.core.processor import MessageProcessor

    original = MessageProcessor.save_tracker
    if getattr(original, "_fenqi_scrubs", False):
        return

    async def save_tracker(self: MessageProcessor, tracker: Any) -> None:
        strip_secrets(tracker.events)
        slot = getattr(tracker, "slots", {}).get(SESSION_METADATA_SLOT)
        _scrub(getattr(slot, "value", None))
        await original(self, tracker)

    save_tracker._fenqi_scrubs = True  # type: ignore[attr-defined]
    MessageProcessor.save_tracker = save_tracker  # type: ignore[method-assign]
