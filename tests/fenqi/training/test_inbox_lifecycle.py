"""The NLU inbox in the personal data lifecycle, in real SQLite stores: ``data purge`` removes what
was last seen before the cutoff, ``data export`` lists a user's messages (masked), ``data erase``
removes what only that user said and leaves what others said too, counted without them."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from fenqi.analytics import demo, rollup
from fenqi.db.engine import Store, make_engine
from fenqi.db.models import InboxGroup, InboxItem, User
from fenqi.lifecycle.purge import purge
from fenqi.lifecycle.subject_data import erase_user, export_user
from fenqi.nlp.training_data import evaluation_texts, training_examples
from fenqi.training import inbox
from fenqi.training.guards import TrainingIndex
from fenqi.training.inbox_lifecycle import NAME
from tests.support.schema import init_db

SHARED, OWN = "请问分期那个钱我到底是要去哪里还上呢", "我的手机号13812345678为啥一直借不出钱来"
START = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def store(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'fenqi.db'}")
    init_db(store.engine)
    tracker = make_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    h = demo.History()
    h.chat("web:u1", START).say(SHARED, "how_to_repay", 0.6, 5).answer("how_to_repay") \
        .say(OWN, "reserve_fund_limit", 0.5, 5).answer("reserve_fund_limit")
    h.chat("anon:someone", START + timedelta(days=5)).say(SHARED, "how_to_repay", 0.7, 5).answer("how_to_repay")
    demo.write_events(tracker, h.rows)
    with store.session() as session:
        session.add(User(user_id="u1", name="甲", region="北京", credit_rating="A"))
    rollup.refresh(store, tracker)
    with store.session() as session, tracker.connect() as connection:
        inbox.collect(session, connection, TrainingIndex(training_examples(), evaluation_texts()),
                      START + timedelta(days=10))
    yield store
    store.close()
    tracker.dispose()


def texts(store):
    with store.session() as session:
        return {i.text: i.seen for i in session.scalars(select(InboxItem))}


def test_export_lists_the_users_messages_masked_and_erase_keeps_what_others_said(store):
    assert texts(store) == {SHARED: 2, "我的手机号138****5678为啥一直借不出钱来": 1}
    with store.session() as session:
        exported = export_user(session, None, "u1")[NAME]
    assert sorted(row["text"] for row in exported) == sorted([SHARED, "我的手机号138****5678为啥一直借不出钱来"])
    with store.session() as session:
        assert erase_user(session, None, "u1").counts[NAME] == 2
    assert texts(store) == {SHARED: 1}
    with store.session() as session:
        assert len(session.scalars(select(InboxGroup)).all()) == 1  # the emptied group went too


def test_purge_removes_what_was_last_seen_before_the_cutoff(store):
    with store.session() as session:
        report = purge(session, None, None, START + timedelta(days=1))
    assert report.counts[NAME] == 1 and texts(store) == {SHARED: 2}  # seen again on day 5: it stays
    with store.session() as session:
        assert purge(session, None, None, START + timedelta(days=6)).counts[NAME] == 1
        assert not session.scalars(select(InboxGroup)).all()
