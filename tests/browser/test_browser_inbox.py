"""The NLU inbox in headless Chromium against the real console on SQLite stores holding the inbox's
known history (tests/fenqi/training/history.py): a trainer finds the group that most needs a person
first, relabels it with the knowledge base's select, sees what was accepted and finds it among the
decided groups; the models page says which model is live."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from fenqi.db.engine import Store, make_engine
from tests.fenqi.training import history as h
from tests.support.console import AGENT_PASSWORD, start_console
from tests.support.stack import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("inbox")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FENQI_")}
    env.update(FENQI_ENV="development", FENQI_DATABASE_URL=f"sqlite:///{tmp / 'fenqi.db'}", FENQI_VAR_DIR=str(tmp),
               FENQI_TRACKER_URL=f"sqlite:///{tmp / 'tracker.db'}", FENQI_MODELS_DIR=str(tmp / "models"),
               SQLALCHEMY_SILENCE_UBER_WARNING="1", FENQI_JWT_SECRET="browser-test-secret-0123456789abcdef")
    subprocess.run([sys.executable, "-m", "fenqi", "db", "init"], cwd=ROOT, env=env, capture_output=True, timeout=60,
                   check=True)
    store, tracker = Store.open(env["FENQI_DATABASE_URL"]), make_engine(env["FENQI_TRACKER_URL"])
    h.load(store, tracker)
    store.close()
    tracker.dispose()
    subprocess.run([sys.executable, "-m", "fenqi", "agents", "add", "小林", "--role", "trainer"], cwd=ROOT, env=env,
                   input=AGENT_PASSWORD + "\n", capture_output=True, text=True, timeout=60, check=True)
    c = start_console(env, tmp / "log")
    yield c
    c.stop()


def test_a_trainer_relabels_the_neediest_group_and_finds_it_decided(browser, console):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        page.goto(console.url + "/login")
        page.fill("input[name=name]", "小林")
        page.fill("input[name=password]", AGENT_PASSWORD)
        page.click("[data-testid=login]")
        page.click("nav >> text=NLU 收件箱")
        first = page.locator("[data-testid=group]").first
        assert first.locator("[data-testid=item-text]").first.inner_text() == h.UNCLEAR
        assert "转人工 1" in first.locator("[data-testid=signs]").inner_text()
        assert page.locator("[data-testid=group]").count() == 6
        first.locator("select[name=label]").select_option("how_to_repay|repay.how")
        first.locator("[data-testid=relabel]").click()
        notice = page.locator("[data-testid=notice]")
        assert "已改标注" in notice.inner_text() and "1 句已接受" in notice.inner_text()
        assert page.locator("[data-testid=group]").count() == 5
        assert h.UNCLEAR not in page.locator("[data-testid=group]").first.inner_text()
        page.click("[data-testid=tab-decided]")
        decided = page.locator("[data-testid=group]")
        assert decided.count() == 1 and "小林" in decided.inner_text() and "repay.how" in decided.inner_text()
        assert decided.locator("[data-testid=item-state]").inner_text() == "已接受"
        page.click("nav >> text=模型发布")
        assert "fenqi.tar.gz" in page.inner_text("[data-testid=live-model]")
        assert not errors, errors
    finally:
        context.close()
