"""Validate ``faq.yml`` (pydantic models, :mod:`fenqi.datafile`) into :class:`Knowledge`."""
from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Dict, List, Tuple

from pydantic import StrictStr, condecimal, conint, conlist, constr, validator

from fenqi import policy
from fenqi.datafile import DataFileError, Invalid, Record, load, validate

from .model import CauseInfo, EarlyRepaymentRule, FeePolicy, Flow, Knowledge, LoginGuide, OverduePolicy, TextEntry

DEFAULT_PATH = Path(__file__).with_name("faq.yml")
SOURCE_ID = re.compile(r"^(seed-\d{3}|local-policy)$")
ANONYMOUS_REASONS = ("missing", "expired", "invalid", "unknown_user")

# What diagnosis and answers look up; a knowledge file lacking any of these is rejected.
REQUIRED_FLOWS = ("use_installment", "repay", "repay_detail", "early_repayment", "installment_remedies",
                  "reserve_fund_checklist", "auto_repay_on", "auto_repay_off", "raise_limit",
                  "open_installment", "open_reserve_fund")
REQUIRED_TEXTS = ("reserve_fund_intro", "customer_service", "installment_intro")
REQUIRED_CAUSES = {
    "installment": ("not_opened", "account_abnormal", "region", "credit_rating", "partner",
                    "maintenance", "product_unsupported", "promotion", "limit_insufficient"),
    "reserve_fund": ("not_opened", "account_security", "credit_change", "maintenance", "promotion",
                     "exhausted"),
}


class KnowledgeError(DataFileError):
    """The knowledge file is malformed; the message names the entry (e.g. ``causes.installment[2].title``)."""

    default_message = "invalid knowledge"


if TYPE_CHECKING:  # what the constrained types hold
    Sentence = str
    Code = str
    Sentences = List[str]
    OptionalSentences = List[str]
    Periods = List[int]
    Amount = Decimal
else:
    Sentence = constr(strict=True, strip_whitespace=True, min_length=1)
    Sentences = conlist(Sentence, min_items=1)
    OptionalSentences = conlist(Sentence, min_items=0)
    Periods = conlist(conint(strict=True, gt=0), min_items=1)
    Code = constr(strict=True, min_length=1)
    Amount = condecimal(ge=Decimal(0))


class Sourced(Record):
    """An entry citing where its facts come from (``seed-NNN`` or ``local-policy``)."""

    source: Tuple[str, ...]  # one id or a list of them in the file

    @validator("source", pre=True)
    def _source(cls, raw: Any) -> Tuple[str, ...]:
        items = [raw] if isinstance(raw, str) else raw
        if not isinstance(items, list) or not items:
            raise Invalid("missing 'source' (e.g. seed-000 or local-policy)")
        for item in items:
            if not isinstance(item, str) or not SOURCE_ID.match(item):
                raise Invalid(f"bad source {item!r} (use seed-NNN or local-policy)")
        return tuple(items)


class FlowEntry(Sourced):
    title: Sentence
    steps: Sentences
    notes: OptionalSentences = []


class CauseEntry(Sourced):
    code: Code
    title: Sentence
    explanation: Sentence
    fixes: Sentences
    fix_variants: Dict[StrictStr, Sentences] = {}


class TextFile(Sourced):
    text: Sentence


class EarlyRepaymentEntry(Sourced):
    summary: Sentence
    charge_current_period_fee: bool = True
    waive_later_fees: bool = True


class LimitEntry(Sourced):
    """The limit range itself is :data:`fenqi.policy.CREDIT_LIMIT_MIN` / ``MAX``."""


class FeesEntry(Sourced):
    demo: bool = False
    notice: Sentence
    periods: Periods
    per_period_rate: Dict[int, Amount]
    example_amount: Amount
    limit: LimitEntry
    early_repayment: EarlyRepaymentEntry

    @validator("per_period_rate")
    def _rates(cls, rates: Dict[int, Decimal], values: Dict[str, Any]) -> Dict[int, Decimal]:
        for p in values.get("periods", ()):
            if p not in rates:
                raise Invalid(f"no rate for {p} periods")
        return rates


class OverdueEntry(Sourced):
    demo: bool = False
    late_fee_daily_rate: Amount
    consequences: Sentences
    advice: Sentences
    auto_repay_advice: OptionalSentences = []


