#!/usr/bin/env python
"""Benchmark the lead's console pages on PostgreSQL with a large history (``make bench-analytics``).

1. starts a throw-away PostgreSQL (fsync off; loopback, random port, temporary directory) with the
   production layout: the account store made by Alembic, Rasa's ``events`` table in its own database;
2. loads ``--days`` days of ``--per-day`` realistic conversations (``fenqi.analytics.demo``: answered
   questions, clarified misses, out of scope, handoffs with waits and ratings, three channels,
   standard-question ids) — at least a million tracker events by default — with ``COPY``, and
   their tickets, takeovers and ratings;
3. times the rollup's rebuild over all of it (``python -m fenqi analytics rebuild``);
4. starts the console (``python -m console``, the supervisor's launcher) on those stores, signs in
   as a lead and times every page, chart and CSV over HTTP (``--repeat`` times each: median, max),
   for today, 7 and 30 days;
5. appends ``--new-events`` events as Rasa would and times the next page, which folds them first.

    .venv/bin/python scripts/bench_analytics.py [--days 60] [--per-day 1500] [--repeat 5]
        [--new-events 2000] [--out FILE.md]
"""
from __future__ import annotations

import argparse
import csv
import io
import os
import random
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import List, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from deploy.embedded import EmbeddedStack, embedded_ports  # noqa: E402
from deploy.services import Postgres, free_port, install_missing  # noqa: E402
from fenqi import clock  # noqa: E402
from fenqi.analytics import demo, rollup  # noqa: E402
from fenqi.analytics.events import ensure_events_table  # noqa: E402
from fenqi.db.engine import Store, make_engine  # noqa: E402
from fenqi.db.migrations import upgrade  # noqa: E402

PASSWORD = "bench-lead-password-123"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
COLUMNS = ("sender_id", "type_name", "timestamp", "intent_name", "action_name", "data")


