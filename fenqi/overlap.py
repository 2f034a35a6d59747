"""Near-duplicate check between evaluation questions and training examples (honest evaluation)."""
from __future__ import annotations

import re
from typing import Iterable, List, Sequence, Set, Tuple

_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)
# At or above this char-bigram Jaccard a line is a near-copy of another: an evaluation question may
# not be one of a training line (make eval, tests/nlu), and no reviewed example may be one of an
# evaluation question (fenqi/training/guards.py).
NEAR_COPY = 0.7


def normalise(text: str) -> str:
    return _NOISE.sub("", text.lower())


def bigrams(text: str) -> Set[str]:
    t = normalise(text)
    return {t[i:i + 2] for i in range(len(t) - 1)} or ({t} if t else set())


def jaccard(a: Set[str], b: Set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def near_duplicates(questions: Sequence[str], training: Iterable[str],
                    threshold: float = 0.75) -> List[Tuple[str, str, float]]:
    """(question, closest training example, similarity) for each question at or above ``threshold``."""
    train = [(t, bigrams(t)) for t in training]
    hits = []
    for q in questions:
        qb = bigrams(q)
        best = max(((t, jaccard(qb, tb)) for t, tb in train), key=lambda x: x[1], default=("", 0.0))
        if best[1] >= threshold:
            hits.append((q, best[0], best[1]))
    return hits
