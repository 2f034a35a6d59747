"""Model archives for the training-loop tests: the trained model re-packed as another archive."""
from __future__ import annotations

import shutil
import tarfile
from pathlib import Path


def repacked(source: Path, target: Path, extra: str = "candidate") -> Path:
    """The same model with one more file: another archive (another SHA-256) that loads and answers
    exactly as ``source`` does."""
    work = target.parent / f"unpacked-{extra}"
    with tarfile.open(source, "r:gz") as tar:
        tar.extractall(work)
    (work / "note.txt").write_text(extra, encoding="utf-8")
    with tarfile.open(target, "w:gz") as tar:
        for path in sorted(work.iterdir()):
            tar.add(path, arcname=path.name)
    shutil.rmtree(work)
    return target
