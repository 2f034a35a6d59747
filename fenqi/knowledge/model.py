"""Typed, immutable view of ``faq.yml`` (what diagnosis and answers read)."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Mapping, Tuple

if TYPE_CHECKING:
    from .policy_file import ServicePolicy


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
    """Paying off an order: the remaining principal plus (``charge_current_period_fee``) the current
    period's fee; later fees waived (``waive_later_fees``). Flags from policy.yml, summary from faq.yml."""

    summary: str
    sources: Tuple[str, ...]
    charge_current_period_fee: bool = True
    waive_later_fees: bool = True


@dataclass(frozen=True)
class FeePolicy:
    """Installment tariff: periods and rates from policy.yml, wording from faq.yml."""

    demo: bool  # some fee rule is not confirmed yet (answers show ``notice``)
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
    demo: bool  # the late-fee rate is not confirmed yet
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
    policy: "ServicePolicy"  # the local service rules (policy.yml) the values above come from

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


# ---------------------------------------------------------------- standard questions (questions.yml)

# The 9 domain intents a standard question belongs to (fenqi.answers.INTENTS answers the same nine).
DOMAIN_INTENTS = ("how_to_use_installment", "why_cannot_installment", "how_to_repay", "early_repayment",
                  "auto_repay", "installment_fees", "credit_limit", "reserve_fund_limit", "repayment_due")
PRODUCTS = ("installment", "reserve_fund")  # 小米分期, 备用金

# Personalisation rules an answer may ask for, in the order it lists them; the answer code has one
# renderer per name (docs/knowledge.md, "Standard questions").
FACT_RULES = (
    "credit",                  # 小米分期 total / used / available (and status when not active)
    "cart",                    # the checkout total against the available limit
    "reserve_fund",            # 备用金 total / used / available (and status)
    "next_bill",               # the next bill of each active order (or of the chosen one)
    "remaining",               # per active order: periods and amount left
    "overdue",                 # overdue bills with days overdue (only when there are any)
    "auto_repay",              # automatic repayment on/off and its method
    "repayment_maintenance",   # the repayment system is in maintenance (only then)
    "fee_quote",               # the fee schedule for the current checkout
    "payoff",                  # what paying off the (chosen) order costs today
    "installment_diagnosis",   # why 小米分期 cannot be used right now
    "reserve_fund_diagnosis",  # why 备用金 cannot be used right now
    "account",                 # the intent's full account answer of today (default questions only)
)


@dataclass(frozen=True)
class AnswerVariant:
    """The answer to a standard question about one product: the short answer first (placeholders
    filled, the unconfirmed-rule note appended), then steps, the facts to add and the words it names."""

    answer: str
    steps: Tuple[str, ...]
    facts: Tuple[str, ...]
    mentions: Tuple[str, ...]


@dataclass(frozen=True)
class StandardQuestion:
    """One 标准问 of questions.yml."""

    id: str
    intent: str
    question: str
    title: str  # button label, at most 10 characters
    products: Tuple[str, ...]
    default: Tuple[str, ...]  # products for which this is the default question of ``default_intent``
    source: Tuple[str, ...]
    per_order: bool
    offer_human: bool
    related: Tuple[str, ...]
    variants: Mapping[str, AnswerVariant]  # "installment" (the main answer) and, if it differs, "reserve_fund"
    default_intent: str = ""  # the intent it is the default of ("" = its own intent)
    policy_rules: Tuple[str, ...] = ()  # policy.yml rules its answers quote

    def variant(self, product: str = "installment") -> AnswerVariant:
        """The answer about ``product``: the 备用金 variant where there is one, else the main answer."""
        if product not in PRODUCTS:
            raise ValueError(f"unknown product {product!r}; known: {', '.join(PRODUCTS)}")
        return self.variants.get(product) or self.variants["installment"]


@dataclass(frozen=True)
class QuestionBook:
    """Every standard question, in file order, with look-ups by id, intent and default."""

    questions: Tuple[StandardQuestion, ...]
    defaults: Mapping[Tuple[str, str], str]  # (intent, product) -> question id
    _by_id: Mapping[str, StandardQuestion] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", MappingProxyType({q.id: q for q in self.questions}))

    @property
    def ids(self) -> Tuple[str, ...]:
        return tuple(q.id for q in self.questions)

    def get(self, question_id: str) -> StandardQuestion:
        """The question with this id (``KeyError`` if there is none)."""
        try:
            return self._by_id[question_id]
        except KeyError:
            raise KeyError(f"no standard question {question_id!r}") from None

    def __contains__(self, question_id: object) -> bool:
        return question_id in self._by_id

    def __len__(self) -> int:
        return len(self.questions)

    def for_intent(self, intent: str) -> Tuple[StandardQuestion, ...]:
        """The intent's questions in file order (empty for an intent without any)."""
        return tuple(q for q in self.questions if q.intent == intent)

    def default_for(self, intent: str, product: str = "installment") -> StandardQuestion:
        """The question answered when the second stage is unsure (``KeyError`` for a pair without one,
        e.g. why_cannot_installment about 备用金, which routing sends to reserve_fund_limit)."""
        if product not in PRODUCTS:
            raise ValueError(f"unknown product {product!r}; known: {', '.join(PRODUCTS)}")
        try:
            return self.get(self.defaults[(intent, product)])
        except KeyError:
            raise KeyError(f"no default standard question for {intent!r} about {product!r}") from None
