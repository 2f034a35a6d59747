"""The whole bot on a UTC server answers in Beijing time (issue 21, point 1).

One real stack (action server + Rasa server) runs with ``TZ=UTC`` and the business clock fixed
(``FENQI_CLOCK_AT``); the clock is moved by restarting the action server, where the answers are
decided. Before the business clock, every "today" and service hour was the server's (UTC):

* 23:30 UTC = 07:30 next day in Beijing: a bill due on Beijing's today said "还有 1 天" instead of
  "今天到期", and an overdue bill was a day short;
* 13:30 UTC = 21:30 Beijing: the handoff said agents were in service hours (13:30 < 21:00);
* 05:30 UTC = 13:30 Beijing: the handoff said "现在不在服务时间" (05:30 < 09:00).
"""
from __future__ import annotations

import pytest

from tests.support.stack import start_stack

# Beijing's 2026-12-02 starts at 2026-12-01 16:00 UTC.
EARLY_MORNING = "2026-12-01T23:30:00Z"   # 07:30 Beijing, 2026-12-02
EVENING = "2026-12-01T13:30:00Z"         # 21:30 Beijing: after service hours (09:00-21:00)
MIDDAY = "2026-12-02T05:30:00Z"          # 13:30 Beijing: in service hours

ACCOUNTS = """\
products:
  - sku: clock-phone
    name: 时区测试手机
    price: 900.00
users:
  - user_id: clock_user
    name: 时钟
    region: 北京
    credit_rating: A
    credit: {limit: 5000, used: 900}
orders:
  - order_id: ORD-CLOCK-1
    user_id: clock_user
    product_name: 时区测试手机
    total: 900.00
    periods: 3
    fee_rate: 0
    created: 2026-10-29
    bills:
      - {period_no: 1, due_date: 2026-11-29, principal: 300.00, fee: 0, paid: false}
      - {period_no: 2, due_date: 2026-12-02, principal: 300.00, fee: 0, paid: false}
      - {period_no: 3, due_date: 2027-01-02, principal: 300.00, fee: 0, paid: false}
"""


@pytest.fixture(scope="module")
def utc_stack(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("utc-stack")
    stack = start_stack(workdir, tz="UTC", clock_at=EARLY_MORNING)
    try:
        accounts = workdir / "clock-accounts.yml"
        accounts.write_text(ACCOUNTS, encoding="utf-8")
        loaded = stack.fenqi("accounts", "load", str(accounts))
        assert loaded.returncode == 0, loaded.stderr
        yield stack
    finally:
        stack.stop()


def texts(replies):
    return "\n".join(r.get("text", "") for r in replies)


def test_at_2330_utc_due_today_and_overdue_days_are_counted_in_beijing_dates(utc_stack):
    answer = texts(utc_stack.ask("clock-due", "我的还款日是哪天", token=utc_stack.token("clock_user")))
    assert "时区测试手机" in answer, answer
    assert "还款日 2026年12月2日，今天到期" in answer, answer     # UTC's date said "还有 1 天"
    assert "还款日 2026年11月29日，已逾期 3 天" in answer, answer  # UTC's date said 2 days


def test_at_1330_utc_it_is_after_service_hours_in_beijing(utc_stack):
    utc_stack.move_clock(EVENING)
    answer = texts(utc_stack.ask("clock-evening", "转人工"))
    assert "工单号" in answer and "现在不在服务时间" in answer, answer


def test_at_0530_utc_agents_are_in_service_hours_in_beijing(utc_stack):
    utc_stack.move_clock(MIDDAY)
    answer = texts(utc_stack.ask("clock-midday", "转人工"))
    assert "工单号" in answer and "现在不在服务时间" not in answer, answer
    assert "现在是服务时间" in answer or "暂无空闲的人工客服" in answer, answer
