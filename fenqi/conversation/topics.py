"""The topics (core intents) the bot answers, their Chinese button titles, and the fallback cap."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Mapping, Optional, Tuple

import yaml

TOPICS_FILE = Path(__file__).with_name("topics.yml")


@dataclass(frozen=True)
class Topics:
    titles: Mapping[str, str]  # core intent -> button title, in offering order
    menu: Tuple[str, ...]      # intents listed when saying what the bot can do
    max_fallbacks: int

    def title(self, intent: str) -> Optional[str]:
        return self.titles.get(intent)

    def is_core(self, intent: Optional[str]) -> bool:
        return intent in self.titles


def parse_topics(data: dict) -> Topics:
    """Validate the YAML mapping of ``topics.yml``; raises ``ValueError`` naming the problem."""
    titles = data.get("topics")
    if not isinstance(titles, dict) or not titles:
        raise ValueError("topics: a non-empty mapping intent -> title is required")
    if not all(isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in titles.items()):
        raise ValueError("topics: every title must be a non-empty string")
    menu = tuple(data.get("menu") or titles)
    unknown = [m for m in menu if m not in titles]
    if unknown:
        raise ValueError(f"menu: not in topics: {', '.join(unknown)}")
    cap = data.get("max_fallbacks")
    if not isinstance(cap, int) or isinstance(cap, bool) or cap < 2:
        raise ValueError(f"max_fallbacks: must be a whole number >= 2, got {cap!r}")
    return Topics(MappingProxyType(dict(titles)), menu, cap)


@lru_cache(maxsize=None)
def load_topics(path: Path = TOPICS_FILE) -> Topics:
    return parse_topics(yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {})
