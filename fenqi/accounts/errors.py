"""Errors of the accounts file loader."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional, Tuple


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an accounts file: where (line, field path) and what."""

    message: str
    path: str = ""
    line: Optional[int] = None

    def __str__(self) -> str:
        parts = [f"line {self.line}" if self.line else "", self.path, self.message]
        return ": ".join(p for p in parts if p)


class AccountsFileError(ValueError):
    """The accounts data is invalid; nothing was written. ``problems`` lists every finding.

    ``str()`` is one line: the source, the first problem, and how many more there are.
    """

    def __init__(self, problems: Iterable[Problem], source: Optional[str] = None):
        self.problems: Tuple[Problem, ...] = tuple(problems) or (Problem("invalid accounts data"),)
        self.source = source
        first = str(self.problems[0])
        more = len(self.problems) - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        super().__init__(f"{source}: {first}{suffix}" if source else f"{first}{suffix}")
