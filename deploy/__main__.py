"""``python -m deploy [--root var/prod]``: start the production stack, restart a Rasa or action
process that dies (up to MAX_RESTARTS times each), stop everything on Ctrl-C.

Ports and instance counts come from the environment (see ``Ports.from_env`` and docs/deploy.md).
"""
from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

from deploy.cluster import ROOT, Ports, ProdStack
from deploy.services import ServiceError, install_missing

MAX_RESTARTS = 5


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy", description=__doc__)
    parser.add_argument("--root", type=Path, default=ROOT / "var" / "prod", help="state directory")
    parser.add_argument("--no-install", action="store_true", help="never apt-get missing binaries")
    parser.add_argument("--install-only", action="store_true",
                        help="only check for (and apt-get) PostgreSQL, Redis and nginx (make prod-deps)")
    args = parser.parse_args(argv)

    missing = [] if args.no_install else install_missing()
    if missing:
        print(f"!! missing {', '.join(missing)} and cannot install them (need root and apt-get)", file=sys.stderr)
        return 1
    if args.install_only:
        return 0
    stack = ProdStack(args.root, Ports.from_env())
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
    _print_ready(stack, time.monotonic() - start)
    restarts = {name: 0 for name in stack.procs}
    try:
        while not stop["now"]:
            for name in [p.name for p in stack.procs.values() if p.popen.poll() is not None]:
                if restarts[name] >= MAX_RESTARTS:
                    print(f"!! {name} keeps stopping; last log lines:\n{stack.log_tail(20)}", file=sys.stderr)
                    return 1
                restarts[name] += 1
                print(f"!! {name} stopped (code {stack.procs[name].popen.returncode}); the other instances "
                      f"keep serving; restarting it ({restarts[name]}/{MAX_RESTARTS})", file=sys.stderr)
                try:
                    stack.restart(name)
                    print(f">> {name} is back ({stack.procs[name].ready_after:.0f} s)")
                except ServiceError as exc:
                    print(f"!! {name} did not come back: {exc}", file=sys.stderr)
            time.sleep(1)
    finally:
        print(">> stopping")
        stack.stop()
    return 0


def _print_ready(stack: ProdStack, seconds: float) -> None:
    rel = stack.root.relative_to(ROOT) if stack.root.is_relative_to(ROOT) else stack.root
    print(f""">> 分期助手 production mode is ready ({seconds:.0f} s).
   Balancer (nginx):  {stack.balancer_url}   (Rasa instances: {', '.join(stack.rasa_urls)})
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
