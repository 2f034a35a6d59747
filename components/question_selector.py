"""Rasa adapter for :class:`fenqi.nlp.question_model.QuestionModel`: the standard question within the intent.

    - name: components.question_selector.QuestionSelector
      temperature: 0.2
      intent_weight: 0.3

Runs after the intent classifier and before FallbackClassifier. Trains on the NLU blocks whose
metadata names a standard question (``metadata: {question: due.grace_period}``). For each message it
sets ``question`` (the best question of the chosen intent: ``{"id", "confidence", "ranking"}``, only
for a domain intent) and ``question_ranking`` (the best questions over all intents, with their
intent). With ``intent_weight`` > 0 the questions' per-intent mass is blended into the intent ranking
(:func:`fenqi.nlp.question_model.mix_intents`); the fallback then decides on the blended confidence.
"""
from __future__ import annotations

import pickle
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, METADATA, METADATA_INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from fenqi.nlp.intent_model import ModelConfig
from fenqi.nlp.question_model import QUESTION, QUESTION_RANKING, QuestionModel, mix_intents

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
                "intent_weight": 0.0, "ranking_length": 5, "overall_ranking_length": 10}

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
        with self._model_storage.write_to(self._resource) as directory:
            with open(directory / MODEL_FILE, "wb") as fh:
                pickle.dump(self.model.state(), fh)
        return self._resource

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "QuestionSelector":
        try:
            with model_storage.read_from(resource) as directory:
                with open(directory / MODEL_FILE, "rb") as fh:
                    state = pickle.load(fh)  # our own artefact, written by train() into the model archive
        except (ValueError, FileNotFoundError):
            return cls(config, model_storage, resource)
        return cls(config, model_storage, resource, QuestionModel.from_state(state))

    def process(self, messages: List[Message]) -> List[Message]:
        if self.model is None:
            return messages
        texts = [m.get(TEXT) for m in messages]
        rows = self.model.probabilities([t for t in texts if t]) if any(texts) else []
        it = iter(rows)
        for message, text in zip(messages, texts):
            if text:
                self._process_one(message, next(it))
        return messages

    def _process_one(self, message: Message, row: Any) -> None:
        assert self.model is not None
        cfg = self.component_config
        intent = message.get(INTENT) or {}
        ranking = [(r["name"], float(r["confidence"])) for r in message.get(INTENT_RANKING_KEY) or []]
        weight = float(cfg["intent_weight"])
        if ranking and weight > 0:
            mixed = mix_intents(ranking, self.model.intent_mass(row), weight)
            if mixed[0][0] != ranking[0][0]:  # the questions moved another domain intent to the top
                intent = {"name": mixed[0][0], "confidence": mixed[0][1]}
            elif intent.get("name") == mixed[0][0]:
                intent = {"name": mixed[0][0], "confidence": mixed[0][1]}
            message.set(INTENT, intent, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [{"name": n, "confidence": c} for n, c in mixed], add_to_output=True)
        name = intent.get("name")
        within = self.model.within(row, name, int(cfg["ranking_length"])) if name else []
        if within:
            message.set(QUESTION, {"id": within[0][0], "confidence": within[0][1],
                                   "ranking": [{"id": q, "confidence": c} for q, c in within]}, add_to_output=True)
        overall = self.model.overall(row, int(cfg["overall_ranking_length"]))
        message.set(QUESTION_RANKING, [{"id": q, "intent": self.model.intent_of[q], "confidence": c}
                                       for q, c in overall], add_to_output=True)
