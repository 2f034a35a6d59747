"""Log files at rest: rotated daily by the supervisor, removed when older than the retention.

The supervisor's processes append to ``<name>.log`` under ``var/log`` (``var/prod/log``) with
``O_APPEND``, so :func:`rotate` can copy a log to ``<name>.log.<YYYY-MM-DD>`` and truncate it in
place while they keep writing (lines written between the copy and the truncation are lost; a
window of microseconds once a day). :func:`expire` then removes rotated files whose last line is
older than the cutoff, and empties (never unlinks: a writer may still hold it) a live ``.log``
nobody wrote to since the cutoff.
"""
from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import List

LIVE_SUFFIX = ".log"
ROTATED = re.compile(r".+\.log\.\d{4}-\d{2}-\d{2}(?:\.\d+)?$")


@dataclass(frozen=True)
class LogExpiry:
    removed: List[Path]  # rotated files deleted
    emptied: List[Path]  # live logs truncated

    @property
    def count(self) -> int:
        return len(self.removed) + len(self.emptied)


def rotate(log_dir: Path, day: date) -> List[Path]:
    """Copy every non-empty live log to ``<name>.log.<day>`` (mtime kept) and truncate it."""
    rotated: List[Path] = []
    if not log_dir.is_dir():
        return rotated
    for live in sorted(log_dir.glob("*" + LIVE_SUFFIX)):
        if not live.is_file() or live.stat().st_size == 0:
            continue
        target = live.with_name(f"{live.name}.{day.isoformat()}")
        n = 1
        while target.exists():
            target = live.with_name(f"{live.name}.{day.isoformat()}.{n}")
            n += 1
        shutil.copy2(live, target)
        with open(live, "r+b") as fh:
            fh.truncate(0)
        rotated.append(target)
    return rotated


def expire(log_dir: Path, cutoff: float, dry_run: bool = False) -> LogExpiry:
    """Rotated logs last written before ``cutoff`` (epoch seconds) are removed, live logs last
    written before it are emptied (with ``dry_run``: only listed)."""
    removed: List[Path] = []
    emptied: List[Path] = []
    if not log_dir.is_dir():
        return LogExpiry(removed, emptied)
    for path in sorted(log_dir.iterdir()):
        if not path.is_file() or path.stat().st_mtime >= cutoff:
            continue
        if ROTATED.match(path.name):
            removed.append(path)
            if not dry_run:
                path.unlink(missing_ok=True)
        elif path.name.endswith(LIVE_SUFFIX) and path.stat().st_size > 0:
            emptied.append(path)
            if not dry_run:
                with open(path, "r+b") as fh:
                    fh.truncate(0)
    return LogExpiry(removed, emptied)
