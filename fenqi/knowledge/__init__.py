"""FAQ knowledge (steps, cause catalogue, fee policy) loaded from ``faq.yml``.

``load_knowledge()`` reads the bundled file once per path and caches the validated result.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Optional, Union

from .loader import DEFAULT_PATH, KnowledgeError, parse_knowledge, read_knowledge
from .model import CauseInfo, EarlyRepaymentRule, FeePolicy, Flow, Knowledge, LoginGuide, OverduePolicy

__all__ = ["load_knowledge", "Knowledge", "KnowledgeError", "CauseInfo", "Flow", "FeePolicy",
           "EarlyRepaymentRule", "OverduePolicy", "LoginGuide", "parse_knowledge", "DEFAULT_PATH"]


@lru_cache(maxsize=8)
def _load(path: Path) -> Knowledge:
    return read_knowledge(path)


def load_knowledge(path: Optional[Union[str, Path]] = None) -> Knowledge:
    """The validated knowledge at ``path`` (default: the bundled ``faq.yml``), cached per path."""
    return _load(Path(path or DEFAULT_PATH).resolve())
