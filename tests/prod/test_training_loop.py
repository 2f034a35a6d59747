"""From real traffic to a better model on the production stack (PostgreSQL, Redis, nginx, two Rasa
instances): shoppers' messages reach the NLU inbox masked; reviewed ones are exported, a candidate
is trained on them (and a deliberately mislabelled model beside it), the gate passes the one and
refuses the other; the candidate is promoted to both instances one at a time while a conversation
goes on through nginx (no message lost, its state kept); an instance started afterwards serves the
live model; a rollback returns both. Every step is the operator's own command
(``python -m fenqi nlu …`` / ``model …``, ``rasa train``)."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Dict, List

import pytest
import requests
from sqlalchemy import select

from fenqi.db.engine import Store
from fenqi.db.models import InboxItem
from fenqi.identity import issue_token
from fenqi.nlp.training_data import evaluation_texts, training_examples
from fenqi.training import inbox
from fenqi.training.guards import TrainingIndex
from tests.support.stack import MODEL, ROOT

pytestmark = [pytest.mark.prod, pytest.mark.timeout(1500)]

BIN = Path(sys.executable).parent
PHONE = "13912345678"
# What shoppers type that the model was not trained on, and the label a trainer gives it.
REVIEWED = {
    "我上个月那笔分期的钱到底该从哪儿还进去": ("how_to_repay", "repay.how"),
    "下单付款那一步怎么才能挑到按月付的选项呢": ("how_to_use_installment", "use.how"),
    "备用金那边现在最多能让我借出来多少钱": ("reserve_fund_limit", "rf.limit"),
}
PERSONAL = f"我的手机号{PHONE}开的分期额度在哪看"
ORDER = "ORD-DEMO-OK-2"


@pytest.fixture(scope="module")
def loop(supervised_stack, tmp_path_factory):
    """The session's supervised production stack (tests/prod/conftest.py), a models directory of this
    test's own (the live model: the trained one) and the CLI's environment."""
    stack, watch = supervised_stack
    work = tmp_path_factory.mktemp("loop")
    models = work / "models"
    models.mkdir()
    shutil.copyfile(MODEL, models / "fenqi.tar.gz")
    stack.env["FENQI_MODELS_DIR"] = str(models)  # the supervisor's restarts read the releases against it
    env = dict(stack.env, RASA_API_TOKEN=stack.api_token)
    earlier = fenqi(env, "nlu", "collect")  # what other tests of the session said is not this test's
    assert earlier.returncode == 0, earlier.stderr
    yield stack, work, env, watch
    stack.env.pop("FENQI_MODELS_DIR", None)  # later restarts: the default model again


def all_up(stack, timeout: float = 300) -> None:
    """Until every Rasa instance answers (the supervisor restarts one an earlier drill killed)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if all(requests.get(f"{url}/status", headers={"Authorization": f"Bearer {stack.api_token}"},
                                timeout=5).ok for url in stack.rasa_urls):
                return
        except requests.RequestException:
            pass
        assert time.monotonic() < deadline, "a Rasa instance did not come back"
        time.sleep(1)


def fenqi(env: Dict[str, str], *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "python"), "-m", "fenqi", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def ask(url: str, sender: str, text: str, token: str = "") -> List[dict]:
    metadata = {"auth_token": token} if token else {}
    r = requests.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text, "metadata": metadata},
                      timeout=120)
    r.raise_for_status()
    return r.json()


def serving(stack, url: str) -> str:
    r = requests.get(f"{url}/status", headers={"Authorization": f"Bearer {stack.api_token}"}, timeout=30)
    r.raise_for_status()
    return r.json()["model_file"]


def test_shoppers_messages_reach_the_inbox_masked(loop):
    stack, _, env, _ = loop
    for i, text in enumerate([*REVIEWED, PERSONAL, "怎么还款"]):  # the last is a training line
        assert ask(stack.balancer_url, f"inbox-{i}", text)
    result = fenqi(env, "nlu", "collect")
    assert result.returncode == 0, result.stderr
    assert "5 shopper messages looked at, 4 counted, 4 new messages" in result.stdout, result.stdout
    store = Store.open(stack.accounts_url)
    with store.session() as session:
        texts = set(session.scalars(select(InboxItem.text)))
    store.close()
    assert {*REVIEWED, "我的手机号139****5678开的分期额度在哪看"} <= texts and "怎么还款" not in texts
    assert not any(PHONE in t for t in texts)


