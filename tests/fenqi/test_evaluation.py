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


# --- robustness set and calibration -----------------------------------------------------------
from fenqi.evaluation import (  # noqa: E402
    Case,
    by_category,
    calibration,
    choose_threshold,
    expected_calibration_error,
    parse_cases,
    recall_of,
    threshold_rows,
)


def test_parse_cases_reads_blocks_pairs_and_accept():
    doc = {"categories": [
        {"category": "nonsense", "intent": "out_of_scope", "accept": ["nlu_fallback"], "examples": "- asdf\n- 😀\n"},
        {"category": "mixed", "intent": "mixed", "labelled": [["怎么还款", "how_to_repay"]]}]}
    cases = parse_cases(doc)
    assert [(c.text, c.intent, c.category) for c in cases] == [
        ("asdf", "out_of_scope", "nonsense"), ("😀", "out_of_scope", "nonsense"), ("怎么还款", "how_to_repay", "mixed")]
    assert cases[0].handled("nlu_fallback") and not cases[2].handled("nlu_fallback")


@pytest.mark.parametrize("doc", [{}, {"categories": [{"category": "a", "intent": "x", "examples": "- q\n- q\n"}]}])
def test_parse_cases_rejects_bad_documents(doc):
    with pytest.raises(ValueError):
        parse_cases(doc)


def test_by_category_counts_handled_fallback_and_small_talk_leaks():
    cases = [Case("a", "out_of_scope", "nonsense", ("nlu_fallback",)), Case("b", "out_of_scope", "nonsense"),
             Case("c", "out_of_scope", "nonsense"), Case("d", "greet", "chat")]
    [nonsense, chat] = by_category(cases, ["nlu_fallback", "greet", "out_of_scope", "greet"])
    assert (nonsense.n, nonsense.handled, nonsense.fallback, nonsense.small_talk) == (3, 2, 1, 1)
    assert chat.rate == 1.0 and chat.small_talk == 0


def test_recall_of():
    assert recall_of("o", ["o", "o", "x"], ["o", "x", "o"]) == 0.5 and recall_of("z", ["o"], ["o"]) == 0.0


def test_calibration_bands_and_ece_by_hand():
    conf = [0.95, 0.95, 0.35, 0.35, 1.0]
    ok = [True, False, False, False, True]
    bands = {(b.low, b.high): b for b in calibration(conf, ok)}
    assert bands[(0.3, 0.4)].n == 2 and bands[(0.3, 0.4)].accuracy == 0.0
    assert bands[(0.95, 1.0)].n == 3 and bands[(0.95, 1.0)].accuracy == pytest.approx(2 / 3)
    expected = 2 / 5 * 0.35 + 3 / 5 * abs(2 / 3 - (0.95 + 0.95 + 1.0) / 3)
    assert expected_calibration_error(conf, ok) == pytest.approx(expected)
    assert expected_calibration_error([0.5, 0.5], [True, False]) == pytest.approx(0.0)


def test_threshold_rows_and_choice():
    conf, ok = [0.2, 0.3, 0.5, 0.9, 0.9, 0.4], [False, False, True, True, True, False]
    rows = threshold_rows(conf, ok, [0.25, 0.35, 0.45])
    assert [(r.errors_caught, r.correct_lost) for r in rows] == [(1 / 3, 0.0), (2 / 3, 0.0), (1.0, 0.0)]
    assert choose_threshold(rows) == 0.35 and choose_threshold(rows, min_caught=1.0) == 0.45
    assert choose_threshold(rows, min_caught=2.0) == 0.45
