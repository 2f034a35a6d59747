"""What an agent sees of a ticket (pure): a masked account summary and masked conversation text.

Agents see the limits, what is used and available, overdue bills and the causes the bot's
diagnosis names. They never see the shopper's full name, phone, ID or card numbers, tokens or
the raw WeChat OpenID / channel sender id.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import List, Mapping, Optional, Sequence, Tuple

from fenqi.diagnosis import diagnose_installment, diagnose_reserve_fund
from fenqi.knowledge import Knowledge
from fenqi.money import format_cny
from fenqi.privacy import mask_pii
from fenqi.state import AccountSnapshot

STATUS_LABELS = {"active": "正常", "frozen": "冻结", "closed": "已关闭", "risk_hold": "风控暂停",
                 "pending_verification": "待认证"}
CHANNEL_LABELS = {"secure_socketio": "App 内客服窗口", "wechat": "微信公众号", "rest": "REST 接口"}


@dataclass(frozen=True)
class LineSummary:
    label: str
    limit: str
    used: str
    available: str
    status: str


@dataclass(frozen=True)
class AccountSummary:
    name: str                      # masked: 王**
    rating: str
    lines: Tuple[LineSummary, ...]
    overdue: str                   # "无" or "2 期，最长 12 天，共 ¥700.00"
    diagnosis: Tuple[str, ...]     # cause titles, installment then 备用金


def mask_name(name: str) -> str:
    """Only the first character of a person's name: ``王小明`` -> ``王**``."""
    return (name[:1] + "*" * max(len(name) - 1, 1)) if name else "-"


def channel_label(channel: Optional[str]) -> str:
    return CHANNEL_LABELS.get(channel or "", channel or "未知")


def waiting_text(created_at: datetime, now: datetime) -> str:
    """``3 分钟`` / ``1 小时 5 分钟`` / ``不到 1 分钟``."""
    minutes = max(int((now - created_at).total_seconds() // 60), 0)
    if minutes < 1:
        return "不到 1 分钟"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} 小时 {minutes} 分钟" if hours else f"{minutes} 分钟"


def _line(label: str, limit: Decimal, used: Decimal, available: Decimal, status: str) -> LineSummary:
    return LineSummary(label, format_cny(limit), format_cny(used), format_cny(available),
                       STATUS_LABELS.get(status, status))


def overdue_text(snapshot: AccountSnapshot) -> str:
    bills = [b for o in snapshot.orders for b in o.overdue_bills(snapshot.today)]
    if not bills:
        return "无"
    days = max(b.overdue_days(snapshot.today) for b in bills)
    amount = sum((b.amount for b in bills), Decimal(0))
    return f"{len(bills)} 期，最长 {days} 天，共 {format_cny(amount)}"


def account_summary(snapshot: AccountSnapshot, knowledge: Knowledge) -> AccountSummary:
    lines: List[LineSummary] = []
    if snapshot.credit is not None:
        c = snapshot.credit
        lines.append(_line("小米分期", c.limit, c.used, c.available, c.status))
    if snapshot.reserve_fund is not None:
        r = snapshot.reserve_fund
        lines.append(_line("备用金", r.limit, r.used, r.available, r.status))
    causes = [c.title for c in diagnose_installment(snapshot, knowledge)]
    causes += [c.title for c in diagnose_reserve_fund(snapshot, knowledge) if c.title not in causes]
    return AccountSummary(name=mask_name(snapshot.user.name), rating=snapshot.user.credit_rating,
                          lines=tuple(lines), overdue=overdue_text(snapshot), diagnosis=tuple(causes))


def masked_transcript(turns: Sequence[Mapping[str, str]]) -> List[Tuple[str, str]]:
    """The ticket's stored transcript as (speaker label, masked text) pairs."""
    return [("用户" if t.get("speaker") == "user" else "助手", mask_pii(str(t.get("text", ""))))
            for t in turns or []]