@pytest.fixture(scope="module")
def trained(loop):
    """Decide the inbox's groups, export, then train the candidate on the reviewed data and a model on
    deliberately mislabelled data (how_to_repay and auto_repay swapped) side by side; ``rasa data
    validate`` (make validate) checks the exported files meanwhile."""
    stack, work, env, _ = loop
    index = TrainingIndex(training_examples(), evaluation_texts())
    store = Store.open(stack.accounts_url)
    try:
        with store.session() as session:
            personal = PERSONAL.replace(PHONE, "139****5678")
            labels = {**REVIEWED, personal: ("credit_limit", "limit.check")}
            for item in session.scalars(select(InboxItem).where(InboxItem.text.in_(labels))).all():
                intent, question = labels[item.text]
                inbox.decide(session, item.group_id, "relabel", None, item.first_at, index, intent, question)
            blocked = session.scalars(select(InboxItem.note).where(InboxItem.text == personal)).one()
    finally:
        store.close()
    assert "仍像个人信息" in blocked
    data = work / "data"
    shutil.copytree(ROOT / "data", data, ignore=shutil.ignore_patterns("reviewed"))
    exported = fenqi(env, "nlu", "export", "--data", str(data))
    assert exported.returncode == 0, exported.stderr
    assert "exported 3 example(s) into 3 file(s); 0 blocked" in exported.stdout, exported.stdout
    bad = work / "bad"
    shutil.copytree(data / "nlu", bad)
    for path in bad.rglob("*.yml"):
        text = path.read_text(encoding="utf-8")
        swapped = text.replace("intent: how_to_repay", "intent: @@").replace("intent: auto_repay", "intent: how_to_repay")
        path.write_text(swapped.replace("intent: @@", "intent: auto_repay"), encoding="utf-8")
    out = work / "out"
    started = time.monotonic()
    common = dict(cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    jobs = {
        "candidate": subprocess.Popen([str(BIN / "rasa"), "train", "--config", "config.yml", "--domain", "domain.yml",
                                       "--data", str(data), "--out", str(out), "--fixed-model-name", "candidate",
                                       "--quiet"], env=env, **common),
        "mislabelled": subprocess.Popen([str(BIN / "rasa"), "train", "nlu", "--config", "config.yml", "--nlu", str(bad),
                                         "--out", str(out), "--fixed-model-name", "mislabelled", "--quiet"],
                                        env=dict(env, RASA_CACHE_DIRECTORY=str(work / "cache")), **common),
        "validate": subprocess.Popen([str(BIN / "rasa"), "data", "validate", "--config", "config.yml", "--domain",
                                      "domain.yml", "--data", str(data), "--fail-on-warnings", "--quiet"],
                                     env=env, **common),
    }
    for name, job in jobs.items():
        output, _ = job.communicate(timeout=900)
        assert job.returncode == 0, f"{name}:\n{output[-3000:]}"
    print(f"\n[training loop] trained the candidate and the mislabelled model: {time.monotonic() - started:.0f} s")
    reviewed = sorted(p.name for p in (data / "nlu" / "reviewed").iterdir())
    assert reviewed == ["how_to_repay.yml", "how_to_use_installment.yml", "reserve_fund_limit.yml"]
    return out / "candidate.tar.gz", out / "mislabelled.tar.gz"


def gate(env, model: Path) -> subprocess.CompletedProcess:
    started = time.monotonic()
    result = fenqi(env, "model", "gate", str(model), "--folds", "3")
    print(f"[training loop] gate {model.name}: {time.monotonic() - started:.0f} s")
    return result


def test_the_gate_passes_the_candidate_trained_on_reviewed_examples(loop, trained):
    _, _, env, _ = loop
    passed = gate(env, trained[0])
    assert passed.returncode == 0, passed.stdout[-3000:] + passed.stderr[-2000:]
    assert "VERDICT: PASSED" in passed.stdout
    for measure in ("cross-validation (3 folds), intent", "cross-validation (3 folds), standard question",
                    "held-out set", "robustness set", "sub-question set"):
        assert f"== {measure} (" in passed.stdout, measure


@pytest.fixture(scope="module")
def mislabelled_gate(loop, trained):
    """The gate on the mislabelled model, run in the background from here on (the live model's side
    is known from the candidate's gate) while the promotion tests use the stack."""
    _, work, env, _ = loop
    out = (work / "gate-mislabelled.txt").open("w+", encoding="utf-8")
    started = time.monotonic()
    live = Path(env["FENQI_MODELS_DIR"]) / "fenqi.tar.gz"  # live until the promotion below: named, no race
    job = subprocess.Popen([str(BIN / "python"), "-m", "fenqi", "model", "gate", str(trained[1]), "--folds", "3",
                            "--live", str(live)], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, text=True)
    yield job, out, started
    if job.poll() is None:
        job.kill()
    out.close()


def test_promotion_switches_both_instances_while_a_conversation_goes_on(loop, trained, mislabelled_gate):
    stack, _, env, _ = loop
    candidate, _ = trained
    all_up(stack)
    sender, token = "loop-demo-ok", issue_token("demo_ok", stack.jwt_secret, ttl=1800)
    first = ask(stack.balancer_url, sender, "现在一次全部还清要还多少钱", token)  # differs per order: asks which
    chosen = next(b for m in first for b in m.get("buttons", []) if ORDER in b["payload"])
    ask(stack.balancer_url, sender, chosen["payload"], token)
    replies: List[str] = []
    errors: List[BaseException] = []
    stop = threading.Event()

    def converse() -> None:  # the shopper keeps asking through nginx while the instances switch
        questions = ("那提前还呢？", "提前还款能省手续费吗", "现在一次全部还清要还多少钱")
        while not stop.is_set():
            try:
                answer = ask(stack.balancer_url, sender, questions[len(replies) % 3], token)
                replies.append("\n".join(m.get("text", "") for m in answer))
            except BaseException as exc:  # surfaced below
                errors.append(exc)
                return

    thread = threading.Thread(target=converse, daemon=True)
    thread.start()
    started = time.monotonic()
    promoted = fenqi(env, "model", "promote", str(candidate), "--by", "小林")
    seconds = time.monotonic() - started
    time.sleep(1)
    stop.set()
    thread.join(120)
    assert promoted.returncode == 0, promoted.stdout + promoted.stderr
    name = re.search(r"promoted (\S+\.tar\.gz)", promoted.stdout).group(1)
    per_instance = re.findall(r"(rasa-\d) ([\d.]+) s", promoted.stdout.splitlines()[-1])
    print(f"[training loop] promote: {seconds:.1f} s in all, per instance {per_instance}; "
          f"{len(replies)} messages answered meanwhile")
    assert [n for n, _ in per_instance] == ["rasa-1", "rasa-2"]
    assert [serving(stack, url) for url in stack.rasa_urls] == [name, name]
    assert not errors and len(replies) >= 3 and all(replies), (errors, replies)
    assert not any("您想查询哪一笔分期订单" in reply for reply in replies)  # the chosen order carried on
    r = requests.get(f"{stack.rasa_urls[1]}/conversations/rest:u:demo_ok:{sender}/tracker",
                     headers={"Authorization": f"Bearer {stack.api_token}"}, timeout=30).json()
    assert r["slots"]["order_id"] == ORDER  # the conversation kept its state across the switch
    users = [e["text"] for e in r["events"] if e["event"] == "user"]
    assert len(users) == 2 + len(replies)   # every message of the conversation stored once
    status = fenqi(env, "model", "status")
    assert f"live: {Path(env['FENQI_MODELS_DIR']) / 'history' / name}" in status.stdout
    assert "promote" in status.stdout and "baseline" in status.stdout and "passed:" in status.stdout


def test_a_new_instance_serves_the_live_model_and_rollback_returns_both(loop, trained):
    stack, _, env, watch = loop
    live = serving(stack, stack.rasa_urls[1])
    stack.kill("rasa-1")  # the supervisor starts it again: with the live model
    time.sleep(2)
    all_up(stack)
    assert any(unit == "rasa-1" and what.startswith("restarting") for _, unit, what in watch.events)
    assert serving(stack, stack.rasa_urls[0]) == live
    back = fenqi(env, "model", "rollback", "--by", "小林")
    assert back.returncode == 0, back.stdout + back.stderr
    baseline = re.search(r"rolled back to (\S+\.tar\.gz)", back.stdout).group(1)
    assert baseline != live and [serving(stack, url) for url in stack.rasa_urls] == [baseline, baseline]
    assert ask(stack.balancer_url, "after-rollback", "小米分期怎么还款")
    again = fenqi(env, "model", "rollback")
    assert again.returncode == 2 and "no earlier model" in again.stderr


def test_the_gate_refuses_the_model_trained_on_mislabelled_data(loop, trained, mislabelled_gate):
    _, _, env, _ = loop
    job, out, started = mislabelled_gate
    code = job.wait(600)
    print(f"[training loop] gate mislabelled.tar.gz (in the background): {time.monotonic() - started:.0f} s")
    out.seek(0)
    text = out.read()
    assert code == 1, text[-4000:]
    assert "VERDICT: REFUSED" in text
    reasons = text.split("VERDICT: REFUSED", 1)[1]
    assert re.search(r"held-out set: accuracy 0\.\d+ -> 0\.\d+", reasons)
    assert "sub-question set: how_to_repay" in reasons  # one intent losing much is a reason of its own
    # the flips name the examples, both ways: the repayment questions now read as automatic deduction
    assert re.search(r"broken \(right before, wrong now\): \d+\n.*\[gold how_to_repay; live how_to_repay, "
                     r"candidate auto_repay\]", text)
    promote = fenqi(env, "model", "promote", str(trained[1]))
    assert promote.returncode == 2 and "the gate refused this model" in promote.stderr
