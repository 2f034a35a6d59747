#!/usr/bin/env python
"""Benchmark 分期助手 as shoppers feel it, over REST: embedded mode (SQLite, one Rasa, one action
server, as `make run`) and production mode (PostgreSQL + Redis + 2 Rasa + 2 action servers behind
nginx, as `make run-prod`), in one run.

Per mode:
- start-up time of every process and of the whole stack, RSS after the load;
- latency against turn number: one conversation alone, ``--turns`` turns of the shopper script;
- closed loop (``--levels``, default 10/20/50 shoppers at once, each running the 6-turn script
  ``--rounds`` times): p50/p95/p99, msg/s, errors, bare NLU parse (``POST /model/parse``) at the
  same concurrency and the e2e/parse p50 ratio, CPU-ms per message of every process;
- open loop (``--rates``, default 6.7 and 33.3 msg/s: 20 and 100 shoppers): shoppers each sending
  one message every 3 s whether or not the bot is keeping up; latency counts from the scheduled
  send (queueing included);
- with ``--profile``, where a Rasa process and an action server spend their time (py-spy).

Every simulated shopper is an authenticated demo user (signed token in the REST metadata).
Servers run on free loopback ports, state in a temporary directory; every loop is bounded in count
and time. Writes Markdown (``--out docs/benchmarks.md``) and SVG plots next to it (``img/``).

    .venv/bin/python scripts/bench.py [--quick] [--modes embedded,prod] [--levels 10,20,50]
        [--rounds 2] [--rates 6.7,33.3] [--open-seconds 30] [--turns 200] [--profile]
        [--model models/fenqi.tar.gz] [--out docs/benchmarks.md] [--json FILE]

The stacks are the launchers of `make run` (``deploy.embedded.EmbeddedStack``) and `make run-prod`
(``deploy.cluster.ProdStack``) themselves. For an A/B comparison run this script in two
checkouts (each with its own `make setup`) back to back (``--json`` each, ``--before`` to draw
the first beside the second).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import random
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import aiohttp
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from deploy.cluster import BIN, MODEL, Ports, ProdStack  # noqa: E402
from deploy.services import child_pids, free_port, install_missing  # noqa: E402
from fenqi.identity import issue_token  # noqa: E402

GREETING, DUE, EARLY, RESERVE, THANKS = "你好", "我这个月要还多少钱", "那提前还呢？", "备用金怎么用", "谢谢"
FALLBACK_TURN = "小米分期怎么还款"
PARSE_TEXTS = [GREETING, DUE, EARLY, RESERVE, THANKS, FALLBACK_TURN]
SCRIPT_TEXT = "你好 → 我这个月要还多少钱 → order button → 那提前还呢？ → 备用金怎么用 → 谢谢"
OPEN_PERIOD_S = 3.0  # an open-loop shopper sends one message every 3 s
TARGETS = {"msgs_per_s_at_20": 40.0, "e2e_over_parse_p50": 2.0, "turn_growth": 1.2,
           "open_p95_ms": 150.0, "startup_s": 20.0}
CLK_TCK = os.sysconf("SC_CLK_TCK")


# --- process accounting -----------------------------------------------------------------------
def cpu_seconds(pid: int) -> float:
    """User + system CPU of ``pid`` and its live children (s; 0 if gone)."""
    total = 0
    for p in [pid, *child_pids(pid)]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return total / CLK_TCK


def self_cpu_seconds() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def load_text() -> str:
    return f"nproc {os.cpu_count()}, load {', '.join(f'{x:.2f}' for x in os.getloadavg())}"


# --- the stacks -------------------------------------------------------------------------------
def embedded_stack(root: Path, model: Path):
    """`make run`'s stack (deploy.embedded.EmbeddedStack, the one launcher) on free ports, state under
    ``root``: explicit development setting as the Makefile exports it, a strong random API token and
    JWT secret, demo accounts, and endpoints.yml with only its tracker file moved under ``root``."""
    from deploy.embedded import EmbeddedStack, embedded_ports

    root.mkdir(parents=True, exist_ok=True)
    endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    store = endpoints["tracker_store"]
    store["db"] = str(root / Path(store["db"]).name)
    path = root / "endpoints.yml"
    path.write_text(yaml.safe_dump(endpoints, allow_unicode=True), encoding="utf-8")
    env = {"FENQI_ENV": "development", "FENQI_JWT_SECRET": "k" + secrets.token_urlsafe(48),
           "FENQI_DATABASE_URL": f"sqlite:///{root / 'fenqi.db'}"}
    return EmbeddedStack(root, embedded_ports(free_port(), free_port()), model=model,
                         api_token_value="k" + secrets.token_urlsafe(24), seed_demo=True, endpoints=path,
                         extra_env=env)


def start_timed(stack) -> None:
    """``stack.start()`` as `make run` / `make run-prod` do it; ``ready_s``: until every process is healthy."""
    t0 = time.monotonic()
    stack.start(log=lambda _: None)
    stack.ready_s = time.monotonic() - t0


def stack_pids(stack) -> Dict[str, int]:
    """Process name -> pid of every process of the stack (PostgreSQL: its postmaster and backends)."""
    return {row["name"].split(" ")[0]: row["pid"] for row in stack.process_table() if row.get("pid")}


# --- load -------------------------------------------------------------------------------------
@dataclass
class Result:
    latencies: List[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    wall: float = 0.0
    cpu_ms_per_msg: Dict[str, float] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.latencies)

    def pct(self, q: float) -> float:
        return percentile(self.latencies, q) * 1000

    @property
    def throughput(self) -> float:
        return self.count / self.wall if self.wall else 0.0


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (nan when empty)."""
    if not values:
        return float("nan")
    data = sorted(values)
    return data[min(len(data), max(1, math.ceil(q / 100 * len(data)))) - 1]


