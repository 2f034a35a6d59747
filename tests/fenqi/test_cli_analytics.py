"""``python -m fenqi db seed-demo-history`` and ``analytics refresh|rebuild`` as real subprocesses on
SQLite files: the demo week lands in the tracker and account stores, replaces itself, leaves real
conversations alone, and the rollup can be rebuilt with one command."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from fenqi import clock
from fenqi.analytics.events import EVENTS
from fenqi.analytics.periods import period_from
from fenqi.analytics.queries import build_report
from fenqi.db.engine import Store, make_engine
from fenqi.db.models import HandoffTicket
from tests.fenqi import test_cli_tickets
from tests.fenqi.test_cli_tickets import run


def test_demo_history_is_a_week_that_replaces_itself_and_the_rollup_rebuilds(tmp_path):
    env = test_cli_tickets.env.__wrapped__(tmp_path)
    env["FENQI_TRACKER_URL"] = f"sqlite:///{tmp_path / 'tracker.db'}"
    first = run(env, "db", "seed-demo-history")
    assert first.returncode == 0, first.stderr
    assert (tmp_path / "var" / "demo-history-day").read_text() == clock.today().isoformat()
    assert "demo history is from today already" in run(env, "db", "seed-demo-history", "--if-stale").stdout

    store, tracker = Store.open(env["FENQI_DATABASE_URL"]), make_engine(env["FENQI_TRACKER_URL"])
    try:
        from fenqi.analytics import demo
        real = demo.History()
        real.chat("web:demo_ok", clock.utcnow() - timedelta(hours=1)) \
            .say("怎么还款", "how_to_repay", 0.9, 1).answer("how_to_repay")
        demo.write_events(tracker, real.rows)  # a real conversation beside the demo

        def counts():
            with tracker.connect() as c, store.session() as s:
                report = build_report(s, period_from({"period": "7d"}, clock.today()))
                return (c.execute(select(func.count()).select_from(EVENTS)).scalar(),
                        s.scalar(select(func.count()).select_from(HandoffTicket)), report.total.counts.conversations)
        from fenqi.analytics import rollup
        rollup.refresh(store, tracker)
        events, tickets, conversations = counts()
        assert events > 1000 and tickets > 5 and conversations > 100
        assert run(env, "db", "seed-demo-history").returncode == 0  # again: the same week, not twice
        assert counts() == (events, tickets, conversations)
        rebuilt = run(env, "analytics", "rebuild")
        assert rebuilt.returncode == 0 and f"folded {events} events" in rebuilt.stdout
        assert counts() == (events, tickets, conversations)
        with tracker.connect() as c:
            assert c.execute(select(func.count()).select_from(EVENTS).where(EVENTS.c.sender_id == "web:demo_ok")).scalar() \
                == len(real.rows)
    finally:
        store.close()
        tracker.dispose()
