"""The sub-question test set (``tests/nlu/subquestions.yml``): load and check it (pure; no Rasa).

Each entry is a shopper's question with its gold standard question (an id of the knowledge base, or
``out_of_scope``), the voice it is written in, optionally the words a reply must contain (any one of
them; default: the knowledge base's ``mentions``) and, for a follow-up, the standard question answered
just before. The file's structure is checked here (:mod:`fenqi.datafile` errors: file, line, field);
the ids are checked against the knowledge base with :func:`unknown_ids` once one is loaded.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import (
    TYPE_CHECKING,
    Any,
    Collection,
    Dict,
    List,
    Literal,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Union,
    get_args,
)

from pydantic import constr, root_validator, validator

from fenqi.datafile import DataFileError, Invalid, Record, load
from fenqi.nlp import OUT_OF_SCOPE
from fenqi.overlap import normalise

DEFAULT_PATH = Path(__file__).resolve().parents[1] / "tests" / "nlu" / "subquestions.yml"
FOLLOWUP = "followup"
QUESTION_ID = re.compile(r"^[a-z]+(_[a-z]+)*\.[a-z0-9]+(_[a-z0-9]+)*$")  # e.g. due.grace_period
MAX_TEXT = 500  # characters: what the REST channel accepts as one message (docs/security.md)
MAX_WORD = 20

Voice = Literal["short", "long", "typo", "dialect", "borrowing", "colloquial", "followup", "mixed"]
VOICES: Tuple[str, ...] = get_args(Voice)

if TYPE_CHECKING:  # what the constrained types hold
    Text = str
    Word = str
else:
    Text = constr(strict=True, strip_whitespace=True, min_length=1, max_length=MAX_TEXT)
    Word = constr(strict=True, strip_whitespace=True, min_length=1, max_length=MAX_WORD)


class SubQuestionSetError(DataFileError):
    """The sub-question set is malformed; the message names the entry (e.g. ``questions[12].after``)."""

    default_message = "invalid sub-question set"


def _question_id(value: Any, *, allow_out_of_scope: bool) -> str:
    if not isinstance(value, str):
        raise Invalid(f"must be a standard question id, got {value!r}")
    if value == OUT_OF_SCOPE:
        if allow_out_of_scope:
            return value
        raise Invalid("a follow-up comes after an answered standard question, not out_of_scope")
    if not QUESTION_ID.match(value):
        raise Invalid(f"not a standard question id: {value!r} (e.g. due.grace_period, or out_of_scope)")
    return value


class Entry(Record):
    text: Text
    question: str
    voice: Voice
    must: Tuple[Word, ...] = ()
    after: Optional[str] = None

    @validator("question", pre=True)
    def _question(cls, value: Any) -> str:
        return _question_id(value, allow_out_of_scope=True)

    @validator("after", pre=True)
    def _after(cls, value: Any) -> Optional[str]:
        return None if value is None else _question_id(value, allow_out_of_scope=False)

    @validator("must")
    def _must(cls, words: Tuple[str, ...]) -> Tuple[str, ...]:
        if len(set(words)) != len(words):
            raise Invalid("lists a word twice")
        return words

    @root_validator(skip_on_failure=True)
    def _consistent(cls, values: Dict[str, Any]) -> Dict[str, Any]:
        question, voice, after = values["question"], values["voice"], values["after"]
        if (voice == FOLLOWUP) != (after is not None):
            raise Invalid("a follow-up names the question answered before it ('after') and only a "
                          "follow-up does", at="after")
        if after is not None and after == question:
            raise Invalid("a follow-up asks something other than the question answered before it", at="after")
        if question == OUT_OF_SCOPE and values["must"]:
            raise Invalid("an out_of_scope question has no words a reply must contain", at="must")
        return values


class SubQuestionFile(Record):
    version: Literal[1]
    questions: List[Entry]

    @validator("questions")
    def _unique(cls, entries: List[Entry]) -> List[Entry]:
        if not entries:
            raise Invalid("lists no question")
        first: Dict[str, int] = {}
        for index, entry in enumerate(entries):
            key = normalise(entry.text)
            if key in first:
                raise Invalid(f"the same question as questions[{first[key]}] (ignoring spaces and punctuation)",
                              at=(index, "text"))
            first[key] = index
        return entries


@dataclass(frozen=True)
class SubQuestion:
    """One question of the set."""

    text: str
    question: str  # gold standard question id, or out_of_scope
    voice: str
    must: Tuple[str, ...] = ()  # a reply must contain one of these (empty: the knowledge base's mentions)
    after: Optional[str] = None  # follow-ups: the standard question answered just before

    @property
    def in_scope(self) -> bool:
        return self.question != OUT_OF_SCOPE


def load_subquestions(path: Union[str, Path] = DEFAULT_PATH) -> Tuple[SubQuestion, ...]:
    """The set's questions in file order; a malformed file raises :class:`SubQuestionSetError`."""
    document = load(path, SubQuestionFile, SubQuestionSetError)
    return tuple(SubQuestion(e.text, e.question, e.voice, e.must, e.after) for e in document.questions)


def unknown_ids(cases: Sequence[SubQuestion], known: Collection[str]) -> List[str]:
    """``questions[i].field: unknown standard question 'x.y'`` for each gold or ``after`` id not in ``known``."""
    problems = []
    for index, case in enumerate(cases):
        for field, value in (("question", case.question), ("after", case.after)):
            if value is not None and value != OUT_OF_SCOPE and value not in known:
                problems.append(f"questions[{index}].{field}: unknown standard question {value!r}")
    return problems


def coverage(cases: Sequence[SubQuestion]) -> Counter:
    """How many questions of the set have each standard question as gold (out_of_scope not counted)."""
    return Counter(c.question for c in cases if c.in_scope)


def thin(cases: Sequence[SubQuestion], ids: Collection[str], minimum: int = 4) -> Mapping[str, int]:
    """The standard questions among ``ids`` that are the gold of fewer than ``minimum`` questions."""
    counts = coverage(cases)
    return {i: counts[i] for i in sorted(ids) if counts[i] < minimum}