async def _post(session: aiohttp.ClientSession, url: str, payload: dict, result: Result,
                deadline: float, since: Optional[float] = None) -> Optional[list]:
    """POST once; latency from ``since`` (the scheduled send, open loop) or from now."""
    if time.monotonic() > deadline:
        result.errors["time budget exhausted"] += 1
        return None
    t0 = time.perf_counter() if since is None else since
    try:
        async with session.post(url, json=payload) as resp:
            body = await resp.text()
            elapsed = time.perf_counter() - t0
            if resp.status != 200:
                result.errors[f"HTTP {resp.status}"] += 1
                return None
            data = json.loads(body)
    except (aiohttp.ClientError, asyncio.TimeoutError, json.JSONDecodeError) as exc:
        result.errors[type(exc).__name__] += 1
        return None
    if isinstance(data, list) and not data and "webhook" in url:
        result.errors["empty answer"] += 1
        return None
    result.latencies.append(elapsed)
    return data


class Shopper:
    """One logged-in shopper walking the 6-turn script, round after round."""

    def __init__(self, session, url: str, sender: str, token: str, result: Result, deadline: float):
        self.session, self.sender, self.token = session, sender, token
        self.endpoint, self.result, self.deadline = f"{url}/webhooks/rest/webhook", result, deadline
        self.turn, self.buttons = 0, []

    def next_text(self) -> str:
        step = self.turn % 6
        if step == 2:
            return self.buttons[-1] if self.buttons else FALLBACK_TURN
        return [GREETING, DUE, None, EARLY, RESERVE, THANKS][step]

    async def say(self, since: Optional[float] = None) -> Optional[list]:
        step = self.turn % 6
        answer = await _post(self.session, self.endpoint,
                             {"sender": self.sender, "message": self.next_text(),
                              "metadata": {"auth_token": self.token}}, self.result, self.deadline, since)
        if step == 1:
            self.buttons = [b["payload"] for m in answer or [] for b in m.get("buttons") or []
                            if "order_id" in b["payload"]]
        self.turn += 1
        return answer


def _session(concurrency: int) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60),
                                 connector=aiohttp.TCPConnector(limit=max(8, concurrency * 2)))


async def run_closed(url: str, tokens: Sequence[str], concurrency: int, turns: int, budget_s: float,
                     tag: str) -> Result:
    """``concurrency`` shoppers, each sending its next message as soon as it has the answer."""
    result = Result()
    deadline = time.monotonic() + budget_s
    async with _session(concurrency) as session:
        shoppers = [Shopper(session, url, f"bench-{tag}-{i}", tokens[i % len(tokens)], result, deadline)
                    for i in range(concurrency)]

        async def walk(s: Shopper) -> None:
            for _ in range(turns):
                await s.say()

        t0 = time.perf_counter()
        await asyncio.gather(*(walk(s) for s in shoppers))
        result.wall = time.perf_counter() - t0
    return result


