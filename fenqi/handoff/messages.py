"""What the user is told about a handoff (pure functions, Chinese)."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from .hours import ServiceInfo


def ticket_label(ticket_id: int) -> str:
    return f"#{ticket_id}"


def queue_text(position: int) -> str:
    return "您是下一位" if position <= 1 else f"您前面还有 {position - 1} 位，排第 {position} 位"


NO_AGENT_FREE = "目前暂无空闲的人工客服，您的工单会保留在队列中，客服一上线就按顺序接待您。"


def handoff_text(ticket_id: int, position: int, service: ServiceInfo, now: datetime,
                 already_open: bool = False, agents_free: Optional[bool] = None) -> str:
    """Ticket number, queue position and service hours; what happens next depends on the hour
    and, when known (``agents_free``), on whether any agent is signed in to the console."""
    first = (f"您的问题已经在人工客服队列中了（工单号 {ticket_label(ticket_id)}），不用重复提交。"
             if already_open else f"已为您转人工客服，工单号 {ticket_label(ticket_id)}。")
    lines = [first, f"当前排队：{queue_text(position)}。", f"人工服务时间：{service.label}。"]
    if service.is_open(now) and agents_free is False:
        lines.append(NO_AGENT_FREE)
    elif service.is_open(now):
        lines.append("现在是服务时间，客服会按排队顺序尽快联系您。")
    else:
        lines.append("现在不在服务时间。" + service.outside_hours)
    lines.append("等待期间，您也可以继续问我小米分期和备用金的问题。")
    return "\n".join(lines)


def pending_notice(ticket_id: int, position: int) -> str:
    """Said before a bot answer while the sender's ticket is open."""
    return (f"您的问题已转给人工客服（工单号 {ticket_label(ticket_id)}，{queue_text(position)}）。"
            "客服联系您之前，我先继续为您解答：")
