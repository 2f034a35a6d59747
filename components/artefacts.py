"""The one way our NLU components keep their fitted state in Rasa's model archive."""
from __future__ import annotations

import pickle
from typing import Any, Mapping, Optional

from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage


def save_state(storage: ModelStorage, resource: Resource, filename: str, state: Any,
               texts: Optional[Mapping[str, str]] = None) -> None:
    """Pickle ``state`` into ``filename`` of the component's resource, with ``texts`` (name -> UTF-8 text) beside it."""
    with storage.write_to(resource) as directory:
        with open(directory / filename, "wb") as fh:
            pickle.dump(state, fh)
        for name, text in (texts or {}).items():
            (directory / name).write_text(text, encoding="utf-8")


def load_state(storage: ModelStorage, resource: Resource, filename: str) -> Optional[Any]:
    """The state ``save_state`` wrote, or None when the resource holds none (an untrained component)."""
    try:
        with storage.read_from(resource) as directory:
            with open(directory / filename, "rb") as fh:
                return pickle.load(fh)  # our own artefact, written by train() into the model archive
    except (ValueError, FileNotFoundError):
        return None
