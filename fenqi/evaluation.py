"""Classification metrics for intent evaluation (pure; no Rasa)."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import yaml

from fenqi.nlp import FALLBACK, SMALL_TALK


@dataclass(frozen=True)
class IntentMetrics:
    support: int
    precision: float
    recall: float
    f1: float


@dataclass(frozen=True)
class IntentReport:
    accuracy: float
    macro_f1: float
    per_intent: Dict[str, IntentMetrics]
    confusions: Counter  # (gold, predicted) -> count, errors only
    fallback_count: int


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def score(gold: Sequence[str], predicted: Sequence[str]) -> IntentReport:
    """Accuracy, per-gold-intent precision/recall/F1 and macro-F1 over the gold intents.

    A fallback prediction counts as wrong (the user did not get the intended answer).
    """
    if len(gold) != len(predicted) or not gold:
        raise ValueError("gold and predicted must be non-empty and of equal length")
    pairs = list(zip(gold, predicted))
    per: Dict[str, IntentMetrics] = {}
    for intent in sorted(set(gold)):
        tp = sum(g == p == intent for g, p in pairs)
        support = sum(g == intent for g in gold)
        predicted_n = sum(p == intent for p in predicted)
        precision = tp / predicted_n if predicted_n else 0.0
        recall = tp / support
        per[intent] = IntentMetrics(support, precision, recall, _f1(precision, recall))
    confusions: Counter = Counter((g, p) for g, p in pairs if g != p)
    return IntentReport(
        accuracy=sum(g == p for g, p in pairs) / len(pairs),
        macro_f1=sum(m.f1 for m in per.values()) / len(per),
        per_intent=per,
        confusions=confusions,
        fallback_count=sum(p == FALLBACK for p in predicted),
    )


# --- robustness set -------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One labelled question of the robustness set."""

    text: str
    intent: str
    category: str
    accept: Tuple[str, ...] = ()  # other predictions that count as handled (e.g. nlu_fallback)

    def handled(self, predicted: str) -> bool:
        return predicted == self.intent or predicted in self.accept


def _list_block(block: object) -> List[str]:
    if isinstance(block, list):
        return [str(x).strip() for x in block if str(x).strip()]
    lines = str(block or "").splitlines()
    return [line.strip()[2:].strip() for line in lines if line.strip().startswith("- ")]


def parse_cases(document: Mapping[str, object]) -> List[Case]:
    """Cases from the robustness YAML: categories with an ``intent`` and ``examples`` (a Rasa-style
    ``- text`` block) and/or ``labelled`` ``[text, intent]`` pairs; ``accept`` is optional."""
    cases: List[Case] = []
    categories = document.get("categories")
    if not isinstance(categories, list):
        raise ValueError("robustness set: 'categories' must be a list")
    for cat in categories:
        name, intent = str(cat["category"]), str(cat["intent"])
        accept = tuple(str(a) for a in cat.get("accept") or ())
        cases += [Case(t, intent, name, accept) for t in _list_block(cat.get("examples"))]
        for pair in cat.get("labelled") or ():
            text, label = pair
            cases.append(Case(str(text), str(label), name, accept))
    texts = [c.text for c in cases]
    if len(set(texts)) != len(texts):
        dup = sorted({t for t in texts if texts.count(t) > 1})
        raise ValueError(f"robustness set: duplicate questions {dup[:5]}")
    return cases


def load_cases(path: Path) -> List[Case]:
    with open(path, encoding="utf-8") as fh:
        return parse_cases(yaml.safe_load(fh))


@dataclass(frozen=True)
class CategoryResult:
    category: str
    n: int
    handled: int
    fallback: int
    small_talk: int  # predictions of greet/goodbye/thank/affirm/deny for a non-small-talk gold

    @property
    def rate(self) -> float:
        return self.handled / self.n if self.n else 0.0


