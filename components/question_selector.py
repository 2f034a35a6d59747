"""Rasa adapter for :class:`fenqi.nlp.question_model.QuestionModel`: the standard question within the intent.

    - name: components.question_selector.QuestionSelector
      temperature: 0.2

Runs after the intent classifier and before FallbackClassifier. Trains on the NLU blocks whose
metadata names a standard question (``metadata: {question: due.grace_period}``). For each message it
sets ``question`` (the best questions of the chosen intent: ``{"id", "confidence", "ranking"}``, only
for a domain intent), ``question_ranking`` (the best questions over all intents, scored P(intent) ×
P(question | intent), with their intent: the clarifying question's candidates) and
``question_by_intent`` (each intent's two best questions within it: a follow-up is read against the
last answer's intent, whatever the first stage thought). The intent itself is left as the first
stage decided.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, METADATA, METADATA_INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.artefacts import load_state, save_state
from fenqi.nlp.intent_model import ModelConfig
from fenqi.nlp.question_model import QUESTION, QUESTION_BY_INTENT, QUESTION_RANKING, QuestionModel

MODEL_FILE = "question_model.pkl"


def question_label(message: Message) -> Optional[str]:
    """The standard question named by the example's intent block (``metadata: {question: ...}``)."""
    intent_meta = (message.get(METADATA) or {}).get(METADATA_INTENT) or {}
    value = intent_meta.get(QUESTION) if isinstance(intent_meta, dict) else None
    return str(value) if value else None


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class QuestionSelector(GraphComponent, IntentClassifier):
    """Second stage: standard question per intent; optionally a second opinion on the intent."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        d = ModelConfig()
        return {"char_min_ngram": d.char_ngrams[0], "char_max_ngram": d.char_ngrams[1], "use_words": d.use_words,
                "C": d.C, "temperature": d.temperature, "combine": d.combine, "classifier": d.classifier,
                "ranking_length": 3, "overall_ranking_length": 3}

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 model: Optional[QuestionModel] = None) -> None:
        self.component_config = config
        self._model_storage = model_storage
        self._resource = resource
        self.model = model

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "QuestionSelector":
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        labelled = [(m.get(TEXT), question_label(m), m.get(INTENT)) for m in training_data.intent_examples]
        labelled = [(t, q, i) for t, q, i in labelled if t and q and i]
        if len({q for _, q, _ in labelled}) < 2:
            return self._resource  # no standard questions in this training data (e.g. core-only)
        texts, questions, intents = zip(*labelled)
        self.model = QuestionModel(ModelConfig.from_options(self.component_config)).fit(texts, questions, intents)
        save_state(self._model_storage, self._resource, MODEL_FILE, self.model.state())
        return self._resource

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "QuestionSelector":
        state = load_state(model_storage, resource, MODEL_FILE)
        return cls(config, model_storage, resource, None if state is None else QuestionModel.from_state(state))

    def process(self, messages: List[Message]) -> List[Message]:
        if self.model is None:
            return messages
        cfg = self.component_config
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            intent = (message.get(INTENT) or {}).get("name")
            probs = {r["name"]: float(r["confidence"]) for r in message.get(INTENT_RANKING_KEY) or []}
            ranked = self.model.rank_all(text)  # every intent from one featurisation
            within = ranked.get(intent, [])[:int(cfg["ranking_length"])] if intent else []
            if within:
                message.set(QUESTION, {"id": within[0][0], "confidence": within[0][1],
                                       "ranking": [{"id": q, "confidence": c} for q, c in within]},
                            add_to_output=True)
            overall = self.model.overall(text, probs, int(cfg["overall_ranking_length"]), ranked)
            message.set(QUESTION_RANKING, [{"id": q, "intent": self.model.intent_of[q], "confidence": c}
                                           for q, c in overall], add_to_output=True)
            message.set(QUESTION_BY_INTENT, {i: [[q, round(c, 4)] for q, c in r[:2]] for i, r in ranked.items()},
                        add_to_output=True)
        return messages
