"""``policy.yml``: the local service rules (grace days, fee rates, …) as typed values, and how an
answer quotes them (``{name}`` / ``{name.key}`` placeholders filled at load time).

Every rule carries ``confirmed``; answers quoting an unconfirmed rule get the file's
``unconfirmed_note`` appended (by :mod:`fenqi.knowledge.questions`, never by hand).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Tuple

from pydantic import StrictBool, StrictStr, conint, constr, validator

from fenqi import policy as constants
from fenqi.datafile import Invalid, Record, read_yaml, validate
from fenqi.money import format_rate

from .errors import PolicyError

POLICY_PATH = Path(__file__).with_name("policy.yml")
RULE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
KINDS = ("days", "rate", "rates", "periods", "time", "text", "list", "yes_no")
YES_NO = {True: "支持", False: "不支持"}
# Rules the code reads (FeePolicy, OverduePolicy), with their kinds.
REQUIRED_RULES = MappingProxyType({
    "installment_periods": "periods",
    "fee_rates": "rates",
    "early_repayment_current_fee": "yes_no",
    "early_repayment_later_fees_waived": "yes_no",
    "late_fee_daily_rate": "rate",
})
# ``{name}`` or ``{name.key}``; any other brace in an answer is an error.
PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)(?:\.([0-9a-z_]+))?\}")

# Seed facts kept as constants in fenqi/policy.py (seed-000: 1,000 to 100,000 yuan), quotable as
# placeholders like the rules (``{limit_min} 元`` -> ``1,000 元``) but confirmed: they are not local rules.
SEED_VALUES = MappingProxyType({
    "limit_min": f"{constants.CREDIT_LIMIT_MIN:,}",
    "limit_max": f"{constants.CREDIT_LIMIT_MAX:,}",
})

if TYPE_CHECKING:
    Sentence = str
    Days = int
else:
    Sentence = constr(strict=True, strip_whitespace=True, min_length=1, max_length=200)
    Days = conint(strict=True, ge=0, le=365)


def _rate(raw: Any) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        raise Invalid(f"must be a rate as a quoted decimal such as \"0.0050\", got {raw!r}")
    try:
        rate = Decimal(str(raw))
    except ArithmeticError:
        raise Invalid(f"must be a rate as a quoted decimal such as \"0.0050\", got {raw!r}") from None
    if not Decimal(0) <= rate < Decimal(1):
        raise Invalid(f"rate {raw!r} must be at least 0 and below 1")
    return rate


def _periods(raw: Any) -> Tuple[int, ...]:
    if not isinstance(raw, list) or not raw:
        raise Invalid("must be a non-empty list of period counts")
    for p in raw:
        if isinstance(p, bool) or not isinstance(p, int) or not constants.MIN_PERIODS <= p <= constants.MAX_PERIODS:
            raise Invalid(f"bad period count {p!r} (whole number {constants.MIN_PERIODS}..{constants.MAX_PERIODS})")
    if sorted(set(raw)) != raw:
        raise Invalid("period counts must be ascending without repeats")
    return tuple(raw)


def _check_value(kind: str, raw: Any) -> Any:
    """The rule's value in its Python form, or :class:`Invalid` naming what is wrong."""
    if kind == "days":
        if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= 365:
            raise Invalid(f"must be a whole number of days 0..365, got {raw!r}")
        return raw
    if kind == "rate":
        return _rate(raw)
    if kind == "rates":
        if not isinstance(raw, dict) or not raw:
            raise Invalid("must be a mapping of period count -> rate")
        periods = _periods(sorted(raw))
        return MappingProxyType({p: _rate(raw[p]) for p in periods})
    if kind == "periods":
        return _periods(raw)
    if kind == "time":
        if not isinstance(raw, str) or not TIME.match(raw):
            raise Invalid(f"must be a time as quoted \"HH:MM\", got {raw!r}")
        return raw
    if kind == "text":
        if not isinstance(raw, str) or not raw.strip() or "{" in raw or "}" in raw:
            raise Invalid("must be a non-empty phrase without braces")
        return raw.strip()
    if kind == "list":
        if not isinstance(raw, list) or not raw or not all(isinstance(s, str) and s.strip() for s in raw):
            raise Invalid("must be a non-empty list of phrases")
        return tuple(s.strip() for s in raw)
    if not isinstance(raw, bool):  # yes_no
        raise Invalid(f"must be true or false, got {raw!r}")
    return raw


@dataclass(frozen=True)
class PolicyRule:
    """One local service rule: its value, how it reads in an answer, and whether it is confirmed."""

    name: str
    kind: str
    value: Any
    meaning: str
    confirmed: bool
    shown_as: Mapping[bool, str] = field(default_factory=lambda: MappingProxyType(YES_NO))

    def text(self, key: Optional[str] = None) -> str:
        """The value as an answer quotes it (``key``: one entry of a ``rates`` table)."""
        if key is not None:
            if self.kind != "rates":
                raise KeyError(f"{self.name} is a {self.kind}, it has no entries")
            if not key.isdigit() or int(key) not in self.value:
                raise KeyError(f"{self.name} has no entry {key!r} (has {', '.join(map(str, self.value))})")
            return format_rate(self.value[int(key)])
        if self.kind == "rate":
            return format_rate(self.value)
        if self.kind == "rates":
            return "；".join(f"{p} 期免息" if r == 0 else f"{p} 期每期 {format_rate(r)}" for p, r in self.value.items())
        if self.kind == "periods":
            return "、".join(str(p) for p in self.value)
        if self.kind == "list":
            return "、".join(self.value)
        if self.kind == "yes_no":
            return self.shown_as[self.value]
        return str(self.value)


