"""Parse and validate ``faq.yml`` into :class:`Knowledge`; errors name the offending entry."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping, Tuple

import yaml

from fenqi import policy

from .model import (CauseInfo, EarlyRepaymentRule, FeePolicy, Flow, Knowledge, LoginGuide,
                    OverduePolicy, TextEntry)

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


class KnowledgeError(ValueError):
    """The knowledge file is malformed; the message names the entry (e.g. ``causes.installment[2]``)."""


def _fail(where: str, problem: str) -> KnowledgeError:
    return KnowledgeError(f"faq.yml: {where}: {problem}")


def _mapping(value: Any, where: str) -> Mapping:
    if not isinstance(value, dict):
        raise _fail(where, "expected a mapping")
    return value


def _text(entry: Mapping, key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise _fail(where, f"missing or empty '{key}'")
    return value.strip()


def _texts(value: Any, where: str, *, required: bool = True) -> Tuple[str, ...]:
    if value is None and not required:
        return ()
    if not isinstance(value, list) or (required and not value):
        raise _fail(where, "expected a non-empty list of sentences")
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise _fail(f"{where}[{i}]", "expected a non-empty sentence")
    return tuple(s.strip() for s in value)


def _sources(entry: Mapping, where: str) -> Tuple[str, ...]:
    raw = entry.get("source")
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list) or not items:
        raise _fail(where, "missing 'source' (e.g. seed-000 or local-policy)")
    for item in items:
        if not isinstance(item, str) or not SOURCE_ID.match(item):
            raise _fail(where, f"bad source {item!r} (use seed-NNN or local-policy)")
    return tuple(items)


def _decimal(value: Any, where: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise _fail(where, f"not a number: {value!r}") from None
    if number < 0:
        raise _fail(where, f"must not be negative: {value!r}")
    return number


def _flow(key: str, entry: Any) -> Flow:
    where = f"flows.{key}"
    entry = _mapping(entry, where)
    return Flow(key=key, title=_text(entry, "title", where), steps=_texts(entry.get("steps"), f"{where}.steps"),
                sources=_sources(entry, where), notes=_texts(entry.get("notes"), f"{where}.notes", required=False))


def _cause(entry: Any, where: str) -> CauseInfo:
    entry = _mapping(entry, where)
    code = entry.get("code")
    if not isinstance(code, str) or not code:
        raise _fail(where, "missing 'code'")
    where = f"{where} (code={code})"
    variants = _mapping(entry.get("fix_variants") or {}, f"{where}.fix_variants")
    return CauseInfo(
        code=code, title=_text(entry, "title", where), explanation=_text(entry, "explanation", where),
        fixes=_texts(entry.get("fixes"), f"{where}.fixes"), sources=_sources(entry, where),
        fix_variants=MappingProxyType({k: _texts(v, f"{where}.fix_variants.{k}") for k, v in variants.items()}),
    )


def _causes(raw: Any) -> Mapping[str, Mapping[str, CauseInfo]]:
    raw = _mapping(raw, "causes")
    domains = {}
    for domain, required in REQUIRED_CAUSES.items():
        entries = raw.get(domain)
        if not isinstance(entries, list):
            raise _fail(f"causes.{domain}", "expected a list of causes")
        catalogue: dict = {}
        for i, entry in enumerate(entries):
            cause = _cause(entry, f"causes.{domain}[{i}]")
            if cause.code in catalogue:
                raise _fail(f"causes.{domain}[{i}]", f"duplicate code {cause.code!r}")
            catalogue[cause.code] = cause
        missing = [c for c in required if c not in catalogue]
        if missing:
            raise _fail(f"causes.{domain}", f"missing causes {missing}")
        domains[domain] = MappingProxyType(catalogue)
    return MappingProxyType(domains)


def _fees(raw: Any) -> FeePolicy:
    raw = _mapping(raw, "fees")
    periods = raw.get("periods")
    if not isinstance(periods, list) or not periods or not all(isinstance(p, int) and p > 0 for p in periods):
        raise _fail("fees.periods", "expected a list of positive integers")
    rates_raw = _mapping(raw.get("per_period_rate"), "fees.per_period_rate")
    rates = {}
    for p in periods:
        if p not in rates_raw:
            raise _fail("fees.per_period_rate", f"no rate for {p} periods")
        rates[p] = _decimal(rates_raw[p], f"fees.per_period_rate.{p}")
    _sources(_mapping(raw.get("limit"), "fees.limit"), "fees.limit")
    low, high = policy.CREDIT_LIMIT_MIN, policy.CREDIT_LIMIT_MAX
    early = _mapping(raw.get("early_repayment"), "fees.early_repayment")
    return FeePolicy(
        demo=bool(raw.get("demo", False)), notice=_text(raw, "notice", "fees"), periods=tuple(periods),
        rates=MappingProxyType(rates), example_amount=_decimal(raw.get("example_amount"), "fees.example_amount"),
        limit_min=low, limit_max=high, sources=_sources(raw, "fees"),
        early_repayment=EarlyRepaymentRule(
            summary=_text(early, "summary", "fees.early_repayment"),
            sources=_sources(early, "fees.early_repayment"),
            charge_current_period_fee=bool(early.get("charge_current_period_fee", True)),
            waive_later_fees=bool(early.get("waive_later_fees", True)),
        ),
    )


def _overdue(raw: Any) -> OverduePolicy:
    raw = _mapping(raw, "overdue")
    return OverduePolicy(
        demo=bool(raw.get("demo", False)),
        late_fee_daily_rate=_decimal(raw.get("late_fee_daily_rate"), "overdue.late_fee_daily_rate"),
        consequences=_texts(raw.get("consequences"), "overdue.consequences"),
        advice=_texts(raw.get("advice"), "overdue.advice"), sources=_sources(raw, "overdue"),
        auto_repay_advice=_texts(raw.get("auto_repay_advice"), "overdue.auto_repay_advice", required=False),
    )


def _login(raw: Any) -> LoginGuide:
    raw = _mapping(raw, "login")
    reasons = _mapping(raw.get("reasons"), "login.reasons")
    for reason in ANONYMOUS_REASONS:
        _text(reasons, reason, "login.reasons")
    return LoginGuide(how=_text(raw, "how", "login"), sources=_sources(raw, "login"),
                      reasons=MappingProxyType({k: str(v).strip() for k, v in reasons.items()}))


def parse_knowledge(data: Any) -> Knowledge:
    """Build :class:`Knowledge` from the YAML document (already parsed)."""
    data = _mapping(data, "top level")
    flows_raw = _mapping(data.get("flows"), "flows")
    missing = [k for k in REQUIRED_FLOWS if k not in flows_raw]
    if missing:
        raise _fail("flows", f"missing flows {missing}")
    texts_raw = _mapping(data.get("texts"), "texts")
    missing = [k for k in REQUIRED_TEXTS if k not in texts_raw]
    if missing:
        raise _fail("texts", f"missing texts {missing}")
    texts = {}
    for key, entry in texts_raw.items():
        entry = _mapping(entry, f"texts.{key}")
        texts[key] = TextEntry(key=key, text=_text(entry, "text", f"texts.{key}"),
                               sources=_sources(entry, f"texts.{key}"))
    return Knowledge(
        flows=MappingProxyType({k: _flow(k, v) for k, v in flows_raw.items()}),
        causes=_causes(data.get("causes")), fees=_fees(data.get("fees")), overdue=_overdue(data.get("overdue")),
        login=_login(data.get("login")), texts=MappingProxyType(texts),
    )


def read_knowledge(path: Path) -> Knowledge:
    """Read and validate one knowledge file (uncached)."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise KnowledgeError(f"faq.yml: not valid YAML ({path}): {exc}") from exc
    return parse_knowledge(data)
