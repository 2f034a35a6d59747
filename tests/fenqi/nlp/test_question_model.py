"""The second NLU stage: standard questions ranked within the intent, and the intent mix."""
import pytest

from fenqi.nlp.question_model import QuestionModel

DATA = [
    ("能用信用卡还款吗", "repay.credit_card", "how_to_repay"),
    ("信用卡可以还分期吗", "repay.credit_card", "how_to_repay"),
    ("拿信用卡还行不行", "repay.credit_card", "how_to_repay"),
    ("微信零钱能还吗", "repay.wechat", "how_to_repay"),
    ("用微信还款可以吗", "repay.wechat", "how_to_repay"),
    ("零钱还分期行吗", "repay.wechat", "how_to_repay"),
    ("有宽限期吗", "due.grace_period", "repayment_due"),
    ("过了还款日还有几天宽限", "due.grace_period", "repayment_due"),
    ("宽限几天", "due.grace_period", "repayment_due"),
    ("逾期会影响征信吗", "due.overdue_credit", "repayment_due"),
    ("逾期上征信吗", "due.overdue_credit", "repayment_due"),
    ("晚还会不会影响个人征信", "due.overdue_credit", "repayment_due"),
]


@pytest.fixture(scope="module")
def model():
    texts, questions, intents = zip(*DATA)
    return QuestionModel().fit(texts, questions, intents)


def test_ranks_within_the_intent_and_renormalises(model):
    ranking = model.rank("信用卡还款可以吗", "how_to_repay")
    assert ranking[0][0] == "repay.credit_card"
    assert {q for q, _ in ranking} == {"repay.credit_card", "repay.wechat"}
    assert sum(p for _, p in ranking) == pytest.approx(1.0)


def test_another_intents_questions_are_never_ranked(model):
    assert all(q.startswith("due.") for q, _ in model.rank("信用卡还款可以吗", "repayment_due"))
    assert model.rank("信用卡还款可以吗", "credit_limit") == []


def test_overall_scores_questions_by_intent_probability(model):
    overall = model.overall("逾期了征信会花吗", {"repayment_due": 0.7, "how_to_repay": 0.3})
    assert overall[0][0] == "due.overdue_credit"
    assert {model.intent_of[q] for q, _ in overall} == {"repayment_due", "how_to_repay"}
    assert sum(p for _, p in overall) == pytest.approx(1.0)


def test_every_intent_is_ranked_from_one_featurisation(model):
    ranked = model.rank_all("那信用卡呢")
    assert set(ranked) == {"how_to_repay", "repayment_due"}
    assert ranked["how_to_repay"][0][0] == "repay.credit_card"  # read against repayment, even if asked elsewhere
    assert ranked["how_to_repay"] == model.rank("那信用卡呢", "how_to_repay")


def test_an_intent_with_one_question_always_answers_it():
    one = QuestionModel().fit(["宽限几天", "有宽限期吗", "信用卡能还吗"],
                              ["due.grace_period", "due.grace_period", "repay.credit_card"],
                              ["repayment_due", "repayment_due", "how_to_repay"])
    assert one.rank("随便问问", "repayment_due") == [("due.grace_period", 1.0)]


def test_state_round_trip_predicts_the_same(model):
    again = QuestionModel.from_state(model.state())
    assert again.rank("宽限期有几天", "repayment_due") == model.rank("宽限期有几天", "repayment_due")


def test_a_question_under_two_intents_is_refused():
    with pytest.raises(ValueError, match="two intents"):
        QuestionModel().fit(["a b", "c d"], ["q.x", "q.x"], ["how_to_repay", "repayment_due"])
