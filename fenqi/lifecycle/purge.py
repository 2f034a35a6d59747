"""The retention purge: everything personal older than ``FENQI_RETENTION_DAYS`` goes.

Kinds, in the order they are reported: conversations (Rasa's tracker store, by session:
:mod:`fenqi.lifecycle.trackers`), every kind registered in :mod:`fenqi.lifecycle.registry`
(tickets with their transcripts, takeover state and messages; binding codes and attempts; any
table registered later) and the log files (:mod:`fenqi.lifecycle.logs`). Run daily by the
supervisor and by ``python -m fenqi data purge [--dry-run]``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Dict, List, Optional

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from fenqi import clock
from fenqi.lifecycle import logs, trackers
from fenqi.lifecycle.registry import Totals, kinds

CONVERSATIONS = "conversations"
LOG_FILES = "log files"


@dataclass
class PurgeReport:
    """What was (or, dry, would be) removed: counts per kind, and details worth printing."""

    cutoff: datetime
    dry_run: bool
    counts: Dict[str, int] = field(default_factory=dict)
    notes: Dict[str, str] = field(default_factory=dict)

    def lines(self) -> List[str]:
        verb = "would remove" if self.dry_run else "removed"
        out = [f"cutoff {self.cutoff.isoformat(timespec='seconds')} ({verb}):"]
        for kind, n in self.counts.items():
            note = self.notes.get(kind)
            out.append(f"  {kind}: {n}" + (f" ({note})" if note else ""))
        return out


def cutoff_for(retention_days: int, now: Optional[datetime] = None) -> datetime:
    """The instant before which data is expired (aware, UTC)."""
    return (now or clock.utcnow()) - timedelta(days=retention_days)


def purge(session: Session, tracker_engine: Optional[Engine], log_dir: Optional[Path],
          cutoff: datetime, dry_run: bool = False) -> PurgeReport:
    """Remove (or count) everything older than ``cutoff`` in the account store (``session``, the
    caller commits), the tracker store (its own transaction) and ``log_dir``."""
    report = PurgeReport(cutoff=cutoff, dry_run=dry_run)
    if tracker_engine is not None and trackers.has_tracker_table(tracker_engine):
        with tracker_engine.begin() as conn:
            removed = trackers.purge_events(conn, cutoff.timestamp(), dry_run)
        report.counts[CONVERSATIONS] = removed.events
        report.notes[CONVERSATIONS] = f"events; {removed.conversations} conversation(s) whole"
    else:
        report.counts[CONVERSATIONS] = 0
        report.notes[CONVERSATIONS] = "no tracker store yet"
    totals = Totals()
    for kind in kinds():
        totals.add(kind.purge(session, cutoff, dry_run))
    report.counts.update(totals.counts)
    if log_dir is not None:
        expired = logs.expire(log_dir, cutoff.timestamp(), dry_run)
        report.counts[LOG_FILES] = expired.count
        names = [p.name for p in expired.removed] + [f"{p.name} emptied" for p in expired.emptied]
        if names:
            report.notes[LOG_FILES] = ", ".join(names[:10]) + (" ..." if len(names) > 10 else "")
    return report