def copy_events(tracker, rows: List[dict]) -> None:
    """Append event rows with PostgreSQL's COPY (what a busy Rasa cluster wrote over months)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(["" if row[c] is None else row[c] for c in COLUMNS])
    buffer.seek(0)
    raw = tracker.raw_connection()
    try:
        with raw.cursor() as cursor:
            cursor.copy_expert(f"COPY events ({', '.join(COLUMNS)}) FROM STDIN WITH (FORMAT csv, NULL '')", buffer)
        raw.commit()
    finally:
        raw.close()


def load(store: Store, tracker, days: int, per_day: int, log) -> Tuple[int, int, int]:
    """``days`` days of history ending yesterday; returns (events, conversations, tickets)."""
    ensure_events_table(tracker)
    first = clock.today() - timedelta(days=days)
    events = conversations = tickets = 0
    for i, history in enumerate(demo.generate(first, days, per_day, seed=2026, questions=True)):
        copy_events(tracker, history.rows)
        with store.session() as session:
            demo.write_tickets(session, history.tickets)
        events += len(history.rows)
        conversations += sum(1 for r in history.rows if r["type_name"] == "session_started")
        tickets += len(history.tickets)
        if (i + 1) % 10 == 0:
            log(f"   {i + 1}/{days} days: {events:,} events")
    vacuum(store.engine, tracker)
    return events, conversations, tickets


def vacuum(*engines) -> None:
    """``VACUUM ANALYZE`` (what autovacuum does to a table that grew): fresh planner statistics."""
    for engine in engines:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")


def sign_in(url: str, name: str) -> requests.Session:
    http = requests.Session()
    csrf = CSRF.search(http.get(url + "/login").text).group(1)
    response = http.post(url + "/login", data={"csrf": csrf, "name": name, "password": PASSWORD},
                         allow_redirects=False)
    if response.status_code != 302:
        raise RuntimeError(f"sign-in failed: {response.status_code}")
    return http


def timed(http: requests.Session, url: str, repeat: int) -> Tuple[float, float, int]:
    """(median ms, max ms, bytes) of ``repeat`` GETs."""
    times, size = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        response = http.get(url, timeout=120)
        times.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{url}: HTTP {response.status_code}")
        size = len(response.content)
    return statistics.median(times), max(times), size


def pages(url: str, http: requests.Session) -> List[Tuple[str, str]]:
    """(label, url) of every page, chart and CSV a lead opens."""
    listing = http.get(url + "/conversations?period=30d&handoff=1").text
    conversation = re.search(r'href="/conversations/(\d+)\?back=', listing).group(1)
    out = []
    for period in ("today", "7d", "30d"):
        out.append((f"/analytics ({period})", f"{url}/analytics?period={period}"))
    out.append(("/analytics (30d, WeChat only)", f"{url}/analytics?period=30d&channel=wechat"))
    for chart in ("volume", "rates", "csat", "intents"):
        out.append((f"chart {chart}.svg (30d)", f"{url}/analytics/charts/{chart}.svg?period=30d"))
    for table in ("channels", "daily", "intents", "questions", "fallback_intents", "reasons", "csat"):
        out.append((f"{table}.csv (30d)", f"{url}/analytics/{table}.csv?period=30d"))
    out += [("/conversations (30d)", f"{url}/conversations?period=30d"),
            ("/conversations (30d, page 40)", f"{url}/conversations?period=30d&page=40"),
            ("/conversations (30d, handoff + rating ≤ 2)", f"{url}/conversations?period=30d&handoff=1&low_rating=1"),
            ("/conversations (30d, intent + fallback)",
             f"{url}/conversations?period=30d&intent=how_to_repay&fallback=1"),
            ("/conversations (30d, unreviewed, WeChat)", f"{url}/conversations?period=30d&unreviewed=1&channel=wechat"),
            ("/conversations.csv (30d, 2,000 rows)", f"{url}/conversations.csv?period=30d"),
            ("/conversations/ID", f"{url}/conversations/{conversation}")]
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--per-day", type=int, default=1500)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--new-events", type=int, default=2000)
    parser.add_argument("--out", type=Path, help="also write the Markdown table here")
    args = parser.parse_args(argv)

    def log(message: str) -> None:
        print(message, flush=True)

    missing = install_missing(log=log)
    if missing:
        log(f"!! {', '.join(missing)} missing and cannot be installed")
        return 1
    base = Path(tempfile.mkdtemp(prefix="fenqi-bench-analytics-"))
    os.chmod(base, 0o755)
    server = Postgres(base / "pg", free_port(), secrets.token_urlsafe(16), durable=False)
    stack = None
    try:
        server.start()
        password = secrets.token_urlsafe(12)
        server.ensure_role_and_databases("fenqi", password, ["fenqi", "fenqi_tracker"])
        accounts, tracker_url = server.url("fenqi", "fenqi", password), server.url("fenqi_tracker", "fenqi", password)
        upgrade(accounts)
        store, tracker = Store.open(accounts), make_engine(tracker_url)

        log(f">> loading {args.days} days × ~{args.per_day} conversations into PostgreSQL")
        start = time.perf_counter()
        events, conversations, tickets = load(store, tracker, args.days, args.per_day, log)
        load_s = time.perf_counter() - start
        log(f">> {events:,} events, {conversations:,} conversations, {tickets:,} tickets in {load_s:.0f} s")

        start = time.perf_counter()
        progress = rollup.rebuild(store, tracker)
        rebuild_s = time.perf_counter() - start
        log(f">> rollup rebuilt: {progress.events:,} events in {rebuild_s:.1f} s "
            f"({progress.events / rebuild_s:,.0f} events/s)")
        vacuum(store.engine)

        env = {k: v for k, v in os.environ.items() if not k.startswith("FENQI_")}
        env.update(FENQI_ENV="development", FENQI_DATABASE_URL=accounts, FENQI_TRACKER_URL=tracker_url,
                   FENQI_VAR_DIR=str(base / "var"), SQLALCHEMY_SILENCE_UBER_WARNING="1")
        subprocess.run([sys.executable, "-m", "fenqi", "agents", "add", "组长", "--role", "lead"], cwd=ROOT, env=env,
                       input=PASSWORD + "\n", capture_output=True, text=True, timeout=60, check=True)
        stack = EmbeddedStack(base / "console", embedded_ports(free_port(), free_port()), console_port=free_port())
        stack.env = env
        stack.spawn_console()
        stack.wait_ready(120)
        http = sign_in(stack.console_url, "组长")

        results: List[Tuple[str, float, float, int]] = []
        for label, url in pages(stack.console_url, http):
            median, worst, size = timed(http, url, args.repeat)
            results.append((label, median, worst, size))
            log(f"   {label:<45} median {median:7.0f} ms   max {worst:7.0f} ms   {size / 1024:7.0f} KiB")

        new = demo.History()
        now = clock.utcnow()
        number = 10_000_000
        while len(new.rows) < args.new_events:
            demo.random_conversation(new, random.Random(number), demo.demo_sender("widget", number),
                                     "widget", now - timedelta(minutes=30), questions=True)
            number += 1
        copy_events(tracker, new.rows)
        time.sleep(rollup.SETTLE.total_seconds() + 0.5)
        http.get(stack.console_url + "/analytics?period=today", timeout=120)  # notes the horizon
        time.sleep(rollup.SETTLE.total_seconds() + 0.5)
        catch_up, _, _ = timed(http, stack.console_url + "/analytics?period=today", 1)
        log(f">> {len(new.rows):,} new events folded by the next /analytics (today): {catch_up:.0f} ms")

        lines = [f"PostgreSQL {server_version(server)} (fsync off), {os.cpu_count()} cores, load "
                 f"{os.getloadavg()[0]:.1f}; {events:,} tracker events ({args.days} days, {conversations:,} "
                 f"conversations, {tickets:,} tickets); median and max of {args.repeat} requests each.", "",
                 f"Loading (COPY): {load_s:.0f} s. Rollup rebuild: {rebuild_s:.1f} s "
                 f"({progress.events / rebuild_s:,.0f} events/s). A page after {len(new.rows):,} new events "
                 f"(folded first): {catch_up:.0f} ms.", "",
                 "| page | median | max | size |", "|---|---:|---:|---:|"]
        lines += [f"| {label} | {median:.0f} ms | {worst:.0f} ms | {size / 1024:.0f} KiB |"
                  for label, median, worst, size in results]
        report = "\n".join(lines)
        print("\n" + report)
        if args.out:
            args.out.write_text(report + "\n", encoding="utf-8")
        store.close()
        tracker.dispose()
    finally:
        if stack is not None:
            stack.stop()
        server.stop()
        shutil.rmtree(base, ignore_errors=True)
    return 0


def server_version(server: Postgres) -> str:
    import psycopg2

    connection = psycopg2.connect(host="127.0.0.1", port=server.port, user="postgres", password=server.password,
                                  dbname="postgres")
    try:
        return connection.server_version and str(connection.server_version // 10000)
    finally:
        connection.close()


if __name__ == "__main__":
    sys.exit(main())
