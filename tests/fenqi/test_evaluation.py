"""Intent metrics used by make eval."""
import pytest

from fenqi.evaluation import score


def test_scores_by_hand():
    gold = ["a", "a", "b", "b", "c"]
    pred = ["a", "b", "b", "b", "nlu_fallback"]
    r = score(gold, pred)
    assert r.accuracy == pytest.approx(3 / 5)
    assert r.per_intent["a"].precision == 1.0 and r.per_intent["a"].recall == 0.5
    assert r.per_intent["b"].precision == pytest.approx(2 / 3) and r.per_intent["b"].recall == 1.0
    assert r.per_intent["c"].f1 == 0.0
    assert r.macro_f1 == pytest.approx((2 / 3 + 0.8 + 0.0) / 3)
    assert r.confusions[("a", "b")] == 1 and r.fallback_count == 1


@pytest.mark.parametrize("gold, pred", [([], []), (["a"], ["a", "b"])])
def test_rejects_mismatched_input(gold, pred):
    with pytest.raises(ValueError):
        score(gold, pred)