async def run_open(url: str, tokens: Sequence[str], rate: float, seconds: float, tag: str) -> Result:
    """``rate × 3 s`` shoppers, each scheduled to send one message every 3 s for ``seconds``."""
    n = max(1, round(rate * OPEN_PERIOD_S))
    result = Result()
    deadline = time.monotonic() + seconds + 60
    rng = random.Random(14)
    async with _session(n) as session:
        t_start = time.perf_counter() + 0.5

        async def shopper(i: int) -> None:
            s = Shopper(session, url, f"bench-{tag}-{i}", tokens[i % len(tokens)], result, deadline)
            k, offset = 0, rng.uniform(0, OPEN_PERIOD_S)
            while offset + k * OPEN_PERIOD_S < seconds:
                scheduled = t_start + offset + k * OPEN_PERIOD_S
                await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
                await s.say(since=scheduled)  # a late answer delays the next send: counted from schedule
                k += 1

        await asyncio.gather(*(shopper(i) for i in range(n)))
        result.wall = time.perf_counter() - t_start
    return result


async def run_turns(url: str, token: str, turns: int, tag: str, pids: Dict[str, int]) -> tuple:
    """One conversation alone: the latency (s) of each of its ``turns`` turns, and the Rasa and
    action-server CPU-ms per turn of each block of 10 turns (the load-independent view)."""
    result = Result()
    rasa = [pid for name, pid in pids.items() if name.startswith("rasa")]
    actions = [pid for name, pid in pids.items() if name.startswith("actions")]
    out, cpu = [], []
    async with _session(1) as session:
        s = Shopper(session, url, f"bench-{tag}-long", token, result, time.monotonic() + 600)
        for k in range(turns):
            if k % 10 == 0:
                mark = (sum(map(cpu_seconds, rasa)), sum(map(cpu_seconds, actions)), k)
            before = result.count
            await s.say()
            out.append(result.latencies[-1] if result.count > before else float("nan"))
            if k % 10 == 9 or k == turns - 1:
                n = k + 1 - mark[2]
                cpu.append((1000 * (sum(map(cpu_seconds, rasa)) - mark[0]) / n,
                            1000 * (sum(map(cpu_seconds, actions)) - mark[1]) / n))
    return out, cpu


async def run_parse(urls: List[str], api_token: str, concurrency: int, per_client: int,
                    budget_s: float) -> Result:
    """Bare NLU parses spread over the Rasa instances' internal API (the balancer routes only the
    channels, docs/security.md)."""
    result = Result()
    deadline = time.monotonic() + budget_s
    endpoints = [f"{url}/model/parse?token={api_token}" for url in urls]
    async with _session(concurrency) as session:
        async def client(i: int) -> None:
            for k in range(per_client):
                await _post(session, endpoints[(i + k) % len(endpoints)], {"text": PARSE_TEXTS[(i + k) % len(PARSE_TEXTS)]}, result,
                            deadline)
        t0 = time.perf_counter()
        await asyncio.gather(*(client(i) for i in range(concurrency)))
        result.wall = time.perf_counter() - t0
    return result


def measured(pids: Dict[str, int], coro) -> Result:
    """Run a load coroutine; attach each process's CPU-ms per answered message."""
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    gen_before = self_cpu_seconds()
    result = asyncio.run(coro)
    n = max(1, result.count)
    result.cpu_ms_per_msg = {name: 1000 * (cpu_seconds(pid) - before[name]) / n for name, pid in pids.items()}
    result.cpu_ms_per_msg["load generator"] = 1000 * (self_cpu_seconds() - gen_before) / n
    return result


