"""Cross-validation of two models' training data on the same folds (Rasa-free; the n-gram intent
and question models of ``fenqi.nlp`` with each model's own configuration).

A text's fold is a hash of its normalised form, so a text is in the same fold whichever data set it
is in. Each model is cross-validated on its *own* training data and labels — in fold *k* trained on
its examples outside fold *k*, scored on those inside — so the two shares say how well each data set
teaches what it labels, on the same split. A text in both data sets is one example scored for both
(right or wrong against each model's own label): those are the flips. A text in one data set only
counts for that model's share.

Two measures, as ``make eval`` reports them: the intent (top-1), and the standard question end to
end (the intent above the fallback threshold and right, then the question within it right; only
examples labelled with a standard question).

A model's result depends on its training data and configuration only, so the gate keeps it
(:func:`cross_validate` → :class:`Scored`, JSON) and computes the live model's once.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from fenqi.overlap import normalise

from .gate import Comparison, Outcome

FOLDS = 5

Row = Tuple[str, str, Optional[str], Optional[str]]  # text, intent, standard question, sub-label


@dataclass(frozen=True)
class TrainingSetup:
    """What one model learnt from and how: its examples and its components' options."""

    examples: Sequence[Row]
    intent_options: Mapping[str, Any]
    question_options: Optional[Mapping[str, Any]] = None   # None: no question stage
    fallback: float = 0.65
    name: str = ""


@dataclass(frozen=True)
class Prediction:
    intent: str
    confidence: float
    question: Optional[str] = None


@dataclass(frozen=True)
class Scored:
    """One model's out-of-fold predictions of its own (distinct) examples."""

    rows: Tuple[Row, ...]
    predictions: Tuple[Prediction, ...]
    fallback: float

    def as_json(self) -> Dict[str, Any]:
        return {"rows": [list(r) for r in self.rows], "fallback": self.fallback,
                "predictions": [[p.intent, p.confidence, p.question] for p in self.predictions]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Scored":
        return cls(tuple((r[0], r[1], r[2], r[3]) for r in data["rows"]),
                   tuple(Prediction(p[0], float(p[1]), p[2]) for p in data["predictions"]), float(data["fallback"]))


def fold_of(text: str, folds: int = FOLDS) -> int:
    """The fold of ``text``: the same for the same (normalised) text in any data set."""
    digest = hashlib.sha256(normalise(text).encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") % folds


def _predict_fold(setup: TrainingSetup, train: Sequence[Row], texts: Sequence[str]) -> List[Prediction]:
    from fenqi.nlp.intent_model import ModelConfig, NgramIntentModel
    from fenqi.nlp.question_model import QuestionModel

    if not texts:
        return []
    subs = [r[3] for r in train] if setup.intent_options.get("use_sublabels") else None
    imodel = NgramIntentModel(ModelConfig.from_options(setup.intent_options)).fit(
        [r[0] for r in train], [r[1] for r in train], subs)
    out = []
    for row in imodel.predict_proba(list(texts)):
        j = int(row.argmax())
        out.append(Prediction(imodel.classes[j], float(row[j])))
    labelled = [r for r in train if r[2]]
    if setup.question_options is None or len({r[2] for r in labelled}) < 2:
        return out
    qmodel = QuestionModel(ModelConfig.from_options(setup.question_options)).fit(
        [r[0] for r in labelled], [str(r[2]) for r in labelled], [r[1] for r in labelled])
    for i, p in enumerate(out):  # the question within the predicted intent (features shared by all intents)
        ranked = qmodel.rank(texts[i], p.intent, 1)
        out[i] = Prediction(p.intent, p.confidence, ranked[0][0] if ranked else None)
    return out


def cross_validate(setup: TrainingSetup, folds: int = FOLDS) -> Scored:
    """Each distinct example of ``setup`` predicted by its models trained without its fold."""
    from fenqi.nlp.intent_model import words_computed_once

    rows = _distinct(setup.examples)
    predictions: List[Optional[Prediction]] = [None] * len(rows)
    with words_computed_once():
        for k in range(folds):
            train = [r for r in setup.examples if fold_of(r[0], folds) != k]
            wanted = [i for i, r in enumerate(rows) if fold_of(r[0], folds) == k]
            for i, p in zip(wanted, _predict_fold(setup, train, [rows[i][0] for i in wanted])):
                predictions[i] = p
    assert all(p is not None for p in predictions)
    return Scored(tuple(rows), tuple(p for p in predictions if p is not None), setup.fallback)


def _intent_right(row: Row, p: Prediction) -> bool:
    return p.intent == row[1]


def _question_right(row: Row, p: Prediction, fallback: float) -> bool:
    """The bot would answer the row's question: intent right and above the fallback threshold, question right."""
    return p.confidence >= fallback and p.intent == row[1] and p.question == row[2]


def compare(live: Scored, candidate: Scored, folds: int = FOLDS) -> Tuple[Comparison, Comparison]:
    """(intent, standard question) comparisons of two cross-validations on the same folds."""
    before = {normalise(r[0]): (r, p) for r, p in zip(live.rows, live.predictions)}
    after = {normalise(r[0]): (r, p) for r, p in zip(candidate.rows, candidate.predictions)}
    order = list(after) + [k for k in before if k not in after]
    intents: List[Outcome] = []
    questions: List[Outcome] = []
    for key in order:
        b, a = before.get(key), after.get(key)
        row = (a or b)[0]  # type: ignore[index]
        intents.append(Outcome(row[0], row[1], row[1],
                               _intent_right(*b) if b else None, _intent_right(*a) if a else None,
                               b[1].intent if b else "", a[1].intent if a else ""))
        bq = b if b and b[0][2] else None
        aq = a if a and a[0][2] else None
        if bq or aq:
            qrow = (aq or bq)[0]  # type: ignore[index]
            questions.append(Outcome(
                qrow[0], str(qrow[2]), qrow[1],
                _question_right(bq[0], bq[1], live.fallback) if bq else None,
                _question_right(aq[0], aq[1], candidate.fallback) if aq else None,
                f"{bq[1].intent}/{bq[1].question}" if bq else "", f"{aq[1].intent}/{aq[1].question}" if aq else ""))
    return (Comparison(f"cross-validation ({folds} folds), intent", "accuracy", tuple(intents)),
            Comparison(f"cross-validation ({folds} folds), standard question", "accuracy", tuple(questions)))


def compare_cross_validation(live: TrainingSetup, candidate: TrainingSetup,
                             folds: int = FOLDS) -> Tuple[Comparison, Comparison]:
    return compare(cross_validate(live, folds), cross_validate(candidate, folds), folds)


def _distinct(rows: Sequence[Row]) -> List[Row]:
    """One row per normalised text (the first label wins; the guards keep a text from having two)."""
    seen, out = set(), []
    for row in rows:
        key = normalise(row[0])
        if key not in seen:
            seen.add(key)
            out.append(row)
    return out
