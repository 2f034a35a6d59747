"""``python -m deploy [--root var/prod]``: start the production stack, keep every process and
service of it up (``deploy/supervisor.py``: a server or service that dies is restarted, a server
that stops answering its health check is replaced), stop everything on Ctrl-C.

``python -m deploy --embedded`` (``make run``): the same supervisor for the embedded stack (one
action server, one Rasa server, the widget web app; SQLite under ``var/``).

Both modes also supervise the agent console (``python -m console``, ``FENQI_CONSOLE_PORT``, 8090);
no agent is ever created here: the ready banner prints the ``agents add`` command while there is none.

Both modes run the daily data-lifecycle job (``deploy/housekeeping.py``: log rotation and
``python -m fenqi data purge``, FENQI_RETENTION_DAYS) on the stack's stores.

Ports and instance counts come from the settings' ``deploy`` section (docs/deploy.md, README).
"""
from __future__ import annotations

import argparse
import os
import secrets
import signal
import sys
import time
from pathlib import Path

from deploy.cluster import ROOT, Ports, ProdStack
from deploy.housekeeping import DailyPurge
from deploy.services import ServiceError, install_missing
from deploy.supervisor import GaveUp, Supervisor
from fenqi.settings import console_settings


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy", description=__doc__)
    parser.add_argument("--root", type=Path, default=ROOT / "var" / "prod", help="state directory")
    parser.add_argument("--no-install", action="store_true", help="never apt-get missing binaries")
    parser.add_argument("--install-only", action="store_true",
                        help="only check for (and apt-get) PostgreSQL, Redis and nginx (make prod-deps)")
    parser.add_argument("--embedded", action="store_true",
                        help="the embedded stack (make run): SQLite, one Rasa and one action server, web app")
    args = parser.parse_args(argv)
    if args.embedded:
        return supervise(*_embedded_stack())

    missing = [] if args.no_install else install_missing()
    if missing:
        print(f"!! missing {', '.join(missing)} and cannot install them (need root and apt-get)", file=sys.stderr)
        return 1
    if args.install_only:
        return 0
    console = console_settings()
    os.umask(0o077)  # logs, secrets, configs of this supervisor and its children: owner only
    return supervise(ProdStack(args.root, Ports.from_env(), console_port=console.port,
                               console_host=console.host), _print_ready)


def _embedded_stack():
    from deploy.embedded import EmbeddedStack, embedded_ports
    from deploy.services import port_open
    from fenqi.settings import cors_origins, load_settings

    settings = load_settings()  # read once, passed down
    d = settings.deploy
    console = settings.console
    busy = [p for p in (d.rasa_port, d.actions_port, d.web_port, console.port) if port_open(p)]
    if busy:
        raise SystemExit(f"!! port {busy[0]} is already in use (another 'make run'?). "
                         "Stop it or set RASA_PORT/ACTIONS_PORT/WEB_PORT/FENQI_CONSOLE_PORT.")
    var = ROOT / "var"
    private_files(var)
    stack = EmbeddedStack(var, embedded_ports(d.rasa_port, d.actions_port), api_token_value=_api_token(var, d),
                          interface=d.rasa_interface, web_port=d.web_port, cors=cors_origins(),
                          console_port=console.port, console_host=console.host, demo_history=True)
    return stack, _print_embedded_ready


def private_files(var: Path) -> None:
    """Databases, logs and secrets owner-only from the start (umask 077 for everything this
    supervisor and its children write; files an older run left are tightened). var/prod keeps
    its own modes: PostgreSQL, running as ``postgres``, must reach its data directory."""
    os.umask(0o077)
    var.mkdir(parents=True, exist_ok=True)
    for path in var.rglob("*"):
        if path.is_file() and var / "prod" not in path.parents:
            path.chmod(path.stat().st_mode & 0o700)


