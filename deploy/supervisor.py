"""The watch loop of ``python -m deploy``: every process and service the stack started stays up.

Each :meth:`Supervisor.tick` (one a second):

* **servers** (Rasa, action servers, console, web app): one that exited is reaped and started
  again (without waiting for it: the loop goes on watching the rest while it loads); one that is
  alive but does not answer its health check within ``HEALTH_TIMEOUT_S``, ``HUNG_AFTER`` times in
  a row (a frozen or wedged process), is killed and started again; one that is not ready within
  ``START_TIMEOUT_S`` is killed and started again;
* **services** (production: Redis, nginx, PostgreSQL): one that is not running is started again
  (Redis and nginx reaped; nginx's leftover workers killed first; PostgreSQL recovers from its
  log on start).

Each unit may be restarted ``MAX_RESTARTS`` times within ``RESTART_WINDOW_S``; past that the
supervisor gives up (``GaveUp``) and ``python -m deploy`` stops the stack with the unit's log.
:meth:`Supervisor.hold` leaves one unit alone for a while (maintenance; the fault drills of
tests/prod/test_faults.py keep PostgreSQL down with it).
"""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Set, Tuple

HEALTH_INTERVAL_S = 2.0
HEALTH_TIMEOUT_S = 3.0
HUNG_AFTER = 3  # failed health checks in a row: a live process that does not answer is replaced
START_TIMEOUT_S = 300.0
MAX_RESTARTS = 5
RESTART_WINDOW_S = 600.0


class GaveUp(RuntimeError):
    """A unit kept failing: more than MAX_RESTARTS restarts within RESTART_WINDOW_S."""


@dataclass
class Service:
    """A service the stack started (Redis, nginx, PostgreSQL): is it running, start it again."""

    name: str
    running: Callable[[], bool]
    start: Callable[[], None]


class Supervisor:
    """Watches ``stack`` (a :class:`deploy.cluster.ProdStack` or an embedded stack)."""

    def __init__(self, stack, log: Callable[[str], None] = print,
                 warn: Optional[Callable[[str], None]] = None,
                 jobs: Sequence[Callable[[], None]] = ()) -> None:
        self.stack = stack
        self.jobs = tuple(jobs)  # run after every round, e.g. the daily purge (deploy/housekeeping.py)
        self.log = log
        self.warn = warn or log
        self.restarts: Dict[str, List[float]] = {}
        self.events: List[Tuple[float, str, str]] = []  # (monotonic time, unit, what happened)
        self._held: Set[str] = set()
        self._retry_at: Dict[str, float] = {}
        self._lock = threading.Lock()
        self._checks = ThreadPoolExecutor(max_workers=4, thread_name_prefix="health")

    # --- control ------------------------------------------------------------------------
    @contextmanager
    def hold(self, name: str) -> Iterator[None]:
        """Leave unit ``name`` alone inside the block (it is watched again after it)."""
        with self._lock:
            self._held.add(name)
        try:
            yield
        finally:
            with self._lock:
                self._held.discard(name)

    def run(self, stopped: Callable[[], bool], period: float = 1.0) -> None:
        """Tick every ``period`` seconds until ``stopped()``; raises :class:`GaveUp`."""
        try:
            while not stopped():
                started = time.monotonic()
                self.tick()
                for job in self.jobs:
                    job()
                time.sleep(max(0.0, period - (time.monotonic() - started)))
        finally:
            self._checks.shutdown(wait=False, cancel_futures=True)

    # --- one round ----------------------------------------------------------------------
    def tick(self) -> None:
        for service in self.stack.watched_services():
            if not self._held_now(service.name) and not service.running():
                self._restart_service(service)
        now = time.monotonic()
        due = []
        for proc in list(self.stack.procs.values()):
            if self._held_now(proc.name):
                continue
            if proc.popen.poll() is not None:  # exited (and reaped)
                self._note(proc.name, f"stopped (code {proc.popen.returncode})")
                self._respawn(proc.name)
            elif proc.ready_after is None and now - proc.started_at > START_TIMEOUT_S:
                self._kill(proc, f"not ready after {START_TIMEOUT_S:.0f} s")
                self._respawn(proc.name)
            elif proc.ready_after is None or now - proc.checked_at >= HEALTH_INTERVAL_S:
                proc.checked_at = now  # checks start every HEALTH_INTERVAL_S (or when the last ends)
                due.append(proc)
        for proc, ok in zip(due, self._check(due)):
            if proc.ready_after is None:
                if ok:
                    proc.ready_after = time.monotonic() - proc.started_at
                    self._note(proc.name, f"ready ({proc.ready_after:.1f} s)")
                continue
            proc.failures = 0 if ok else proc.failures + 1
            if proc.failures >= HUNG_AFTER:
                self._kill(proc, f"alive but not answering ({proc.failures} health checks of "
                                 f"{HEALTH_TIMEOUT_S:.0f} s)")
                self._respawn(proc.name)

    def _held_now(self, name: str) -> bool:
        with self._lock:
            return name in self._held

    def _check(self, procs: list) -> List[bool]:
        import requests

        def healthy(proc) -> bool:
            try:
                return requests.get(self.stack._health_url(proc), timeout=HEALTH_TIMEOUT_S).ok
            except requests.RequestException:
                return False
        return list(self._checks.map(healthy, procs))

    def _count(self, name: str) -> None:
        now = time.monotonic()
        recent = [t for t in self.restarts.get(name, []) if now - t < RESTART_WINDOW_S]
        if len(recent) >= MAX_RESTARTS:
            raise GaveUp(f"{name} was restarted {len(recent)} times in {RESTART_WINDOW_S:.0f} s")
        self.restarts[name] = recent + [now]

    def _note(self, name: str, what: str) -> None:
        self.events.append((time.monotonic(), name, what))
        (self.log if what.startswith("ready") or what.startswith("back") else self.warn)(f"{name}: {what}")

    def _kill(self, proc, why: str) -> None:
        self._note(proc.name, f"killed: {why}")
        try:
            proc.popen.kill()  # SIGKILL: also ends a stopped (SIGSTOP) process
            proc.popen.wait(timeout=10)
        except Exception as exc:  # already gone
            self.warn(f"{proc.name}: kill failed ({exc})")

    def _respawn(self, name: str) -> None:
        self._count(name)
        self._note(name, f"restarting ({len(self.restarts[name])}/{MAX_RESTARTS} in "
                         f"{RESTART_WINDOW_S / 60:.0f} min)")
        self.stack.respawn(name)

    def _restart_service(self, service: Service) -> None:
        if time.monotonic() < self._retry_at.get(service.name, 0.0):
            return
        self._count(service.name)
        self._note(service.name, "not running; starting it again")
        started = time.monotonic()
        try:
            service.start()
        except Exception as exc:  # tried again after a pause, within the restart budget
            pause = min(60.0, 5.0 * 2 ** (len(self.restarts[service.name]) - 1))
            self._retry_at[service.name] = time.monotonic() + pause
            self._note(service.name, f"did not start ({exc}); next try in {pause:.0f} s")
            return
        self._note(service.name, f"back ({time.monotonic() - started:.1f} s)")