@dataclass(frozen=True)
class ServicePolicy:
    """Every local rule of ``policy.yml`` by name, plus the note for unconfirmed ones."""

    rules: Mapping[str, PolicyRule]
    unconfirmed_note: str

    def rule(self, name: str) -> PolicyRule:
        return self.rules[name]

    def value(self, name: str) -> Any:
        return self.rules[name].value

    def confirmed(self, *names: str) -> bool:
        """Whether every named rule is confirmed by the business."""
        return all(self.rules[n].confirmed for n in names)

    def fill(self, text: str) -> Tuple[str, Tuple[str, ...]]:
        """``text`` with its placeholders filled, and the names of the rules it quotes.

        Raises ``KeyError`` naming an unknown placeholder and ``ValueError`` for a stray brace."""
        used: List[str] = []

        def quote(match: "re.Match[str]") -> str:
            name, key = match.group(1), match.group(2)
            if name in SEED_VALUES and key is None:
                return SEED_VALUES[name]
            if name not in self.rules:
                known = ", ".join(sorted([*self.rules, *SEED_VALUES]))
                raise KeyError(f"unknown placeholder {{{match.group(0)[1:-1]}}} (policy.yml has: {known})")
            used.append(name)
            return self.rules[name].text(key)

        filled = PLACEHOLDER.sub(quote, text)
        if "{" in filled or "}" in filled:
            raise ValueError("stray brace: placeholders are {name} or {name.key} with lowercase names")
        return filled, tuple(dict.fromkeys(used))


# ---------------------------------------------------------------- file schema

class RuleEntry(Record):
    kind: StrictStr
    value: Any
    meaning: Sentence
    confirmed: StrictBool
    shown_as: Optional[Dict[bool, Sentence]] = None

    @validator("kind")
    def _kind(cls, kind: str) -> str:
        if kind not in KINDS:
            raise Invalid(f"unknown kind {kind!r} (use one of: {', '.join(KINDS)})")
        return kind

    @validator("value", pre=True, always=True)
    def _value(cls, raw: Any, values: Dict[str, Any]) -> Any:
        if raw is None:
            raise Invalid("is required, got null")
        kind = values.get("kind")
        return _check_value(kind, raw) if kind in KINDS else raw

    @validator("shown_as", pre=True)
    def _shown_as(cls, raw: Any, values: Dict[str, Any]) -> Any:
        if values.get("kind") != "yes_no":
            raise Invalid("only applies to kind yes_no")
        if not isinstance(raw, dict) or set(raw) != {True, False}:
            raise Invalid("must give the wording for both true and false")
        return raw


class PolicyFile(Record):
    """Schema of ``policy.yml`` (docs/knowledge.md)."""

    version: int = 1
    unconfirmed_note: Sentence
    rules: Dict[StrictStr, RuleEntry]

    @validator("rules")
    def _rules(cls, rules: Dict[str, RuleEntry]) -> Dict[str, RuleEntry]:
        for name in rules:
            if not RULE_NAME.match(name):
                raise Invalid(f"bad rule name {name!r} (lowercase letters, digits, _)", name)
            if name in SEED_VALUES:
                raise Invalid(f"{name!r} is a seed fact kept in fenqi/policy.py", name)
        missing = [n for n in REQUIRED_RULES if n not in rules]
        if missing:
            raise Invalid(f"missing rules {missing}")
        for name, kind in REQUIRED_RULES.items():
            if rules[name].kind != kind:
                raise Invalid(f"must be of kind {kind}", (name, "kind"))
        periods, rates = rules["installment_periods"].value, rules["fee_rates"].value
        for p in periods:
            if p not in rates:
                raise Invalid(f"no rate for {p} periods", ("fee_rates", "value"))
        for p in rates:
            if p not in periods:
                raise Invalid(f"a rate for {p} periods, which installment_periods does not list",
                              ("fee_rates", "value", str(p)))
        return rules


def _policy(f: PolicyFile) -> ServicePolicy:
    rules = {name: PolicyRule(name=name, kind=r.kind, value=r.value, meaning=r.meaning, confirmed=r.confirmed,
                              shown_as=MappingProxyType(dict(r.shown_as or YES_NO)))
             for name, r in f.rules.items()}
    return ServicePolicy(rules=MappingProxyType(rules), unconfirmed_note=f.unconfirmed_note)


def parse_policy(data: Any, source: str = POLICY_PATH.name) -> ServicePolicy:
    """Build :class:`ServicePolicy` from the YAML document (already parsed)."""
    return _policy(validate(PolicyFile, data, source=source, error=PolicyError))


def read_policy(path: Path) -> ServicePolicy:
    """Read and validate one policy file (uncached); errors name file, line and field."""
    document = read_yaml(path, PolicyError)
    return _policy(validate(PolicyFile, document.data, source=str(path), lines=document.lines, error=PolicyError))
