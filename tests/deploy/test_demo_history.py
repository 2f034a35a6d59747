"""make run makes the demo history once a business day, before Rasa starts, and costs no Python
process on the other starts; the embedded console reads the tracker store Rasa writes."""
from __future__ import annotations

from datetime import timedelta

from deploy.embedded import EMBEDDED_ENDPOINTS, EmbeddedStack, demo_history_is_current, embedded_ports
from fenqi import clock
from fenqi.analytics import DEMO_STAMP
from tests.support.stack import ROOT, free_port


def test_the_stamp_of_today_and_a_tracker_store_skip_the_demo_history(tmp_path):
    assert not demo_history_is_current(tmp_path)
    (tmp_path / "tracker.db").write_bytes(b"")
    (tmp_path / DEMO_STAMP).write_text((clock.today() - timedelta(days=1)).isoformat())
    assert not demo_history_is_current(tmp_path)  # yesterday's: the week moves on
    (tmp_path / DEMO_STAMP).write_text(clock.today().isoformat())
    assert demo_history_is_current(tmp_path)


def test_the_embedded_stack_points_the_console_at_rasas_tracker_store(tmp_path, monkeypatch):
    monkeypatch.delenv("FENQI_TRACKER_URL", raising=False)
    stack = EmbeddedStack(tmp_path, embedded_ports(free_port(), free_port()), endpoints=EMBEDDED_ENDPOINTS)
    assert EMBEDDED_ENDPOINTS.read_text().count('db: "var/tracker.db"') == 1  # relative to the project root
    assert stack.env["FENQI_TRACKER_URL"] == f"sqlite:///{ROOT / 'var' / 'tracker.db'}"
