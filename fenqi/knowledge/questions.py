"""Validate ``questions.yml`` (the standard questions, 标准问) into a :class:`QuestionBook`.

Each entry is checked on its own by the pydantic schema (id pattern, intent, products, title length,
sources, fact rules, answer length, …); the rules that need the whole file or the other knowledge
files (unique ids, related ids, one default per (intent, product), flow keys, policy placeholders,
mentions named by the answer, the length of answer plus steps) are checked afterwards and reported
in the same style: ``file: line N: field.path: reason``.
"""
from __future__ import annotations

import re
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Tuple

from pydantic import StrictBool, StrictStr, conlist, constr, validator

from fenqi.datafile import Invalid, Problem, Record, format_path, line_of, read_yaml, validate
from fenqi.datafile import Path as FieldPath

from .errors import QuestionError
from .model import DOMAIN_INTENTS, FACT_RULES, PRODUCTS, AnswerVariant, Knowledge, QuestionBook, StandardQuestion
from .policy_file import ServicePolicy

QUESTIONS_PATH = Path(__file__).with_name("questions.yml")

QUESTION_ID = re.compile(r"^[a-z]+\.[a-z][a-z0-9_]*$")
# An id's prefix names its intent (use.how -> how_to_use_installment).
ID_PREFIXES = MappingProxyType({
    "use": "how_to_use_installment", "why": "why_cannot_installment", "repay": "how_to_repay",
    "early": "early_repayment", "auto": "auto_repay", "fees": "installment_fees", "limit": "credit_limit",
    "rf": "reserve_fund_limit", "due": "repayment_due",
})
SOURCES = ("seed-000", "seed-001", "seed-002", "seed-003", "seed-004", "local-policy")
TITLE_MAX = 10  # characters: a button label
ANSWER_MIN, ANSWER_MAX = 8, 240  # characters of the short answer as written (one to three sentences)
VARIANT_MAX = 600  # characters of answer + steps once filled (a WeChat message is at most 2,048 bytes)
RELATED_MAX = 3

# (intent, product) -> the one default question's slot; exactly these, each exactly once
# (docs/knowledge.md). why_cannot_installment about 备用金 has none: routing sends it to reserve_fund_limit.
DEFAULT_SLOTS = (
    ("how_to_use_installment", "installment"), ("how_to_use_installment", "reserve_fund"),
    ("why_cannot_installment", "installment"),
    ("how_to_repay", "installment"), ("how_to_repay", "reserve_fund"),
    ("early_repayment", "installment"), ("early_repayment", "reserve_fund"),
    ("auto_repay", "installment"), ("auto_repay", "reserve_fund"),
    ("installment_fees", "installment"), ("installment_fees", "reserve_fund"),
    ("credit_limit", "installment"), ("credit_limit", "reserve_fund"),
    ("reserve_fund_limit", "installment"), ("reserve_fund_limit", "reserve_fund"),
    ("repayment_due", "installment"), ("repayment_due", "reserve_fund"),
)

if TYPE_CHECKING:
    Text = str
    AnswerText = str
    Step = str
    Word = str
    Steps = List[str]
    Words = List[str]
else:
    Text = constr(strict=True, strip_whitespace=True, min_length=1, max_length=200)
    AnswerText = constr(strict=True, strip_whitespace=True, min_length=1)  # bounds: _check_answer
    Step = constr(strict=True, strip_whitespace=True, min_length=2, max_length=160)
    Word = constr(strict=True, strip_whitespace=True, min_length=1, max_length=12)
    Steps = conlist(Step, min_items=0, max_items=8)
    Words = conlist(Word, min_items=1, max_items=6)


def _distinct(items: List[Any], what: str) -> None:
    seen = set()
    for i, item in enumerate(items):
        if item in seen:
            raise Invalid(f"{what} {item!r} is listed twice", i)
        seen.add(item)


def _check_answer(text: str) -> str:
    if not ANSWER_MIN <= len(text) <= ANSWER_MAX:
        raise Invalid(f"answer must be {ANSWER_MIN}..{ANSWER_MAX} characters (the short answer first; "
                      f"details go in steps), got {len(text)}")
    return text


