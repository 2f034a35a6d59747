"""Text building blocks: numbered steps, cause blocks, paragraphs, intent payloads."""
from __future__ import annotations

import json
from typing import Iterable, Optional, Sequence

from fenqi.diagnosis import Cause
from fenqi.knowledge import Flow

MANY_CAUSES = 3  # above this, each cause shows fewer fixes to keep the message short
FEW_FIXES = 2


def numbered(steps: Iterable[str]) -> str:
    """``1. …\\n2. …``"""
    return "\n".join(f"{i}. {step}" for i, step in enumerate(steps, 1))


def flow_text(flow: Flow, heading: Optional[str] = None, *, notes: bool = True) -> str:
    """A flow as a heading line plus numbered steps (plus its notes)."""
    lines = [f"{heading or flow.title}：", numbered(flow.steps)]
    if notes and flow.notes:
        lines.append("提示：" + "".join(flow.notes))
    return "\n".join(lines)


def cause_block(cause: Cause, *, max_fixes: Optional[int] = None) -> str:
    """``【额度不足】`` then the user's facts, then the fixes as numbered steps."""
    fixes = cause.fixes[:max_fixes] if max_fixes else cause.fixes
    return "\n".join([f"【{cause.title}】", "".join(cause.facts), "建议：", numbered(fixes)])


def cause_blocks(causes: Sequence[Cause]) -> str:
    limit = FEW_FIXES if len(causes) > MANY_CAUSES else None
    return "\n\n".join(cause_block(c, max_fixes=limit) for c in causes)


def paragraphs(*parts: Optional[str]) -> str:
    """Join non-empty parts with blank lines."""
    return "\n\n".join(p.strip() for p in parts if p and p.strip())


def payload(intent: str, **entities: str) -> str:
    """Rasa-style payload: ``/intent`` or ``/intent{"order_id":"A1"}``."""
    if not entities:
        return f"/{intent}"
    return f"/{intent}{json.dumps(entities, ensure_ascii=False, separators=(',', ':'))}"
