"""The takeover state machine: ticket state + event -> new state, invalid events refused."""
import pytest

from fenqi.handoff.takeover import (
    ACCEPTED,
    CLOSED,
    QUEUED,
    RETURNED,
    Accept,
    Close,
    HandBack,
    InvalidTransition,
    Rate,
    Release,
    TakeoverState,
    apply,
    status_for,
)

NEW = TakeoverState()


def test_a_new_ticket_is_queued_and_the_bot_still_answers():
    assert (NEW.state, NEW.agent_id, NEW.is_open, NEW.bot_silent, NEW.awaiting_rating) == \
        (QUEUED, None, True, False, False)


def test_accept_gives_the_conversation_to_the_agent_and_silences_the_bot():
    taken = apply(NEW, Accept(7))
    assert (taken.state, taken.agent_id, taken.served, taken.bot_silent) == (ACCEPTED, 7, True, True)


def test_a_taken_ticket_cannot_be_accepted_by_anyone():
    taken = apply(NEW, Accept(7))
    for agent in (7, 8):
        with pytest.raises(InvalidTransition):
            apply(taken, Accept(agent))


def test_release_puts_the_ticket_back_in_the_queue_without_owner():
    back = apply(apply(NEW, Accept(7)), Release(7))
    assert (back.state, back.agent_id, back.bot_silent, back.served) == (QUEUED, None, False, True)
    assert apply(back, Accept(8)).agent_id == 8


@pytest.mark.parametrize("event", [Release(8), HandBack(8), Close(8), Close(None)])
def test_only_the_owner_may_release_hand_back_or_close(event):
    taken = apply(NEW, Accept(7))
    with pytest.raises(InvalidTransition):
        apply(taken, event)


def test_hand_back_returns_the_conversation_to_the_bot_and_asks_for_a_rating():
    returned = apply(apply(NEW, Accept(7)), HandBack(7))
    assert (returned.state, returned.is_open, returned.bot_silent, returned.awaiting_rating) == \
        (RETURNED, False, False, True)


def test_close_by_owner_ends_a_served_ticket():
    closed = apply(apply(NEW, Accept(7)), Close(7))
    assert (closed.state, closed.awaiting_rating) == (CLOSED, True)


def test_a_queued_ticket_may_be_closed_by_an_operator_and_is_not_rated():
    closed = apply(NEW, Close(None))
    assert (closed.state, closed.served, closed.awaiting_rating) == (CLOSED, False, False)
    with pytest.raises(InvalidTransition):
        apply(closed, Rate(5))


@pytest.mark.parametrize("ended", [RETURNED, CLOSED])
@pytest.mark.parametrize("event", [Accept(7), Release(7), HandBack(7), Close(7)])
def test_an_ended_ticket_takes_no_more_agent_events(ended, event):
    with pytest.raises(InvalidTransition):
        apply(TakeoverState(state=ended, agent_id=7, served=True), event)


@pytest.mark.parametrize("score", [1, 3, 5])
def test_rating_is_stored_once(score):
    ended = apply(apply(NEW, Accept(7)), HandBack(7))
    rated = apply(ended, Rate(score))
    assert (rated.rating, rated.state, rated.awaiting_rating) == (score, RETURNED, False)
    with pytest.raises(InvalidTransition):
        apply(rated, Rate(score))


@pytest.mark.parametrize("score", [0, 6, -1, True, "5", 2.5])
def test_a_rating_outside_one_to_five_is_refused(score):
    ended = apply(apply(NEW, Accept(7)), HandBack(7))
    with pytest.raises(InvalidTransition):
        apply(ended, Rate(score))


def test_an_open_ticket_cannot_be_rated():
    with pytest.raises(InvalidTransition):
        apply(apply(NEW, Accept(7)), Rate(4))


def test_status_column_follows_the_state():
    assert [status_for(s) for s in (QUEUED, ACCEPTED, RETURNED, CLOSED)] == ["open", "open", "closed", "closed"]
    with pytest.raises(ValueError):
        status_for("paused")