def _check_facts(facts: List[str]) -> List[str]:
    for i, fact in enumerate(facts):
        if fact not in FACT_RULES:
            raise Invalid(f"unknown fact rule {fact!r} (known: {', '.join(FACT_RULES)})", i)
    _distinct(facts, "fact rule")
    return facts


class VariantEntry(Record):
    """The 备用金 answer (``reserve_fund:``); unset keys fall back to the main answer."""

    answer: Optional[AnswerText] = None
    steps: Optional[Steps] = None
    flow: Optional[StrictStr] = None
    facts: Optional[List[StrictStr]] = None
    mentions: Optional[Words] = None

    _answer = validator("answer", allow_reuse=True)(lambda cls, v: v if v is None else _check_answer(v))
    _facts = validator("facts", allow_reuse=True)(lambda cls, v: v if v is None else _check_facts(v))

    @validator("flow")
    def _one_of(cls, flow: Optional[str], values: Dict[str, Any]) -> Optional[str]:
        if flow is not None and values.get("steps") is not None:
            raise Invalid("give steps or flow, not both")
        return flow


class QuestionEntry(Record):
    """One standard question (schema: docs/knowledge.md)."""

    id: StrictStr
    intent: StrictStr
    products: conlist(StrictStr, min_items=1)  # type: ignore[valid-type]
    default: List[StrictStr] = []
    default_intent: Optional[StrictStr] = None
    question: Text
    title: StrictStr
    answer: AnswerText
    steps: Optional[Steps] = None
    flow: Optional[StrictStr] = None
    source: List[StrictStr]
    mentions: Words
    facts: List[StrictStr] = []
    per_order: StrictBool = False
    offer_human: StrictBool = False
    related: List[StrictStr] = []
    reserve_fund: Optional[VariantEntry] = None

    @validator("id")
    def _id(cls, value: str) -> str:
        if not QUESTION_ID.match(value):
            raise Invalid(f"bad id {value!r} (prefix.name in lowercase, e.g. due.grace_period)")
        if value.split(".")[0] not in ID_PREFIXES:
            raise Invalid(f"unknown id prefix in {value!r} (known: {', '.join(ID_PREFIXES)})")
        return value

    @validator("intent")
    def _intent(cls, value: str, values: Dict[str, Any]) -> str:
        if value not in DOMAIN_INTENTS:
            raise Invalid(f"unknown intent {value!r} (one of the 9 domain intents: {', '.join(DOMAIN_INTENTS)})")
        prefix = str(values.get("id", "")).split(".")[0]
        if prefix in ID_PREFIXES and ID_PREFIXES[prefix] != value:
            raise Invalid(f"ids starting with {prefix!r}. belong to {ID_PREFIXES[prefix]}, not {value}")
        return value

    @validator("products", "default", each_item=True)
    def _product(cls, value: str) -> str:
        if value not in PRODUCTS:
            raise Invalid(f"unknown product {value!r} (use {' or '.join(PRODUCTS)})")
        return value

    @validator("products", "default")
    def _distinct_products(cls, value: List[str]) -> List[str]:
        _distinct(value, "product")
        return value

    @validator("default_intent")
    def _default_intent(cls, value: Optional[str], values: Dict[str, Any]) -> Optional[str]:
        if value is None:
            return None
        if value not in DOMAIN_INTENTS:
            raise Invalid(f"unknown intent {value!r}")
        if value == values.get("intent"):
            raise Invalid("is the question's own intent: leave it out")
        if not values.get("default"):
            raise Invalid("needs default (the products it is the default for)")
        return value

    @validator("title")
    def _title(cls, value: str) -> str:
        value = value.strip()
        if not 1 <= len(value) <= TITLE_MAX:
            raise Invalid(f"title must be 1..{TITLE_MAX} characters (a button label), got {len(value)}")
        return value

    _answer = validator("answer", allow_reuse=True)(lambda cls, v: _check_answer(v))

    @validator("flow")
    def _one_of(cls, flow: Optional[str], values: Dict[str, Any]) -> Optional[str]:
        if flow is not None and values.get("steps") is not None:
            raise Invalid("give steps or flow, not both")
        return flow

    @validator("source", pre=True)
    def _source(cls, raw: Any) -> Any:
        items = [raw] if isinstance(raw, str) else raw
        if not isinstance(items, list) or not items:
            raise Invalid("missing 'source' (seed-000 … seed-004 and/or local-policy)")
        for i, item in enumerate(items):
            if item not in SOURCES:
                raise Invalid(f"bad source {item!r} (use {', '.join(SOURCES)})", i)
        _distinct(items, "source")
        return items

    @validator("mentions")
    def _mentions(cls, value: List[str]) -> List[str]:
        _distinct(value, "mention")
        return value

    @validator("facts")
    def _facts(cls, value: List[str], values: Dict[str, Any]) -> List[str]:
        _check_facts(value)
        if "account" in value and not values.get("default"):
            raise Invalid("'account' (the intent's full account answer) is only for default questions")
        return value

    @validator("related")
    def _related(cls, value: List[str], values: Dict[str, Any]) -> List[str]:
        if len(value) > RELATED_MAX:
            raise Invalid(f"at most {RELATED_MAX} related questions, got {len(value)}")
        _distinct(value, "related id")
        if values.get("id") in value:
            raise Invalid("a question is not related to itself", value.index(values["id"]))
        return value

    @validator("reserve_fund")
    def _variant(cls, value: Optional[VariantEntry], values: Dict[str, Any]) -> Optional[VariantEntry]:
        if value is not None and "reserve_fund" not in values.get("products", ()):
            raise Invalid("a 备用金 variant needs reserve_fund among the products")
        if value is not None and not value.dict(exclude_none=True):
            raise Invalid("is empty: leave it out when the 备用金 answer is the main one")
        return value


