"""Start the real bot for end-to-end tests: a seeded SQLite account store, the action server
and the Rasa server (REST and the project's channels), on free loopback ports — run by the same
supervisor as `make run` and production (deploy/embedded.py).

``start_stack(..., tz="UTC", clock_at="2026-12-01T23:30:00Z")`` runs every process (the demo seed
included) in that server zone with the business clock standing at that instant
(``FENQI_CLOCK_AT``, development only); :meth:`BotStack.move_clock` moves it for the action server."""
from __future__ import annotations

import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

import requests

from deploy.embedded import EmbeddedStack, embedded_ports

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
MODEL = ROOT / "models" / "fenqi.tar.gz"
TEST_SECRET = "e2e-test-secret-not-for-production-0123456789"
API_TOKEN = "e2e-rasa-api-token"
# The WeChat channel is configured in e2e runs (test values; its API base is never reached when
# replies are passive).
# Rasa (Sanic) waits up to 15 s for open connections (socket.io long-polls) when stopped: tests
# stop their stacks with connections still open, and need not wait for them
QUICK_STOP = {"SANIC_GRACEFUL_SHUTDOWN_TIMEOUT": "1"}
WECHAT_ENV = {
    "WECHAT_TOKEN": "e2e-wechat-token",
    "WECHAT_APPID": "wx0123456789abcdef",
    "WECHAT_APPSECRET": "e2e-wechat-app-secret",
    "WECHAT_ENCODING_AES_KEY": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
    "WECHAT_API_BASE": "http://127.0.0.1:9",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class BotStack:
    workdir: Path
    supervisor: EmbeddedStack

    @property
    def env(self) -> Dict[str, str]:
        return self.supervisor.env

    @property
    def rasa_url(self) -> str:
        return self.supervisor.rasa_url

    @property
    def actions_url(self) -> str:
        return self.supervisor.actions_url

    @property
    def logs(self) -> List[Path]:
        return [p.log for p in self.supervisor.procs.values()]

    @property
    def web_url(self) -> str:
        """The widget web app (``start_stack(web=True)``)."""
        return f"http://localhost:{self.supervisor.web_port}"

    @property
    def rasa_pid(self) -> int:
        """The process id of the (first) Rasa server."""
        return next(p.popen.pid for name, p in sorted(self.supervisor.procs.items()) if name.startswith("rasa"))

    @property
    def secret(self) -> str:
        return self.env["FENQI_JWT_SECRET"]

    def fenqi(self, *args: str) -> subprocess.CompletedProcess:
        """Run the core CLI against this stack's database."""
        return subprocess.run([str(BIN / "python"), "-m", "fenqi", *args], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=60)

    def token(self, user_id: str, ttl: int = 600) -> str:
        from fenqi.identity import issue_token
        return issue_token(user_id, self.secret, ttl=ttl)

    def ask(self, sender: str, text: str, token: Optional[str] = None,
            metadata: Optional[dict] = None) -> List[dict]:
        meta = dict(metadata or {})
        if token is not None:
            meta["auth_token"] = token
        r = requests.post(f"{self.rasa_url}/webhooks/rest/webhook",
                          json={"sender": sender, "message": text, "metadata": meta}, timeout=60)
        r.raise_for_status()
        return r.json()

    def move_clock(self, at: str, timeout: float = 180) -> None:
        """Restart the action server (where answers are decided) with the clock standing at ``at``."""
        name = next(n for n in sorted(self.supervisor.procs) if n.startswith("actions"))
        proc = self.supervisor.procs[name]
        proc.popen.terminate()
        proc.popen.wait(timeout=30)
        self.supervisor.env["FENQI_CLOCK_AT"] = at
        self.supervisor.restart(name, timeout)

    def log_tail(self, lines: int = 40) -> str:
        return self.supervisor.log_tail(lines)

    def stop(self) -> None:
        self.supervisor.stop()


def start_stack(workdir: Path, extra_env: Optional[Dict[str, str]] = None, timeout: float = 180,
                tz: Optional[str] = None, clock_at: Optional[str] = None,
                tracker_store: bool = False, web: bool = False, console: bool = False) -> BotStack:
    """Seed a fresh demo database in ``workdir`` and start both servers; caller must ``stop()``.

    ``tz``: the servers' own zone (``TZ``); ``clock_at``: the business clock stands at this ISO
    instant in every process (``FENQI_CLOCK_AT``, honoured with ``FENQI_ENV=development`` only);
    ``tracker_store``: conversations in the windowed SQL tracker store of ``make run`` at
    ``workdir/tracker.db`` (``FENQI_TRACKER_URL`` set), else in memory; ``web``/``console``: the
    widget web app and the agent console too (as ``make run``)."""
    if not MODEL.exists():
        raise RuntimeError(f"no trained model at {MODEL}: run `make train` first")
    clock = {**({"TZ": tz} if tz else {}),
             **({"FENQI_CLOCK_AT": clock_at, "FENQI_ENV": "development"} if clock_at else {})}
    env = {"FENQI_DATABASE_URL": f"sqlite:///{workdir / 'fenqi.db'}", "FENQI_JWT_SECRET": TEST_SECRET,
           **QUICK_STOP, **WECHAT_ENV, **clock, **(extra_env or {})}
    # The action endpoint only by default: conversations stay in memory, per test session.
    endpoints = Path(workdir) / "endpoints.yml"
    config = "action_endpoint:\n  url: ${ACTION_SERVER_URL}\n"
    if tracker_store:
        tracker = Path(workdir).resolve() / "tracker.db"
        config += ("tracker_store:\n  type: deploy.tracker_store.WindowedSQLTrackerStore\n  dialect: sqlite\n"
                   f"  db: {tracker}\n  recent_events: 40\n")
        env["FENQI_TRACKER_URL"] = f"sqlite:///{tracker}"
    endpoints.write_text(config, encoding="utf-8")
    supervisor = EmbeddedStack(workdir, embedded_ports(free_port(), free_port()), model=MODEL,
                               api_token_value=API_TOKEN, seed_demo=True, endpoints=endpoints, extra_env=env,
                               web_port=free_port() if web else None,
                               console_port=free_port() if console else None)
    try:
        supervisor.start(timeout, log=lambda _: None)
    except Exception as exc:
        raise RuntimeError(f"the bot stack did not start: {exc}\n{supervisor.log_tail()}") from exc
    return BotStack(workdir=Path(workdir), supervisor=supervisor)
