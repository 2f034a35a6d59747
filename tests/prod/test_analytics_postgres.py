"""Analytics on real PostgreSQL (the production stores: the account store made by Alembic, Rasa's
events table in its own database): the known history gives the hand-worked figures and lists, two
refreshes at once fold it once, and an event committed after a newer one is not skipped."""
from __future__ import annotations

import secrets
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import insert

from fenqi.analytics import demo, rollup
from fenqi.analytics.events import EVENTS, ensure_events_table
from fenqi.db.engine import Store, make_engine
from fenqi.db.migrations import upgrade
from tests.fenqi.analytics import known

pytestmark = pytest.mark.prod


@pytest.fixture
def stores(pg_server):
    names = [f"acc_{secrets.token_hex(4)}", f"trk_{secrets.token_hex(4)}"]
    pg_server.ensure_role_and_databases("fenqi_test", "test-password", names)
    accounts, tracker_url = (pg_server.url(n, "fenqi_test", "test-password") for n in names)
    upgrade(accounts)
    store, tracker = Store.open(accounts), make_engine(tracker_url)
    yield store, tracker
    store.close()
    tracker.dispose()


def test_the_known_history_gives_the_hand_worked_figures_on_postgresql(stores):
    store, tracker = stores
    known.load(store, tracker)
    progress = rollup.refresh(store, tracker, catch_up=True)  # waits for the horizon (2 s)
    assert progress.behind == 0 and progress.events == progress.newest_event_id
    known.check_report(store)
    known.check_review_list(store, tracker)
    folded = known.rollup_rows(store)
    rollup.rebuild(store, tracker, batch=5)
    assert known.rollup_rows(store) == folded


def test_two_refreshes_at_once_fold_every_event_once(stores):
    store, tracker = stores
    known.load(store, tracker)
    errors = []

    def run():
        try:
            rollup.refresh(store, tracker, batch=4, settle=timedelta(0))
        except Exception as exc:  # pragma: no cover - the assertion below reports it
            errors.append(exc)
    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rollup.refresh(store, tracker, settle=timedelta(0))  # whatever a loser left
    assert errors == []
    known.check_report(store)


def test_an_event_committed_after_a_newer_one_is_not_skipped(stores):
    """PostgreSQL hands out ids when rows are inserted, not when they commit: the rollup only
    reads up to an id seen ``settle`` before."""
    store, tracker = stores
    ensure_events_table(tracker)
    slow, fast = demo.History(), demo.History()
    slow.chat("anon:slow", known.utc(2, 10)).say("怎么还款", "how_to_repay", 0.9, 1).answer("how_to_repay")
    fast.chat("anon:fast", known.utc(2, 10)).say("还款日", "repayment_due", 0.9, 1).answer("repayment_due")
    settle = timedelta(seconds=0.5)
    with tracker.connect() as first:
        pending = first.begin()
        first.execute(insert(EVENTS), slow.rows)          # smaller ids, not committed yet
        demo.write_events(tracker, fast.rows)             # larger ids, committed
        assert rollup.refresh(store, tracker, settle=settle).events == 0  # only notes the horizon
        pending.commit()
    time.sleep(0.6)
    progress = rollup.refresh(store, tracker, settle=settle)
    assert progress.events == len(slow.rows) + len(fast.rows) and progress.behind == 0
    with store.session() as session:
        from fenqi.analytics.queries import build_report
        assert build_report(session, known.PERIOD).total.counts.messages == 2
