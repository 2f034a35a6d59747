"""Text building blocks: numbered steps, cause blocks, paragraphs, intent payloads."""
from __future__ import annotations

import json
from typing import Iterable, Optional, Sequence

from fenqi.diagnosis import Cause
from fenqi.knowledge import Flow

# Fixes shown per cause by how many causes there are, so one message stays short (WeChat: 2,048 bytes).
FIXES_PER_CAUSE = ((3, None), (5, 2))  # up to 3 causes: all fixes; up to 5: two; more: one


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


def fixes_budget(n_causes: int) -> Optional[int]:
    return next((limit for most, limit in FIXES_PER_CAUSE if n_causes <= most), 1)


def cause_blocks(causes: Sequence[Cause]) -> str:
    limit = fixes_budget(len(causes))
    return "\n\n".join(cause_block(c, max_fixes=limit) for c in causes)


def paragraphs(*parts: Optional[str]) -> str:
    """Join non-empty parts with blank lines."""
    return "\n\n".join(p.strip() for p in parts if p and p.strip())


def payload(intent: str, **entities: str) -> str:
    """Rasa-style payload: ``/intent`` or ``/intent{"order_id":"A1"}``."""
    if not entities:
        return f"/{intent}"
    return f"/{intent}{json.dumps(entities, ensure_ascii=False, separators=(',', ':'))}"
