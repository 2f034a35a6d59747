"""Second NLU stage: which standard question (标准问) of the intent the shopper asked.

Rasa-free; ``components/question_selector.py`` adapts it to a Rasa graph component. Each domain intent
has its own classifiers over its standard questions (the intent classifier's kind: linear SVMs on char
and char+word n-grams, softmax of their margins / temperature, averaged), learnt from their similar
phrasings (相似问: the NLU blocks with ``metadata: {question: <id>}``), on one featuriser shared by all
intents. Classifiers per intent were chosen over one classifier of all questions ranked within the
intent by cross-validation (docs/evaluation.md): they learn what tells an intent's questions apart
rather than what tells each question from every other.

A question's overall score is P(intent) × P(question | intent), with P(intent) from the first stage:
the ranking across intents that follow-ups are resolved with.
"""
from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from fenqi.nlp.intent_model import ModelConfig, NgramIntentModel

QUESTION = "question"  # the NLU block metadata key and the parse-data key of the chosen question
QUESTION_RANKING = "question_ranking"  # parse-data key: the best questions over all intents (joint score)
QUESTION_BY_INTENT = "question_by_intent"  # parse-data key: each intent's best questions within it

Ranking = List[Tuple[str, float]]


def _softmax(margins: np.ndarray, temperature: float) -> np.ndarray:
    logits = margins / temperature
    exp = np.exp(logits - logits.max())
    return exp / exp.sum()


class QuestionModel:
    """fit(texts, questions, intents); rank(text, intent) → [(question id, confidence), …] best first.

    The n-gram features are computed once per message and shared by every intent's classifiers
    (one featuriser fitted on all the phrasings), so ranking the questions of all nine intents costs
    about as much as one: a follow-up can be read against any intent."""

    def __init__(self, config: Optional[ModelConfig] = None) -> None:
        self.config = config or ModelConfig()
        self.shared = NgramIntentModel(self.config)  # the featuriser (its own classifiers stay unused)
        self.heads: Dict[str, Tuple[List[str], Any, Optional[Any]]] = {}  # intent: (classes, clf, second clf)
        self.only: Dict[str, str] = {}  # intents with one question: that question
        self.intent_of: Dict[str, str] = {}

    def fit(self, texts: Sequence[str], questions: Sequence[str], intents: Sequence[str]) -> "QuestionModel":
        """Learn each intent's questions; every question belongs to exactly one intent."""
        if not len(texts) == len(questions) == len(intents):
            raise ValueError("need equally many texts, questions and intents")
        intent_of: Dict[str, str] = {}
        for question, intent in zip(questions, intents):
            if intent_of.setdefault(question, intent) != intent:
                raise ValueError(f"question {question!r} is labelled with two intents: "
                                 f"{intent_of[question]!r} and {intent!r}")
        self.intent_of, self.heads, self.only = intent_of, {}, {}
        features = self.shared.features(list(texts), fit=True)
        labels = np.asarray(questions)
        for intent in sorted(set(intents)):
            rows = np.asarray([i for i, name in enumerate(intents) if name == intent])
            names = sorted(set(labels[rows]))
            if len(names) == 1:
                self.only[intent] = names[0]
                continue
            clf = self.shared.classifier().fit(features[0][rows], labels[rows])
            second = self.shared.classifier().fit(features[1][rows], labels[rows]) if len(features) > 1 else None
            self.heads[intent] = ([str(c) for c in clf.classes_], clf, second)
        self._stack()
        return self

    def _stack(self) -> None:
        """One weight matrix per feature set with every intent's classes side by side, so one sparse
        product scores all questions; ``_slices`` says whose columns are whose."""
        self._slices: Dict[str, slice] = {}
        weights: List[List[np.ndarray]] = [[], []]
        biases: List[List[np.ndarray]] = [[], []]
        at = 0
        for intent, (classes, clf, second) in sorted(self.heads.items()):
            for k, model in enumerate((clf, second)):
                if model is None:
                    continue
                coef, bias = np.atleast_2d(model.coef_), np.atleast_1d(model.intercept_)
                if len(classes) == 2:  # one margin for two classes: [-m, m]
                    coef, bias = np.vstack([-coef, coef]), np.concatenate([-bias, bias])
                weights[k].append(coef)
                biases[k].append(bias)
            self._slices[intent] = slice(at, at + len(classes))
            at += len(classes)
        self._weights = [np.ascontiguousarray(np.vstack(w).T) if w else None for w in weights]
        self._biases = [np.concatenate(b) if b else None for b in biases]

    @property
    def intents(self) -> List[str]:
        return sorted(set(self.heads) | set(self.only))

    def rank_all(self, text: str, intents: Optional[Iterable[str]] = None,
                 top: Optional[int] = None) -> Dict[str, Ranking]:
        """Each intent's questions for ``text`` (default: every intent), best first."""
        wanted = self.intents if intents is None else [i for i in intents if i in self.intents]
        out: Dict[str, Ranking] = {i: [(self.only[i], 1.0)] for i in wanted if i in self.only}
        heads = [i for i in wanted if i in self.heads]
        if not heads:
            return out
        features = self.shared.features([text])
        known = sum(f.getnnz() for f in features) > 0
        w = self.config.second_weight
        scores: List[Optional[np.ndarray]] = [
            None if weight is None else np.asarray(f @ weight).ravel() + bias
            for f, weight, bias in zip(features, self._weights, self._biases)]
        for intent in heads:
            classes = self.heads[intent][0]
            first, second = scores[0], scores[1] if len(scores) > 1 else None
            if known and first is not None:
                probs = _softmax(first[self._slices[intent]], self.config.temperature)
                if second is not None:
                    probs = (1 - w) * probs + w * _softmax(second[self._slices[intent]], self.config.temperature)
            else:  # no known n-gram: no evidence for any question
                probs = np.full(len(classes), 1.0 / len(classes))
            ranked = sorted(zip(classes, (float(p) for p in probs)), key=lambda qp: -qp[1])
            out[intent] = ranked[:top]
        return out

    def rank(self, text: str, intent: str, top: Optional[int] = None) -> Ranking:
        """``intent``'s questions for ``text``, best first (empty for an intent without questions)."""
        return self.rank_all(text, [intent], top).get(intent, [])

    def overall(self, text: str, intent_probs: Mapping[str, float], top: int = 10,
                ranked: Optional[Mapping[str, Ranking]] = None) -> Ranking:
        """Questions of every intent scored P(intent) × P(question | intent), best first."""
        ranked = ranked if ranked is not None else self.rank_all(text)
        scored = [(q, intent_probs.get(intent, 0.0) * p) for intent, ranking in ranked.items() for q, p in ranking]
        return sorted(scored, key=lambda qp: -qp[1])[:top]

    def best_per_intent(self, ranked: Mapping[str, Ranking]) -> Dict[str, Tuple[str, float]]:
        """Each intent's best question and its confidence within the intent."""
        return {intent: ranking[0] for intent, ranking in ranked.items() if ranking}

    def state(self) -> Dict[str, object]:
        return {"config": self.config, "shared": self.shared.state(), "heads": dict(self.heads),
                "only": dict(self.only), "intent_of": dict(self.intent_of)}

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> "QuestionModel":
        out = cls(state["config"])
        out.shared = NgramIntentModel.from_state(state["shared"])
        out.heads = {str(i): h for i, h in state["heads"].items()}
        out.only = {str(i): str(q) for i, q in state["only"].items()}
        out.intent_of = {str(q): str(i) for q, i in state["intent_of"].items()}
        out._stack()
        return out
