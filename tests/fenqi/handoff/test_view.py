"""What agents see of an account: masked name, the lines, overdue bills, the diagnosis' causes."""
from datetime import datetime, timedelta

from fenqi.accounts.repository import load_snapshot
from fenqi.db.engine import session_scope
from fenqi.handoff.view import account_summary, mask_name, masked_transcript, waiting_text
from fenqi.knowledge import load_knowledge
from fenqi.money import format_cny
from tests.support.times import BJ


def test_summary_of_a_demo_account_has_its_own_numbers_and_a_masked_name(store):
    with session_scope(store) as s:
        snap = load_snapshot(s, "demo_low_limit")
    summary = account_summary(snap, load_knowledge())
    assert summary.name == snap.user.name[0] + "*" * (len(snap.user.name) - 1)
    line = summary.lines[0]
    assert (line.label, line.limit, line.available) == ("小米分期", format_cny(snap.credit.limit),
                                                       format_cny(snap.credit.available))
    assert "额度不足" in summary.diagnosis and summary.overdue == "无"


def test_overdue_bills_are_summed(store):
    with session_scope(store) as s:
        snap = load_snapshot(s, "demo_overdue")
    assert account_summary(snap, load_knowledge()).overdue.startswith("1 期，最长")


def test_masking_helpers():
    assert (mask_name("王小明"), mask_name("李"), mask_name("")) == ("王**", "李*", "-")
    assert masked_transcript([{"speaker": "user", "text": "手机13812345678"}, {"speaker": "bot", "text": "好"}]) == \
        [("用户", "手机138****5678"), ("助手", "好")]
    t0 = datetime(2026, 5, 1, 10, tzinfo=BJ)
    assert [waiting_text(t0, t0 + d) for d in (timedelta(seconds=30), timedelta(minutes=5),
                                                 timedelta(minutes=65))] == ["不到 1 分钟", "5 分钟", "1 小时 5 分钟"]
