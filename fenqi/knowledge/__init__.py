"""Knowledge as data: FAQ wording (``faq.yml``), the local service rules (``policy.yml``) and the
standard questions (``questions.yml``).

``load_knowledge()``, ``load_policy()`` and ``load_questions()`` read the bundled files once per
path and cache the validated result.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Optional, Union

from .errors import KnowledgeError, PolicyError, QuestionError
from .loader import DEFAULT_PATH, parse_knowledge, read_knowledge
from .model import (
    DOMAIN_INTENTS,
    FACT_RULES,
    PRODUCTS,
    AnswerVariant,
    CauseInfo,
    EarlyRepaymentRule,
    FeePolicy,
    Flow,
    Knowledge,
    LoginGuide,
    OverduePolicy,
    QuestionBook,
    StandardQuestion,
)
from .policy_file import POLICY_PATH, PolicyRule, ServicePolicy, parse_policy, read_policy
from .questions import QUESTIONS_PATH, parse_questions, read_questions

__all__ = ["load_knowledge", "Knowledge", "KnowledgeError", "CauseInfo", "Flow", "FeePolicy",
           "EarlyRepaymentRule", "OverduePolicy", "LoginGuide", "parse_knowledge", "DEFAULT_PATH",
           "load_policy", "ServicePolicy", "PolicyRule", "PolicyError", "parse_policy", "POLICY_PATH",
           "load_questions", "QuestionBook", "StandardQuestion", "AnswerVariant", "QuestionError",
           "parse_questions", "QUESTIONS_PATH", "FACT_RULES", "DOMAIN_INTENTS", "PRODUCTS"]

PathLike = Optional[Union[str, Path]]


def _resolve(path: PathLike, default: Path) -> Path:
    return Path(path or default).resolve()


@lru_cache(maxsize=8)
def _policy(path: Path) -> ServicePolicy:
    return read_policy(path)


@lru_cache(maxsize=8)
def _knowledge(path: Path, policy_path: Path) -> Knowledge:
    return read_knowledge(path, _policy(policy_path))


@lru_cache(maxsize=8)
def _questions(path: Path, knowledge_path: Path, policy_path: Path) -> QuestionBook:
    return read_questions(path, _knowledge(knowledge_path, policy_path))


def load_policy(path: PathLike = None) -> ServicePolicy:
    """The validated service rules at ``path`` (default: the bundled ``policy.yml``), cached per path."""
    return _policy(_resolve(path, POLICY_PATH))


def load_knowledge(path: PathLike = None, *, policy_path: PathLike = None) -> Knowledge:
    """The validated knowledge at ``path`` (default: the bundled ``faq.yml``) with the service rules at
    ``policy_path`` (default: the bundled ``policy.yml``), cached per paths."""
    return _knowledge(_resolve(path, DEFAULT_PATH), _resolve(policy_path, POLICY_PATH))


def load_questions(path: PathLike = None, *, knowledge_path: PathLike = None,
                   policy_path: PathLike = None) -> QuestionBook:
    """The validated standard questions at ``path`` (default: the bundled ``questions.yml``), their
    flows from ``knowledge_path`` and placeholders from ``policy_path`` (defaults: bundled), cached."""
    return _questions(_resolve(path, QUESTIONS_PATH), _resolve(knowledge_path, DEFAULT_PATH),
                      _resolve(policy_path, POLICY_PATH))