# --- profiling --------------------------------------------------------------------------------
def profile_during(pid: int, seconds: int, out: Path) -> Optional[subprocess.Popen]:
    spy = shutil.which("py-spy") or str(BIN / "py-spy")
    if not Path(spy).exists():
        return None
    return subprocess.Popen([spy, "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "50",
                             "--format", "raw", "--output", str(out), "--nonblocking"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


PROFILE_BUCKETS = {  # (label, frame substring); the first bucket with a frame in the stack wins
    "rasa": [
        ("action-response JSON-schema check", "_validate_action_result"),
        ("tracker store: save events (SQL)", "TrackerStore.save"),
        ("tracker store: load conversation (SQL, or the cached tracker)", "TrackerStore.retrieve"),
        ("lock store (Redis)", "lock_store.py"),
        ("intent classifier (n-gram TF-IDF + linear SVMs)", "NgramIntentClassifier.process"),
        ("spaCy pipeline, tokenizer, entities", "Spacy"),
        ("rest of NLU (graph, fallback, bookkeeping)", "_parse_message_with_graph"),
        ("action server call (HTTP, JSON of the tracker)", "RemoteAction.run"),
        ("RulePolicy", "RulePolicy.predict_action_probabilities"),
        ("MemoizationPolicy", "MemoizationPolicy.predict_action_probabilities"),
        ("rest of dialogue prediction (graph, ensemble)", "_predict_next_with_tracker"),
        ("prediction loop bookkeeping (tracker copies, events)", "_run_prediction_loop"),
        ("rest of message handling (session, slots, NLU bookkeeping)", "handle_message"),
        ("REST channel (token check, request, response)", "channels/"),
    ],
    "actions": [
        ("service status (SQL: maintenance, suspensions, regions)", "load_service_status"),
        ("account snapshot (SQL: user, credit, orders, bills, cart)", "load_snapshot"),
        ("open handoff ticket notice (SQL)", "open_ticket_notice"),
        ("token check", "verify_token"),
        ("answer text (core, pure)", "fenqi/answers"),
        ("rest of our actions", "actions/"),
        ("rasa-sdk (tracker from JSON, response)", "rasa_sdk/"),
    ],
}


def summarise_profile(raw: Path, buckets: List[tuple], top: int = 14) -> List[tuple]:
    """Share of a process's wall-clock samples per part of the message pipeline."""
    counts: Counter = Counter()
    total = 0
    if not raw.exists():
        return []
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        total += int(n)
        label = next((lab for lab, key in buckets if key in stack), "HTTP server, event loop, idle")
        counts[label] += int(n)
    return [(label, 100.0 * c / total) for label, c in counts.most_common(top)] if total else []


# --- driver -----------------------------------------------------------------------------------
@dataclass
class ModeReport:
    mode: str
    processes: List[dict]
    ready_s: float = 0.0
    load: str = ""
    closed: List[dict] = field(default_factory=list)
    open: List[dict] = field(default_factory=list)
    turns: List[float] = field(default_factory=list)
    turn_cpu: List[tuple] = field(default_factory=list)  # (rasa, actions) CPU-ms per turn, per 10 turns
    profile: Dict[str, List[tuple]] = field(default_factory=dict)  # process -> (part, share %)


def _user_ids(database_url: str) -> List[str]:
    from fenqi.accounts.repository import list_users
    from fenqi.db.engine import make_engine, make_session_factory, session_scope

    engine = make_engine(database_url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            return [u.user_id for u in list_users(session)]
    finally:
        engine.dispose()


PROFILE_SECONDS = 15


def profile_pass(mode: str, url: str, tokens: Sequence[str], pids: Dict[str, int], workdir: Path,
                 keep: Optional[str] = None) -> Dict[str, list]:
    """py-spy the first Rasa instance and the first action server for PROFILE_SECONDS while 20
    shoppers keep talking (a pass of its own: the measured runs are not slowed by the sampler)."""
    spies = {}
    for kind in ("rasa", "actions"):
        name = f"{kind}-1"
        if name in pids:
            spies[kind] = (profile_during(pids[name], PROFILE_SECONDS, workdir / f"profile-{mode}-{kind}.raw"),
                           workdir / f"profile-{mode}-{kind}.raw")
    if not any(spy for spy, _ in spies.values()):
        return {}
    time.sleep(1)  # py-spy attached
    asyncio.run(run_closed(url, tokens, 20, 10_000, PROFILE_SECONDS, f"{mode}-profile"))  # until the time is up
    out = {}
    for kind, (spy, raw) in spies.items():
        if spy is None:
            continue
        try:
            spy.wait(timeout=30)
        except subprocess.TimeoutExpired:
            spy.kill()
        out[kind] = summarise_profile(raw, PROFILE_BUCKETS[kind])
        if keep:
            shutil.copy(raw, keep + f"-{mode}-{kind}.raw")
    return out


def bench_mode(mode: str, stack, url: str, args, profile: bool, workdir: Path) -> ModeReport:
    """Every measurement of one mode against a started ``stack`` (``url``: where shoppers post)."""
    api_token = stack.api_token
    users = _user_ids(stack.env["FENQI_DATABASE_URL"])
    tokens = [issue_token(u, stack.jwt_secret, ttl=3600) for u in users]
    pids = stack_pids(stack)
    startup_cpu = {name: cpu_seconds(pid) for name, pid in pids.items()}  # just after ready
    report = ModeReport(mode, stack.process_table(), ready_s=stack.ready_s, load=load_text())
    asyncio.run(run_closed(url, tokens, 4, 6, 60, f"{mode}-warmup"))  # load lazy parts
    parse_urls = list(getattr(stack, "rasa_urls", None) or [url])
    asyncio.run(run_parse(parse_urls, api_token, 4, 5, 30))
    report.turns, report.turn_cpu = asyncio.run(run_turns(url, tokens[0], args.turns, mode, pids))
    print(f"   {mode:<9} {args.turns} turns alone: first 10 p50 {1000 * percentile(report.turns[:10], 50):.0f} ms, "
          f"last 10 p50 {1000 * percentile(report.turns[-10:], 50):.0f} ms ({load_text()})", flush=True)
    for level in args.level_list:
        conv = measured(pids, run_closed(url, tokens, level, 6 * args.rounds, args.budget, f"{mode}-{level}"))
        parse = measured(pids, run_parse(parse_urls, api_token, level, max(1, conv.count // level), args.budget))
        report.closed.append({"level": level, "conv": conv, "parse": parse, "load": load_text()})
        print(f"   {mode:<9} {level:>3} closed: {conv.count} msgs, p50 {conv.pct(50):.0f} ms, "
              f"p95 {conv.pct(95):.0f} ms, {conv.throughput:.1f} msg/s, errors {sum(conv.errors.values())}; "
              f"parse p50 {parse.pct(50):.0f} ms ({load_text()})", flush=True)
    for rate in args.rate_list:
        res = measured(pids, run_open(url, tokens, rate, args.open_seconds, f"{mode}-open-{rate}"))
        report.open.append({"rate": rate, "res": res, "load": load_text()})
        print(f"   {mode:<9} open {rate:g} msg/s: {res.count} msgs, p50 {res.pct(50):.0f} ms, "
              f"p95 {res.pct(95):.0f} ms, p99 {res.pct(99):.0f} ms, errors {sum(res.errors.values())} "
              f"({load_text()})", flush=True)
    if profile:
        report.profile = profile_pass(mode, url, tokens, pids, workdir, keep=args.keep_profile)
    report.processes = stack.process_table()  # RSS after load
    for proc in report.processes:
        proc["startup_cpu_s"] = startup_cpu.get(proc["name"], startup_cpu.get(proc["name"].split(" ")[0]))
    return report


# --- report -----------------------------------------------------------------------------------
def turn_buckets(turns: List[float], size: int = 10) -> List[tuple]:
    return [(i + 1, min(i + size, len(turns)), 1000 * percentile([t for t in turns[i:i + size] if t == t], 50))
            for i in range(0, len(turns), size)]


def turn_growth(turns: List[float]) -> float:
    """p50 of turns 111–120 over p50 of turns 1–10 (or the last ten when shorter)."""
    late = turns[110:120] if len(turns) >= 120 else turns[-10:]
    first = percentile(turns[:10], 50)
    return percentile(late, 50) / first if first else float("nan")


def _row(rows: List[dict], key: str, value) -> Optional[dict]:
    return next((r for r in rows if r[key] == value), None)


def summary_rows(rep: ModeReport) -> List[tuple]:
    """(figure, value, target, met) for the issue-#14 table."""
    out = []
    c20 = _row(rep.closed, "level", 20)
    if c20:
        c, p = c20["conv"], c20["parse"]
        out.append(("throughput, 20 shoppers closed loop", f"{c.throughput:.1f} msg/s", "≥ 40 msg/s",
                    c.throughput >= TARGETS["msgs_per_s_at_20"] and not c.errors))
        ratio = c.pct(50) / p.pct(50)
        out.append(("e2e p50 / parse p50 at 20", f"{ratio:.1f}× ({c.pct(50):.0f} / {p.pct(50):.0f} ms)", "≤ 2×",
                    ratio <= TARGETS["e2e_over_parse_p50"]))
    if rep.turns:
        g = turn_growth(rep.turns)
        late = "111–120" if len(rep.turns) >= 120 else f"last 10 of {len(rep.turns)}"
        out.append((f"p50 turns {late} / turns 1–10, one conversation", f"{g:.2f}×", "≤ 1.2×",
                    g <= TARGETS["turn_growth"]))
    for o in rep.open:
        r = o["res"]
        out.append((f"open loop {o['rate']:g} msg/s ({round(o['rate'] * OPEN_PERIOD_S)} shoppers × 1 msg/3 s) p95",
                    f"{r.pct(95):.0f} ms" + (f" ({sum(r.errors.values())} errors)" if r.errors else ""),
                    "≤ 150 ms", r.pct(95) <= TARGETS["open_p95_ms"] and not r.errors))
    out.append(("stack ready (start-up)", f"{rep.ready_s:.1f} s", "≤ 20 s", rep.ready_s <= TARGETS["startup_s"]))
    return out


def render(reports: List[ModeReport], args, started: str, plots: Dict[str, str]) -> str:
    lines = ["# Benchmarks", "",
             f"Measured by `make bench` (`scripts/bench.py{' --quick' if args.quick else ''}`) on {started}: {platform.machine()}, "
             f"{load_text_at(args)}, Python {platform.python_version()}, loopback only. The machine's cores "
             "are shared with other work: absolute figures move with the load average (given beside each "
             "figure); compare before/after only from back-to-back runs.", "",
             f"Every simulated shopper is an authenticated demo user (signed token in the REST metadata) "
             f"walking a 6-turn script ({SCRIPT_TEXT}); closed-loop shoppers run it {args.rounds}× "
             f"({6 * args.rounds} turns) and send the next message as soon as they have the answer; open-loop "
             "shoppers send one message every 3 s whatever the bot does, and their latency counts from the "
             "scheduled send. Latency is per message, client side, REST `/webhooks/rest/webhook`; *parse* is "
             "bare NLU (`POST /model/parse`) at the same concurrency.", ""]
    for rep in reports:
        lines += [f"## {rep.mode}", "", "| figure | value | target | |", "|---|---:|---:|---|"]
        lines += [f"| {name} | {value} | {target} | {'met' if ok else 'MISSED'} |"
                  for name, value, target, ok in summary_rows(rep)]
        lines += ["", f"Closed loop ({rep.mode}):", "",
                  "| shoppers | messages | p50 ms | p95 ms | p99 ms | msg/s | errors | parse p50 ms | "
                  "parse req/s | e2e/parse p50 | Rasa CPU-ms per message / per parse | load |",
                  "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
        for row in rep.closed:
            c, p = row["conv"], row["parse"]
            lines.append(f"| {row['level']} | {c.count} | {c.pct(50):.0f} | {c.pct(95):.0f} | {c.pct(99):.0f} | "
                         f"{c.throughput:.1f} | {_errors(c)} | {p.pct(50):.0f} | {p.throughput:.0f} | "
                         f"{c.pct(50) / p.pct(50):.1f}× | {_rasa_cpu(c):.1f} / {_rasa_cpu(p):.1f} | {row['load']} |")
        lines += ["", f"Open loop ({rep.mode}; {args.open_seconds:g} s per rate):", "",
                  "| arrival msg/s | shoppers | messages | p50 ms | p95 ms | p99 ms | errors | load |",
                  "|---:|---:|---:|---:|---:|---:|---:|---|"]
        for o in rep.open:
            r = o["res"]
            lines.append(f"| {o['rate']:g} | {round(o['rate'] * OPEN_PERIOD_S)} | {r.count} | {r.pct(50):.0f} | "
                         f"{r.pct(95):.0f} | {r.pct(99):.0f} | {_errors(r)} | {o['load']} |")
        names = list(rep.closed[0]["conv"].cpu_ms_per_msg) if rep.closed else []
        if names:
            lines += ["", "CPU-ms per answered message, per process (user + system, closed loop; "
                          "postgres counts all its backends):", "",
                      "| shoppers | " + " | ".join(names) + " |", "|---:|" + "---:|" * len(names)]
            for row in rep.closed:
                cpu = row["conv"].cpu_ms_per_msg
                lines.append(f"| {row['level']} | " + " | ".join(f"{cpu.get(n, 0):.1f}" for n in names) + " |")
        if rep.turns:
            lines += ["", f"Latency against turn number, one conversation alone ({len(rep.turns)} turns), p50 "
                          "per 10 turns (ms):", "",
                      "| turns | " + " | ".join(f"{a}–{b}" for a, b, _ in turn_buckets(rep.turns)) + " |",
                      "|---|" + "---:|" * len(turn_buckets(rep.turns)),
                      "| p50 ms | " + " | ".join(f"{v:.0f}" for _, _, v in turn_buckets(rep.turns)) + " |",
                      "| Rasa CPU-ms/turn | " + " | ".join(f"{r:.0f}" for r, _ in rep.turn_cpu) + " |",
                      "| actions CPU-ms/turn | " + " | ".join(f"{a:.0f}" for _, a in rep.turn_cpu) + " |"]
        lines += ["", f"Processes (start-up until healthy; RSS after the load; whole stack ready in "
                      f"{rep.ready_s:.1f} s, {rep.load}):", "",
                  "| process | start-up s | CPU s used until ready | RSS MiB |", "|---|---:|---:|---:|"]
        for proc in rep.processes:
            start = f"{proc['startup_s']:.1f}" if proc.get("startup_s") is not None else "–"
            cpu = f"{proc['startup_cpu_s']:.1f}" if proc.get("startup_cpu_s") is not None else "–"
            lines.append(f"| {proc['name']} | {start} | {cpu} | {proc['rss_mb']:.0f} |")
        for kind, shares in rep.profile.items():
            what = "a Rasa process" if kind == "rasa" else "an action server"
            lines += ["", f"Where {what} spends its time at 20 concurrent ({rep.mode}; py-spy, "
                          f"{PROFILE_SECONDS} s of wall-clock samples of the event-loop thread; blocking I/O "
                          "counts):", "", "| part | share |", "|---|---:|"]
            lines += [f"| {label} | {share:.0f} % |" for label, share in shares]
        lines.append("")
    if plots:
        lines += ["## Plots", ""] + [f"![{title}]({path})" for title, path in plots.items()] + [""]
    if args.notes and Path(args.notes).exists():
        lines += [Path(args.notes).read_text(encoding="utf-8").strip(), ""]
    return "\n".join(lines)


def load_text_at(args) -> str:
    return f"nproc {os.cpu_count()}, load average before the run {args.load_before}"


def _rasa_cpu(r: Result) -> float:
    """CPU-ms of all Rasa processes per answered request."""
    return sum(v for k, v in r.cpu_ms_per_msg.items() if k.startswith("rasa"))


def _errors(r: Result) -> str:
    n = sum(r.errors.values())
    return f"{n}" + (f" ({', '.join(f'{k}: {v}' for k, v in r.errors.items())})" if n else "")


def write_plots(reports: List[ModeReport], out_dir: Path, before: Optional[dict] = None) -> Dict[str, str]:
    """latency vs turn and latency vs load, as SVG under ``out_dir`` (matplotlib, from Rasa's lock);
    ``before``: a previous run's ``--json`` figures, drawn dotted beside this run's."""
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "fenqi-bench"  # stable ids: diffs show only changed figures
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    plots = {}
    fig, (ax, cpu_ax) = plt.subplots(1, 2, figsize=(10, 3.6))
    series = [(rep.mode, rep.turns, rep.turn_cpu, "-") for rep in reports]
    series += [(f"{mode} before", [t / 1000 for t in m.get("turns_ms", [])], m.get("turn_cpu_ms") or [], ":")
               for mode, m in (before or {}).items()]
    for label, turns, cpu, style in series:
        if not turns:
            continue
        xs = [(a + b) / 2 for a, b, _ in turn_buckets(turns)]
        line, = ax.plot(xs, [v for _, _, v in turn_buckets(turns)], style, label=f"{label} (p50 per 10 turns)")
        if style == "-":
            ax.plot(range(1, len(turns) + 1), [1000 * t for t in turns], ".", ms=2, alpha=0.3,
                    color=line.get_color())
        if cpu:
            cpu_ax.plot(xs[:len(cpu)], [c[0] for c in cpu], style, color=line.get_color(), label=label)
    ax.set_xlabel("turn number in one conversation")
    ax.set_ylabel("latency ms")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize="small")
    cpu_ax.set_xlabel("turn number in one conversation")
    cpu_ax.set_ylabel("Rasa CPU-ms per turn (per 10 turns)")
    cpu_ax.set_ylim(bottom=0)
    cpu_ax.legend(fontsize="small")
    for a in (ax, cpu_ax):
        a.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out_dir / "bench-latency-vs-turn.svg", metadata={"Date": None})
    plt.close(fig)
    plots["latency against turn number"] = "img/bench-latency-vs-turn.svg"

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
    for rep in reports:
        for ax, rows, x, res in ((left, rep.closed, "level", "conv"), (right, rep.open, "rate", "res")):
            xs = [r[x] for r in rows]
            line, = ax.plot(xs, [r[res].pct(95) for r in rows], "o-", label=f"{rep.mode} p95")
            ax.plot(xs, [r[res].pct(50) for r in rows], "s--", color=line.get_color(), label=f"{rep.mode} p50")
            old = (before or {}).get(rep.mode, {}).get("closed" if res == "conv" else "open", [])
            if old:
                ax.plot([r[x] for r in old], [r[res]["p95"] for r in old], "o:", color=line.get_color(),
                        alpha=0.6, label=f"{rep.mode} p95 before")
    for ax in (left, right):
        ax.axhline(TARGETS["open_p95_ms"], color="grey", lw=0.8, ls=":")
        ax.set_yscale("log")
        ax.grid(alpha=0.3)
    left.set_xlabel("closed loop: shoppers at once")
    right.set_xlabel("open loop: arrival rate, msg/s")
    left.set_ylabel("latency ms (dotted: 150 ms)")
    right.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(out_dir / "bench-latency-vs-load.svg", metadata={"Date": None})
    plt.close(fig)
    plots["latency against load"] = "img/bench-latency-vs-load.svg"
    return plots


def to_json(reports: List[ModeReport]) -> dict:
    def res(r: Result) -> dict:
        return {"count": r.count, "p50": r.pct(50), "p95": r.pct(95), "p99": r.pct(99),
                "msg_s": r.throughput, "errors": dict(r.errors), "cpu_ms_per_msg": r.cpu_ms_per_msg}
    return {rep.mode: {"ready_s": rep.ready_s, "processes": rep.processes, "turns_ms": [1000 * t for t in rep.turns],
                       "turn_cpu_ms": rep.turn_cpu,
                       "closed": [{"level": r["level"], "load": r["load"], "conv": res(r["conv"]),
                                   "parse": res(r["parse"])} for r in rep.closed],
                       "open": [{"rate": o["rate"], "load": o["load"], "res": res(o["res"])} for o in rep.open],
                       "profile": rep.profile} for rep in reports}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="a few minutes: embedded only, 10/20 shoppers, 1 round, 12 s open loop, 120 turns")
    parser.add_argument("--levels", help="closed-loop shoppers (default 10,20,50)")
    parser.add_argument("--rounds", type=int, help="script repetitions per closed-loop shopper (default 2)")
    parser.add_argument("--rates", help="open-loop arrival rates msg/s (default 6.7,33.3)")
    parser.add_argument("--open-seconds", type=float, help="duration of each open-loop run (default 30)")
    parser.add_argument("--turns", type=int, help="turns of the one long conversation (default 200)")
    parser.add_argument("--modes", help="embedded,prod (default both; --quick: embedded)")
    parser.add_argument("--budget", type=float, default=180, help="seconds per closed-loop run (hard cap)")
    parser.add_argument("--profile", action="store_true",
                        help="py-spy a Rasa process and an action server at 20 concurrent (a 15 s pass of its own)")
    parser.add_argument("--keep-profile", metavar="PREFIX",
                        help="with --profile: also keep py-spy's raw output as PREFIX-<mode>-<kind>.raw")
    parser.add_argument("--model", type=Path, default=MODEL)
    parser.add_argument("--notes", help="Markdown appended to the report (analysis)")
    parser.add_argument("--out", type=Path, help="write the Markdown report here (plots in img/ beside it)")
    parser.add_argument("--json", type=Path, help="also write the raw figures as JSON")
    parser.add_argument("--before", type=Path, help="a previous run's --json, drawn dotted in the plots")
    args = parser.parse_args(argv)
    quick = args.quick
    args.level_list = [int(x) for x in (args.levels or ("10,20" if quick else "10,20,50")).split(",") if x]
    args.rate_list = [float(x) for x in (args.rates or "6.7,33.3").split(",") if x]
    args.rounds = args.rounds or (1 if quick else 2)
    args.open_seconds = args.open_seconds or (12.0 if quick else 30.0)
    args.turns = args.turns or (120 if quick else 200)
    modes = (args.modes or ("embedded" if quick else "embedded,prod")).split(",")
    if not args.model.exists():
        print(f"!! no trained model at {args.model}: run `make train`", file=sys.stderr)
        return 1
    args.load_before = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    started = time.strftime("%Y-%m-%d %H:%M")
    workdir = Path(tempfile.mkdtemp(prefix="fenqi-bench-"))
    os.chmod(workdir, 0o755)  # the postgres user needs to reach its data directory
    reports: List[ModeReport] = []
    t_all = time.monotonic()
    try:
        for mode in modes:
            if mode == "embedded":
                stack = embedded_stack(workdir / "embedded", args.model.resolve())
            elif mode == "prod":
                missing = install_missing()
                if missing:
                    print(f"!! production mode skipped: {missing} missing", file=sys.stderr)
                    continue
                stack = ProdStack(workdir / "prod", Ports.random(2, 2), model=args.model.resolve())
            else:
                parser.error(f"unknown mode {mode!r}")
            start_timed(stack)
            print(f">> {mode} mode ready in {stack.ready_s:.1f} s ({load_text()})", flush=True)
            try:
                url = stack.rasa_url if mode == "embedded" else stack.balancer_url
                reports.append(bench_mode(mode, stack, url, args, args.profile, workdir))
            finally:
                stack.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    before = json.loads(args.before.read_text(encoding="utf-8")) if args.before else None
    plots = write_plots(reports, args.out.parent / "img", before) if args.out else {}
    text = render(reports, args, started, plots)
    text = text.replace("\n## Plots", f"\nWhole run: {time.monotonic() - t_all:.0f} s.\n\n## Plots", 1)
    if args.json:
        args.json.write_text(json.dumps(to_json(reports), indent=1, default=str), encoding="utf-8")
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        print(f">> wrote {args.out}")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
