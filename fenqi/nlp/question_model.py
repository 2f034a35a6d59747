"""Second NLU stage: which standard question (标准问) of the intent the shopper asked.

Rasa-free; ``components/question_selector.py`` adapts it to a Rasa graph component. One n-gram model
(:class:`~fenqi.nlp.intent_model.NgramIntentModel`, the intent classifier's features and calibration)
learns every standard question of every domain intent from its similar phrasings (相似问: the NLU
blocks with ``metadata: {question: <id>}``). A question is ranked *within* the intent the first stage
chose (probabilities renormalised over that intent's questions); summed per intent, the global
probabilities are a second opinion on the intent that :func:`mix_intents` can blend in (逾期利息 is
about overdue, not about checkout fees).
"""
from __future__ import annotations

from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from fenqi.nlp.intent_model import ModelConfig, NgramIntentModel

QUESTION = "question"  # the NLU block metadata key and the parse-data key of the chosen question
QUESTION_RANKING = "question_ranking"  # parse-data key: the best questions over all intents

Ranking = List[Tuple[str, float]]


class QuestionModel:
    """fit(texts, questions, intents); rank(text, intent) → [(question id, confidence), …] best first."""

    def __init__(self, config: Optional[ModelConfig] = None) -> None:
        self.model = NgramIntentModel(config or ModelConfig())
        self.intent_of: Dict[str, str] = {}

    def fit(self, texts: Sequence[str], questions: Sequence[str], intents: Sequence[str]) -> "QuestionModel":
        """Learn the questions; every question belongs to exactly one intent."""
        if not len(texts) == len(questions) == len(intents):
            raise ValueError("need equally many texts, questions and intents")
        intent_of: Dict[str, str] = {}
        for question, intent in zip(questions, intents):
            if intent_of.setdefault(question, intent) != intent:
                raise ValueError(f"question {question!r} is labelled with two intents: "
                                 f"{intent_of[question]!r} and {intent!r}")
        self.model.fit(texts, questions)
        self.intent_of = {q: intent_of[q] for q in self.model.classes}
        return self

    @property
    def questions(self) -> List[str]:
        return self.model.classes

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probabilities over every question (columns in :attr:`questions` order)."""
        return self.model.predict_proba(texts)

    def within(self, row: np.ndarray, intent: str, top: Optional[int] = None) -> Ranking:
        """One row of :meth:`probabilities` restricted to ``intent``'s questions, renormalised."""
        ranked = [(q, float(p)) for q, p in zip(self.questions, row) if self.intent_of[q] == intent]
        total = sum(p for _, p in ranked)
        if not ranked or total <= 0:
            return []
        ranked.sort(key=lambda qp: -qp[1])
        return [(q, p / total) for q, p in ranked[:top]]

    def overall(self, row: np.ndarray, top: Optional[int] = None) -> Ranking:
        """One row of :meth:`probabilities` as a ranking over all questions."""
        order = np.argsort(-row)[:top]
        return [(self.questions[i], float(row[i])) for i in order]

    def intent_mass(self, row: np.ndarray) -> Dict[str, float]:
        """Each intent's share of one row of :meth:`probabilities` (sums to 1 over the domain intents)."""
        mass: Dict[str, float] = {}
        for q, p in zip(self.questions, row):
            mass[self.intent_of[q]] = mass.get(self.intent_of[q], 0.0) + float(p)
        return mass

    def rank(self, text: str, intent: str, top: Optional[int] = None) -> Ranking:
        return self.within(self.probabilities([text])[0], intent, top)

    def state(self) -> Dict[str, object]:
        return {"model": self.model.state(), "intent_of": dict(self.intent_of)}

    @classmethod
    def from_state(cls, state: Mapping[str, object]) -> "QuestionModel":
        model_state = state["model"]
        assert isinstance(model_state, dict)
        out = cls(model_state["config"])
        out.model = NgramIntentModel.from_state(model_state)
        intent_of = state["intent_of"]
        assert isinstance(intent_of, dict)
        out.intent_of = {str(k): str(v) for k, v in intent_of.items()}
        return out


def mix_intents(ranking: Sequence[Tuple[str, float]], question_mass: Mapping[str, float],
                weight: float) -> Ranking:
    """Blend the question stage's per-intent mass into the first stage's intent ranking.

    Only the domain intents (those in ``question_mass``) move, and only among themselves: their
    total probability stays what the intent classifier gave them, so out_of_scope, small talk and
    the fallback decision for "none of ours" are untouched. Within them the probabilities become
    the normalised geometric mix ``p_intent^(1-w) · p_questions^w``. ``weight`` 0 returns the
    ranking unchanged.
    """
    if weight <= 0 or not question_mass:
        return [(n, float(p)) for n, p in ranking]
    domain = [(n, p) for n, p in ranking if n in question_mass]
    mass = sum(p for _, p in domain)
    if not domain or mass <= 0:
        return [(n, float(p)) for n, p in ranking]
    mixed = {n: (p ** (1 - weight)) * (max(question_mass[n], 1e-9) ** weight) for n, p in domain}
    total = sum(mixed.values())
    out = [(n, mass * mixed[n] / total if n in mixed else float(p)) for n, p in ranking]
    return sorted(out, key=lambda np_: -np_[1])
