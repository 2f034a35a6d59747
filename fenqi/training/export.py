"""Accepted inbox messages into training data: ``data/nlu/reviewed/<intent>.yml``.

Rasa's NLU format (``version: "3.1"``), one file per intent, one block per standard question and
provenance — ``metadata: {question, reviewed_by, reviewed_on, source}`` (the reviewer, the business
date of the decision, the channel the message first came from). A file is rewritten whole, its
blocks and lines in a stable order, so an export is a plain reviewable diff. The guards run again
first (the training data may have changed since the decision): what fails them is blocked, with
the reason, and not written.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from fenqi.clock import business_date
from fenqi.db.models import Agent, InboxGroup, InboxItem
from fenqi.nlp.training_data import PROJECT_ROOT, REVIEWED_DIR, TRAINING_DIR

from .guards import Finding, TrainingIndex

HEADER = ('version: "3.1"\n\n'
          "# Reviewed shopper messages, written by `python -m fenqi nlu export` from the NLU inbox\n"
          "# (docs/training-loop.md): one block per standard question and provenance (reviewer, review\n"
          "# date, source channel). Review the diff like any training data; edit or delete lines freely.\n")
MARKUP = ("](", "]{")  # Rasa reads "[text](entity)" / "[text]{...}" in an example as an annotation

Provenance = Tuple[Optional[str], str, str, str]  # question, reviewer, date, channel


@dataclass
class Exported:
    written: Dict[str, int] = field(default_factory=dict)     # file (relative) -> lines added
    blocked: List[Tuple[str, str]] = field(default_factory=list)  # (text, reason)

    @property
    def total(self) -> int:
        return sum(self.written.values())


def _read_blocks(path: Path) -> Dict[Provenance, List[str]]:
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    blocks: Dict[Provenance, List[str]] = {}
    for block in data.get("nlu") or []:
        meta = block.get("metadata") or {}
        key = (meta.get("question"), str(meta.get("reviewed_by", "")), str(meta.get("reviewed_on", "")),
               str(meta.get("source", "")))
        lines = [ln.strip()[2:].strip() for ln in str(block.get("examples") or "").splitlines()
                 if ln.strip().startswith("- ")]
        blocks.setdefault(key, []).extend(lines)
    return blocks


def render(intent: str, blocks: Dict[Provenance, List[str]]) -> str:
    """One reviewed file: blocks sorted by question, date, reviewer, channel; lines in order added."""
    out = [HEADER, "nlu:\n"]
    for (question, reviewer, day, channel), lines in sorted(blocks.items(), key=lambda kv: (
            kv[0][0] or "", kv[0][2], kv[0][1], kv[0][3])):
        if not lines:
            continue
        out.append(f"- intent: {intent}\n  metadata:\n")
        if question:
            out.append(f"    question: {question}\n")
        out.append(f"    reviewed_by: {json.dumps(reviewer, ensure_ascii=False)}\n"
                   f"    reviewed_on: {json.dumps(day)}\n    source: {json.dumps(channel)}\n  examples: |\n")
        out += [f"    - {line}\n" for line in lines]
    return "".join(out)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".yml.part")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def export(session: Session, training: TrainingIndex, now: datetime,
           data_dir: Path = TRAINING_DIR) -> Exported:
    """Write every accepted, not yet exported message into ``data_dir/reviewed/<intent>.yml``."""
    done = Exported()
    rows = session.execute(
        select(InboxItem, InboxGroup).join(InboxGroup, InboxGroup.id == InboxItem.group_id)
        .where(InboxItem.state == "accepted", InboxItem.exported_at.is_(None)).order_by(InboxItem.id)).all()
    if not rows:
        return done
    names = {a.id: a.name for a in session.scalars(select(Agent))}
    checks = training.check_many([(item.text, group.intent, group.question) for item, group in rows])
    reviewed = Path(data_dir) / REVIEWED_DIR
    by_file: Dict[str, Dict[Provenance, List[str]]] = {}
    for (item, group), findings in zip(rows, checks):
        if any(m in item.text for m in MARKUP):
            findings = [*findings, Finding("markup", "含 Rasa 标注语法 “](”，不能作为训练句")]
        if findings:
            reason = "；".join(f.message for f in findings)
            item.state, item.note = "blocked", reason[:500]
            done.blocked.append((item.text, reason))
            continue
        intent = str(group.intent)
        blocks = by_file.setdefault(intent, _read_blocks(reviewed / f"{intent}.yml"))
        key = (group.question, names.get(group.agent_id or -1, "unknown"), _business_day(group.decided_at or now),
               item.channel)
        blocks.setdefault(key, []).append(item.text)
        item.state, item.exported_at, item.note = "exported", now, None
        shown = _shown(reviewed / f"{intent}.yml")
        done.written[shown] = done.written.get(shown, 0) + 1
    for intent, blocks in by_file.items():
        _write(reviewed / f"{intent}.yml", render(intent, blocks))
    session.flush()
    return done


def _business_day(moment: datetime) -> str:
    """The business date (fenqi.clock's zone) of an instant from the store."""
    return business_date(moment).isoformat()


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)
