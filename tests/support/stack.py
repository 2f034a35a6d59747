"""Start the real bot for end-to-end tests: a seeded SQLite account store, the action server
and the Rasa server (REST and the project's channels), on free loopback ports."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import requests

from deploy.services import runtime_env

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
MODEL = ROOT / "models" / "fenqi.tar.gz"
TEST_SECRET = "e2e-test-secret-not-for-production-0123456789"
API_TOKEN = "e2e-rasa-api-token"
# The WeChat channel is configured in e2e runs (test values; its API base is never reached when
# replies are passive).
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
    env: Dict[str, str]
    rasa_url: str = ""
    actions_url: str = ""
    procs: List[subprocess.Popen] = field(default_factory=list)
    logs: List[Path] = field(default_factory=list)

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

    def log_tail(self, lines: int = 40) -> str:
        out = []
        for log in self.logs:
            text = log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
            out.append(f"--- {log.name}\n" + "\n".join(text))
        return "\n".join(out)

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()


def _spawn(stack: BotStack, name: str, args: List[str]) -> None:
    log = stack.workdir / f"{name}.log"
    stack.logs.append(log)
    fh = open(log, "w", encoding="utf-8")
    stack.procs.append(subprocess.Popen(args, cwd=ROOT, env=stack.env, stdout=fh, stderr=subprocess.STDOUT))


def _wait(stack: BotStack, urls: List[str], timeout: float) -> None:
    deadline = time.time() + timeout
    pending = list(urls)
    while pending:
        for p in stack.procs:
            if p.poll() is not None:
                raise RuntimeError(f"a server exited while starting (code {p.returncode})\n{stack.log_tail()}")
        if time.time() > deadline:
            raise RuntimeError(f"servers not ready after {timeout:.0f} s: {pending}\n{stack.log_tail()}")
        try:
            if requests.get(pending[0], timeout=2).ok:
                pending.pop(0)
                continue
        except requests.RequestException:
            pass
        time.sleep(0.5)


def start_stack(workdir: Path, extra_env: Optional[Dict[str, str]] = None, timeout: float = 180) -> BotStack:
    """Seed a fresh demo database in ``workdir`` and start both servers; caller must ``stop()``."""
    if not MODEL.exists():
        raise RuntimeError(f"no trained model at {MODEL}: run `make train` first")
    env = dict(os.environ)
    env.update({
        "FENQI_DATABASE_URL": f"sqlite:///{workdir / 'fenqi.db'}",
        "FENQI_VAR_DIR": str(workdir),
        "FENQI_JWT_SECRET": TEST_SECRET,
        **runtime_env(),
        "SANIC_HOST": "127.0.0.1",  # the action server listens on loopback only
        **WECHAT_ENV,
    })
    env.update(extra_env or {})
    stack = BotStack(workdir=workdir, env=env)
    for args in (("db", "init"), ("db", "seed-demo")):
        result = stack.fenqi(*args)
        if result.returncode != 0:
            raise RuntimeError(f"fenqi {' '.join(args)} failed: {result.stderr}")
    rasa_port, actions_port = free_port(), free_port()
    stack.rasa_url, stack.actions_url = f"http://127.0.0.1:{rasa_port}", f"http://127.0.0.1:{actions_port}"
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text(f'action_endpoint:\n  url: "{stack.actions_url}/webhook"\n', encoding="utf-8")
    _spawn(stack, "actions", [str(BIN / "rasa"), "run", "actions", "--actions", "actions",
                              "--port", str(actions_port)])
    # Rasa's CLI with the cached action-response validator (deploy/rasa_main.py), as `make run` starts it.
    _spawn(stack, "rasa", [str(BIN / "python"), "-m", "deploy.rasa_main", "run", "--enable-api", "--port", str(rasa_port),
                           "--model", str(MODEL), "--endpoints", str(endpoints),
                           "--credentials", str(ROOT / "credentials.yml"),
                           "--auth-token", API_TOKEN, "-i", "127.0.0.1"])
    try:
        _wait(stack, [f"{stack.actions_url}/health", f"{stack.rasa_url}/status?token={API_TOKEN}"], timeout)
    except Exception:
        stack.stop()
        raise
    return stack
