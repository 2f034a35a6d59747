"""The diagnosis result: one reason something is blocked, with the user's facts and the fixes."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Tuple

from fenqi.knowledge import CauseInfo


@dataclass(frozen=True)
class Cause:
    code: str  # catalogue code, e.g. "limit_insufficient"
    title: str  # catalogue title, e.g. "额度不足"
    facts: Tuple[str, ...]  # Chinese sentences with the user's own numbers
    fixes: Tuple[str, ...]  # steps from the knowledge catalogue


def make_cause(info: CauseInfo, facts: Iterable[str], variants: Iterable[str] = ()) -> Cause:
    """A :class:`Cause` for catalogue entry ``info``; ``variants`` pick extra fixes first."""
    return Cause(code=info.code, title=info.title, facts=tuple(dict.fromkeys(facts)),
                 fixes=info.fixes_for(*variants))
