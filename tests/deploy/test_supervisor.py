"""deploy/supervisor.py on real processes: small HTTP servers stand in for the bot's servers and a
sleeping process for a service (the production drills with Rasa, PostgreSQL, Redis and nginx are
in tests/prod/test_faults.py)."""
from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

import pytest

from deploy.cluster import Proc
from deploy.services import free_port, pid_alive
from deploy.supervisor import HEALTH_TIMEOUT_S, HUNG_AFTER, MAX_RESTARTS, GaveUp, Service, Supervisor

pytestmark = pytest.mark.timeout(120)


class MiniStack:
    """What the supervisor needs of a stack: ``procs``, ``respawn``, health URLs, services."""

    def __init__(self, tmp: Path, command: List[str] = ()) -> None:
        self.tmp, self.command = tmp, list(command)
        self.procs: Dict[str, Proc] = {}
        self.ports: Dict[str, int] = {}
        self.services: List[Service] = []

    def respawn(self, name: str) -> Proc:
        port = free_port()
        args = self.command or [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
        popen = subprocess.Popen(args, cwd=self.tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.ports[name] = port
        self.procs[name] = Proc(name, popen, self.tmp / f"{name}.log", time.monotonic())
        return self.procs[name]

    def _health_url(self, proc: Proc) -> str:
        return f"http://127.0.0.1:{self.ports[proc.name]}/"

    def watched_services(self) -> List[Service]:
        return self.services

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.popen.poll() is None:
                proc.popen.kill()
                proc.popen.wait(10)


@pytest.fixture
def stack(tmp_path):
    mini = MiniStack(tmp_path)
    yield mini
    mini.stop()


def tick_until(watch: Supervisor, done, timeout: float) -> float:
    started = time.monotonic()
    while not done():
        assert time.monotonic() - started < timeout, watch.events
        watch.tick()
        time.sleep(0.2)
    return time.monotonic() - started


def test_a_server_that_dies_is_reaped_and_started_again(stack):
    watch = Supervisor(stack, log=lambda _: None)
    stack.respawn("actions-1")
    tick_until(watch, lambda: stack.procs["actions-1"].ready_after is not None, 30)
    old = stack.procs["actions-1"].popen
    old.send_signal(signal.SIGKILL)
    tick_until(watch, lambda: stack.procs["actions-1"].popen is not old, 10)
    assert old.returncode == -signal.SIGKILL and not pid_alive(old.pid)  # reaped: no zombie left
    tick_until(watch, lambda: stack.procs["actions-1"].ready_after is not None, 30)


def test_a_frozen_server_is_replaced(stack):
    watch = Supervisor(stack, log=lambda _: None)
    stack.respawn("rasa-1")
    tick_until(watch, lambda: stack.procs["rasa-1"].ready_after is not None, 30)
    old = stack.procs["rasa-1"].popen
    old.send_signal(signal.SIGSTOP)  # alive, holds its port, answers nothing
    took = tick_until(watch, lambda: stack.procs["rasa-1"].popen is not old, 60)
    assert took >= HUNG_AFTER * HEALTH_TIMEOUT_S * 0.9  # not before its health checks timed out
    assert old.poll() is not None
    assert any(what.startswith("killed: alive but not answering") for _, _, what in watch.events)
    tick_until(watch, lambda: stack.procs["rasa-1"].ready_after is not None, 30)


def test_a_service_that_stops_is_started_again_unless_held(stack):
    procs: List[subprocess.Popen] = []

    def start() -> None:
        procs.append(subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"]))

    start()
    stack.services.append(Service("redis", lambda: procs[-1].poll() is None, start))
    watch = Supervisor(stack, log=lambda _: None)
    try:
        with watch.hold("redis"):
            procs[-1].kill()
            procs[-1].wait(10)
            for _ in range(3):
                watch.tick()
            assert len(procs) == 1  # left alone while held
        watch.tick()
        assert len(procs) == 2 and procs[-1].poll() is None
        assert [what for _, name, what in watch.events if name == "redis"][-1].startswith("back")
    finally:
        for p in procs:
            p.kill()
            p.wait(10)


def test_a_server_that_keeps_dying_makes_the_supervisor_give_up(tmp_path):
    stack = MiniStack(tmp_path, [sys.executable, "-c", "raise SystemExit(3)"])
    watch = Supervisor(stack, log=lambda _: None)
    stack.respawn("actions-1")
    with pytest.raises(GaveUp, match="actions-1"):
        tick_until(watch, lambda: False, 60)
    assert len(watch.restarts["actions-1"]) == MAX_RESTARTS