def _api_token(var: Path, d) -> str:
    """RASA_API_TOKEN, else a random local one kept in var/rasa-api-token (the HTTP API is protected)."""
    if d.rasa_api_token:
        return d.rasa_api_token
    path = var / "rasa-api-token"
    if not path.exists() or not path.read_text().strip():
        var.mkdir(parents=True, exist_ok=True)
        path.write_text("k" + secrets.token_urlsafe(24), encoding="utf-8")  # never starts with "-"
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def supervise(stack, print_ready) -> int:
    """Start ``stack``, keep every process and service of it up (:class:`Supervisor`: restarts,
    hung-process replacement, zombies reaped), stop on Ctrl-C / SIGTERM."""
    stop = {"now": False}

    def _stop(*_):
        stop["now"] = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    start = time.monotonic()
    try:
        stack.start()
    except ServiceError as exc:
        print(f"!! {exc}", file=sys.stderr)
        return 1
    print_ready(stack, time.monotonic() - start)
    housekeeping = DailyPurge(stack.root, stack.env, ROOT)  # PIPL retention, once a day
    watch = Supervisor(stack, log=lambda msg: print(f">> {msg}", flush=True),
                       warn=lambda msg: print(f"!! {msg}", file=sys.stderr, flush=True),
                       jobs=[housekeeping.tick])
    try:
        watch.run(lambda: stop["now"])
    except GaveUp as exc:
        print(f"!! {exc}; last log lines:\n{stack.log_tail(20)}", file=sys.stderr)
        return 1
    finally:
        print(">> stopping")
        housekeeping.wait(timeout=10)
        stack.stop()
    return 0


def console_banner(stack, add_agent: str, indent: str) -> str:
    """The console's banner lines: its URL and, while the store has no agent, how to add one
    (no agent or password is ever made here)."""
    if not stack.console_port:
        return "(not started)"
    try:
        hint = "sign in as an agent (list: fenqi agents list)" if stack.has_agents() else "no agent yet, add one:"
    except Exception as exc:  # the banner never stops the stack
        hint = f"agents unknown ({exc.__class__.__name__}); add one:"
    return f"{stack.console_url}   {hint}" + ("" if hint.startswith("sign in") else f"\n{indent}{add_agent}")


def _print_embedded_ready(stack, seconds: float) -> None:
    port = stack.ports.rasa[0]
    console = console_banner(stack, "FENQI_ENV=development .venv/bin/python -m fenqi agents add NAME", " " * 20)
    print(f""">> 分期助手 is ready ({seconds:.0f} s).
   Terminal chat:   make shell                      (anonymous: general guidance)
                    make shell AS=demo_low_limit    (logged in as a demo user)
   REST:            curl -s localhost:{port}/webhooks/rest/webhook -d '{{"sender":"me","message":"小米分期怎么还款"}}'
   With a login:    TOKEN=$(.venv/bin/python -m fenqi token demo_ok); send "metadata": {{"auth_token": "$TOKEN"}}
   Chat widget:     http://localhost:{stack.web_port}
   Agent console:   {console}
                    (analytics and conversation review: an agent with --role lead; fenqi agents grant NAME lead)
   Model:           {stack.serving_model().name}   (python -m fenqi model status; the NLU inbox: --role trainer)
   Logs:            var/log/
   Stop with Ctrl-C.""", flush=True)


def _print_ready(stack: ProdStack, seconds: float) -> None:
    rel = stack.root.relative_to(ROOT) if stack.root.is_relative_to(ROOT) else stack.root
    add_agent = (f"(after the set -a line below) FENQI_DATABASE_URL=postgresql+psycopg2://fenqi:$DB_PASSWORD"
                 f"@127.0.0.1:{stack.ports.postgres}/fenqi .venv/bin/python -m fenqi agents add NAME")
    console = console_banner(stack, add_agent, " " * 22)
    print(f""">> 分期助手 production mode is ready ({seconds:.0f} s).
   Balancer (nginx):  {stack.balancer_url}   (Rasa instances: {', '.join(stack.rasa_urls)})
   Agent console:     {console}
                      (Secure cookies in production: over HTTPS, or from this machine)
   Model:             {stack.serving_model().name}   (FENQI_VAR_DIR={rel} python -m fenqi model status)
   Secrets:           {rel}/secrets.env (RASA_API_TOKEN, FENQI_JWT_SECRET, DB passwords)
   Logs:              {rel}/log/
   Try:  set -a; . {rel}/secrets.env; set +a
         TOKEN=$(.venv/bin/python -m fenqi token demo_ok --allow-unknown)
         curl -s {stack.balancer_url}/webhooks/rest/webhook \\
           -d '{{"sender":"me","message":"我这个月要还多少钱","metadata":{{"auth_token":"'$TOKEN'"}}}}'
   Stop with Ctrl-C.""")
    for row in stack.process_table():
        print(f"   {row['name']:<24} pid {row['pid']:<7} rss {row['rss_mb']:6.0f} MiB")


if __name__ == "__main__":
    sys.exit(main())
