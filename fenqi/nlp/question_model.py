"""Second NLU stage: which standard question (标准问) of the intent the shopper asked.

Rasa-free; ``components/question_selector.py`` adapts it to a Rasa graph component. Each domain intent
has its own n-gram model (:class:`~fenqi.nlp.intent_model.NgramIntentModel`: the intent classifier's
features and calibration) over its standard questions, learnt from their similar phrasings (相似问: the
NLU blocks with ``metadata: {question: <id>}``). Models per intent were chosen over one model of all
questions ranked within the intent by cross-validation (docs/evaluation.md): they learn what tells an
intent's questions apart rather than what tells each question from every other.

A question's overall score is P(intent) × P(question | intent), with P(intent) from the first stage:
the ranking across intents that follow-ups are resolved with.
"""
from __future__ import annotations

from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from fenqi.nlp.intent_model import ModelConfig, NgramIntentModel

QUESTION = "question"  # the NLU block metadata key and the parse-data key of the chosen question
QUESTION_RANKING = "question_ranking"  # parse-data key: the best questions over the likely intents

Ranking = List[Tuple[str, float]]


class QuestionModel:
    """fit(texts, questions, intents); rank(text, intent) → [(question id, confidence), …] best first."""

    def __init__(self, config: Optional[ModelConfig] = None) -> None:
        self.config = config or ModelConfig()
        self.models: Dict[str, NgramIntentModel] = {}  # intents with two or more questions
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
        self.intent_of, self.models, self.only = intent_of, {}, {}
        for intent in sorted(set(intents)):
            rows = [(t, q) for t, q, i in zip(texts, questions, intents) if i == intent]
            labels = {q for _, q in rows}
            if len(labels) == 1:
                self.only[intent] = labels.pop()
            else:
                self.models[intent] = NgramIntentModel(self.config).fit([t for t, _ in rows], [q for _, q in rows])
        return self

    @property
    def intents(self) -> List[str]:
        return sorted(set(self.models) | set(self.only))

    def rank(self, text: str, intent: str, top: Optional[int] = None) -> Ranking:
        """``intent``'s questions for ``text``, best first (empty for an intent without questions)."""
        return self.rank_many([text], intent, top)[0]

    def rank_many(self, texts: Sequence[str], intent: str, top: Optional[int] = None) -> List[Ranking]:
        if intent in self.only:
            return [[(self.only[intent], 1.0)] for _ in texts]
        model = self.models.get(intent)
        if model is None:
            return [[] for _ in texts]
        out = []
        for row in model.predict_proba(texts):
            ranked = sorted(zip(model.classes, (float(p) for p in row)), key=lambda qp: -qp[1])
            out.append(ranked[:top])
        return out

    def overall(self, text: str, intent_probs: Mapping[str, float], top: int = 10,
                min_intent: float = 0.05, always: Iterable[str] = ()) -> Ranking:
        """Questions of the likely intents (P(intent) ≥ ``min_intent``, plus ``always``) scored
        P(intent) × P(question | intent), best first."""
        wanted = {i for i, p in intent_probs.items() if p >= min_intent} | set(always)
        scored = [(q, intent_probs.get(intent, 0.0) * p)
                  for intent in sorted(wanted & set(self.intents)) for q, p in self.rank(text, intent)]
        return sorted(scored, key=lambda qp: -qp[1])[:top]

    def state(self) -> Dict[str, object]:
        return {"config": self.config, "models": {i: m.state() for i, m in self.models.items()},
                "only": dict(self.only), "intent_of": dict(self.intent_of)}

    @classmethod
    def from_state(cls, state: Mapping[str, object]) -> "QuestionModel":
        config = state["config"]
        assert isinstance(config, ModelConfig)
        out = cls(config)
        models, only, intent_of = state["models"], state["only"], state["intent_of"]
        assert isinstance(models, dict) and isinstance(only, dict) and isinstance(intent_of, dict)
        out.models = {str(i): NgramIntentModel.from_state(s) for i, s in models.items()}
        out.only = {str(i): str(q) for i, q in only.items()}
        out.intent_of = {str(q): str(i) for q, i in intent_of.items()}
        return out
