"""The gate's decision on hand-made outcomes: shares, per intent, flips both ways, the tolerance
rules and the record; cross-validation folds that do not depend on which data set a text is in."""
from __future__ import annotations

from fenqi.training.crossval import TrainingSetup, compare_cross_validation, fold_of
from fenqi.training.gate import (
    Comparison,
    GateRecord,
    Outcome,
    Tolerance,
    decide,
    figures,
    report,
    summary,
)


def outcomes(intent, live_right, cand_right, n=None, offset=0):
    """``n`` outcomes of ``intent``: the first ``live_right`` right for the live model, the first
    ``cand_right`` right for the candidate."""
    n = n or max(live_right, cand_right)
    return [Outcome(f"{intent}-{offset + i}", intent, intent, i < live_right, i < cand_right, "x", "y")
            for i in range(n)]


def test_shares_per_intent_and_the_flips_in_both_directions():
    c = Comparison("held-out set", "accuracy", tuple(
        outcomes("a", 8, 10, 10) + [Outcome("b-0", "b", "b", True, False, "b", "c"),
                                    Outcome("b-1", "b", "b", False, True, "c", "b")]))
    assert (c.n, c.live, c.candidate) == (12, 9 / 12, 11 / 12)
    assert [o.text for o in c.fixed] == ["a-8", "a-9", "b-1"] and [o.text for o in c.broken] == ["b-0"]
    rows = {r.intent: (r.n, r.live, r.candidate, r.lost) for r in c.per_intent()}
    assert rows == {"a": (10, 0.8, 1.0, -2), "b": (2, 0.5, 0.5, 0)}


def test_a_candidate_losing_more_than_the_tolerance_on_any_measure_is_refused():
    same = Comparison("cv", "accuracy", tuple(outcomes("a", 50, 50, 100)))
    small_loss = Comparison("robustness set", "handled", tuple(outcomes("a", 100, 99, 100)))   # -0.01: allowed
    big_loss = Comparison("held-out set", "accuracy", tuple(outcomes("a", 100, 98, 100)))     # -0.02
    assert decide([same, small_loss]).passed
    verdict = decide([same, small_loss, big_loss])
    assert not verdict.passed and len(verdict.reasons) == 1 and verdict.reasons[0].startswith("held-out set")
    assert decide([big_loss], Tolerance(overall=0.03, per_intent=0.5)).passed


def test_one_intent_losing_much_is_refused_only_with_enough_examples_and_losses():
    # overall the candidate gains (b improves), but intent a drops 6 of 40 (-0.15)
    mixed = Comparison("sub-question set", "reply addresses the question",
                       tuple(outcomes("a", 40, 34, 40) + outcomes("b", 50, 60, 100, offset=100)))
    assert mixed.delta > 0
    verdict = decide([mixed])
    assert not verdict.passed and "sub-question set: a" in verdict.reasons[0] and "6 lost" in verdict.reasons[0]
    few = Comparison("held-out set", "accuracy", tuple(outcomes("a", 10, 8, 10) + outcomes("b", 0, 10, 90, 10)))
    assert decide([few]).passed                     # 10 examples of a: below min_support
    two = Comparison("held-out set", "accuracy", tuple(outcomes("a", 30, 28, 30) + outcomes("b", 0, 10, 90, 30)))
    assert decide([two]).passed                     # -0.067 but only 2 examples lost


def test_the_report_lists_flips_but_never_a_hidden_sets_text_and_the_record_round_trips():
    hidden = Comparison("unseen", "accuracy", (Outcome("secret line", "a", "a", True, False),), hidden=True)
    shown = Comparison("held-out set", "accuracy", (Outcome("shown line", "a", "a", False, True, "b", "a"),))
    verdict = decide([hidden, shown], Tolerance(overall=1.0, per_intent=1.0))
    text = report([hidden, shown], verdict, Tolerance())
    assert "secret line" not in text and "(held out: text not shown)" in text
    assert "shown line  [gold a; live b, candidate a]" in text and "VERDICT: PASSED" in text
    record = GateRecord("c" * 64, "l" * 64, "live.tar.gz", verdict.passed, verdict.reasons, Tolerance().__dict__,
                        figures([shown]), "2026-12-03T10:00:00+08:00", 12.5, 5)
    again = GateRecord.from_json(record.as_json())
    assert again == record
    assert summary(again) == "passed: held-out set 0.000→1.000"


def test_a_text_keeps_its_fold_in_any_data_set_and_folds_are_balanced():
    texts = [f"第{i}个问题怎么还款" for i in range(2000)]
    assert [fold_of(t) for t in texts] == [fold_of(t) for t in reversed(texts)][::-1]
    assert fold_of("怎么还款？") == fold_of("怎么 还款")  # normalised
    sizes = [sum(fold_of(t) == k for t in texts) for k in range(5)]
    assert min(sizes) > 330 and max(sizes) < 470


def test_cross_validation_scores_each_model_on_its_own_data_on_the_same_folds():
    greet = [f"你好呀朋友{i}" for i in range(12)] + [f"哈喽早上好{i}" for i in range(12)]
    repay = [f"怎么还款第{i}期" for i in range(12)] + [f"在哪里还钱{i}" for i in range(12)]
    options = {"classifier": "svm", "combine": "char+stack", "use_words": False, "temperature": 0.2}
    live = [(t, "greet", None, None) for t in greet] + [(t, "how_to_repay", None, None) for t in repay[:12]]
    same, _ = compare_cross_validation(TrainingSetup(live, options), TrainingSetup(live, options), folds=3)
    assert same.n == 36 and same.live == same.candidate and not same.fixed and not same.broken
    # the candidate adds the "在哪里还钱" phrasing: those count for the candidate only
    candidate = live + [(t, "how_to_repay", None, None) for t in repay[12:]]
    intent, question = compare_cross_validation(TrainingSetup(live, options), TrainingSetup(candidate, options), folds=3)
    assert intent.n == 48 and question.n == 0
    assert [o.gold for o in intent.outcomes] == [r[1] for r in candidate]
    assert [o.text for o in intent.outcomes if o.live is None] == repay[12:]
    assert not intent.broken
    # a text relabelled in the candidate is scored against each model's own label
    relabelled = [(t, "greet" if t == repay[0] else i, q, s) for t, i, q, s in live]
    moved, _ = compare_cross_validation(TrainingSetup(live, options), TrainingSetup(relabelled, options), folds=3)
    [outcome] = [o for o in moved.outcomes if o.text == repay[0]]
    assert (outcome.gold, outcome.live, outcome.candidate) == ("greet", True, False)
