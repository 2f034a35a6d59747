"""Classification metrics for intent evaluation (pure; no Rasa)."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Dict, Sequence

FALLBACK = "nlu_fallback"


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
