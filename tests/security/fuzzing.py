"""Hostile-input fuzzing of the real Rasa server: REST, WeChat and socket.io (engine.io polling).

Inputs are generated from a seed (reproducible): invalid UTF-8, huge and deeply nested bodies,
wrong JSON types, control characters and lone surrogates, over-long messages, forged quick-reply
payloads, XML bombs / DTDs / external entities, replayed and stale WeChat signatures, garbage
engine.io packets. A small share are ordinary questions that reach NLU.

``run_fuzz(stack, n)`` returns a :class:`FuzzReport`: counts per status class, 5xx and hangs
(requests that did not finish within the timeout), the Rasa process' peak RSS. Command line
(``make fuzz``): ``python -m tests.security.fuzzing --inputs 10000`` starts its own stack.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import random
import string
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

import requests

from tests.support.stack import WECHAT_ENV

TIMEOUT = 30.0
QUESTIONS = ("小米分期怎么还款", "为什么不能分期", "你好", "备用金额度", "转人工", "谢谢", "手续费多少")


@dataclass(frozen=True)
class Probe:
    """One HTTP request: which surface, method, path, query, body, headers."""

    surface: str
    method: str
    path: str
    params: Dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    headers: Dict[str, str] = field(default_factory=dict)


@dataclass
class FuzzReport:
    inputs: int = 0
    statuses: Counter = field(default_factory=Counter)
    server_errors: List[Tuple[str, int, str]] = field(default_factory=list)
    hangs: List[str] = field(default_factory=list)
    peak_rss_mb: float = 0.0
    seconds: float = 0.0
    alive: bool = False

    def summary(self) -> str:
        classes = Counter(f"{code // 100}xx" if code > 0 else ("closed" if code == 0 else "unsent")
                          for code in self.statuses.elements())
        return (f"fuzz: {self.inputs} inputs in {self.seconds:.0f} s; "
                f"{dict(sorted(classes.items()))}; 5xx={len(self.server_errors)} "
                f"hangs={len(self.hangs)}; peak Rasa RSS {self.peak_rss_mb:.0f} MB; "
                f"alive={self.alive}")


# --- generators ----------------------------------------------------------------------------

def _junk(rng: random.Random, n: int) -> str:
    pools = [string.printable, "\x00\x01\x1b\x7f\u200b\u202e\ufeff", "😀🀄️👨‍👩‍👧", "分期还款备用金额度",
             "\ud800\udfff", "１２３４５６７８９０", "<>&'\"{}[]/\\"]
    return "".join(rng.choice(rng.choice(pools)) for _ in range(n))


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value).encode("ascii")  # \\u escapes carry lone surrogates in valid JSON


def _nested(rng: random.Random, depth: int) -> bytes:
    if rng.random() < 0.5:
        return b"[" * depth + b"]" * depth
    return b'{"a":' * depth + b"1" + b"}" * depth


def rest_probe(rng: random.Random) -> Probe:
    path = "/webhooks/rest/webhook"
    params = {"stream": "true"} if rng.random() < 0.15 else {}
    kind = rng.randrange(12)
    wrong = [None, 5, -1.5, True, [], {}, ["x"], {"a": 1}, "x" * 70, "web:demo_ok", "wx:o1"]
    if kind == 0:
        body = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 2000)))
    elif kind == 1:
        body = _json_bytes({"sender": "fz", "message": "😀" * rng.randrange(4200, 30000)})
    elif kind == 2:
        body = _nested(rng, rng.randrange(100, 8000))
    elif kind == 3:
        body = _json_bytes(rng.choice([[], None, True, "str", 0, [{"message": "hi"}]]))
    elif kind == 4:
        body = _json_bytes({"sender": rng.choice(wrong), "message": rng.choice(wrong)})
    elif kind == 5:
        body = _json_bytes({"sender": f"fz{rng.randrange(50)}", "message": _junk(rng, rng.randrange(1, 400)),
                            "metadata": rng.choice([None, [], {"auth_token": rng.choice(wrong)},
                                                    {"auth_token": "eyJ" + _junk(rng, 50)}])})
    elif kind == 6:
        body = _json_bytes({"sender": "fz-long", "message": "还" * rng.randrange(501, 5000)})
    elif kind == 7:
        entities = rng.choice(['{"order_id": 5}', '{"order_id": ["a"]}', '{"order_id": {"$ne": 1}}',
                               '{"x": "y"}', "{" * 200, '{"order_id": "' + "A" * 300 + '"}', "@0.99"])
        body = _json_bytes({"sender": "fz-payload", "message": "/repayment_due" + entities})
    elif kind == 8:
        body = b'{"sender": "fz", "message": "' + b"\\u0000\\ud800\\udc00\\u202e" * rng.randrange(1, 50) + b'"}'
    elif kind == 9:
        body = _json_bytes({"sender": "fz", "message": "a", "input_channel": "wechat",
                            "metadata": {"auth_token": "x" * rng.randrange(1, 9000)}})
    elif kind == 10 and rng.random() < 0.35:  # an ordinary question (reaches NLU)
        body = _json_bytes({"sender": f"fz-q{rng.randrange(20)}", "message": rng.choice(QUESTIONS)})
    else:
        body = _json_bytes({"message": _junk(rng, rng.randrange(0, 30)),
                            "sender": rng.choice(["", " ", "a" * 64, "ok-sender"])})
    return Probe("rest", "POST", path, params, body, {"Content-Type": "application/json"})


XML_BOMB = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            + "".join(f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">' for i in range(1, 9))
            + ']><xml><Content>&lol8;</Content></xml>')
XXE = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
       '<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime>'
       '<MsgType>text</MsgType><Content>&e;</Content><MsgId>1</MsgId></xml>')


def _text_xml(rng: random.Random, content: str) -> str:
    return (f"<xml><ToUserName><![CDATA[gh_fuzz]]></ToUserName><FromUserName><![CDATA[o-fz{rng.randrange(30)}]]>"
            f"</FromUserName><CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content><MsgId>{rng.randrange(10 ** 15)}</MsgId></xml>")


def wechat_signature(token: str, timestamp: str, nonce: str) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()


def wechat_probe(rng: random.Random) -> Probe:
    token = WECHAT_ENV["WECHAT_TOKEN"]
    timestamp = str(int(time.time()) + rng.choice([0, 0, 0, -100000, 100000]))
    nonce = "".join(rng.choice(string.ascii_letters) for _ in range(10))
    params = {"timestamp": timestamp, "nonce": nonce, "signature": wechat_signature(token, timestamp, nonce)}
    kind = rng.randrange(9)
    if kind == 0:
        params["signature"] = "0" * 40
    elif kind == 1:
        params.pop(rng.choice(list(params)))
    if kind == 2:
        body = XML_BOMB.encode()
    elif kind == 3:
        body = XXE.encode()
    elif kind == 4:
        body = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 3000)))
    elif kind == 5:
        body = ("<xml>" + "<a>" * rng.randrange(100, 5000) + "</a>" * 10 + "</xml>").encode()
    elif kind == 6:
        body = b"<xml>" + b"x" * rng.randrange(65_000, 200_000) + b"</xml>"
    elif kind == 7:
        params.update({"encrypt_type": "aes", "msg_signature": "f" * 40})
        body = b"<xml><ToUserName>gh</ToUserName><Encrypt><![CDATA[" + _junk(rng, 200).encode("utf-8", "replace") + b"]]></Encrypt></xml>"
    else:  # plaintext message while AES is configured (a downgrade), hostile content
        body = _text_xml(rng, rng.choice(["绑定" + " " * 20000 + "x", _junk(rng, 600), "小米分期怎么还款"])
                         ).encode("utf-8", "replace")
    return Probe("wechat", "POST", "/webhooks/wechat/webhook", params, body,
                 {"Content-Type": "text/xml"})


def socket_probe(rng: random.Random, sid: Optional[str]) -> Probe:
    params = {"EIO": "4", "transport": "polling"}
    kind = rng.randrange(8)
    if sid is None or kind == 0:
        params = rng.choice([params, {"EIO": "x"}, {"EIO": "4", "transport": "websocket"},
                             {"EIO": "4", "transport": "polling", "sid": "".join(rng.choice(string.printable) for _ in range(20))}])
        return Probe("socketio", "GET", "/socket.io/", params)
    params["sid"] = sid
    if kind == 1:
        body = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 2000)))
    elif kind == 2:
        body = b'42["user_uttered",' + _nested(rng, rng.randrange(50, 3000)) + b"]"
    elif kind == 3:
        body = ('42' + json.dumps(["user_uttered", {"message": rng.choice([5, None, [], {"a": 1}, "x" * 3000])}])).encode()
    elif kind == 4:
        body = b"4" + b"2" * rng.randrange(1, 20000)
    elif kind == 5:
        body = ('42' + json.dumps(["user_uttered", {"message": _junk(rng, rng.randrange(1, 300)),
                                                    "session_id": rng.choice(["web:demo_ok", None, 5])}])).encode()
    elif kind == 6:
        body = ('42' + json.dumps(["session_request", rng.choice([None, 5, "x", {"session_id": "web:demo_ok"}])])).encode()
    else:
        body = ("40" + rng.choice(["", '{"token": 5}', '{"token": "eyJ.x.y"}', "{" * 500])).encode()
    return Probe("socketio", "POST", "/socket.io/", params, body, {"Content-Type": "text/plain;charset=UTF-8"})


# --- runner ---------------------------------------------------------------------------------

def _open_socket(base: str) -> Optional[str]:
    try:
        r = requests.get(f"{base}/socket.io/", params={"EIO": "4", "transport": "polling"}, timeout=10)
        sid = json.loads(r.text[1:])["sid"] if r.ok and r.text.startswith("0") else None
        if sid:
            requests.post(f"{base}/socket.io/", params={"EIO": "4", "transport": "polling", "sid": sid},
                          data=b"40", timeout=10)
        return sid
    except (requests.RequestException, ValueError, KeyError):
        return None


def _send(base: str, probe: Probe) -> Tuple[Probe, Optional[int], str]:
    try:
        r = requests.request(probe.method, base + probe.path, params=probe.params, data=probe.body or None,
                             headers=probe.headers, timeout=TIMEOUT)
        return probe, r.status_code, r.text[:200]
    except requests.Timeout:
        return probe, None, "timeout"
    except requests.ConnectionError as exc:  # the server closing an oversized upload is not a 5xx
        return probe, 0, f"connection closed: {exc.__class__.__name__}"
    except (ValueError, UnicodeError) as exc:  # the client could not even encode the probe
        return probe, -1, f"not sent: {exc.__class__.__name__}"


def _peak_rss(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_fuzz(base: str, rasa_pid: int, inputs: int, seed: int = 11, workers: int = 4,
             progress: Optional[Callable[[int], None]] = None) -> FuzzReport:
    """Send ``inputs`` hostile requests (REST 50 %, WeChat 25 %, socket.io 25 %)."""
    rng = random.Random(seed)
    report = FuzzReport()
    started = time.monotonic()
    sids: List[Optional[str]] = [_open_socket(base) for _ in range(4)]
    probes: List[Probe] = []
    for i in range(inputs):
        pick = rng.random()
        if pick < 0.5:
            probes.append(rest_probe(rng))
        elif pick < 0.75:
            probes.append(wechat_probe(rng))
        else:
            if i % 200 == 0:
                sids[rng.randrange(len(sids))] = _open_socket(base)
            probes.append(socket_probe(rng, rng.choice(sids)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for done, (probe, status, text) in enumerate(pool.map(lambda p: _send(base, p), probes), 1):
            report.inputs += 1
            if status is None:
                report.hangs.append(f"{probe.surface} {probe.path} {probe.body[:80]!r}")
                continue
            report.statuses[status] += 1
            if status >= 500:
                report.server_errors.append((probe.surface, status, f"{probe.body[:120]!r} -> {text}"))
            if progress and done % 1000 == 0:
                progress(done)
    report.seconds = time.monotonic() - started
    report.peak_rss_mb = _peak_rss(rasa_pid)
    try:
        alive = requests.post(f"{base}/webhooks/rest/webhook", json={"sender": "fz-alive", "message": "你好"},
                              timeout=60)
        report.alive = alive.ok and bool(alive.json())
    except requests.RequestException:
        report.alive = False
    return report


def main(argv: Optional[List[str]] = None) -> int:
    from tests.support.stack import start_stack

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--url", help="fuzz an already running Rasa server instead of starting one")
    parser.add_argument("--pid", type=int, help="with --url: the Rasa process id (for its peak RSS)")
    args = parser.parse_args(argv)
    if args.url:
        report = run_fuzz(args.url.rstrip("/"), args.pid, args.inputs, args.seed, args.workers,
                          progress=lambda n: print(f"   {n} inputs sent", flush=True))
        return _print(report)
    with tempfile.TemporaryDirectory(prefix="fenqi-fuzz-") as tmp:
        print(">> starting the real bot stack (Rasa + actions, seeded SQLite)", flush=True)
        stack = start_stack(Path(tmp))
        try:
            report = run_fuzz(stack.rasa_url, stack.rasa_pid, args.inputs, args.seed, args.workers,
                              progress=lambda n: print(f"   {n} inputs sent", flush=True))
            if report.server_errors or report.hangs:
                for log in stack.logs:
                    text = log.read_text(encoding="utf-8", errors="replace")
                    errors = [block for block in text.split("Traceback")[1:4]]
                    for block in errors:
                        print(f"--- {log.name}: Traceback{block[:3000]}")
        finally:
            stack.stop()
    return _print(report)


def _print(report: FuzzReport) -> int:
    print(report.summary())
    for surface, status, sample in report.server_errors[:10]:
        print(f"   5xx {surface} {status}: {sample}")
    for hang in report.hangs[:10]:
        print(f"   hang {hang}")
    ok = not report.server_errors and not report.hangs and report.alive and report.peak_rss_mb < 1536
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
