"""A trained Rasa model archive read without Rasa: its SHA-256, when it was trained, the options of
the intent and question stages and the fallback threshold (``metadata.json``), and the examples
it learnt from (``training_examples.json``, written by ``components/ngram_intent.py``).
"""
from __future__ import annotations

import hashlib
import json
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional

from .crossval import Row, TrainingSetup

INTENT_COMPONENT = "components.ngram_intent.NgramIntentClassifier"
QUESTION_COMPONENT = "components.question_selector.QuestionSelector"
FALLBACK_COMPONENT = "FallbackClassifier"
TRAINING_FILE = "training_examples.json"  # components/ngram_intent.py TRAINING_FILE
DEFAULT_FALLBACK = 0.65
MAX_MEMBER_BYTES = 64 * 1024 * 1024  # a metadata or examples file larger than this is not ours


class ArchiveError(ValueError):
    """Not a model archive this project trained (or one that predates its training-data record)."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class ModelArchive:
    path: Path
    sha256: str
    trained_at: str
    setup: TrainingSetup

    @property
    def examples(self) -> List[Row]:
        return list(self.setup.examples)


def _member(tar: tarfile.TarFile, name_endswith: str) -> Optional[bytes]:
    for member in tar.getmembers():
        if member.isfile() and member.name.lstrip("./").endswith(name_endswith):
            if member.size > MAX_MEMBER_BYTES:
                raise ArchiveError(f"{member.name} is larger than {MAX_MEMBER_BYTES} bytes")
            fh = tar.extractfile(member)
            return fh.read() if fh is not None else None
    return None


def _node_options(metadata: Mapping[str, Any], uses_suffix: str) -> Optional[Dict[str, Any]]:
    nodes = ((metadata.get("predict_schema") or {}).get("nodes") or {}).values()
    for node in nodes:
        if isinstance(node, dict) and str(node.get("uses", "")).endswith(uses_suffix):
            config = node.get("config")
            return dict(config) if isinstance(config, dict) else {}
    return None


def read_archive(path: Path) -> ModelArchive:
    """Read ``path`` (a ``.tar.gz`` from ``rasa train``); raises :class:`ArchiveError`."""
    path = Path(path)
    if not path.is_file():
        raise ArchiveError(f"no model archive at {path}")
    try:
        with tarfile.open(path, "r:gz") as tar:
            raw_metadata = _member(tar, "metadata.json")
            raw_examples = _member(tar, "/" + TRAINING_FILE)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ArchiveError(f"{path} is not a model archive: {exc}") from exc
    if raw_metadata is None:
        raise ArchiveError(f"{path} has no metadata.json: not a Rasa model")
    metadata = json.loads(raw_metadata)
    intent_options = _node_options(metadata, INTENT_COMPONENT)
    if intent_options is None:
        raise ArchiveError(f"{path} has no {INTENT_COMPONENT}: not this project's NLU pipeline")
    if raw_examples is None:
        raise ArchiveError(f"{path} does not record its training examples (trained before issue #20): "
                           "retrain it (make train / make candidate)")
    rows = json.loads(raw_examples)
    examples: List[Row] = []
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, list) and len(row) >= 2 and isinstance(row[0], str) and isinstance(row[1], str):
            question = row[2] if len(row) > 2 and isinstance(row[2], str) else None
            sub = row[3] if len(row) > 3 and isinstance(row[3], str) else None
            examples.append((row[0], row[1], question, sub))
    fallback = _node_options(metadata, FALLBACK_COMPONENT) or {}
    setup = TrainingSetup(examples=tuple(examples), intent_options=intent_options,
                          question_options=_node_options(metadata, QUESTION_COMPONENT),
                          fallback=float(fallback.get("threshold", DEFAULT_FALLBACK)), name=path.name)
    return ModelArchive(path=path, sha256=sha256_of(path), trained_at=str(metadata.get("trained_at", "")),
                        setup=setup)

