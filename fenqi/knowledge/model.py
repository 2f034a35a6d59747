"""Typed, immutable view of ``faq.yml`` (what diagnosis and answers read)."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Mapping, Tuple


@dataclass(frozen=True)
class Flow:
    """An ordered list of steps the user follows, e.g. how to repay."""

    key: str
    title: str
    steps: Tuple[str, ...]
    sources: Tuple[str, ...]
    notes: Tuple[str, ...] = ()


@dataclass(frozen=True)
class CauseInfo:
    """A catalogue entry: why something is blocked and how to fix it."""

    code: str
    title: str
    explanation: str
    fixes: Tuple[str, ...]
    sources: Tuple[str, ...]
    fix_variants: Mapping[str, Tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))

    def fixes_for(self, *variants: str) -> Tuple[str, ...]:
        """Variant-specific fixes (in the given order) followed by the general ones, without repeats."""
        steps = [s for v in variants for s in self.fix_variants.get(v, ())] + list(self.fixes)
        return tuple(dict.fromkeys(steps))


@dataclass(frozen=True)
class EarlyRepaymentRule:
    """Demo rule: pay the remaining principal plus the current period's fee; later fees waived."""

    summary: str
    sources: Tuple[str, ...]
    charge_current_period_fee: bool = True
    waive_later_fees: bool = True


@dataclass(frozen=True)
class FeePolicy:
    """Installment tariff (demo values until the real tariff replaces them)."""

    demo: bool
    notice: str
    periods: Tuple[int, ...]
    rates: Mapping[int, Decimal]  # per-period fee as a fraction of the order total
    example_amount: Decimal
    limit_min: Decimal
    limit_max: Decimal
    early_repayment: EarlyRepaymentRule
    sources: Tuple[str, ...]

    def rate_for(self, periods: int) -> Decimal:
        try:
            return self.rates[periods]
        except KeyError:
            raise ValueError(f"no fee rate for {periods} periods") from None

    def interest_free_periods(self) -> Tuple[int, ...]:
        return tuple(p for p in self.periods if self.rates[p] == 0)


@dataclass(frozen=True)
class OverduePolicy:
    demo: bool
    late_fee_daily_rate: Decimal
    consequences: Tuple[str, ...]
    advice: Tuple[str, ...]
    sources: Tuple[str, ...]
    auto_repay_advice: Tuple[str, ...] = ()  # only for users without automatic repayment


@dataclass(frozen=True)
class LoginGuide:
    """How an anonymous user gets a personal answer; one short line per anonymous reason."""

    how: str
    reasons: Mapping[str, str]
    sources: Tuple[str, ...]

    def line(self, reason: str | None) -> str:
        text = self.reasons.get(reason or "missing", self.reasons["missing"])
        return f"{text}{self.how}"


@dataclass(frozen=True)
class TextEntry:
    key: str
    text: str
    sources: Tuple[str, ...]


@dataclass(frozen=True)
class Knowledge:
    flows: Mapping[str, Flow]
    causes: Mapping[str, Mapping[str, CauseInfo]]  # domain ("installment"/"reserve_fund") -> code -> info
    fees: FeePolicy
    overdue: OverduePolicy
    login: LoginGuide
    texts: Mapping[str, TextEntry]

    def flow(self, key: str) -> Flow:
        return self.flows[key]

    def cause(self, domain: str, code: str) -> CauseInfo:
        return self.causes[domain][code]

    def text(self, key: str) -> str:
        return self.texts[key].text

    def all_sources(self) -> frozenset:
        """Every source id cited anywhere in the knowledge."""
        groups = [f.sources for f in self.flows.values()]
        groups += [c.sources for d in self.causes.values() for c in d.values()]
        groups += [self.fees.sources, self.fees.early_repayment.sources, self.overdue.sources,
                   self.login.sources]
        groups += [t.sources for t in self.texts.values()]
        return frozenset(s for g in groups for s in g)
