#!/usr/bin/env python
"""Benchmark 分期助手 over REST: embedded mode (SQLite, one Rasa) and production mode
(PostgreSQL + Redis + 2 Rasa + 2 action servers behind nginx), side by side.

For each mode and each concurrency level (default 10/20/50 conversations at once) every
simulated shopper logs in as a demo user (signed token in the REST metadata) and runs a
realistic multi-turn script (greeting, amount due, order button, early-repayment follow-up,
备用金 question, thanks). Reported: p50/p95/p99 latency, throughput, errors, and bare NLU
parsing (``POST /model/parse``) at the same concurrency as the floor; start-up time and RSS of
every process. Servers run on loopback ports of their own, state in a temporary directory.
Every loop is bounded in count and time. Writes Markdown (``--out docs/benchmarks.md``).

    .venv/bin/python scripts/bench.py [--levels 10,20,50] [--rounds 2] [--modes embedded,prod]
                                      [--profile] [--out docs/benchmarks.md]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from deploy.cluster import BIN, MODEL, Ports, Proc, ProdStack  # noqa: E402
from deploy.services import free_port, install_missing  # noqa: E402
from fenqi.identity import issue_token  # noqa: E402

GREETING, DUE, EARLY, RESERVE, THANKS = "你好", "我这个月要还多少钱", "那提前还呢？", "备用金怎么用", "谢谢"
FALLBACK_TURN = "小米分期怎么还款"
PARSE_TEXTS = [GREETING, DUE, EARLY, RESERVE, THANKS, FALLBACK_TURN]
TARGETS = {"p95_ms_at_20": 150.0, "msgs_per_s_at_20": 40.0, "e2e_over_parse_p50": 2.0}


# --- the stacks -------------------------------------------------------------------------------
@dataclass
class EmbeddedStack:
    """scripts/run.sh's layout: one action server, one Rasa with the SQLite tracker, SQLite accounts."""

    root: Path
    secret: str = "bench-secret-0123456789-0123456789-0123456789"
    api_token: str = "bench-api-token"
    procs: Dict[str, Proc] = field(default_factory=dict)

    def start(self, timeout: float = 300) -> "EmbeddedStack":
        self.root.mkdir(parents=True, exist_ok=True)
        self.rasa_port, self.actions_port = free_port(), free_port()
        self.env = dict(os.environ, FENQI_DATABASE_URL=f"sqlite:///{self.root / 'fenqi.db'}",
                        FENQI_VAR_DIR=str(self.root), FENQI_JWT_SECRET=self.secret,
                        SQLALCHEMY_SILENCE_UBER_WARNING="1", TF_CPP_MIN_LOG_LEVEL="2",
                        RASA_TELEMETRY_ENABLED="false", PYTHONWARNINGS="ignore", SANIC_HOST="127.0.0.1")
        for args in (("db", "init"), ("db", "seed-demo")):
            subprocess.run([str(BIN / "python"), "-m", "fenqi", *args], cwd=ROOT, env=self.env, check=True,
                           capture_output=True, timeout=120)
        endpoints = self.root / "endpoints.yml"
        endpoints.write_text(f'action_endpoint:\n  url: "http://127.0.0.1:{self.actions_port}/webhook"\n'
                             f'tracker_store:\n  type: SQL\n  dialect: "sqlite"\n'
                             f'  db: "{self.root / "tracker.db"}"\n', encoding="utf-8")
        self._spawn("actions", [str(BIN / "rasa"), "run", "actions", "--actions", "actions",
                                "--port", str(self.actions_port)])
        self._spawn("rasa", [str(BIN / "rasa"), "run", "--enable-api", "--port", str(self.rasa_port),
                             "-i", "127.0.0.1", "--model", str(MODEL), "--endpoints", str(endpoints),
                             "--credentials", str(ROOT / "credentials.yml"), "--auth-token", self.api_token])
        health = {"actions": f"http://127.0.0.1:{self.actions_port}/health",
                  "rasa": f"http://127.0.0.1:{self.rasa_port}/status?token={self.api_token}"}
        _wait_ready(self.procs, health, timeout)
        return self

    def _spawn(self, name: str, args: List[str]) -> None:
        log = self.root / f"{name}.log"
        with open(log, "w", encoding="utf-8") as fh:
            popen = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=fh, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        self.procs[name] = Proc(name, popen, log, time.monotonic())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    def process_table(self) -> List[dict]:
        return [{"name": p.name, "pid": p.popen.pid, "startup_s": p.ready_after, "rss_mb": p.rss_mb}
                for p in self.procs.values()]

    def stop(self) -> None:
        for p in self.procs.values():
            if p.popen.poll() is None:
                p.popen.terminate()
        for p in self.procs.values():
            try:
                p.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.popen.kill()