class LoginEntry(Sourced):
    how: Sentence
    reasons: Dict[StrictStr, Sentence]

    @validator("reasons")
    def _reasons(cls, reasons: Dict[str, str]) -> Dict[str, str]:
        missing = [r for r in ANONYMOUS_REASONS if r not in reasons]
        if missing:
            raise Invalid(f"missing reasons {missing}")
        return reasons


def _catalogue(domain: str):
    def check(cls, entries: List[CauseEntry]) -> List[CauseEntry]:
        seen = set()
        for i, cause in enumerate(entries):
            if cause.code in seen:
                raise Invalid(f"duplicate code {cause.code!r}", i)
            seen.add(cause.code)
        missing = [c for c in REQUIRED_CAUSES[domain] if c not in seen]
        if missing:
            raise Invalid(f"missing causes {missing}")
        return entries
    return validator(domain, allow_reuse=True)(check)


class CausesEntry(Record):
    installment: List[CauseEntry]
    reserve_fund: List[CauseEntry]

    _installment = _catalogue("installment")
    _reserve_fund = _catalogue("reserve_fund")


class KnowledgeFile(Record):
    """Schema of ``faq.yml`` (docs/knowledge.md)."""

    version: int = 1
    flows: Dict[StrictStr, FlowEntry]
    texts: Dict[StrictStr, TextFile]
    fees: FeesEntry
    overdue: OverdueEntry
    login: LoginEntry
    causes: CausesEntry

    @validator("flows")
    def _flows(cls, flows: Dict[str, FlowEntry]) -> Dict[str, FlowEntry]:
        missing = [k for k in REQUIRED_FLOWS if k not in flows]
        if missing:
            raise Invalid(f"missing flows {missing}")
        return flows

    @validator("texts")
    def _texts(cls, texts: Dict[str, TextFile]) -> Dict[str, TextFile]:
        missing = [k for k in REQUIRED_TEXTS if k not in texts]
        if missing:
            raise Invalid(f"missing texts {missing}")
        return texts


def _cause(c: CauseEntry) -> CauseInfo:
    return CauseInfo(code=c.code, title=c.title, explanation=c.explanation, fixes=tuple(c.fixes),
                     sources=c.source, fix_variants=MappingProxyType({k: tuple(v) for k, v in c.fix_variants.items()}))


def _knowledge(f: KnowledgeFile) -> Knowledge:
    fees, early, overdue = f.fees, f.fees.early_repayment, f.overdue
    causes = {d: MappingProxyType({c.code: _cause(c) for c in getattr(f.causes, d)}) for d in REQUIRED_CAUSES}
    return Knowledge(
        flows=MappingProxyType({k: Flow(key=k, title=v.title, steps=tuple(v.steps), sources=v.source,
                                        notes=tuple(v.notes)) for k, v in f.flows.items()}),
        causes=MappingProxyType(causes),
        fees=FeePolicy(
            demo=fees.demo, notice=fees.notice, periods=tuple(fees.periods),
            rates=MappingProxyType({p: fees.per_period_rate[p] for p in fees.periods}),
            example_amount=fees.example_amount, limit_min=policy.CREDIT_LIMIT_MIN,
            limit_max=policy.CREDIT_LIMIT_MAX, sources=fees.source,
            early_repayment=EarlyRepaymentRule(summary=early.summary, sources=early.source,
                                               charge_current_period_fee=early.charge_current_period_fee,
                                               waive_later_fees=early.waive_later_fees)),
        overdue=OverduePolicy(demo=overdue.demo, late_fee_daily_rate=overdue.late_fee_daily_rate,
                              consequences=tuple(overdue.consequences), advice=tuple(overdue.advice),
                              sources=overdue.source, auto_repay_advice=tuple(overdue.auto_repay_advice)),
        login=LoginGuide(how=f.login.how, sources=f.login.source, reasons=MappingProxyType(dict(f.login.reasons))),
        texts=MappingProxyType({k: TextEntry(key=k, text=v.text, sources=v.source) for k, v in f.texts.items()}),
    )


def parse_knowledge(data: Any) -> Knowledge:
    """Build :class:`Knowledge` from the YAML document (already parsed)."""
    return _knowledge(validate(KnowledgeFile, data, source=DEFAULT_PATH.name, error=KnowledgeError))


def read_knowledge(path: Path) -> Knowledge:
    """Read and validate one knowledge file (uncached); errors name file, line and field."""
    return _knowledge(load(path, KnowledgeFile, error=KnowledgeError))
