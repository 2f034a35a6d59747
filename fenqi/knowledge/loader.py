"""Validate ``faq.yml`` (pydantic models, :mod:`fenqi.datafile`) into :class:`Knowledge`.

``faq.yml`` holds wording only; the values it used to carry (fee rates, periods, the early-repayment
flags, the late-fee rate) come from ``policy.yml`` (:mod:`fenqi.knowledge.policy_file`).
"""
from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from pydantic import StrictStr, condecimal, conlist, constr, validator

from fenqi import policy
from fenqi.datafile import Invalid, Record, load, validate

from .errors import KnowledgeError
from .model import CauseInfo, EarlyRepaymentRule, FeePolicy, Flow, Knowledge, LoginGuide, OverduePolicy, TextEntry
from .policy_file import ServicePolicy

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


if TYPE_CHECKING:  # what the constrained types hold
    Sentence = str
    Code = str
    Sentences = List[str]
    OptionalSentences = List[str]
    Amount = Decimal
else:
    Sentence = constr(strict=True, strip_whitespace=True, min_length=1)
    Sentences = conlist(Sentence, min_items=1)
    OptionalSentences = conlist(Sentence, min_items=0)
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
    """The rule's wording; its flags are policy.yml's ``early_repayment_*`` rules."""

    summary: Sentence


class LimitEntry(Sourced):
    """The limit range itself is :data:`fenqi.policy.CREDIT_LIMIT_MIN` / ``MAX``."""


class FeesEntry(Sourced):
    """Fee wording; periods and rates are policy.yml's ``installment_periods`` and ``fee_rates``."""

    notice: Sentence  # shown while the fee rules are unconfirmed
    example_amount: Amount
    limit: LimitEntry
    early_repayment: EarlyRepaymentEntry


class OverdueEntry(Sourced):
    """Overdue wording; the late-fee rate is policy.yml's ``late_fee_daily_rate``."""

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


FEE_RULES = ("installment_periods", "fee_rates", "early_repayment_current_fee", "early_repayment_later_fees_waived")


def _knowledge(f: KnowledgeFile, rules: ServicePolicy) -> Knowledge:
    fees, early, overdue = f.fees, f.fees.early_repayment, f.overdue
    periods, rates = rules.value("installment_periods"), rules.value("fee_rates")
    causes = {d: MappingProxyType({c.code: _cause(c) for c in getattr(f.causes, d)}) for d in REQUIRED_CAUSES}
    return Knowledge(
        flows=MappingProxyType({k: Flow(key=k, title=v.title, steps=tuple(v.steps), sources=v.source,
                                        notes=tuple(v.notes)) for k, v in f.flows.items()}),
        causes=MappingProxyType(causes),
        fees=FeePolicy(
            demo=not rules.confirmed(*FEE_RULES), notice=fees.notice, periods=tuple(periods),
            rates=MappingProxyType({p: rates[p] for p in periods}),
            example_amount=fees.example_amount, limit_min=policy.CREDIT_LIMIT_MIN,
            limit_max=policy.CREDIT_LIMIT_MAX, sources=fees.source,
            early_repayment=EarlyRepaymentRule(
                summary=early.summary, sources=early.source,
                charge_current_period_fee=rules.value("early_repayment_current_fee"),
                waive_later_fees=rules.value("early_repayment_later_fees_waived"))),
        overdue=OverduePolicy(demo=not rules.confirmed("late_fee_daily_rate"),
                              late_fee_daily_rate=rules.value("late_fee_daily_rate"),
                              consequences=tuple(overdue.consequences), advice=tuple(overdue.advice),
                              sources=overdue.source, auto_repay_advice=tuple(overdue.auto_repay_advice)),
        login=LoginGuide(how=f.login.how, sources=f.login.source, reasons=MappingProxyType(dict(f.login.reasons))),
        texts=MappingProxyType({k: TextEntry(key=k, text=v.text, sources=v.source) for k, v in f.texts.items()}),
        policy=rules,
    )


def _bundled_policy() -> ServicePolicy:
    from . import load_policy  # the cached bundled policy.yml
    return load_policy()


def parse_knowledge(data: Any, policy: Optional[ServicePolicy] = None) -> Knowledge:
    """Build :class:`Knowledge` from the YAML document (already parsed) and the service rules
    (default: the bundled ``policy.yml``)."""
    parsed = validate(KnowledgeFile, data, source=DEFAULT_PATH.name, error=KnowledgeError)
    return _knowledge(parsed, policy or _bundled_policy())


def read_knowledge(path: Path, policy: Optional[ServicePolicy] = None) -> Knowledge:
    """Read and validate one knowledge file (uncached); errors name file, line and field."""
    return _knowledge(load(path, KnowledgeFile, error=KnowledgeError), policy or _bundled_policy())
