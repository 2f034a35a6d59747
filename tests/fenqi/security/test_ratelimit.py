"""RateLimiter / ConcurrencyGate: per-key budgets with bounded memory."""
from fenqi.security.ratelimit import ConcurrencyGate, RateLimiter, RequestBudget


def test_bucket_refills_with_time():
    now = [0.0]
    limiter = RateLimiter(rate=2, per=60, clock=lambda: now[0])
    assert [limiter.allow("a") for _ in range(3)] == [True, True, False]
    assert limiter.allow("b")  # keys are independent
    now[0] += 30
    assert limiter.allow("a") and not limiter.allow("a")


def test_memory_is_bounded():
    limiter = RateLimiter(rate=1, max_keys=10)
    for i in range(1000):
        limiter.allow(str(i))
    assert len(limiter._buckets) == 10


def test_gate_limits_total_and_per_key():
    gate = ConcurrencyGate(total=3, per_key=2)
    assert gate.try_acquire("a") and gate.try_acquire("a") and not gate.try_acquire("a")
    assert gate.try_acquire("b") and not gate.try_acquire("c")
    gate.release("a")
    assert gate.try_acquire("c") and gate.in_use == 3


def test_limits_come_from_the_environment():
    import pytest

    from fenqi.settings import load_limits
    limits = load_limits({"FENQI_MAX_MESSAGE_CHARS": "200", "FENQI_RELAY_PER_CLIENT": "3"})
    assert (limits.max_message_chars, limits.relay_max_per_client, limits.max_body_bytes) == (200, 3, 16384)
    assert "200" in limits.too_long_text
    with pytest.raises(ValueError, match="FENQI_SOCKET_RATE"):
        load_limits({"FENQI_SOCKET_RATE": "fast"})
    tuned = load_limits({"FENQI_SOCKET_MESSAGES_PER_POST": "1", "FENQI_SOCKET_HISTORY_INTERVAL": "0"})
    assert (tuned.socket_messages_per_post, tuned.socket_history_interval) == (1, 0)
    assert (load_limits({}).socket_messages_per_post, load_limits({}).socket_history_interval) == (3, 60)
    with pytest.raises(ValueError, match="FENQI_SOCKET_MESSAGES_PER_POST"):
        load_limits({"FENQI_SOCKET_MESSAGES_PER_POST": "0"})


def test_a_request_budget_counts_each_kind_and_says_the_first_refusal():
    budget = RequestBudget()
    assert [budget.take("message", 3) for _ in range(5)] == [True, True, True, False, False]
    assert budget.refused("message", 3) == 2
    assert budget.take("history", 1) and not budget.take("history", 1)
    assert RequestBudget().refused("message", 3) == 0
