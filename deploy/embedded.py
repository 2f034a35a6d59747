"""The embedded stack — one action server, one Rasa server (SQLite account store and tracker under
``root``) and optionally the widget web app and the agent console — run by the production supervisor
(:class:`deploy.cluster.ProdStack`: spawning, health checks, restarts, logs, stop).

``make run`` (``python -m deploy --embedded``) and the test stacks (``tests/support/stack.py``)
use it; ``make run-prod`` uses :class:`~deploy.cluster.ProdStack` itself.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Optional, Tuple

from deploy.cluster import BIN, ROOT, Ports, Proc, ProdStack
from deploy.services import runtime_env

EMBEDDED_ENDPOINTS = ROOT / "endpoints.yml"  # ${ACTION_SERVER_URL}, SQLite tracker store


def demo_history_is_current(var: Path) -> bool:
    """Whether ``python -m fenqi db seed-demo-history`` ran today (its stamp in ``var``) and the
    tracker store is there: then ``make run`` starts without a Python process more."""
    from fenqi.analytics import DEMO_STAMP
    from fenqi.clock import today

    stamp = var / DEMO_STAMP
    return (var / "tracker.db").exists() and stamp.exists() and stamp.read_text().strip() == today().isoformat()


@dataclass
class EmbeddedStack(ProdStack):
    """``ports.rasa[0]`` / ``ports.actions[0]`` are the servers; ``web_port`` (if set) the web app,
    ``console_port`` (if set) the agent console."""

    api_token_value: str = ""
    interface: str = "127.0.0.1"
    web_port: Optional[int] = None
    seed_demo: bool = False  # load the demo accounts after `db init` (fresh test stores)
    demo_history: bool = False  # make run: a week of made-up traffic for the lead's pages, once a day
    cors: Tuple[str, ...] = ()  # FENQI_CORS_ORIGINS: an explicit allowlist, never "*" (issue #11)
    endpoints: Path = EMBEDDED_ENDPOINTS
    extra_env: Dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.root = Path(self.root).resolve()
        self.logs = self.root / "log"
        self.secrets = {"RASA_API_TOKEN": self.api_token_value}
        self.env = self._environment()

    def _environment(self) -> Dict[str, str]:
        env = dict(os.environ)
        env.update({
            "FENQI_DATABASE_URL": env.get("FENQI_DATABASE_URL") or f"sqlite:///{self.root / 'fenqi.db'}",
            "FENQI_VAR_DIR": str(self.root),
            "ACTION_SERVER_URL": f"http://127.0.0.1:{self.ports.actions[0]}/webhook",
            **runtime_env(), "SANIC_HOST": self.interface,
        })
        if self.endpoints == EMBEDDED_ENDPOINTS:  # its tracker store: var/tracker.db under the project
            env.setdefault("FENQI_TRACKER_URL", f"sqlite:///{ROOT / 'var' / 'tracker.db'}")
        env.update(self.extra_env)
        return env

    @property
    def jwt_secret(self) -> str:
        return self.env.get("FENQI_JWT_SECRET", "")

    @property
    def rasa_url(self) -> str:
        return self.rasa_urls[0]

    @property
    def actions_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.actions[0]}"

    # --- start / stop -------------------------------------------------------------------
    def start_balancer(self, log=print) -> None:
        """No balancer: one Rasa and one action server, reached directly."""

    def start_data(self, log=print) -> None:
        """The account store: ``db init`` (alembic upgrade head), demo accounts when asked."""
        self.logs.mkdir(parents=True, exist_ok=True)
        self._python("-m", "fenqi", "db", "init")
        if self.seed_demo:
            self._python("-m", "fenqi", "db", "seed-demo")
        if self.demo_history and not demo_history_is_current(self.root):
            log(">> demo history for the console's analytics (a week of made-up conversations)")
            self._python("-m", "fenqi", "db", "seed-demo-history", "--if-stale")

    def start_bots(self, timeout: float = 300, log=print) -> None:
        if not self.model.exists():
            from deploy.services import ServiceError
            raise ServiceError(f"no trained model at {self.model}: run `make train` first")
        log(f">> action server on :{self.ports.actions[0]}, Rasa server on :{self.ports.rasa[0]}"
            + (f", widget web app on :{self.web_port}" if self.web_port else "")
            + (f", agent console on :{self.console_port}" if self.console_port else "") + f" (logs: {self.logs})")
        self.spawn_actions(1, self.ports.actions[0])
        self.spawn_rasa(1, self.ports.rasa[0])
        if self.web_port:
            self.spawn_web()
        if self.console_port:
            self.spawn_console()
        self.wait_ready(timeout)

    def spawn_rasa(self, i: int, port: int) -> Proc:
        cors = [arg for origin in self.cors for arg in ("--cors", origin)]
        return self._spawn(f"rasa-{i}", [str(BIN / "python"), "-m", "deploy.rasa_main", "run",
                                         "--enable-api", "--auth-token", self.api_token, "-i", self.interface,
                                         *cors, "--port", str(port), "--model", str(self.serving_model()),
                                         "--endpoints", str(self.endpoints),
                                         "--credentials", str(ROOT / "credentials.yml")])

    def spawn_web(self) -> Proc:
        self.env.setdefault("FENQI_RASA_URL", f"http://localhost:{self.ports.rasa[0]}")
        self.env["FENQI_WEB_PORT"] = str(self.web_port)
        return self._spawn("web-1", [sys.executable, "-m", "webapp"])

    def _health_url(self, proc: Proc) -> str:
        if proc.name.startswith("web"):
            return f"http://localhost:{self.web_port}/healthz"
        return super()._health_url(proc)

    def respawn(self, name: str) -> Proc:
        return self.spawn_web() if name.startswith("web") else super().respawn(name)

    def watched_services(self) -> list:
        """No services of its own: SQLite is a file."""
        return []

    def stop(self) -> None:
        from fenqi.training.rollout import remove_instances

        remove_instances(self.root)
        for proc in self.procs.values():
            if proc.popen.poll() is None:
                proc.popen.terminate()
        for proc in self.procs.values():
            try:
                proc.popen.wait(timeout=20)
            except Exception:
                proc.popen.kill()

    def process_table(self):
        return [{"name": p.name, "pid": p.popen.pid, "startup_s": p.ready_after, "rss_mb": p.rss_mb}
                for p in self.procs.values()]


def embedded_ports(rasa: int, actions: int) -> Ports:
    return Ports(rasa=(rasa,), actions=(actions,))