class QuestionsFile(Record):
    """Schema of ``questions.yml``."""

    version: int = 1
    questions: conlist(QuestionEntry, min_items=1)  # type: ignore[valid-type]


# ---------------------------------------------------------------- whole-file rules

class _Checker:
    """Collects every whole-file problem with its field path and line."""

    def __init__(self, lines: Optional[Mapping[FieldPath, int]]):
        self.lines = lines or {}
        self.problems: List[Problem] = []

    def add(self, path: FieldPath, message: str) -> None:
        problem = Problem(message, format_path(path), line_of(self.lines, path))
        if problem not in self.problems:  # a 备用金 variant re-checks the main text it inherits
            self.problems.append(problem)


def _check_book(entries: List[QuestionEntry], knowledge: Knowledge, check: _Checker) -> None:
    first: Dict[str, int] = {}
    for i, q in enumerate(entries):
        if q.id in first:
            check.add(("questions", i, "id"), f"duplicate id {q.id!r} (first at questions[{first[q.id]}])")
        else:
            first[q.id] = i
    slots: Dict[Tuple[str, str], str] = {}
    for i, q in enumerate(entries):
        for j, rid in enumerate(q.related):
            if rid not in first:
                check.add(("questions", i, "related", j), f"unknown question id {rid!r}")
        for key, flow in (("flow", q.flow), ("reserve_fund", q.reserve_fund and q.reserve_fund.flow)):
            if flow and flow not in knowledge.flows:
                path = ("questions", i, "flow") if key == "flow" else ("questions", i, "reserve_fund", "flow")
                check.add(path, f"unknown flow {flow!r} (faq.yml flows: {', '.join(knowledge.flows)})")
        for product in q.default:
            slot = (q.default_intent or q.intent, product)
            if slot not in DEFAULT_SLOTS:
                check.add(("questions", i, "default"), f"{slot[0]} has no default about {product}")
            elif slot in slots:
                check.add(("questions", i, "default"),
                          f"{slot[0]} already has the default about {product}: {slots[slot]}")
            else:
                slots[slot] = q.id
    missing = [f"{intent}/{product}" for intent, product in DEFAULT_SLOTS if (intent, product) not in slots]
    if missing:
        check.add(("questions",), f"no default question for {', '.join(missing)}")


def _fill(policy: ServicePolicy, text: str, path: FieldPath, check: _Checker, used: List[str]) -> str:
    try:
        filled, names = policy.fill(text)
    except (KeyError, ValueError) as exc:
        check.add(path, str(exc.args[0]))
        return text
    used.extend(names)
    return filled


