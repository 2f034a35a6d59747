"""The topics (core intents) the bot answers, their Chinese button titles, and the fallback cap."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Dict, List, Mapping, Optional, Tuple

from pydantic import StrictInt, StrictStr, validator

from fenqi.datafile import Invalid, Record, load, validate

TOPICS_FILE = Path(__file__).with_name("topics.yml")


class TopicsFile(Record):
    """Schema of ``topics.yml``."""

    version: int = 1
    max_fallbacks: StrictInt
    topics: Dict[StrictStr, StrictStr]
    menu: Optional[List[StrictStr]] = None

    @validator("max_fallbacks")
    def _cap(cls, cap: int) -> int:
        if cap < 2:
            raise Invalid(f"must be a whole number >= 2, got {cap!r}")
        return cap

    @validator("topics")
    def _titles(cls, titles: Dict[str, str]) -> Dict[str, str]:
        if not titles:
            raise Invalid("a non-empty mapping intent -> title is required")
        if not all(v.strip() for v in titles.values()):
            raise Invalid("every title must be a non-empty string")
        return titles

    @validator("menu")
    def _menu(cls, menu: Optional[List[str]], values: Dict[str, Any]) -> Optional[List[str]]:
        unknown = [m for m in menu or () if m not in values.get("topics", {})]
        if unknown and "topics" in values:
            raise Invalid(f"not in topics: {', '.join(unknown)}")
        return menu


@dataclass(frozen=True)
class Topics:
    titles: Mapping[str, str]  # core intent -> button title, in offering order
    menu: Tuple[str, ...]      # intents listed when saying what the bot can do
    max_fallbacks: int

    def title(self, intent: str) -> Optional[str]:
        return self.titles.get(intent)

    def is_core(self, intent: Optional[str]) -> bool:
        return intent in self.titles


def _topics(file: TopicsFile) -> Topics:
    return Topics(MappingProxyType(dict(file.topics)), tuple(file.menu or file.topics), file.max_fallbacks)


def parse_topics(data: dict) -> Topics:
    """Validate the YAML mapping of ``topics.yml``; raises ``DataFileError`` (a ``ValueError``)."""
    return _topics(validate(TopicsFile, data, source=TOPICS_FILE.name))


@lru_cache(maxsize=None)
def load_topics(path: Path = TOPICS_FILE) -> Topics:
    return _topics(load(path, TopicsFile))
