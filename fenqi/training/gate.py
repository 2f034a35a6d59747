"""The evaluation gate's decision (pure): two models scored on the same examples, compared overall
and per intent, the examples that flipped in both directions, and a verdict.

Every measure is a list of :class:`Outcome` — one evaluation example, right or wrong for the live
model and for the candidate — so the difference is exact: which examples the candidate fixed and
which it broke. A candidate is refused when, on any measure, it loses more than ``Tolerance.overall``
(absolute share), or when one intent with at least ``min_support`` examples loses more than
``Tolerance.per_intent`` and at least ``min_lost`` examples net.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple


@dataclass(frozen=True)
class Tolerance:
    """How much worse a candidate may be and still pass (the one home of these numbers)."""

    overall: float = 0.01       # one point of a set's headline share
    per_intent: float = 0.05    # five points of one intent's share ...
    min_support: int = 20       # ... when it has at least this many examples ...
    min_lost: int = 3           # ... and at least this many of them are lost net


@dataclass(frozen=True)
class Outcome:
    """One evaluation example scored for both models (``None``: not an example of that model's
    measure, e.g. a training line only one of the two data sets has)."""

    text: str                   # shown in the report unless the measure is hidden
    gold: str                   # the gold label (intent, or standard question)
    intent: str                 # the gold intent: the per-intent breakdown
    live: Optional[bool]
    candidate: Optional[bool]
    live_said: str = ""         # what each model predicted (for the report)
    candidate_said: str = ""


def _share(values: Sequence[Optional[bool]]) -> float:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else 0.0


@dataclass(frozen=True)
class IntentRow:
    intent: str
    n: int
    live: float
    candidate: float

    @property
    def delta(self) -> float:
        return self.candidate - self.live

    @property
    def lost(self) -> int:
        """Examples lost net (negative: gained)."""
        return round((self.live - self.candidate) * self.n)


@dataclass(frozen=True)
class Comparison:
    """One measure (a set and its headline share) for both models."""

    name: str
    metric: str
    outcomes: Tuple[Outcome, ...]
    hidden: bool = False        # texts never shown (the unseen-proxy set)

    @property
    def n(self) -> int:
        return len(self.outcomes)

    @property
    def live(self) -> float:
        return _share([o.live for o in self.outcomes])

    @property
    def candidate(self) -> float:
        return _share([o.candidate for o in self.outcomes])

    @property
    def delta(self) -> float:
        return self.candidate - self.live

    @property
    def fixed(self) -> List[Outcome]:
        """Wrong for the live model, right for the candidate (examples of both)."""
        return [o for o in self.outcomes if o.candidate is True and o.live is False]

    @property
    def broken(self) -> List[Outcome]:
        """Right for the live model, wrong for the candidate (examples of both)."""
        return [o for o in self.outcomes if o.live is True and o.candidate is False]

    def per_intent(self) -> List[IntentRow]:
        groups: Dict[str, List[Outcome]] = {}
        for o in self.outcomes:
            groups.setdefault(o.intent, []).append(o)
        return [IntentRow(intent, len(os), _share([o.live for o in os]), _share([o.candidate for o in os]))
                for intent, os in sorted(groups.items())]


@dataclass(frozen=True)
class Verdict:
    passed: bool
    reasons: Tuple[str, ...] = ()    # why it was refused (empty when it passed)


DEFAULT_TOLERANCE = Tolerance()


def decide(comparisons: Sequence[Comparison], tolerance: Tolerance = DEFAULT_TOLERANCE) -> Verdict:
    """Refuse on any measure that loses more than the tolerance, overall or for one intent."""
    reasons: List[str] = []
    for c in comparisons:
        if not c.outcomes:
            continue
        if c.delta < -tolerance.overall - 1e-9:
            reasons.append(f"{c.name}: {c.metric} {c.live:.3f} -> {c.candidate:.3f} "
                           f"({c.delta:+.3f}, tolerance -{tolerance.overall:.3f})")
        for row in c.per_intent():
            if row.n >= tolerance.min_support and row.delta < -tolerance.per_intent - 1e-9 \
                    and row.lost >= tolerance.min_lost:
                reasons.append(f"{c.name}: {row.intent} {row.live:.3f} -> {row.candidate:.3f} "
                               f"({row.delta:+.3f} on {row.n}, {row.lost} lost; tolerance -{tolerance.per_intent:.3f})")
    return Verdict(not reasons, tuple(reasons))


def _flip_line(o: Outcome, hidden: bool) -> str:
    text = "(held out: text not shown)" if hidden else o.text
    return f"      {text}  [gold {o.gold}; live {o.live_said or '-'}, candidate {o.candidate_said or '-'}]"


def report(comparisons: Sequence[Comparison], verdict: Verdict, tolerance: Tolerance,
           max_flips: int = 30, header: Sequence[str] = ()) -> str:
    """The gate's printed report: per measure the two shares, per intent, the flips, then the verdict."""
    lines = list(header)
    for c in comparisons:
        lines += ["", f"== {c.name} ({c.n} examples): {c.metric} live {c.live:.3f}, candidate {c.candidate:.3f} "
                      f"({c.delta:+.3f}); fixed {len(c.fixed)}, broken {len(c.broken)}"]
        if not c.outcomes:
            lines.append("   (no examples)")
            continue
        lines.append(f"   {'intent':<26}{'n':>6}{'live':>8}{'cand.':>8}{'delta':>8}")
        for row in c.per_intent():
            mark = "  <-" if row.n >= tolerance.min_support and row.delta < -tolerance.per_intent \
                and row.lost >= tolerance.min_lost else ""
            lines.append(f"   {row.intent:<26}{row.n:>6}{row.live:>8.3f}{row.candidate:>8.3f}{row.delta:>+8.3f}{mark}")
        for title, flips in (("broken (right before, wrong now)", c.broken), ("fixed (wrong before, right now)", c.fixed)):
            if flips:
                lines.append(f"   {title}: {len(flips)}")
                lines += [_flip_line(o, c.hidden) for o in flips[:max_flips]]
                if len(flips) > max_flips:
                    lines.append(f"      … and {len(flips) - max_flips} more")
    lines += ["", "VERDICT: " + ("PASSED" if verdict.passed else "REFUSED")
              + f" (tolerance: {tolerance.overall:.3f} overall, {tolerance.per_intent:.3f} per intent "
                f"with >= {tolerance.min_support} examples and >= {tolerance.min_lost} lost)"]
    lines += [f"  - {r}" for r in verdict.reasons]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class GateRecord:
    """What is kept with a model: which candidate was compared with which live model, the figures and
    the verdict (JSON beside the model; the promotion refuses a model without a passed record)."""

    candidate_sha256: str
    live_sha256: str
    live_model: str
    passed: bool
    reasons: Tuple[str, ...]
    tolerance: Mapping[str, Any]
    figures: Mapping[str, Mapping[str, Any]]   # measure -> {metric, n, live, candidate, fixed, broken}
    at: str                                     # ISO time (business clock)
    seconds: float = 0.0
    folds: int = 0
    extra: Mapping[str, Any] = field(default_factory=dict)

    def as_json(self) -> Dict[str, Any]:
        out = asdict(self)
        out["reasons"] = list(self.reasons)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "GateRecord":
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        known["reasons"] = tuple(known.get("reasons") or ())
        return cls(**known)


def figures(comparisons: Sequence[Comparison]) -> Dict[str, Dict[str, Any]]:
    return {c.name: {"metric": c.metric, "n": c.n, "live": round(c.live, 4), "candidate": round(c.candidate, 4),
                     "fixed": len(c.fixed), "broken": len(c.broken)} for c in comparisons}


def summary(record: Optional[GateRecord]) -> str:
    """One line for the console and the CLI: the verdict and each measure's change."""
    if record is None:
        return "no gate record"
    parts = [f"{name} {f['live']:.3f}→{f['candidate']:.3f}" for name, f in record.figures.items()]
    return ("passed" if record.passed else "refused") + ": " + ", ".join(parts)
