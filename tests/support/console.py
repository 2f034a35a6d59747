"""Start ``python -m console`` for tests on a free port against a given account store (the supervisor)."""
from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict

from deploy.embedded import EmbeddedStack, embedded_ports
from tests.support.stack import ROOT, free_port

AGENT_PASSWORD = "console-test-password-123"


@dataclass
class Console:
    url: str
    proc: subprocess.Popen
    log: Path

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def add_agent(env: Dict[str, str], name: str, password: str = AGENT_PASSWORD) -> None:
    result = subprocess.run([sys.executable, "-m", "fenqi", "agents", "add", name], cwd=ROOT, env=env,
                            input=password + "\n", capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise RuntimeError(f"agents add {name} failed: {result.stderr}")


def start_console(env: Dict[str, str], workdir: Path, timeout: float = 60) -> Console:
    """``python -m console`` on a free port with exactly ``env``, spawned and health-checked by the
    supervisor of ``make run`` (deploy/embedded.py); its log is ``workdir/log/console-1.log``."""
    stack = EmbeddedStack(workdir, embedded_ports(free_port(), free_port()), console_port=free_port())
    stack.env = dict(env)
    proc = stack.spawn_console()
    console = Console(url=stack.console_url, proc=proc.popen, log=proc.log)
    try:
        stack.wait_ready(timeout)
    except Exception as exc:
        console.stop()
        raise RuntimeError(f"console not ready: {exc}\n{proc.log.read_text()}") from exc
    return console
