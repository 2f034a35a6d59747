"""The lead's pages in headless Chromium against the real console on SQLite stores holding a week
of demo traffic: the charts load as images (same origin, the page's CSP unchanged) and the tables
fill; a review saved with the form shows; an agent without the lead role gets the 403 page.
Screenshots of each page go to docs/img/ (README, docs/analytics.md)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.support.console import AGENT_PASSWORD, add_agent, start_console
from tests.support.stack import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]
DESK = {"width": 1280, "height": 900}
IMG = ROOT / "docs" / "img"
CHARTS = ("volume", "rates", "csat", "intents")


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("analytics")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FENQI_")}
    env.update(FENQI_ENV="development", FENQI_DATABASE_URL=f"sqlite:///{tmp / 'fenqi.db'}", FENQI_VAR_DIR=str(tmp),
               FENQI_TRACKER_URL=f"sqlite:///{tmp / 'tracker.db'}", SQLALCHEMY_SILENCE_UBER_WARNING="1",
               FENQI_JWT_SECRET="browser-test-secret-0123456789abcdef")
    for args in (["db", "init"], ["db", "seed-demo-history"]):  # what `make run` shows a lead
        result = subprocess.run([sys.executable, "-m", "fenqi", *args], cwd=ROOT, env=env, capture_output=True,
                                text=True, timeout=120)
        assert result.returncode == 0, result.stderr
    subprocess.run([sys.executable, "-m", "fenqi", "agents", "add", "王组长", "--role", "lead"], cwd=ROOT, env=env,
                   input=AGENT_PASSWORD + "\n", capture_output=True, text=True, timeout=60, check=True)
    add_agent(env, "小李")
    c = start_console(env, tmp / "log")
    yield c
    c.stop()


def signed_in(browser, console, name):
    context = browser.new_context(viewport=DESK, locale="zh-CN")
    page = context.new_page()
    page.goto(console.url + "/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", AGENT_PASSWORD)
    page.click("[data-testid=login]")
    page.wait_for_selector("[data-testid=agent-name]")
    return context, page


def charts_loaded(page):
    page.wait_for_function("""names => names.every(n => {
        const img = document.querySelector(`[data-testid=chart-${n}]`);
        return img && img.complete && img.naturalWidth > 0; })""", arg=list(CHARTS), timeout=60_000)


def test_a_lead_sees_figures_charts_and_tables_and_reviews_a_conversation(browser, console):
    context, page = signed_in(browser, console, "王组长")
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        page.click("nav >> text=数据分析")
        charts_loaded(page)
        conversations = int(page.inner_text("[data-testid=kpi-conversations] b"))
        assert conversations > 50  # a week of demo traffic
        total = page.locator("[data-testid=table-channels] tbody tr").last.locator("td")
        assert total.nth(0).inner_text() == "合计" and int(total.nth(1).inner_text()) == conversations
        assert page.locator("[data-testid=table-daily] tbody tr").count() == 7
        assert page.locator("[data-testid=table-intents] tbody tr").count() >= 5
        assert page.locator("[data-testid=table-csat] tbody tr").count() == 5
        page.screenshot(path=str(IMG / "analytics.png"), full_page=True)

        page.select_option("select[name=channel]", "wechat")
        page.click("[data-testid=apply]")
        charts_loaded(page)
        assert 0 < int(page.inner_text("[data-testid=kpi-conversations] b")) < conversations

        page.click("nav >> text=对话审阅")
        page.check("input[name=handoff]")
        page.click("[data-testid=apply]")
        page.wait_for_selector("[data-testid=conversations] tbody tr a")
        listed = page.inner_text("[data-testid=total]")
        page.screenshot(path=str(IMG / "conversations.png"))
        page.locator("[data-testid=conversations] tbody tr a").first.click()
        page.wait_for_selector("[data-testid=transcript] [data-testid=user-line]")
        assert page.locator("[data-testid=nlu]").first.inner_text().count("置信度") == 1
        assert "#" in page.inner_text("[data-testid=ticket]")
        page.check("input[value=应转人工]")
        page.fill("[data-testid=free-tags]", "排队太久")
        page.check("[data-testid=reviewed]")
        page.click("[data-testid=save-review]")
        page.wait_for_selector("[data-testid=notice]")
        assert page.is_checked("input[value=应转人工]") and page.input_value("[data-testid=free-tags]") == "排队太久"
        page.screenshot(path=str(IMG / "conversation.png"), full_page=True)
        page.click("text=← 返回对话列表")
        assert page.inner_text("[data-testid=total]") == listed and page.is_checked("input[name=handoff]")
        assert errors == []
    finally:
        context.close()


def test_an_agent_without_the_lead_role_gets_403_and_no_links(browser, console):
    context, page = signed_in(browser, console, "小李")
    try:
        assert page.locator("nav >> text=数据分析").count() == 0
        response = page.goto(console.url + "/analytics")
        assert response.status == 403 and page.locator("[data-testid=forbidden]").is_visible()
        assert page.goto(console.url + "/conversations").status == 403
    finally:
        context.close()
