"""Cross-validation of two models' training data on the same folds (Rasa-free; the n-gram intent
and question models of ``fenqi.nlp`` with each model's own configuration).

A text's fold is a hash of its normalised form, so a text is in the same fold whichever data set it
belongs to: in fold *k* each model is trained on its own training data without the fold-*k* texts,
and both predict the same fold-*k* examples of the *evaluation data* (the candidate's training
data: the labels as the trainer now knows them). Each example is thus scored for both models,
unseen by both, and the difference is exact example by example.

Two measures, as ``make eval`` reports them: the intent (top-1), and the standard question end to
end (the intent above the fallback threshold and right, then the question within it right; only
examples labelled with a standard question).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
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


@dataclass
class FoldPredictions:
    """Out-of-fold predictions of one model for each evaluation example (by index)."""

    by_index: Dict[int, Prediction] = field(default_factory=dict)


def fold_of(text: str, folds: int = FOLDS) -> int:
    """The fold of ``text``: the same for the same (normalised) text in any data set."""
    digest = hashlib.sha256(normalise(text).encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") % folds


def _predict_fold(setup: TrainingSetup, train: Sequence[Row], texts: Sequence[str]) -> List[Prediction]:
    from fenqi.nlp.intent_model import ModelConfig, NgramIntentModel
    from fenqi.nlp.question_model import QuestionModel

    subs = [r[3] for r in train] if setup.intent_options.get("use_sublabels") else None
    imodel = NgramIntentModel(ModelConfig.from_options(setup.intent_options)).fit(
        [r[0] for r in train], [r[1] for r in train], subs)
    qmodel = None
    labelled = [r for r in train if r[2]]
    if setup.question_options is not None and len({r[2] for r in labelled}) >= 2:
        qmodel = QuestionModel(ModelConfig.from_options(setup.question_options)).fit(
            [r[0] for r in labelled], [str(r[2]) for r in labelled], [r[1] for r in labelled])
    out = []
    for row in imodel.predict_proba(list(texts)) if texts else []:
        j = int(row.argmax())
        out.append(Prediction(imodel.classes[j], float(row[j])))
    if qmodel is not None:
        for i, (text, p) in enumerate(zip(texts, out)):
            ranked = qmodel.rank(text, p.intent, 1)
            out[i] = Prediction(p.intent, p.confidence, ranked[0][0] if ranked else None)
    return out


def predict_out_of_fold(setup: TrainingSetup, evaluation: Sequence[Row], folds: int = FOLDS) -> FoldPredictions:
    """Each evaluation example predicted by ``setup``'s models trained without its fold."""
    result = FoldPredictions()
    for k in range(folds):
        train = [r for r in setup.examples if fold_of(r[0], folds) != k]
        wanted = [i for i, r in enumerate(evaluation) if fold_of(r[0], folds) == k]
        for i, p in zip(wanted, _predict_fold(setup, train, [evaluation[i][0] for i in wanted])):
            result.by_index[i] = p
    return result


def compare_cross_validation(live: TrainingSetup, candidate: TrainingSetup,
                             folds: int = FOLDS) -> Tuple[Comparison, Comparison]:
    """(intent, standard question) comparisons on the candidate's training data, same folds."""
    evaluation = _distinct(candidate.examples)
    before = predict_out_of_fold(live, evaluation, folds)
    after = predict_out_of_fold(candidate, evaluation, folds)
    intent_outcomes, question_outcomes = [], []
    for i, (text, intent, question, _) in enumerate(evaluation):
        b, a = before.by_index[i], after.by_index[i]
        intent_outcomes.append(Outcome(text, intent, intent, b.intent == intent, a.intent == intent,
                                       b.intent, a.intent))
        if question:
            question_outcomes.append(Outcome(
                text, question, intent, _answers(b, intent, question, live.fallback),
                _answers(a, intent, question, candidate.fallback), f"{b.intent}/{b.question}", f"{a.intent}/{a.question}"))
    return (Comparison(f"cross-validation ({folds} folds), intent", "accuracy", tuple(intent_outcomes)),
            Comparison(f"cross-validation ({folds} folds), standard question", "accuracy", tuple(question_outcomes)))


def _answers(p: Prediction, intent: str, question: str, fallback: float) -> bool:
    """The bot would answer ``question``: the intent right and above the fallback threshold, the question right."""
    return p.confidence >= fallback and p.intent == intent and p.question == question


def _distinct(rows: Sequence[Row]) -> List[Row]:
    """One row per text (the first label wins; the guards keep a text from having two)."""
    seen, out = set(), []
    for row in rows:
        if row[0] not in seen:
            seen.add(row[0])
            out.append(row)
    return out
