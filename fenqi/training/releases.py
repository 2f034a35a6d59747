"""Which model is live, the models that were, and the gate records that let a model go live.

* ``models/history/`` keeps every model that was ever live (``<UTC time>-<sha256 prefix>.tar.gz``);
* ``models/gates/<sha256>.json`` is the gate record of a candidate (``python -m fenqi model gate``);
* the account store's ``model_releases`` says which history file is live since when (the newest
  row) and which one was live before it (where a rollback returns). The supervisor reads it when it
  starts a Rasa instance, the console shows it.

Before the first promotion nothing is recorded and the live model is the default one the supervisor
serves (``models/fenqi.tar.gz``); the first promotion records it as the ``baseline`` release, so a
rollback can return to it.
"""
from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, List, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from fenqi.db.models import ModelRelease

from .archive import sha256_of
from .gate import GateRecord

HISTORY, GATES = "history", "gates"
DEFAULT_MODEL = "fenqi.tar.gz"  # what `make train` writes and the supervisor serves when nothing is recorded


class ReleaseError(RuntimeError):
    """A promotion or rollback that must not happen (no passed gate, nothing to return to, …)."""


@dataclass(frozen=True)
class Live:
    """The model the instances serve (or should): its file, since when, and its release row (None
    before the first promotion)."""

    path: Path
    release: Optional[ModelRelease]

    @property
    def name(self) -> str:
        return self.path.name


def history_dir(models_dir: Path) -> Path:
    return Path(models_dir) / HISTORY


def live_release(session: Session) -> Optional[ModelRelease]:
    return session.scalars(select(ModelRelease).order_by(ModelRelease.id.desc()).limit(1)).first()


def releases(session: Session, limit: int = 20) -> List[ModelRelease]:
    """The newest releases first."""
    return list(session.scalars(select(ModelRelease).order_by(ModelRelease.id.desc()).limit(limit)))


def live_model(session: Session, models_dir: Path) -> Live:
    """The live model: the newest release's history file, else the default model."""
    release = live_release(session)
    if release is None:
        return Live(Path(models_dir) / DEFAULT_MODEL, None)
    return Live(history_dir(models_dir) / release.model, release)


def serving_path(session: Session, models_dir: Path, default: Path) -> Path:
    """What a Rasa instance that starts now should load: the live release's file when it exists
    (``default`` before the first promotion, or if the file is gone from this host)."""
    live = live_model(session, models_dir)
    return live.path if live.release is not None and live.path.is_file() else default


# --- gate records ------------------------------------------------------------------------------

def gate_record_path(models_dir: Path, sha256: str) -> Path:
    return Path(models_dir) / GATES / f"{sha256}.json"


def gate_cache(models_dir: Path) -> Path:
    """Where the gate keeps what depends on one model only (its cross-validation, its parses)."""
    return Path(models_dir) / GATES / "cache"


def save_gate_record(models_dir: Path, record: GateRecord) -> Path:
    path = gate_record_path(models_dir, record.candidate_sha256)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record.as_json(), ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def load_gate_record(models_dir: Path, sha256: str) -> Optional[GateRecord]:
    path = gate_record_path(models_dir, sha256)
    try:
        return GateRecord.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


# --- history -----------------------------------------------------------------------------------

def keep(models_dir: Path, model: Path, sha256: str, now: datetime) -> str:
    """Copy ``model`` into the history (once per content); its history file name."""
    history = history_dir(models_dir)
    history.mkdir(parents=True, exist_ok=True)
    existing = sorted(history.glob(f"*-{sha256[:16]}.tar.gz"))
    if existing:
        return existing[0].name
    name = f"{now.strftime('%Y%m%dT%H%M%S')}-{sha256[:16]}.tar.gz"
    partial = history / (name + ".part")
    shutil.copyfile(model, partial)
    os.replace(partial, history / name)  # never a half-copied model under its final name
    return name


def record(session: Session, action: str, name: str, sha256: str, previous: Optional[ModelRelease], by: str,
           now: datetime, gate: Optional[Dict[str, Any]] = None,
           rollout: Optional[List[Dict[str, Any]]] = None) -> ModelRelease:
    release = ModelRelease(action=action, model=name, sha256=sha256, previous_id=previous.id if previous else None,
                           gate=gate, by=by[:64], created_at=now, rollout=rollout)
    session.add(release)
    session.flush()
    return release


def baseline(session: Session, models_dir: Path, by: str, now: datetime) -> ModelRelease:
    """The live release, recording the default model as the ``baseline`` when nothing is recorded yet."""
    current = live_release(session)
    if current is not None:
        return current
    default = Path(models_dir) / DEFAULT_MODEL
    if not default.is_file():
        raise ReleaseError(f"nothing is live yet and there is no {default} to start from")
    sha = sha256_of(default)
    return record(session, "baseline", keep(models_dir, default, sha, now), sha, None, by, now)


def check_gate(models_dir: Path, sha256: str, live_sha256: str) -> GateRecord:
    """The passed gate record of the candidate against the current live model; raises ReleaseError."""
    gate = load_gate_record(models_dir, sha256)
    if gate is None:
        raise ReleaseError("no gate record for this model: run `python -m fenqi model gate MODEL` first")
    if not gate.passed:
        raise ReleaseError("the gate refused this model:\n  - " + "\n  - ".join(gate.reasons))
    if gate.live_sha256 != live_sha256:
        raise ReleaseError("the gate compared this model with another live model "
                           f"({gate.live_model}); the live model has changed since: run the gate again")
    return gate


def rollback_target(session: Session) -> ModelRelease:
    """The release that was live before the live one (raises ReleaseError when there is none)."""
    current = live_release(session)
    if current is None or current.previous_id is None:
        raise ReleaseError("there is no earlier model to return to")
    target = session.get(ModelRelease, current.previous_id)
    if target is None:
        raise ReleaseError("the earlier release is no longer recorded")
    return target
