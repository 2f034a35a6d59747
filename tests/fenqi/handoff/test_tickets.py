"""Tickets in a real SQLite store: one open per sender, queue positions, closing."""
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from fenqi.db.engine import session_scope
from fenqi.db.models import HandoffTicket
from fenqi.handoff import (
    TicketNotFound,
    TicketRequest,
    close_ticket,
    list_tickets,
    open_ticket,
    open_ticket_for,
    queue_position,
)
from tests.support.times import BJ

T0 = datetime(2026, 5, 1, 10, 0, 0, tzinfo=BJ)


def request(sender, user_id=None, channel="rest"):
    return TicketRequest(sender_id=sender, channel=channel, user_id=user_id, summary="近期话题：怎么还款",
                         transcript=[{"speaker": "user", "text": "转人工"}])


def test_opening_twice_for_one_sender_gives_the_same_ticket(store):
    with session_scope(store) as s:
        first, created = open_ticket(s, request("alice", "demo_ok"), T0)
        assert created and first.id is not None
    with session_scope(store) as s:
        again, created = open_ticket(s, request("alice"), T0 + timedelta(minutes=1))
        assert not created and again.id == first.id
        assert len(list_tickets(s, include_closed=True)) == 1
        stored = s.get(HandoffTicket, first.id)
        assert (stored.user_id, stored.channel, stored.status, stored.closed_at) == ("demo_ok", "rest", "open", None)
        assert stored.transcript == [{"speaker": "user", "text": "转人工"}]


def test_queue_position_counts_open_tickets_created_before(store):
    with session_scope(store) as s:
        a, _ = open_ticket(s, request("a"), T0)
        b, _ = open_ticket(s, request("b"), T0 + timedelta(seconds=1))
        c, _ = open_ticket(s, request("c"), T0 + timedelta(seconds=2))
        assert [queue_position(s, t) for t in (a, b, c)] == [1, 2, 3]
        close_ticket(s, a.id, T0 + timedelta(minutes=5))
        assert [queue_position(s, t) for t in (b, c)] == [1, 2]
        assert [t.id for t in list_tickets(s)] == [b.id, c.id]
        assert [t.id for t in list_tickets(s, include_closed=True)] == [a.id, b.id, c.id]


def test_same_creation_time_is_ordered_by_id(store):
    with session_scope(store) as s:
        a, _ = open_ticket(s, request("a"), T0)
        b, _ = open_ticket(s, request("b"), T0)
        assert (queue_position(s, a), queue_position(s, b)) == (1, 2)


def test_after_closing_a_new_ticket_can_be_opened(store):
    with session_scope(store) as s:
        first, _ = open_ticket(s, request("bob"), T0)
        closed, changed = close_ticket(s, first.id, T0 + timedelta(hours=1))
        assert changed and closed.status == "closed" and closed.closed_at == T0 + timedelta(hours=1)
        _, changed_again = close_ticket(s, first.id, T0 + timedelta(hours=2))
        assert not changed_again and closed.closed_at == T0 + timedelta(hours=1)
        assert open_ticket_for(s, "bob") is None
        second, created = open_ticket(s, request("bob"), T0 + timedelta(hours=3))
        assert created and second.id != first.id


def test_unknown_ticket_and_unknown_user(store):
    with session_scope(store) as s:
        with pytest.raises(TicketNotFound):
            close_ticket(s, 999, T0)
        ticket, _ = open_ticket(s, request("carol", user_id="no_such_user"), T0)
        assert ticket.user_id is None  # only users of the store are linked


def test_the_database_refuses_a_second_open_ticket_for_a_sender(store):
    with pytest.raises(IntegrityError):
        with session_scope(store) as s:
            s.add_all([HandoffTicket(sender_id="dave", summary="", transcript=[], status="open", created_at=T0),
                       HandoffTicket(sender_id="dave", summary="", transcript=[], status="open", created_at=T0)])


def test_a_ticket_committed_by_another_server_is_reused(store):
    with session_scope(store) as first, session_scope(store) as second:
        assert open_ticket_for(second, "erin") is None
        mine, _ = open_ticket(first, request("erin"), T0)
        first.commit()
        theirs, created = open_ticket(second, request("erin"), T0)
        assert not created and theirs.id == mine.id
    with session_scope(store) as s:
        assert len(s.scalars(select(HandoffTicket).where(HandoffTicket.sender_id == "erin")).all()) == 1


def test_insert_conflict_falls_back_to_the_other_servers_ticket(store, monkeypatch):
    """When the existence check misses a concurrent insert, the unique index and a savepoint
    settle it: the session stays usable and returns the committed ticket."""
    from fenqi.handoff import tickets

    with session_scope(store) as other:
        theirs, _ = open_ticket(other, request("frank"), T0)
    real_lookup, calls = tickets.open_ticket_for, []

    def stale_first_lookup(session, sender_id):
        calls.append(sender_id)
        return None if len(calls) == 1 else real_lookup(session, sender_id)

    monkeypatch.setattr(tickets, "open_ticket_for", stale_first_lookup)
    with session_scope(store) as s:
        found, created = tickets.open_ticket(s, request("frank"), T0 + timedelta(seconds=1))
        assert not created and found.id == theirs.id and len(calls) == 2
        assert len(list_tickets(s)) == 1
