"""The supervisor's daily data-lifecycle job (PIPL, docs/security.md): rotate the stack's logs and
run ``python -m fenqi data purge`` on the stack's stores.

:meth:`DailyPurge.tick` is called from the supervisor's loop (``python -m deploy`` for both
``make run`` and ``make run-prod``): at the first tick and then every ``interval`` seconds it
rotates ``<root>/log/*.log`` (``fenqi.lifecycle.logs.rotate``) and starts the purge as a child
process with the stack's environment (its account store, ``FENQI_TRACKER_URL``,
``FENQI_RETENTION_DAYS``), never blocking the loop; the purge's report goes to ``log/purge.log``.
"""
from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional

from fenqi import clock
from fenqi.lifecycle.logs import rotate

DAY_S = 24 * 3600
PURGE_TIMEOUT_S = 3600  # a purge still running after an hour is stopped (the next day retries)


@dataclass
class DailyPurge:
    root: Path  # the stack's state directory (its log/ is rotated)
    env: Dict[str, str]
    cwd: Path
    interval: float = DAY_S
    monotonic: Callable[[], float] = time.monotonic
    python: str = sys.executable
    log: Callable[[str], None] = print
    _next: Optional[float] = None
    _running: Optional[subprocess.Popen] = None
    _started: float = 0.0
    runs: List[int] = field(default_factory=list)  # exit codes of finished purges

    @property
    def log_dir(self) -> Path:
        return self.root / "log"

    def tick(self) -> None:
        """Reap a finished purge; start the next one when it is due (never two at once)."""
        now = self.monotonic()
        if self._running is not None:
            code = self._running.poll()
            if code is None and now - self._started > PURGE_TIMEOUT_S:
                self._running.kill()
                code = self._running.wait()
            if code is None:
                return
            self.runs.append(code)
            if code != 0:
                self.log(f"!! data purge failed (exit {code}); see {self.log_dir / 'purge.log'}")
            self._running = None
        if self._next is not None and now < self._next:
            return
        self._next = now + self.interval
        rotate(self.log_dir, clock.today())
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_dir / "purge.log", "a", encoding="utf-8") as out:
            self._running = subprocess.Popen([self.python, "-m", "fenqi", "data", "purge"], cwd=self.cwd,
                                             env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL)
        self._started = now

    def wait(self, timeout: float = 120) -> Optional[int]:
        """Wait for a running purge (tests, shutdown); its exit code, or None if none ran."""
        if self._running is None:
            return None
        try:
            code = self._running.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._running.kill()
            code = self._running.wait()
        self.runs.append(code)
        self._running = None
        return code