def _wait_ready(procs: Dict[str, Proc], health: Dict[str, str], timeout: float) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while any(p.ready_after is None for p in procs.values()):
        for name, proc in procs.items():
            if proc.popen.poll() is not None:
                raise RuntimeError(f"{name} exited while starting; see {proc.log}")
            if proc.ready_after is None:
                try:
                    if requests.get(health[name], timeout=2).ok:
                        proc.ready_after = time.monotonic() - proc.started_at
                except requests.RequestException:
                    pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"not ready after {timeout:.0f} s")
        time.sleep(0.3)


# --- load -------------------------------------------------------------------------------------
@dataclass
class Result:
    latencies: List[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    wall: float = 0.0

    @property
    def count(self) -> int:
        return len(self.latencies)

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        data = sorted(self.latencies)
        return data[min(len(data), max(1, math.ceil(q / 100 * len(data)))) - 1] * 1000  # nearest rank

    @property
    def throughput(self) -> float:
        return self.count / self.wall if self.wall else 0.0


async def _post(session: aiohttp.ClientSession, url: str, payload: dict, result: Result,
                deadline: float) -> Optional[list]:
    if time.monotonic() > deadline:
        result.errors["time budget exhausted"] += 1
        return None
    t0 = time.perf_counter()
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


async def _conversation(session, url: str, sender: str, token: str, rounds: int, result: Result,
                        deadline: float) -> None:
    """One shopper: the script, ``rounds`` times (a later round is the same user coming back)."""
    endpoint = f"{url}/webhooks/rest/webhook"

    async def say(text: str) -> Optional[list]:
        return await _post(session, endpoint, {"sender": sender, "message": text,
                                               "metadata": {"auth_token": token}}, result, deadline)

    for _ in range(rounds):
        await say(GREETING)
        answer = await say(DUE) or []
        buttons = [b["payload"] for m in answer for b in m.get("buttons") or [] if "order_id" in b["payload"]]
        await say(buttons[-1] if buttons else FALLBACK_TURN)
        await say(EARLY)
        await say(RESERVE)
        await say(THANKS)


async def run_conversations(url: str, tokens: Sequence[str], concurrency: int, rounds: int,
                            budget_s: float, tag: str) -> Result:
    result = Result()
    deadline = time.monotonic() + budget_s
    timeout = aiohttp.ClientTimeout(total=60)
    connector = aiohttp.TCPConnector(limit=concurrency * 2)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        t0 = time.perf_counter()
        await asyncio.gather(*(
            _conversation(session, url, f"bench-{tag}-{concurrency}-{i}", tokens[i % len(tokens)], rounds,
                          result, deadline) for i in range(concurrency)))
        result.wall = time.perf_counter() - t0
    return result


async def run_parse(url: str, api_token: str, concurrency: int, per_client: int, budget_s: float) -> Result:
    result = Result()
    deadline = time.monotonic() + budget_s
    endpoint = f"{url}/model/parse?token={api_token}"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60),
                                     connector=aiohttp.TCPConnector(limit=concurrency * 2)) as session:
        async def client(i: int) -> None:
            for k in range(per_client):
                await _post(session, endpoint, {"text": PARSE_TEXTS[(i + k) % len(PARSE_TEXTS)]}, result,
                            deadline)
        t0 = time.perf_counter()
        await asyncio.gather(*(client(i) for i in range(concurrency)))
        result.wall = time.perf_counter() - t0
    return result


