"""Analytics on a known history in real SQLite stores (account store by Alembic, Rasa's events
table): the figures are the hand-worked ones of tests/fenqi/analytics/known.py, folding in any
batch size or in several refreshes gives the same rollup, tickets wait for their conversation."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from fenqi.analytics import demo, rollup
from fenqi.analytics.review import Filters, conversation_view, list_conversations, parse_tags, save_review
from fenqi.db.engine import Store, make_engine
from fenqi.db.models import AnalyticsConversation
from tests.fenqi.analytics import known
from tests.support.schema import init_db


def open_stores(directory):
    """An account store (its schema as Alembic makes it: tests/prod/test_migrations.py) and a
    tracker store file."""
    store = Store.open(f"sqlite:///{directory / 'fenqi.db'}")
    init_db(store.engine)
    return store, make_engine(f"sqlite:///{directory / 'tracker.db'}")


@pytest.fixture
def stores(tmp_path):
    store, tracker = open_stores(tmp_path)
    yield store, tracker
    store.close()
    tracker.dispose()


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """The known history, folded (read-only tests share it)."""
    store, tracker = open_stores(tmp_path_factory.mktemp("known"))
    known.load(store, tracker)
    progress = rollup.refresh(store, tracker)
    assert (progress.events, progress.behind) == (progress.newest_event_id, 0)
    yield store, tracker
    store.close()
    tracker.dispose()


def test_the_report_has_the_hand_worked_figures(loaded):
    known.check_report(loaded[0])


def test_folding_in_small_batches_or_several_refreshes_gives_the_same_rollup_as_a_rebuild(stores):
    store, tracker = stores
    history = known.history()
    half = len(history.rows) // 2
    demo.write_events(tracker, history.rows[:half])      # Rasa stored half of it when we first looked
    with store.session() as session:
        demo.write_tickets(session, history.tickets)
    rollup.refresh(store, tracker, batch=7)               # batches end in the middle of turns
    demo.write_events(tracker, history.rows[half:])
    rollup.refresh(store, tracker, batch=3)
    incremental = known.rollup_rows(store)
    rollup.rebuild(store, tracker)
    assert known.rollup_rows(store) == incremental
    assert len(incremental[0]) == 8 and len(incremental[1]) == 14  # C0..C7; 13 messages + C0's
    known.check_report(store)


def test_a_ticket_waits_until_its_conversation_is_folded(stores):
    """The action server commits the ticket before Rasa stores the turn's events."""
    store, tracker = stores
    history = known.history()
    c4 = [i for i, row in enumerate(history.rows) if row["sender_id"] == known.SENDERS["C4"]]
    before = [row for i, row in enumerate(history.rows) if i < c4[0]]
    with store.session() as session:
        demo.write_tickets(session, history.tickets)
    demo.write_events(tracker, before)
    rollup.refresh(store, tracker)
    with store.session() as session:
        tickets = dict(session.execute(select(AnalyticsConversation.sender_id, AnalyticsConversation.ticket_id)
                                       .where(AnalyticsConversation.ticket_id.isnot(None))).all())
    assert list(tickets) == [known.SENDERS["C3"]]  # C4's ticket is not given to C1's conversation or lost
    demo.write_events(tracker, history.rows[len(before):])
    rollup.refresh(store, tracker)
    known.check_report(store)


def test_a_ticket_whose_turn_never_shows_up_is_given_up_once_events_ten_minutes_newer_are_folded(stores):
    store, tracker = stores
    known.load(store, tracker)
    from fenqi.handoff import TicketRequest, open_ticket
    created = known.utc(5, 15, 30)  # after the period: its figures stay the known ones
    with store.session() as session:
        open_ticket(session, TicketRequest("anon:nobody", "rest", None, "", []), created)
    assert rollup.refresh(store, tracker).tickets == 3  # the known three; the orphan waits
    later = demo.History()
    later.chat("anon:later", created + timedelta(minutes=5)).say("你好", "greet", 0.9, 1).answer("greet")
    demo.write_events(tracker, later.rows)
    assert rollup.refresh(store, tracker).tickets == 0  # 5 minutes on: still waiting
    later = demo.History()
    later.chat("anon:later2", created + timedelta(minutes=11)).say("你好", "greet", 0.9, 1).answer("greet")
    demo.write_events(tracker, later.rows)
    assert rollup.refresh(store, tracker).tickets == 1
    known.check_report(store)


def test_conversation_list_filters(loaded):
    known.check_review_list(*loaded)


def test_the_transcript_is_masked_and_shows_intents_confidence_ticket_and_rating(loaded):
    store, tracker = loaded
    with store.session() as session, tracker.connect() as connection:
        rows, _ = list_conversations(session, connection, Filters(known.PERIOD, intent="why_cannot_installment"))
        [row] = rows
        assert row.preview == "为什么不能分期，我手机138****5678"
        view = conversation_view(session, connection, row.id)
    assert [(line.speaker, line.intent, line.confidence) for line in view.lines] == [
        ("user", "why_cannot_installment", 0.9), ("bot", None, None), ("user", "request_human", 0.98), ("bot", None, None)]
    assert view.lines[0].text == "为什么不能分期，我手机138****5678" and view.lines[0].question_id == "why.no_option"
    assert known.PHONE not in repr(view) and known.SENDERS["C4"] not in repr(view)
    assert (view.ticket.reason, view.ticket.wait_seconds, view.ticket.rating) == ("用户主动要求", 60.0, 5)
    assert [m[0] for m in view.ticket.messages] == ["客服", "客服", "用户"]
    assert view.started_at.strftime("%Y-%m-%d %H:%M") == "2026-11-03 09:30"  # Beijing time


def test_a_clarified_message_and_a_button_click(loaded):
    store, tracker = loaded
    with store.session() as session, tracker.connect() as connection:
        [row] = list_conversations(session, connection, Filters(known.PERIOD, channel="wechat", fallback=True))[0]
        view = conversation_view(session, connection, row.id)
    user = [line for line in view.lines if line.speaker == "user"]
    assert [(u.text, u.intent, u.fallback) for u in user] == [("额度那个", "nlu_fallback", True),
                                                              ("[点选] 小米分期额度", "credit_limit", False)]
    assert view.lines[1].buttons == ("小米分期额度", "怎么还款", "都不是")
    assert known.OPENID not in repr(view)


def test_reviews_are_stored_survive_a_rebuild_and_feed_the_unreviewed_filter(stores):
    store, tracker = stores
    known.load(store, tracker)
    rollup.refresh(store, tracker)
    from fenqi.handoff.agents import add_agent
    with store.session() as session:
        lead = add_agent(session, "组长", "a long enough password", known.utc(5, 10), ["lead"]).id
        first = session.scalars(select(AnalyticsConversation.id).where(
            AnalyticsConversation.day >= known.PERIOD.first).order_by(AnalyticsConversation.id)).first()
        assert save_review(session, first, parse_tags(["答非所问", "不存在的"], "利率说明、 利率说明 ,话术"), True, lead,
                           known.utc(5, 10))
        assert not save_review(session, 999999, [], True, lead, known.utc(5, 10))
    rollup.rebuild(store, tracker)
    with store.session() as session, tracker.connect() as connection:
        view = conversation_view(session, connection, first)
        unreviewed = list_conversations(session, connection, Filters(known.PERIOD, unreviewed=True))[1]
    assert (view.tags, view.reviewed, view.reviewer) == (("答非所问", "利率说明", "话术"), True, "组长")
    assert unreviewed == 6
