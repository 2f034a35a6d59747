"""The n-gram intent model: learns from texts, ranks calibrated probabilities, survives a state round trip."""
import pickle

import numpy as np
import pytest

from fenqi.nlp.intent_model import FALLBACK, ModelConfig, NgramIntentModel, gate, normalise, words

TEXTS = ["怎么还款", "在哪里还款", "还款方式有哪些", "额度多少", "怎么提额", "额度太低了", "你好", "您好呀", "嗨你好",
         "快递到哪了", "怎么退货", "天气怎么样"]
LABELS = ["how_to_repay"] * 3 + ["credit_limit"] * 3 + ["greet"] * 3 + ["out_of_scope"] * 3


@pytest.fixture(scope="module")
def model():
    return NgramIntentModel(ModelConfig(C=10)).fit(TEXTS, LABELS)


def test_normalise_folds_width_case_punctuation_and_emoji():
    assert normalise("ＡＰＰ 里的，小米分期？😂") == "app 里的 小米分期"
    assert normalise("？？？") == "" and len(normalise("啊" * 5000)) == 500


def test_words_uses_the_domain_dictionary_and_adds_bigrams():
    tokens = words("小米分期怎么还款")
    assert "小米分期" in tokens and any(" " in t for t in tokens)


def test_learns_the_topics(model):
    assert model.rank("还款在哪里")[0][0] == "how_to_repay"
    assert model.rank("我的额度怎么这么低")[0][0] == "credit_limit"


def test_probabilities_sum_to_one_in_class_order(model):
    probs = model.predict_proba(["额度", "asdfgh"])
    assert probs.shape == (2, 4) and np.allclose(probs.sum(axis=1), 1.0)
    ranking = model.rank("额度")
    assert [c for c, _ in ranking] == sorted(model.classes, key=lambda c: -dict(ranking)[c])


def test_unknown_input_gets_a_low_confidence(model):
    assert model.rank("😀😀")[0][1] < 0.5 and model.rank("qzqzqz")[0][1] < 0.5


def test_temperature_sharpens_without_changing_the_order():
    soft = NgramIntentModel(ModelConfig(temperature=1.0)).fit(TEXTS, LABELS).rank("怎么还款")
    sharp = NgramIntentModel(ModelConfig(temperature=0.5)).fit(TEXTS, LABELS).rank("怎么还款")
    assert [c for c, _ in soft] == [c for c, _ in sharp] and sharp[0][1] > soft[0][1]


def test_state_round_trip_predicts_the_same(model):
    copy = NgramIntentModel.from_state(pickle.loads(pickle.dumps(model.state())))
    assert copy.rank("怎么提额") == model.rank("怎么提额")


def test_fit_rejects_bad_input():
    with pytest.raises(ValueError):
        NgramIntentModel().fit(["a", "b"], ["x"])
    with pytest.raises(ValueError):
        NgramIntentModel().fit(["a", "b"], ["x", "x"])


@pytest.mark.parametrize("ranking, expected", [
    ([("greet", 0.5), ("out_of_scope", 0.3)], FALLBACK),
    ([("greet", 0.7), ("out_of_scope", 0.2)], "greet"),
    ([("credit_limit", 0.5), ("greet", 0.3)], "credit_limit"),
    ([("out_of_scope", 0.2)], "out_of_scope"),
])
def test_small_talk_needs_its_own_threshold(ranking, expected):
    assert gate(ranking, 0.6) == (expected, ranking[0][1])
