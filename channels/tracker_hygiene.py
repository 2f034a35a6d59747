"""No bearer token at rest: strip ``auth_token`` from user events before a tracker is stored.

Rasa's processor saves the tracker once a turn has run (after the actions): the actions of
the *current* turn still read the token from the latest message's metadata, but the stored
events (tracker store, ``/conversations`` API, history) never hold it. Installed once per
Rasa process when the project's channels are loaded (``channels/__init__.py``).
"""
from __future__ import annotations

from typing import Any, Iterable

SECRET_METADATA_KEYS = ("auth_token",)


def strip_secrets(events: Iterable[Any]) -> int:
    """Remove secret metadata keys from user events in place; the number of events changed."""
    changed = 0
    for event in events:
        metadata = getattr(event, "metadata", None)
        if getattr(event, "type_name", None) == "user" and isinstance(metadata, dict):
            if any(key in metadata for key in SECRET_METADATA_KEYS):
                for key in SECRET_METADATA_KEYS:
                    metadata.pop(key, None)
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
        await original(self, tracker)

    save_tracker._fenqi_scrubs = True  # type: ignore[attr-defined]
    MessageProcessor.save_tracker = save_tracker  # type: ignore[method-assign]
