"""Consecutive misses (not understood or out of scope) from tracker events, the step they lead to,
and the suggested topics."""
import pytest

from fenqi.fallback import FallbackStep, consecutive_misses, fallback_step, load_topics, suggestions


def user(intent, text="..."):
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent}}}


def bot(text):
    return {"event": "bot", "text": text}


def action(name):
    return {"event": "action", "name": name}


def test_counts_only_the_latest_run_of_fallbacks():
    events = [user("nlu_fallback"), action("action_clarify"), user("how_to_repay"),
              action("action_how_to_repay"), user("nlu_fallback"), action("action_clarify"), bot("?"),
              action("action_listen"), user("nlu_fallback")]
    assert consecutive_misses(events) == 2


def test_no_fallback_when_latest_message_was_understood():
    assert consecutive_misses([user("nlu_fallback"), user("greet")]) == 0
    assert consecutive_misses([]) == 0


def test_out_of_scope_and_not_understood_count_as_one_run_of_misses():
    events = [user("greet"), user("out_of_scope"), user("nlu_fallback"), user("out_of_scope")]
    assert consecutive_misses(events) == 3
    assert fallback_step(consecutive_misses(events), 3) is FallbackStep.HANDOFF
    assert consecutive_misses([user("out_of_scope"), user("thank")]) == 0


def test_a_new_session_starts_counting_again():
    events = [user("nlu_fallback"), user("nlu_fallback"), {"event": "session_started"}, user("nlu_fallback")]
    assert consecutive_misses(events) == 1


@pytest.mark.parametrize("count, step", [
    (0, FallbackStep.CLARIFY), (1, FallbackStep.CLARIFY), (2, FallbackStep.OFFER_HUMAN),
    (3, FallbackStep.HANDOFF), (7, FallbackStep.HANDOFF),
])
def test_steps_with_a_cap_of_three(count, step):
    assert fallback_step(count, cap=3) is step


def test_a_higher_cap_offers_a_human_longer():
    assert fallback_step(3, cap=4) is FallbackStep.OFFER_HUMAN
    assert fallback_step(4, cap=4) is FallbackStep.HANDOFF


def test_suggestions_skip_fallback_out_of_scope_and_small_talk():
    ranking = [{"name": "nlu_fallback", "confidence": 0.35}, {"name": "greet", "confidence": 0.3},
               {"name": "out_of_scope", "confidence": 0.2}, {"name": "repayment_due", "confidence": 0.15},
               {"name": "request_human", "confidence": 0.1}, {"name": "how_to_repay", "confidence": 0.12},
               {"name": "credit_limit", "confidence": 0.01}]
    assert suggestions(ranking, load_topics()) == ["repayment_due", "how_to_repay"]


def test_suggestions_are_topped_up_from_the_menu():
    topics = load_topics()
    only_one = [{"name": "affirm", "confidence": 0.9}, {"name": "early_repayment", "confidence": 0.1}]
    assert suggestions(only_one, topics) == ["early_repayment", topics.menu[0]]
    assert suggestions([], topics) == list(topics.menu[:2])
    assert suggestions([{"name": topics.menu[0], "confidence": 0.5}], topics) == list(topics.menu[:2])
