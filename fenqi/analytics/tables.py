"""The tables of the analytics and review pages, once: the page renders them as HTML and exports
each as CSV (UTF-8 with a byte-order mark, so spreadsheet programs read the Chinese)."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from fenqi.handoff.reasons import REASONS
from fenqi.handoff.reasons import label as reason_label

from .channels import LABELS as CHANNEL_LABELS
from .labels import intent_label, question_label
from .metrics import RATINGS, Figures, Report
from .review import ConversationRow


@dataclass(frozen=True)
class Table:
    name: str                       # the CSV's file name part
    title: str
    header: Tuple[str, ...]
    rows: List[Tuple[str, ...]]

    def csv(self) -> str:
        out = io.StringIO()
        out.write("\ufeff")
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(self.header)
        writer.writerows(self.rows)
        return out.getvalue()


def pct(value: Optional[float]) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def duration(seconds: Optional[float]) -> str:
    if seconds is None:
        return "-"
    whole = int(round(seconds))
    if whole < 60:
        return f"{whole} 秒"
    minutes, rest = divmod(whole, 60)
    return f"{minutes} 分 {rest} 秒" if minutes < 60 else f"{minutes // 60} 小时 {minutes % 60} 分"


def millis(value: Optional[int]) -> str:
    return "-" if value is None else f"{value} ms"


def score(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:.2f}"


CHANNEL_HEADER = ("渠道", "会话数", "用户消息数", "自助解决率", "兜底率", "转人工率", "转人工数", "未澄清直接解答率",
                  "人工接入等待中位数", "满意度", "评价数", "响应 p50", "响应 p95")


def _channel_row(name: str, f: Figures) -> Tuple[str, ...]:
    c = f.counts
    return (name, str(c.conversations), str(c.messages), pct(f.containment), pct(f.fallback_rate),
            pct(f.handoff_rate), str(c.handoffs), pct(f.answered_directly_rate), duration(f.wait_median_seconds),
            score(f.csat), str(f.rated), millis(f.latency_p50_ms), millis(f.latency_p95_ms))


def channels_table(report: Report, total_label: str = "合计") -> Table:
    rows = [_channel_row(CHANNEL_LABELS[c], f) for c, f in report.by_channel.items()]
    selected_all = len(report.by_channel) > 1
    if selected_all:
        rows.append(_channel_row(total_label, report.total))
    return Table("channels", "分渠道指标", CHANNEL_HEADER, rows)


def daily_table(report: Report) -> Table:
    return Table("daily", "每日趋势", ("日期", "会话数", "转人工数", "自助解决率", "转人工率", "用户消息数", "兜底消息数",
                                    "兜底率", "评价数", "满意度"),
                 [(p.day.isoformat(), str(p.conversations), str(p.handoffs), pct(p.containment), pct(p.handoff_rate),
                   str(p.messages), str(p.fallbacks), pct(p.fallback_rate), str(p.rated), score(p.csat))
                  for p in report.daily])


def _share(n: int, whole: int) -> str:
    return pct(n / whole) if whole else "-"


def intents_table(report: Report) -> Table:
    whole = sum(n for _, n in report.intents)
    return Table("intents", "热门意图", ("意图", "名称", "消息数", "占比"),
                 [(intent_label(name), name or "-", str(n), _share(n, report.total.counts.messages or whole))
                  for name, n in report.intents])


def questions_table(report: Report) -> Table:
    return Table("questions", "热门标准问题", ("标准问题", "消息数"),
                 [(question_label(q), str(n)) for q, n in report.questions])


def fallback_intents_table(report: Report) -> Table:
    return Table("fallback_intents", "兜底最多的意图", ("最可能的意图", "名称", "兜底消息数"),
                 [(intent_label(name) if name else "（无法判断）", name or "-", str(n))
                  for name, n in report.fallback_intents])


def reasons_table(report: Report) -> Table:
    reasons = report.total.reasons
    whole = sum(reasons.values())
    keys: List[Optional[str]] = [r for r in REASONS if r in reasons]
    keys += [r for r in reasons if r not in REASONS]
    return Table("reasons", "转人工原因", ("原因", "工单数", "占比"),
                 [(reason_label(r), str(reasons[r]), _share(reasons[r], whole)) for r in keys])


def csat_table(report: Report) -> Table:
    ratings = report.total.ratings
    whole = sum(ratings)
    return Table("csat", "满意度分布", ("评分", "评价数", "占比"),
                 [(f"{r} 分", str(n), _share(n, whole)) for r, n in zip(RATINGS, ratings)])


ANALYTICS_TABLES: Dict[str, Callable[[Report], Table]] = {
    "channels": channels_table, "daily": daily_table, "intents": intents_table, "questions": questions_table,
    "fallback_intents": fallback_intents_table, "reasons": reasons_table, "csat": csat_table,
}


def conversations_table(rows: Sequence[ConversationRow]) -> Table:
    return Table("conversations", "对话列表",
                 ("会话编号", "开始时间", "渠道", "消息数", "兜底次数", "意图", "首条消息（已脱敏）", "工单", "转人工原因",
                  "评分", "标签", "已审阅"),
                 [(str(r.id), r.started_at.strftime("%Y-%m-%d %H:%M"), CHANNEL_LABELS.get(r.channel, r.channel),
                   str(r.messages), str(r.fallbacks), "、".join(intent_label(i) for i in r.intents), r.preview,
                   f"#{r.ticket_id}" if r.ticket_id else "", reason_label(r.reason) if r.ticket_id else "",
                   str(r.rating) if r.rating else "", "、".join(r.tags), "是" if r.reviewed else "否")
                  for r in rows])
