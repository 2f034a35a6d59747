"""Rasa adapter for :class:`fenqi.nlp.intent_model.NgramIntentModel` (char + word n-gram TF-IDF, linear model).

    - name: components.ngram_intent.NgramIntentClassifier
      classifier: svm
      C: 1
      temperature: 0.2

Trains on the texts and intents of the NLU data, sets ``intent`` and ``intent_ranking`` like Rasa's
classifiers, so FallbackClassifier and the clarifying question work unchanged. Small talk below
``small_talk_threshold`` becomes ``nlu_fallback`` (the ranking keeps the real intents for the suggestions).
With ``use_sublabels``, a block's ``metadata: {sublabel: ...}`` in the NLU data (out_of_scope.yml) trains a
class of its own that is summed back into the block's intent: Rasa, the domain and the stories see only
the intent (measured, not configured: docs/evaluation.md).
"""
from __future__ import annotations

import json
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
from components.question_selector import question_label
from fenqi.nlp.intent_model import ModelConfig, NgramIntentModel, gate

MODEL_FILE = "ngram_intent.pkl"
# The examples the model learnt from, kept in the archive: the evaluation gate cross-validates a
# model's own training data (fenqi/training/archive.py reads it without Rasa).
TRAINING_FILE = "training_examples.json"


def sublabel(message: Message) -> Optional[str]:
    """The ``sublabel`` of the example's intent block (``metadata: {sublabel: ...}``), if any."""
    intent_meta = (message.get(METADATA) or {}).get(METADATA_INTENT) or {}
    value = intent_meta.get("sublabel") if isinstance(intent_meta, dict) else None
    return str(value) if value else None


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class NgramIntentClassifier(GraphComponent, IntentClassifier):
    """Intent classifier on character and word n-grams; confidences temperature-calibrated."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        d = ModelConfig()
        return {"char_min_ngram": d.char_ngrams[0], "char_max_ngram": d.char_ngrams[1], "use_words": d.use_words,
                "C": d.C, "temperature": d.temperature, "class_weight": d.class_weight, "combine": d.combine,
                "classifier": d.classifier, "second_weight": d.second_weight, "sublabel_pool": d.sublabel_pool,
                "use_sublabels": False, "ranking_length": 10, "small_talk_threshold": 0.0}

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 model: Optional[NgramIntentModel] = None) -> None:
        self.component_config = config
        self._model_storage = model_storage
        self._resource = resource
        self.model = model

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "NgramIntentClassifier":
        return cls(config, model_storage, resource)

    def _model_config(self) -> ModelConfig:
        return ModelConfig.from_options(self.component_config)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.intent_examples if m.get(TEXT) and m.get(INTENT)]
        if len({m.get(INTENT) for m in examples}) < 2:
            return self._resource  # nothing to learn (e.g. a core-only training)
        subs = [sublabel(m) for m in examples] if self.component_config["use_sublabels"] else None
        self.model = NgramIntentModel(self._model_config()).fit(
            [m.get(TEXT) for m in examples], [m.get(INTENT) for m in examples], subs)
        training = [[m.get(TEXT), m.get(INTENT), question_label(m), sublabel(m)] for m in examples]
        save_state(self._model_storage, self._resource, MODEL_FILE, self.model.state(),
                   {TRAINING_FILE: json.dumps(training, ensure_ascii=False)})
        return self._resource

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "NgramIntentClassifier":
        state = load_state(model_storage, resource, MODEL_FILE)
        return cls(config, model_storage, resource, None if state is None else NgramIntentModel.from_state(state))

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if self.model is None or not text:
                continue
            ranking = self.model.rank(text, top=int(self.component_config["ranking_length"]))
            name, confidence = gate(ranking, float(self.component_config["small_talk_threshold"]))
            message.set(INTENT, {"name": name, "confidence": confidence}, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [{"name": n, "confidence": c} for n, c in ranking], add_to_output=True)
        return messages