# --- profiling --------------------------------------------------------------------------------
def profile_during(pid: int, seconds: int, out: Path) -> Optional[subprocess.Popen]:
    spy = shutil.which("py-spy") or str(BIN / "py-spy")
    if not Path(spy).exists():
        return None
    return subprocess.Popen([spy, "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "50",
                             "--format", "raw", "--output", str(out), "--nonblocking"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


PROFILE_BUCKETS = [  # (label, frame substring); the first bucket with a frame in the stack wins
    ("action-response JSON-schema check", "_validate_action_result"),
    ("tracker store: save events (SQL)", "SQLTrackerStore.save"),
    ("tracker store: load conversation (SQL)", "SQLTrackerStore.retrieve"),
    ("lock store (Redis)", "lock_store.py"),
    ("TED policy inference (TensorFlow)", "TEDPolicy.predict_action_probabilities"),
    ("DIET intent classifier (TensorFlow)", "DIETClassifier.process"),
    ("rest of NLU (spaCy/jieba, featurizers)", "_parse_message_with_graph"),
    ("action server call (HTTP)", "RemoteAction.run"),
    ("rest of dialogue prediction (rules, memo, featurisation)", "_run_prediction_loop"),
    ("rest of message handling", "handle_message"),
]


def summarise_profile(raw: Path, top: int = 10) -> List[tuple]:
    """Share of the Rasa process's wall-clock samples per part of the message pipeline."""
    counts: Counter = Counter()
    total = 0
    if not raw.exists():
        return []
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        total += int(n)
        label = next((lab for lab, key in PROFILE_BUCKETS if key in stack), "HTTP server, event loop, idle")
        counts[label] += int(n)
    return [(label, 100.0 * c / total) for label, c in counts.most_common(top)] if total else []


# --- driver -----------------------------------------------------------------------------------
@dataclass
class ModeReport:
    mode: str
    processes: List[dict]
    rows: List[dict] = field(default_factory=list)
    profile: List[tuple] = field(default_factory=list)
    startup_total_s: float = 0.0


def _user_ids(database_url: str) -> List[str]:
    from fenqi.accounts.repository import list_users
    from fenqi.db.engine import make_engine, make_session_factory, session_scope

    engine = make_engine(database_url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            return [u.user_id for u in list_users(session)]
    finally:
        engine.dispose()


def bench_mode(mode: str, stack, url: str, api_token: str, secret: str, database_url: str,
               levels: Sequence[int], rounds: int, budget_s: float, profile_pid: Optional[int],
               workdir: Path, startup_total_s: float) -> ModeReport:
    users = _user_ids(database_url)
    tokens = [issue_token(u, secret, ttl=3600) for u in users]
    report = ModeReport(mode, stack.process_table(), startup_total_s=startup_total_s)
    asyncio.run(run_conversations(url, tokens, 4, 1, 60, f"{mode}-warmup"))  # load lazy parts
    asyncio.run(run_parse(url, api_token, 4, 5, 30))
    for level in levels:
        spy = None
        if profile_pid and level == 20:
            spy = profile_during(profile_pid, 15, workdir / f"profile-{mode}.raw")
        conv = asyncio.run(run_conversations(url, tokens, level, rounds, budget_s, mode))
        if spy is not None:
            try:
                spy.wait(timeout=30)
            except subprocess.TimeoutExpired:
                spy.kill()
            report.profile = summarise_profile(workdir / f"profile-{mode}.raw")
            if os.environ.get("BENCH_KEEP_PROFILE"):
                shutil.copy(workdir / f"profile-{mode}.raw", os.environ["BENCH_KEEP_PROFILE"] + f"-{mode}.raw")
        parse = asyncio.run(run_parse(url, api_token, level, max(1, conv.count // level), budget_s))
        report.rows.append({"level": level, "conv": conv, "parse": parse})
        print(f"   {mode:<9} {level:>3} conversations: {conv.count} msgs, p50 {conv.pct(50):.0f} ms, "
              f"p95 {conv.pct(95):.0f} ms, {conv.throughput:.1f} msg/s, errors {sum(conv.errors.values())}; "
              f"parse p50 {parse.pct(50):.0f} ms", flush=True)
    report.processes = stack.process_table()  # RSS after load
    return report


def render(reports: List[ModeReport], args, started: str) -> str:
    lines = ["# Benchmarks", "",
             f"Measured by `make bench` (`scripts/bench.py`) on {started}: {platform.machine()}, "
             f"{os.cpu_count()} cores shared with other work (load average before the run: "
             f"{args.load_before}), Python {platform.python_version()}. Loopback only.", "",
             "Each simulated shopper is an authenticated demo user (signed token in the REST metadata) "
             f"running a 6-turn script {args.rounds}× (你好 → 我这个月要还多少钱 → order button → 那提前还呢？ "
             "→ 备用金怎么用 → 谢谢). Latency is per message, client side, REST `/webhooks/rest/webhook`; "
             "*parse* is bare NLU (`POST /model/parse`) at the same concurrency: the floor every message "
             "pays before dialogue, actions and the tracker store.", "",
             f"Targets at 20 concurrent: p95 ≤ {TARGETS['p95_ms_at_20']:.0f} ms, ≥ "
             f"{TARGETS['msgs_per_s_at_20']:.0f} msg/s, 0 errors, e2e p50 ≤ {TARGETS['e2e_over_parse_p50']:.0f}× "
             "parse p50.", ""]
    for rep in reports:
        lines += [f"## {rep.mode}", "",
                  "| concurrent | messages | p50 ms | p95 ms | p99 ms | msg/s | errors | parse p50 ms | "
                  "parse p95 ms | parse req/s | e2e p50 / parse p50 |",
                  "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for row in rep.rows:
            c, p = row["conv"], row["parse"]
            errs = sum(c.errors.values())
            err_text = f"{errs}" + (f" ({', '.join(f'{k}: {v}' for k, v in c.errors.items())})" if errs else "")
            ratio = c.pct(50) / p.pct(50) if p.latencies else float("nan")
            lines.append(f"| {row['level']} | {c.count} | {c.pct(50):.0f} | {c.pct(95):.0f} | {c.pct(99):.0f} | "
                         f"{c.throughput:.1f} | {err_text} | {p.pct(50):.0f} | {p.pct(95):.0f} | "
                         f"{p.throughput:.1f} | {ratio:.1f}× |")
        lines += ["", f"Processes (start-up until healthy; RSS after the load; whole stack ready in "
                      f"{rep.startup_total_s:.0f} s):", "", "| process | start-up s | RSS MiB |", "|---|---:|---:|"]
        for proc in rep.processes:
            start = f"{proc['startup_s']:.1f}" if proc.get("startup_s") is not None else "–"
            lines.append(f"| {proc['name']} | {start} | {proc['rss_mb']:.0f} |")
        if rep.profile:
            lines += ["", "Where a Rasa process spends its time at 20 concurrent (py-spy, 15 s of wall-clock samples of the event-loop thread; blocking I/O counts):",
                      "", "| part | share |", "|---|---:|"]
            lines += [f"| {label} | {share:.0f} % |" for label, share in rep.profile]
        lines.append("")
    lines += ["## Targets", ""] + target_lines(reports) + [""]
    lines += ["## Where the time goes", ""] + analysis_lines(reports) + [""]
    if args.notes and Path(args.notes).exists():
        lines += [Path(args.notes).read_text(encoding="utf-8").strip(), ""]
    return "\n".join(lines)


def target_lines(reports: List[ModeReport]) -> List[str]:
    out = []
    for rep in reports:
        row = next((r for r in rep.rows if r["level"] == 20), None)
        if row is None:
            continue
        c, p = row["conv"], row["parse"]
        checks = [("p95 ≤ 150 ms", c.pct(95) <= TARGETS["p95_ms_at_20"], f"{c.pct(95):.0f} ms"),
                  ("≥ 40 msg/s", c.throughput >= TARGETS["msgs_per_s_at_20"], f"{c.throughput:.1f} msg/s"),
                  ("0 errors", not c.errors, str(sum(c.errors.values()))),
                  ("e2e p50 ≤ 2× parse p50", c.pct(50) <= TARGETS["e2e_over_parse_p50"] * p.pct(50),
                   f"{c.pct(50):.0f} vs {p.pct(50):.0f} ms")]
        out.append(f"- **{rep.mode}** at 20: " + "; ".join(
            f"{name}: {'met' if ok else 'MISSED'} ({value})" for name, ok, value in checks))
    return out


def _share(profile: List[tuple], *needles: str) -> float:
    return sum(share for label, share in profile if any(n in label for n in needles))


def analysis_lines(reports: List[ModeReport]) -> List[str]:
    """Findings computed from this run's figures and profiles."""
    out = []
    by_mode = {r.mode: r for r in reports}
    for rep in reports:
        row = next((r for r in rep.rows if r["level"] == 20), None)
        if row is None:
            continue
        c, p = row["conv"], row["parse"]
        n_rasa = sum(1 for proc in rep.processes if proc["name"].startswith("rasa"))
        per_msg_ms = 1000 * n_rasa / c.throughput if c.throughput else float("nan")
        out.append(f"- **{rep.mode}**: {n_rasa} Rasa process(es) at saturation handle {c.throughput:.1f} msg/s, "
                   f"i.e. ≈ {per_msg_ms:.0f} ms of one Rasa event loop per message; bare parsing reaches "
                   f"{p.throughput:.0f} req/s at the same concurrency. Latency at 20 concurrent is therefore "
                   f"mostly queueing: 20 conversations share {n_rasa} single-threaded event loop(s).")
        if rep.profile:
            prof = rep.profile
            out.append(f"  Profile of one Rasa process: TensorFlow inference "
                       f"{_share(prof, 'TED', 'DIET'):.0f} % (TED policy {_share(prof, 'TED'):.0f} %, DIET "
                       f"{_share(prof, 'DIET'):.0f} %), tracker store {_share(prof, 'tracker store'):.0f} % "
                       f"(save {_share(prof, 'save events'):.0f} %, load {_share(prof, 'load conversation'):.0f} %), "
                       f"lock store {_share(prof, 'lock store'):.0f} %, action-response schema check "
                       f"{_share(prof, 'JSON-schema'):.0f} %, rest of NLU/dialogue "
                       f"{_share(prof, 'rest of NLU', 'rest of dialogue'):.0f} %, action call "
                       f"{_share(prof, 'action server call'):.0f} %.")
    if "embedded" in by_mode and "prod" in by_mode:
        e = next((r for r in by_mode["embedded"].rows if r["level"] == 20), None)
        q = next((r for r in by_mode["prod"].rows if r["level"] == 20), None)
        if e and q and e["conv"].throughput:
            out.append(f"- Production mode vs embedded at 20: {q['conv'].throughput / e['conv'].throughput:.1f}× the "
                       f"throughput, p95 {q['conv'].pct(95):.0f} vs {e['conv'].pct(95):.0f} ms (two Rasa event loops "
                       "instead of one, tracker commits that do not wait for the WAL flush, and "
                       "deploy.rasa_main's cached response validator).")
    out += [
        "- Why e2e p50 cannot come near 2× parse p50 with this pipeline: one message = NLU (the whole "
        "parse) + one TED inference per predicted action (the answer action, then `action_listen`: two "
        "per message) + rule/memoization policies + an HTTP call to the action server + loading and "
        "saving the tracker; under concurrency all of it queues on the same event loop.",
        "- What would move the numbers: (1) CPU: Rasa is one core per instance, so throughput scales "
        "with instances on *dedicated* cores (this machine has 2 cores shared by PostgreSQL, the action "
        "servers, nginx, the load generator and other users); (2) the dialogue config: the bot's "
        "stories are rule-like, and TED is one of the two largest costs above — RulePolicy + MemoizationPolicy "
        "alone would remove it (a change for the NLU/dialogue owners, to be checked on the story "
        "tests); (3) the tracker store: Rasa's SQL store is synchronous inside the event loop "
        "(mitigated here by `synchronous_commit = off` on the tracker database).",
    ]
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--levels", default="10,20,50")
    parser.add_argument("--rounds", type=int, default=2, help="script repetitions per conversation")
    parser.add_argument("--modes", default="embedded,prod")
    parser.add_argument("--budget", type=float, default=180, help="seconds per load run (hard cap)")
    parser.add_argument("--profile", action="store_true", help="py-spy a Rasa process at 20 concurrent")
    parser.add_argument("--notes", help="Markdown appended to the report (analysis)")
    parser.add_argument("--out", type=Path, help="write the Markdown report here")
    args = parser.parse_args(argv)
    if not MODEL.exists():
        print(f"!! no trained model at {MODEL}: run `make train`", file=sys.stderr)
        return 1
    levels = [int(x) for x in args.levels.split(",") if x]
    args.load_before = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    started = time.strftime("%Y-%m-%d %H:%M")
    workdir = Path(tempfile.mkdtemp(prefix="fenqi-bench-"))
    os.chmod(workdir, 0o755)  # the postgres user needs to reach its data directory
    reports: List[ModeReport] = []
    try:
        for mode in args.modes.split(","):
            t0 = time.monotonic()
            if mode == "embedded":
                stack = EmbeddedStack(workdir / "embedded").start()
                print(f">> embedded mode ready in {time.monotonic() - t0:.0f} s", flush=True)
                try:
                    reports.append(bench_mode(mode, stack, stack.url, stack.api_token, stack.secret,
                                              stack.env["FENQI_DATABASE_URL"], levels, args.rounds, args.budget,
                                              stack.procs["rasa"].popen.pid if args.profile else None, workdir,
                                              time.monotonic() - t0))
                finally:
                    stack.stop()
            elif mode == "prod":
                missing = install_missing()
                if missing:
                    print(f"!! production mode skipped: {missing} missing", file=sys.stderr)
                    continue
                stack = ProdStack(workdir / "prod", Ports.random(2, 2)).start(log=lambda m: None)
                print(f">> production mode ready in {time.monotonic() - t0:.0f} s", flush=True)
                try:
                    reports.append(bench_mode(mode, stack, stack.balancer_url, stack.api_token, stack.jwt_secret,
                                              stack.accounts_url, levels, args.rounds, args.budget,
                                              stack.procs["rasa-1"].popen.pid if args.profile else None, workdir,
                                              time.monotonic() - t0))
                finally:
                    stack.stop()
            else:
                parser.error(f"unknown mode {mode!r}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    text = render(reports, args, started)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        print(f">> wrote {args.out}")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
