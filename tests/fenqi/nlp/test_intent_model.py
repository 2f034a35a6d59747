"""The n-gram intent model: learns from texts, ranks calibrated probabilities, survives a state round trip."""
import pickle

import numpy as np
import pytest

from fenqi.nlp.intent_model import (
    FALLBACK,
    ModelConfig,
    NgramIntentModel,
    degenerate,
    gate,
    normalise,
    typo_variants,
    words,
)

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


def test_input_without_known_ngrams_gets_the_uniform_distribution(model):
    for text in ("😀😀", "+++ === ---", "qzqzqz"):
        assert {round(p, 6) for _, p in model.rank(text)} == {0.25}


def test_degenerate_input_is_uniform_unless_it_was_learnt_as_such():
    assert [degenerate(t) for t in ("8", "你你你你", " 好！", "88", "你好", "")] == ["8", "你你你你", "好", "88", None, None]
    learnt = NgramIntentModel(ModelConfig(C=10)).fit(TEXTS + ["好", "好好好"], LABELS + ["greet", "greet"])
    for text in ("你", "你你你你", "还", "额额额额"):  # known characters, but one repeated: no evidence
        assert {round(p, 6) for _, p in learnt.rank(text)} == {0.25}, text
    assert learnt.rank("好！")[0][0] == learnt.rank("好好好")[0][0] == "greet"
    assert learnt.rank("你好")[0][0] == "greet"
    mashing = NgramIntentModel(ModelConfig(C=10)).fit(TEXTS + ["哈哈哈"], LABELS + ["out_of_scope"])
    assert mashing.rank("哈哈")[0][0] == "out_of_scope" and mashing.rank("哈哈")[0][1] > 0.25  # kept: out of scope
    assert NgramIntentModel.from_state(pickle.loads(pickle.dumps(learnt.state()))).rank("你你")[0][1] == 0.25


def test_examples_without_ngrams_are_not_learnt_from():
    a = NgramIntentModel().fit(TEXTS, LABELS).rank("怎么还款")
    b = NgramIntentModel().fit(TEXTS + ["😀", "！！！"], LABELS + ["greet", "greet"]).rank("怎么还款")
    assert a == b


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


SUB_TEXTS = TEXTS + ["花呗怎么还", "借呗额度", "asdf", "qwer"]
SUB_LABELS = LABELS + ["out_of_scope"] * 4
SUBS = [None] * 9 + ["after_sales", "after_sales", "unrelated", "other_lender", "other_lender", "nonsense",
                     "nonsense"]


def test_sublabels_train_classes_of_their_own_and_sum_back_into_the_intent():
    model = NgramIntentModel(ModelConfig(C=10)).fit(SUB_TEXTS, SUB_LABELS, SUBS)
    assert model.classes == sorted(set(SUB_LABELS)) and model.collapse is not None
    assert model.collapse.shape == (3 + 4, 4)  # 3 plain intents + 4 out_of_scope kinds → 4 intents
    probs = model.predict_proba(["花呗还款", "还款在哪里"])
    assert probs.shape == (2, 4) and np.allclose(probs.sum(axis=1), 1.0)
    assert model.rank("花呗怎么还")[0][0] == "out_of_scope"
    copy = NgramIntentModel.from_state(pickle.loads(pickle.dumps(model.state())))
    assert copy.rank("花呗怎么还") == model.rank("花呗怎么还")


def test_sublabels_must_match_the_texts():
    with pytest.raises(ValueError):
        NgramIntentModel().fit(SUB_TEXTS, SUB_LABELS, SUBS[:-1])


@pytest.mark.parametrize("config", [ModelConfig(combine="average"), ModelConfig(combine="char+stack"),
                                    ModelConfig(classifier="lr", C=100, temperature=1.0),
                                    ModelConfig(classifier="svm-platt", temperature=1.0)])
def test_word_char_average_and_svm_rank_probabilities(config):
    model = NgramIntentModel(config).fit(TEXTS, LABELS)
    probs = model.predict_proba(["怎么还款", "😀"])
    assert np.allclose(probs.sum(axis=1), 1.0) and model.rank("还款在哪里")[0][0] == "how_to_repay"
    assert {round(p, 6) for p in probs[1]} == {0.25}


def test_an_intents_class_weight_holds_for_its_sublabels():
    model = NgramIntentModel(ModelConfig(class_weight={"out_of_scope": 2.0})).fit(SUB_TEXTS, SUB_LABELS, SUBS)
    assert model.clf.class_weight == {f"out_of_scope/{s}": 2.0 for s in set(SUBS) if s}
    plain = NgramIntentModel(ModelConfig()).fit(SUB_TEXTS, SUB_LABELS)
    heavy = NgramIntentModel(ModelConfig(class_weight={"out_of_scope": 3.0})).fit(SUB_TEXTS, SUB_LABELS)
    assert dict(heavy.rank("额度怎么退货"))["out_of_scope"] > dict(plain.rank("额度怎么退货"))["out_of_scope"]


def test_typo_variants_drop_one_character_and_are_learnt_with_the_same_intent():
    assert typo_variants("小米分期怎么还款", 2) == ["小米期怎么还款", "小米分期么还款"]
    assert typo_variants("怎么还", 2) == [] and typo_variants("小米分期怎么还款", 0) == []
    model = NgramIntentModel(ModelConfig(augment=2)).fit(TEXTS + ["小米分期怎么还款"], LABELS + ["how_to_repay"])
    assert model.rank("小米期怎么还款")[0][0] == "how_to_repay"


def test_the_per_message_tfidf_equals_sklearns_transform():
    from fenqi.nlp.intent_model import tfidf_rows

    model = NgramIntentModel().fit(["怎么还款", "信用卡能还吗", "逾期会怎样", "你好"], ["a", "a", "b", "c"])
    texts = ["信用卡怎么还款", "完全没见过的字", "", "逾期逾期逾期"]
    for vectorizer in (model.char_vec, model.word_vec):
        assert np.allclose(tfidf_rows(vectorizer, texts).toarray(), vectorizer.transform(texts).toarray())
