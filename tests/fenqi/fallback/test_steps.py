"""The miss ladder counts misses in a row; a miss answered in context is none."""
from fenqi.fallback.steps import consecutive_misses


def test_a_miss_answered_as_a_follow_up_does_not_count():
    miss = {"event": "user", "parse_data": {"intent": {"name": "nlu_fallback"}}}
    answered = {"event": "slot", "name": "last_question", "value": "repay.credit_card"}
    assert consecutive_misses([miss, miss]) == 2
    assert consecutive_misses([miss, answered, miss]) == 1  # the first one got its answer
    assert consecutive_misses([miss, miss, answered]) == 0  # the latest was answered in context
