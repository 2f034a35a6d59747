"""Promote a gated model to every running Rasa instance, or roll back to the one before.

The order keeps every instance serving: the release is recorded first (so an instance the
supervisor restarts meanwhile starts with the new model), then the instances are switched one at a
time (:mod:`fenqi.training.rollout`). If one refuses, the instances already switched go back to the
model that was live and a ``rollback`` release records it: the cluster never stays mixed.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable, List, Sequence

from fenqi.db.engine import Store

from .archive import read_archive, sha256_of
from .releases import (
    ReleaseError,
    baseline,
    check_gate,
    history_dir,
    keep,
    live_model,
    record,
    rollback_target,
)
from .rollout import Instance, RolloutError, Step, roll


@dataclass(frozen=True)
class Released:
    """What a promotion or rollback did."""

    action: str
    model: str            # history file name now live
    previous: str         # history file name live before
    steps: List[Step]     # per instance, in order

    @property
    def seconds(self) -> float:
        return sum(s.seconds for s in self.steps)


def _switch_all(store: Store, models_dir: Path, target: Path, release_id: int, restore_id: int,
                instances: Sequence[Instance], token: str, by: str, now: Callable[[], datetime],
                log: Callable[[str], None]) -> List[Step]:
    """Roll ``target`` out (release ``release_id``). On a failure, the instances already switched
    return to the model of release ``restore_id`` (live before) and a release records it again,
    then ReleaseError is raised."""
    from fenqi.db.models import ModelRelease

    try:
        steps = roll(instances, target, token, log)
    except RolloutError as exc:
        with store.session() as session:
            restore = session.get(ModelRelease, restore_id)
            assert restore is not None
            name, sha, previous_id = restore.model, restore.sha256, restore.previous_id
        log(f"!! {exc}; returning {len(exc.done)} instance(s) to {name}")
        back: List[Step] = []
        try:
            back = roll([s.instance for s in exc.done], history_dir(models_dir) / name, token, log)
        finally:
            with store.session() as session:
                before = session.get(ModelRelease, previous_id) if previous_id else None
                record(session, "rollback", name, sha, before, by, now(), rollout=[s.as_json() for s in back])
        raise ReleaseError(f"stopped: {exc}") from exc
    with store.session() as session:
        release = session.get(ModelRelease, release_id)
        if release is not None:
            release.rollout = [s.as_json() for s in steps]
    return steps


def promote(store: Store, models_dir: Path, candidate: Path, instances: Sequence[Instance], token: str,
            by: str, now: Callable[[], datetime], log: Callable[[str], None] = print) -> Released:
    """Make ``candidate`` (a gate-passed archive) live on every instance; raises ReleaseError."""
    candidate = Path(candidate).resolve()
    read_archive(candidate)  # a model of this project, with its training record
    sha = sha256_of(candidate)
    with store.session() as session:
        live = live_model(session, models_dir)
        if not live.path.is_file():
            raise ReleaseError(f"the live model {live.path} is missing")
        live_sha = live.release.sha256 if live.release is not None else sha256_of(live.path)
        if live_sha == sha:
            raise ReleaseError(f"{candidate.name} is the live model already")
        gate = check_gate(models_dir, sha, live_sha)
        previous = baseline(session, models_dir, by, now())
        name = keep(models_dir, candidate, sha, now())
        release = record(session, "promote", name, sha, previous, by, now(), gate=gate.as_json())
        release_id, restore_id, previous_name = release.id, previous.id, previous.model
    target = history_dir(models_dir) / name
    (target.parent / f"{name}.gate.json").write_text(
        (Path(models_dir) / "gates" / f"{sha}.json").read_text(encoding="utf-8"), encoding="utf-8")
    log(f">> {name} is the live model now; switching {len(instances)} instance(s), one at a time")
    steps = _switch_all(store, models_dir, target, release_id, restore_id, instances, token, by, now, log)
    return Released("promote", name, previous_name, steps)


def rollback(store: Store, models_dir: Path, instances: Sequence[Instance], token: str, by: str,
             now: Callable[[], datetime], log: Callable[[str], None] = print) -> Released:
    """Return every instance to the model that was live before the live one; raises ReleaseError."""
    with store.session() as session:
        live = live_model(session, models_dir)
        target = rollback_target(session)
        assert live.release is not None  # rollback_target found one
        path = history_dir(models_dir) / target.model
        if not path.is_file():
            raise ReleaseError(f"{path} is missing from the history")
        before = session.get(type(target), target.previous_id) if target.previous_id else None
        release = record(session, "rollback", target.model, target.sha256, before, by, now())
        release_id, restore_id, current = release.id, live.release.id, live.name
    log(f">> rolling back: {current} -> {target.model}; switching {len(instances)} instance(s)")
    steps = _switch_all(store, models_dir, path, release_id, restore_id, instances, token, by, now, log)
    return Released("rollback", target.model, current, steps)
