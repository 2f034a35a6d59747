"""Switch running Rasa instances to another model, one at a time, through Rasa's HTTP API.

For each instance: ``PUT /model`` with the archive's path (Rasa loads it next to the serving one
and swaps its agent when it is ready; a message already being handled finishes on the old model,
the lock store and tracker store are shared, so no conversation is dropped), then the instance is
checked: ``GET /status`` names the new archive and ``POST /model/parse`` answers a probe. Only then
is the next instance switched. The API token authenticates every call (``Authorization: Bearer``).

The supervisor (``deploy/``) records the instances it runs in ``<state dir>/rasa-instances.json``
(:func:`write_instances`); ``python -m fenqi model promote`` reads them from there.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, List, Optional, Sequence

import requests

INSTANCES_FILE = "rasa-instances.json"
PROBE = "小米分期怎么还款"
LOAD_TIMEOUT = 600.0   # seconds for one instance to load a model (about 5-15 s here)
CHECK_TIMEOUT = 60.0


class RolloutError(RuntimeError):
    """An instance could not be switched; ``done`` lists the instances switched before it."""

    def __init__(self, message: str, done: Sequence["Step"] = ()) -> None:
        super().__init__(message)
        self.done = tuple(done)


@dataclass(frozen=True)
class Instance:
    name: str
    url: str


@dataclass(frozen=True)
class Step:
    """One instance switched: how long it took from the request until it answered with the new model."""

    instance: Instance
    model: str
    seconds: float

    def as_json(self) -> dict:
        return {"name": self.instance.name, "url": self.instance.url, "model": self.model,
                "seconds": round(self.seconds, 2)}


def write_instances(state_dir: Path, instances: Sequence[Instance]) -> Path:
    """Record the running Rasa instances (the supervisor, when it starts them); owner-only."""
    path = Path(state_dir) / INSTANCES_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([{"name": i.name, "url": i.url} for i in instances]), encoding="utf-8")
    path.chmod(0o600)
    return path


def read_instances(state_dir: Path) -> List[Instance]:
    """The instances the supervisor recorded (empty when none is running or the file is malformed)."""
    path = Path(state_dir) / INSTANCES_FILE
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [Instance(str(r["name"]), str(r["url"])) for r in rows if isinstance(r, dict)
            and isinstance(r.get("name"), str) and isinstance(r.get("url"), str) and r["url"].startswith("http")]


def remove_instances(state_dir: Path) -> None:
    (Path(state_dir) / INSTANCES_FILE).unlink(missing_ok=True)


def _headers(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def serving(instance: Instance, token: str, timeout: float = 10.0) -> Optional[str]:
    """The archive file name ``instance`` serves (None when it does not answer)."""
    try:
        r = requests.get(f"{instance.url}/status", headers=_headers(token), timeout=timeout)
    except requests.RequestException:
        return None
    if not r.ok:
        return None
    name = r.json().get("model_file")
    return name if isinstance(name, str) else None


def healthy(instance: Instance, token: str, model_name: str, timeout: float = CHECK_TIMEOUT) -> bool:
    """``instance`` serves ``model_name`` and parses a probe with it."""
    deadline = time.monotonic() + timeout
    while True:
        if serving(instance, token) == model_name:
            try:
                r = requests.post(f"{instance.url}/model/parse", json={"text": PROBE}, headers=_headers(token),
                                  timeout=30)
                if r.ok and (r.json().get("intent") or {}).get("name"):
                    return True
            except requests.RequestException:
                pass
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)


def switch(instance: Instance, model: Path, token: str, timeout: float = LOAD_TIMEOUT) -> Step:
    """Make ``instance`` serve ``model`` (an absolute path it can read); raises RolloutError."""
    started = time.monotonic()
    try:
        r = requests.put(f"{instance.url}/model", json={"model_file": str(model)}, headers=_headers(token),
                         timeout=timeout)
    except requests.RequestException as exc:
        raise RolloutError(f"{instance.name} ({instance.url}): {exc.__class__.__name__}") from exc
    if r.status_code != 204:
        raise RolloutError(f"{instance.name} ({instance.url}) refused the model: HTTP {r.status_code} {r.text[:300]}")
    if not healthy(instance, token, model.name):
        raise RolloutError(f"{instance.name} ({instance.url}) does not answer with {model.name} after loading it")
    return Step(instance, model.name, time.monotonic() - started)


def roll(instances: Sequence[Instance], model: Path, token: str,
         log: Callable[[str], None] = lambda _: None) -> List[Step]:
    """Switch every instance, one after the other; the first failure stops the roll (RolloutError
    with the instances already switched)."""
    done: List[Step] = []
    for instance in instances:
        log(f">> {instance.name} ({instance.url}): loading {model.name} ...")
        try:
            step = switch(instance, model, token)
        except RolloutError as exc:
            raise RolloutError(str(exc), done) from exc
        done.append(step)
        log(f">> {instance.name}: serves {model.name} ({step.seconds:.1f} s)")
    return done
