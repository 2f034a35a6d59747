"""The Rasa adapter trains, persists, loads and classifies like a Rasa intent classifier (real Rasa storage)."""
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.ngram_intent import NgramIntentClassifier

EXAMPLES = [("怎么还款", "how_to_repay"), ("在哪里还款", "how_to_repay"), ("还款方式", "how_to_repay"),
            ("额度多少", "credit_limit"), ("怎么提额", "credit_limit"), ("额度太低", "credit_limit"),
            ("你好", "greet"), ("您好", "greet"), ("嗨你好", "greet")]


@pytest.fixture
def storage(tmp_path):
    return LocalModelStorage(tmp_path)


def component(storage, **config):
    context = ExecutionContext(GraphSchema({}), "test")
    return NgramIntentClassifier.create({**NgramIntentClassifier.get_default_config(), **config}, storage,
                                        Resource("ngram"), context), context


def test_train_persist_load_process(storage):
    trained, context = component(storage, ranking_length=2)
    data = TrainingData([Message(data={TEXT: t, INTENT: i}) for t, i in EXAMPLES])
    resource = trained.train(data)
    loaded = NgramIntentClassifier.load({**NgramIntentClassifier.get_default_config(), "ranking_length": 2},
                                        storage, resource, context)
    [message] = loaded.process([Message(data={TEXT: "还款在哪"})])
    assert message.get(INTENT)["name"] == "how_to_repay"
    ranking = message.get(INTENT_RANKING_KEY)
    assert len(ranking) == 2 and ranking[0]["confidence"] == message.get(INTENT)["confidence"]


def test_small_talk_below_its_threshold_becomes_the_fallback(storage):
    trained, _ = component(storage, small_talk_threshold=1.0)
    trained.train(TrainingData([Message(data={TEXT: t, INTENT: i}) for t, i in EXAMPLES]))
    [message] = trained.process([Message(data={TEXT: "你好"})])
    assert message.get(INTENT)["name"] == "nlu_fallback"
    assert message.get(INTENT_RANKING_KEY)[0]["name"] == "greet"  # suggestions still see the real intents


def test_untrained_component_loads_and_leaves_messages_alone(storage):
    context = ExecutionContext(GraphSchema({}), "test")
    loaded = NgramIntentClassifier.load(NgramIntentClassifier.get_default_config(), storage, Resource("none"),
                                        context)
    [message] = loaded.process([Message(data={TEXT: "你好"})])
    assert message.get(INTENT) is None


def test_block_sublabels_are_learnt_and_collapsed_into_the_intent(storage):
    trained, _ = component(storage, use_sublabels=True)
    oos = [("快递到哪了", "after_sales"), ("怎么退货", "after_sales"), ("花呗怎么还", "other_lender"),
           ("借呗额度", "other_lender")]
    data = TrainingData([Message(data={TEXT: t, INTENT: i}) for t, i in EXAMPLES]
                        + [Message.build(t, "out_of_scope", intent_metadata={"sublabel": s}) for t, s in oos])
    trained.train(data)
    assert trained.model is not None and trained.model.collapse is not None
    [message] = trained.process([Message(data={TEXT: "花呗怎么还"})])
    names = [r["name"] for r in message.get(INTENT_RANKING_KEY)]
    assert message.get(INTENT)["name"] == "out_of_scope" and sorted(names) == sorted(set(names))
    assert not any("/" in n for n in names)
