"""The trainer's pages of the real console process over HTTP, on SQLite stores holding the inbox's
known history (tests/fenqi/training/history.py): only agents with the trainer role get the inbox
(403 for the others, pages and forms), groups come by need with the guards' findings, a decision
needs the CSRF token and a label of the knowledge base, the export carries the trainer's name, the
models page says which model is live."""
from __future__ import annotations

import re

import pytest
import requests
import yaml

from fenqi.db.engine import Store, make_engine
from tests.console.test_console_app import CSRF, sign_in
from tests.console.test_console_lead import fenqi
from tests.fenqi.training import history as h
from tests.support.console import AGENT_PASSWORD, add_agent, start_console

GROUP = re.compile(r'data-testid="group" data-group="(\d+)"')


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    import os

    tmp = tmp_path_factory.mktemp("trainer")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FENQI_")}
    env.update(FENQI_ENV="development", FENQI_DATABASE_URL=f"sqlite:///{tmp / 'fenqi.db'}", FENQI_VAR_DIR=str(tmp),
               FENQI_TRACKER_URL=f"sqlite:///{tmp / 'tracker.db'}", FENQI_MODELS_DIR=str(tmp / "models"),
               SQLALCHEMY_SILENCE_UBER_WARNING="1", FENQI_JWT_SECRET="console-test-secret-0123456789abcdef")
    assert fenqi(env, "db", "init").returncode == 0
    store, tracker = Store.open(env["FENQI_DATABASE_URL"]), make_engine(env["FENQI_TRACKER_URL"])
    h.load(store, tracker)  # folded and collected by the inbox's first page
    store.close()
    tracker.dispose()
    assert fenqi(env, "agents", "add", "小林", "--role", "trainer", stdin=AGENT_PASSWORD + "\n").returncode == 0
    add_agent(env, "安娜")
    return env


@pytest.fixture(scope="module")
def console(env, tmp_path_factory):
    c = start_console(env, tmp_path_factory.mktemp("log"))
    yield c
    c.stop()


@pytest.fixture(scope="module")
def trainer(console):
    http, r = sign_in(console, "小林")
    assert r.status_code == 302
    return http


def test_an_agent_without_the_trainer_role_gets_403_and_no_link(console):
    anna, _ = sign_in(console, "安娜")
    queue = anna.get(console.url + "/").text
    assert "/inbox" not in queue and "/models" not in queue
    for url in ("/inbox", "/inbox?status=decided", "/models"):
        r = anna.get(console.url + url)
        assert r.status_code == 403 and "trainer" in r.text, url
    token = CSRF.search(queue).group(1)
    assert anna.post(console.url + "/inbox/groups/1", data={"csrf": token, "action": "discard"},
                     allow_redirects=False).status_code == 403
    assert requests.get(console.url + "/inbox", allow_redirects=False).headers["Location"] == "/login"


def test_the_inbox_lists_masked_messages_by_need_with_what_the_guards_say(trainer, console):
    page = trainer.get(console.url + "/inbox")
    assert page.status_code == 200 and 'href="/inbox"' in page.text and 'href="/models"' in page.text
    text = page.text
    assert "共 6 组" in text and h.PHONE not in text and "138****5678" in text
    cards = text.split('data-testid="group"')[1:]
    first = [re.search(r'data-testid="item-text">([^<]+)', c).group(1) for c in cards]
    assert first == [h.UNCLEAR, h.FEES_12, "我手机138****5678还款失败了", h.holdout_line(),
                     h.near_training_line().text + "呀", h.CREDIT_CARD]
    assert "转人工 1 · 低评分 1" in cards[0] and "需要度 0.90" in cards[0]
    assert "无法确认" in cards[0] and 'value="confirm"' not in cards[0]  # the fallback's guess has no question
    assert 'value="confirm"' in cards[1]
    assert "出现 3 次" in cards[1] and h.FEES_24 in cards[1]
    assert "仍像个人信息" in cards[2] and "tests/nlu/holdout.yml" in cards[3] and "近似重复" in cards[4]
    assert "线上模型：<b>fenqi.tar.gz</b>" in text


def decide(http, console, group_id, **form):
    token = CSRF.search(http.get(console.url + "/inbox").text).group(1)
    return http.post(f"{console.url}/inbox/groups/{group_id}", data={"csrf": token, **form}, allow_redirects=False)


def test_decisions_need_the_csrf_token_and_a_label_of_the_knowledge_base(trainer, console):
    groups = GROUP.findall(trainer.get(console.url + "/inbox").text)
    unclear, fees = groups[0], groups[1]
    assert trainer.post(f"{console.url}/inbox/groups/{unclear}", data={"action": "discard"},
                        allow_redirects=False).status_code == 403
    bad = decide(trainer, console, unclear, action="relabel", label="how_to_repay|due.date")
    assert bad.status_code == 400 and "belongs to repayment_due" in bad.text
    assert decide(trainer, console, unclear, action="relabel", label="x" * 200).status_code == 400
    assert decide(trainer, console, 999999, action="discard").status_code == 404
    refused = decide(trainer, console, unclear, action="confirm")  # the server checks it too
    assert refused.status_code == 400 and "relabel it" in refused.text
    r = decide(trainer, console, unclear, action="relabel", label="how_to_repay|repay.how",
               back="/inbox?status=open")
    assert r.status_code == 303 and r.headers["Location"] == f"/inbox?status=open&done={unclear}"
    notice = trainer.get(console.url + r.headers["Location"]).text
    assert "已改标注" in notice and "1 句已接受" in notice and "共 5 组" in notice
    assert decide(trainer, console, fees, action="confirm").status_code == 303
    personal = GROUP.findall(trainer.get(console.url + "/inbox").text)[0]
    blocked = trainer.get(console.url + decide(trainer, console, personal, action="confirm").headers["Location"]).text
    assert "1 句被拦截" in blocked and "仍像个人信息" in blocked
    decided = trainer.get(console.url + "/inbox?status=decided").text
    assert decided.count('data-testid="group"') == 3 and "小林" in decided and "已确认" in decided


def test_the_export_carries_the_trainers_name_and_the_models_page_the_live_model(env, trainer, console, tmp_path):
    (tmp_path / "nlu").mkdir()
    result = fenqi(env, "nlu", "export", "--data", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "exported 3 example(s) into 2 file(s); 0 blocked" in result.stdout
    document = yaml.safe_load((tmp_path / "nlu" / "reviewed" / "how_to_repay.yml").read_text(encoding="utf-8"))
    [block] = document["nlu"]
    assert block["metadata"]["reviewed_by"] == "小林" and block["metadata"]["question"] == "repay.how"
    assert block["examples"].strip() == f"- {h.UNCLEAR}"
    models = trainer.get(console.url + "/models").text
    assert "尚无发布记录" in models and "fenqi.tar.gz" in models
    status = fenqi(env, "model", "status")
    assert status.returncode == 0 and "(no release recorded)" in status.stdout
