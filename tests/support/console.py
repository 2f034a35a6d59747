"""Start ``python -m console`` for tests on a free port against a given account store."""
from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict

import requests

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
    port = free_port()
    log = workdir / "console.log"
    env = dict(env, FENQI_CONSOLE_HOST="127.0.0.1", FENQI_CONSOLE_PORT=str(port))
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.Popen([sys.executable, "-m", "console"], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    console = Console(url=f"http://127.0.0.1:{port}", proc=proc, log=log)
    deadline = time.time() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"console exited ({proc.returncode}):\n{log.read_text()}")
        try:
            if requests.get(console.url + "/healthz", timeout=2).ok:
                return console
        except requests.RequestException:
            pass
        if time.time() > deadline:
            console.stop()
            raise RuntimeError(f"console not ready:\n{log.read_text()}")
        time.sleep(0.3)