def _variant(q: QuestionEntry, i: int, product: str, knowledge: Knowledge, check: _Checker,
             used: List[str]) -> AnswerVariant:
    """The answer about ``product`` (the 备用金 entry merged over the main one), filled and checked."""
    policy = knowledge.policy
    over = q.reserve_fund if product == "reserve_fund" else None
    base: FieldPath = ("questions", i)
    at: FieldPath = base + ("reserve_fund",) if over is not None else base
    own = over is not None and over.answer is not None
    answer_at = at + ("answer",) if own else base + ("answer",)
    raw = over.answer if over is not None and over.answer is not None else q.answer
    if policy.unconfirmed_note in raw:
        check.add(answer_at, "the unconfirmed-rule note is appended by the loader; remove it from the text")
    quoted: List[str] = []
    answer = _fill(policy, raw, answer_at, check, quoted)
    if over is not None and (over.steps is not None or over.flow is not None):
        steps_raw, flow, steps_at = over.steps, over.flow, at
    else:
        steps_raw, flow, steps_at = q.steps, q.flow, base
    if flow is not None:
        steps: Tuple[str, ...] = knowledge.flows[flow].steps if flow in knowledge.flows else ()
    else:
        steps = tuple(_fill(policy, s, steps_at + ("steps", j), check, quoted) for j, s in enumerate(steps_raw or ()))
    quoted = list(dict.fromkeys(quoted))
    if quoted and "local-policy" not in q.source:
        check.add(base + ("source",), f"quotes policy.yml ({', '.join(quoted)}): cite local-policy")
    if not policy.confirmed(*quoted):
        answer += policy.unconfirmed_note
    mentions = tuple(over.mentions if over is not None and over.mentions is not None else q.mentions)
    unnamed = [m for m in mentions if m not in answer]
    if unnamed:
        where = answer_at if own or over is None or over.mentions is None else at + ("mentions",)
        check.add(where, f"the answer must name what was asked; it lacks {', '.join(unnamed)} (mentions)")
    size = len(answer) + sum(len(s) for s in steps)
    if size > VARIANT_MAX:
        check.add(at, f"answer plus steps is {size} characters, above {VARIANT_MAX}: shorten it")
    used.extend(quoted)
    facts = over.facts if over is not None and over.facts is not None else q.facts
    return AnswerVariant(answer=answer, steps=steps, facts=tuple(facts), mentions=mentions)


def _question(q: QuestionEntry, i: int, knowledge: Knowledge, check: _Checker) -> StandardQuestion:
    used: List[str] = []
    variants = {"installment": _variant(q, i, "installment", knowledge, check, used)}
    if q.reserve_fund is not None:
        variants["reserve_fund"] = _variant(q, i, "reserve_fund", knowledge, check, used)
    return StandardQuestion(
        id=q.id, intent=q.intent, question=q.question, title=q.title, products=tuple(q.products),
        default=tuple(q.default), source=tuple(q.source), per_order=q.per_order, offer_human=q.offer_human,
        related=tuple(q.related), variants=MappingProxyType(variants), default_intent=q.default_intent or q.intent,
        policy_rules=tuple(dict.fromkeys(used)),
    )


def _book(parsed: QuestionsFile, knowledge: Knowledge, source: str,
          lines: Optional[Mapping[FieldPath, int]] = None) -> QuestionBook:
    check = _Checker(lines)
    _check_book(parsed.questions, knowledge, check)
    questions = tuple(_question(q, i, knowledge, check) for i, q in enumerate(parsed.questions))
    if check.problems:
        raise QuestionError(sorted(check.problems, key=lambda p: p.line or 0), source)
    defaults = {(q.default_intent, p): q.id for q in questions for p in q.default}
    return QuestionBook(questions=questions, defaults=MappingProxyType(defaults))


def parse_questions(data: Any, knowledge: Knowledge, source: str = QUESTIONS_PATH.name) -> QuestionBook:
    """Build the :class:`QuestionBook` from the YAML document (already parsed); flows and policy
    values come from ``knowledge`` (its ``policy``)."""
    return _book(validate(QuestionsFile, data, source=source, error=QuestionError), knowledge, source)


def read_questions(path: Path, knowledge: Knowledge) -> QuestionBook:
    """Read and validate one questions file (uncached); errors name file, line and field."""
    document = read_yaml(path, QuestionError)
    parsed = validate(QuestionsFile, document.data, source=str(path), lines=document.lines, error=QuestionError)
    return _book(parsed, knowledge, str(path), document.lines)