def by_category(cases: Sequence[Case], predicted: Sequence[str]) -> List[CategoryResult]:
    """Per category: how many were handled (gold or an accepted alternative), fell back, or went to small talk."""
    if len(cases) != len(predicted):
        raise ValueError("cases and predictions differ in length")
    out = []
    for name in dict.fromkeys(c.category for c in cases):
        pairs = [(c, p) for c, p in zip(cases, predicted) if c.category == name]
        out.append(CategoryResult(
            name, len(pairs), sum(c.handled(p) for c, p in pairs), sum(p == FALLBACK for _, p in pairs),
            sum(p in SMALL_TALK and c.intent not in SMALL_TALK for c, p in pairs)))
    return out


def recall_of(intent: str, gold: Sequence[str], predicted: Sequence[str]) -> float:
    """Share of ``intent`` questions predicted as ``intent`` (0 when there are none)."""
    hits = [p == intent for g, p in zip(gold, predicted) if g == intent]
    return sum(hits) / len(hits) if hits else 0.0


# --- calibration ----------------------------------------------------------------------------
BANDS: Tuple[float, ...] = (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0)


@dataclass(frozen=True)
class Band:
    low: float
    high: float
    n: int
    accuracy: float
    mean_confidence: float


def calibration(confidences: Sequence[float], correct: Sequence[bool],
                edges: Sequence[float] = BANDS) -> List[Band]:
    """Accuracy and mean confidence per confidence band ``[low, high)`` (the last band includes 1.0)."""
    if len(confidences) != len(correct) or not confidences:
        raise ValueError("confidences and correct must be non-empty and of equal length")
    bands = []
    for i, (low, high) in enumerate(zip(edges, edges[1:])):
        last = i == len(edges) - 2
        idx = [j for j, c in enumerate(confidences) if low <= c < high or (last and c == high)]
        n = len(idx)
        bands.append(Band(low, high, n, sum(correct[j] for j in idx) / n if n else 0.0,
                          sum(confidences[j] for j in idx) / n if n else 0.0))
    return bands


def expected_calibration_error(confidences: Sequence[float], correct: Sequence[bool],
                               edges: Sequence[float] = BANDS) -> float:
    """Σ_bands (n_band / n) · |accuracy − mean confidence|."""
    total = len(confidences)
    return sum(b.n / total * abs(b.accuracy - b.mean_confidence)
               for b in calibration(confidences, correct, edges) if b.n)


@dataclass(frozen=True)
class ThresholdRow:
    threshold: float
    errors_caught: float  # share of wrong answers that would fall back instead
    correct_lost: float  # share of right answers that would fall back instead


def threshold_rows(confidences: Sequence[float], correct: Sequence[bool], thresholds: Sequence[float],
                   margins: Optional[Sequence[float]] = None, ambiguity: float = 0.0) -> List[ThresholdRow]:
    """For each fallback threshold: share of wrong answers that would fall back and share of right answers
    that would. With ``margins`` (top-1 minus top-2 confidence), a margin below ``ambiguity`` falls back too,
    as Rasa's FallbackClassifier does."""
    gaps = list(margins) if margins is not None else [1.0] * len(confidences)

    def falls(c: float, gap: float, t: float) -> bool:
        return c < t or gap < ambiguity

    wrong = [(c, g) for c, g, ok in zip(confidences, gaps, correct) if not ok]
    right = [(c, g) for c, g, ok in zip(confidences, gaps, correct) if ok]
    return [ThresholdRow(t, sum(falls(c, g, t) for c, g in wrong) / len(wrong) if wrong else 0.0,
                         sum(falls(c, g, t) for c, g in right) / len(right) if right else 0.0) for t in thresholds]


def choose_threshold(rows: Sequence[ThresholdRow], min_caught: float = 0.5) -> float:
    """The lowest threshold at which at least ``min_caught`` of wrong answers fall back
    (a wrong answer is then more likely to become a clarifying question than a confident wrong answer)."""
    for row in sorted(rows, key=lambda r: r.threshold):
        if row.errors_caught >= min_caught:
            return row.threshold
    return max(r.threshold for r in rows)
