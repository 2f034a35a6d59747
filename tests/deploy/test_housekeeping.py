"""The supervisor's daily job: rotates the stack's logs and runs ``python -m fenqi data purge`` on
the stack's store (a real child process), once per interval and never twice at once."""
import os
import subprocess
import sys
import time
from datetime import timedelta

from sqlalchemy import select

from deploy.housekeeping import DailyPurge
from fenqi.clock import utcnow
from fenqi.db.engine import Store
from fenqi.db.models import HandoffTicket
from tests.support.stack import ROOT


def test_daily_purge_rotates_logs_and_purges_the_stack_store(tmp_path):
    url = f"sqlite:///{tmp_path / 'fenqi.db'}"
    env = {**os.environ, "FENQI_ENV": "development", "FENQI_DATABASE_URL": url, "FENQI_VAR_DIR": str(tmp_path),
           "FENQI_TRACKER_URL": f"sqlite:///{tmp_path / 'tracker.db'}", "FENQI_RETENTION_DAYS": "30"}
    subprocess.run([sys.executable, "-m", "fenqi", "db", "init"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=120)
    store = Store.open(url)
    with store.session() as session:
        for days in (40, 1):
            when = utcnow() - timedelta(days=days)
            session.add(HandoffTicket(sender_id=f"anon:{days}", summary="", transcript=[], status="closed",
                                      created_at=when, closed_at=when))
    (tmp_path / "log").mkdir()
    (tmp_path / "log" / "rasa-1.log").write_text("yesterday\n")
    clock = {"now": 1000.0}
    job = DailyPurge(tmp_path, env, ROOT, interval=3600, monotonic=lambda: clock["now"], log=lambda _: None)

    job.tick()
    assert job.wait() == 0
    with store.session() as session:
        assert [t.sender_id for t in session.scalars(select(HandoffTicket))] == ["anon:1"]
    logs = sorted(p.name for p in (tmp_path / "log").iterdir())
    assert logs[0] == "purge.log" and logs[1] == "rasa-1.log" and logs[2].startswith("rasa-1.log.20")
    assert (tmp_path / "log" / "rasa-1.log").stat().st_size == 0
    assert "tickets: 1" in (tmp_path / "log" / "purge.log").read_text()

    clock["now"] += 60
    job.tick()  # not due yet: nothing started
    assert job.wait() is None and job.runs == [0]
    clock["now"] += 3600
    job.tick()
    assert job.wait() == 0 and job.runs == [0, 0]
    assert (tmp_path / "log" / "purge.log").read_text().count("tickets: 0") == 1
    store.close()


class _StandInStack:
    """Only what ``supervise`` touches of a stack: no processes of its own (the job is under test)."""

    def __init__(self, root, env):
        self.root, self.env, self.procs, self.stopped = root, env, {}, False

    def start(self):
        return self

    def watched_services(self):
        return []  # like the embedded stack: no services of its own

    def stop(self):
        self.stopped = True


def test_the_supervisor_runs_the_purge_when_it_starts(tmp_path):
    import signal
    import threading

    from deploy.__main__ import supervise

    url = f"sqlite:///{tmp_path / 'fenqi.db'}"
    env = {**os.environ, "FENQI_ENV": "development", "FENQI_DATABASE_URL": url, "FENQI_VAR_DIR": str(tmp_path)}
    subprocess.run([sys.executable, "-m", "fenqi", "db", "init"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=120)
    stack = _StandInStack(tmp_path, env)
    handlers = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    report_file = tmp_path / "log" / "purge.log"

    def stop_when_reported():  # Ctrl-C once the purge has reported (or after two minutes)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and "log files:" not in (
                report_file.read_text() if report_file.exists() else ""):
            time.sleep(0.2)
        os.kill(os.getpid(), signal.SIGTERM)

    watcher = threading.Thread(target=stop_when_reported, daemon=True)
    watcher.start()
    try:
        assert supervise(stack, lambda *_: None) == 0
    finally:
        watcher.join(timeout=130)
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    assert stack.stopped
    report = report_file.read_text()
    assert "retention 180 days, cutoff" in report and "conversations: 0 (no tracker store yet)" in report
