"""Server-rendered HTML of the lead's pages: analytics and conversation review (escaped, no script)."""
from __future__ import annotations

from html import escape
from typing import Iterable, List, Optional, Sequence, Tuple
from urllib.parse import quote

from fenqi.analytics.channels import ALL_CHANNELS
from fenqi.analytics.channels import LABELS as CHANNEL_LABELS
from fenqi.analytics.labels import intent_label, question_label
from fenqi.analytics.metrics import Report
from fenqi.analytics.periods import LABELS as PERIOD_LABELS
from fenqi.analytics.periods import Period
from fenqi.analytics.review import ConversationRow, ConversationView, Filters, Line
from fenqi.analytics.rollup import Progress
from fenqi.analytics.tables import ANALYTICS_TABLES, Table, conversations_table, duration, millis, pct, score
from fenqi.db.models import REVIEW_TAGS
from fenqi.handoff.agents import SignedIn

from .pages import csrf_field, page


def _options(pairs: Iterable[Tuple[str, str]], chosen: str) -> str:
    return "".join(f'<option value="{escape(v)}"{" selected" if v == chosen else ""}>{escape(t)}</option>'
                   for v, t in pairs)


def period_form(action: str, period: Period, channel: Optional[str], extra: str = "") -> str:
    """The period/channel selector (a GET form: works without JavaScript)."""
    periods = _options(PERIOD_LABELS.items(), period.key)
    channels = _options([("", "全部渠道")] + [(c, CHANNEL_LABELS[c]) for c in ALL_CHANNELS], channel or "")
    return (f'<form method="get" action="{action}" class="filters" data-testid="filters">'
            f'<label>时间<select name="period">{periods}</select></label>'
            f'<label>自定义从<input type="date" name="from" value="{period.first.isoformat()}"></label>'
            f'<label>到<input type="date" name="to" value="{period.last.isoformat()}"></label>'
            f'<label>渠道<select name="channel">{channels}</select></label>{extra}'
            '<button type="submit" data-testid="apply">查询</button></form>')


def table_html(table: Table, testid: str, csv_href: Optional[str] = None, links: Optional[List[str]] = None) -> str:
    """A table with its CSV link; ``links`` optionally makes each row's first cell a link."""
    head = "".join(f"<th>{escape(h)}</th>" for h in table.header)
    body = []
    for i, row in enumerate(table.rows):
        cells = [escape(c) for c in row]
        if links is not None and cells:
            cells[0] = f'<a href="{escape(links[i])}">{cells[0]}</a>'
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    rows = "".join(body) or f'<tr><td colspan="{len(table.header)}" class="muted">暂无数据</td></tr>'
    export = (f' <a class="csv" href="{escape(csv_href)}" data-testid="csv-{escape(table.name)}">导出 CSV</a>'
              if csv_href else "")
    return (f'<section class="card"><h2>{escape(table.title)}{export}</h2>'
            f'<div class="scroll"><table class="data" data-testid="{escape(testid)}"><thead><tr>{head}</tr></thead>'
            f'<tbody>{rows}</tbody></table></div></section>')


def _kpi(label: str, value: str, testid: str, note: str = "") -> str:
    small = f"<small>{escape(note)}</small>" if note else ""
    return (f'<div class="kpi" data-testid="kpi-{testid}"><span>{escape(label)}</span>'
            f'<b>{escape(value)}</b>{small}</div>')


def _progress_note(progress: Optional[Progress]) -> str:
    if progress is None or progress.behind == 0:
        return ""
    return (f'<p class="hint" data-testid="behind">统计数据更新中：还有约 {progress.behind} 条对话事件待统计，'
            '稍后刷新页面即可看到。</p>')


def analytics_page(signed: SignedIn, period: Period, channel: Optional[str], report: Report,
                   progress: Optional[Progress], error: str = "") -> str:
    query = period.query() + (f"&channel={channel}" if channel else "")
    f, c = report.total, report.total.counts
    scope = CHANNEL_LABELS[channel] if channel else "全部渠道"
    kpis = "".join((
        _kpi("会话数", str(c.conversations), "conversations"),
        _kpi("用户消息数", str(c.messages), "messages"),
        _kpi("自助解决率", pct(f.containment), "containment", "未转人工的会话"),
        _kpi("兜底率", pct(f.fallback_rate), "fallback", "澄清或超出范围的消息"),
        _kpi("转人工率", pct(f.handoff_rate), "handoff", f"{c.handoffs} 个会话"),
        _kpi("未澄清直接解答", pct(f.answered_directly_rate), "direct", "占用户提问"),
        _kpi("人工接入等待", duration(f.wait_median_seconds), "wait", f"中位数，{f.served} 单"),
        _kpi("满意度", score(f.csat), "csat", f"{f.rated} 条评价"),
        _kpi("响应时间 p50 / p95", f"{millis(f.latency_p50_ms)} / {millis(f.latency_p95_ms)}", "latency"),
    ))
    charts = "".join(
        f'<figure class="chart"><img src="/analytics/charts/{name}.svg?{escape(query)}" alt="{escape(alt)}" '
        f'data-testid="chart-{name}" width="720" height="{height}"></figure>'
        for name, alt, height in (("volume", "每日会话数", 280), ("rates", "每日比率", 280), ("csat", "每日满意度", 280),
                                  ("intents", "意图分布", 360)))
    tables = "".join(table_html(make(report), f"table-{name}", f"/analytics/{name}.csv?{query}")
                     for name, make in ANALYTICS_TABLES.items())
    message = f'<p class="error" data-testid="error">{escape(error)}</p>' if error else ""
    body = (f'<section class="card"><h1>数据分析 <small>{escape(period.label)} · {escape(scope)}'
            f'（{period.first.isoformat()} 至 {period.last.isoformat()}，北京时间）</small></h1>'
            f'{period_form("/analytics", period, channel)}{message}{_progress_note(progress)}'
            f'<div class="kpis">{kpis}</div>'
            '<p class="hint">指标定义见 docs/analytics.md：会话按开始日期统计，消息按发送日期统计；'
            '工单、等待时间和满意度属于所统计会话中转出的工单。</p></section>'
            f'<section class="card charts">{charts}</section>{tables}')
    return page("数据分析", body, signed, [("page", "analytics")])


def _check(name: str, label: str, on: bool) -> str:
    return (f'<label class="check"><input type="checkbox" name="{name}" value="1"{" checked" if on else ""}>'
            f'{escape(label)}</label>')


def conversations_page(signed: SignedIn, filters: Filters, rows: Sequence[ConversationRow], total: int,
                       page_size: int, intents: Sequence[str], error: str = "") -> str:
    intent_options = _options([("", "全部意图")] + [(i, intent_label(i)) for i in intents], filters.intent or "")
    extra = (f'<label>意图<select name="intent">{intent_options}</select></label>'
             + _check("fallback", "有兜底", filters.fallback) + _check("handoff", "转人工", filters.handoff)
             + _check("low_rating", "评分 ≤ 2", filters.low_rating) + _check("unreviewed", "未审阅", filters.unreviewed))
    table = conversations_table(rows)
    back = quote("/conversations?" + filters.query(), safe="")
    links = [f"/conversations/{r.id}?back={back}" for r in rows]
    pages = max(1, -(-total // page_size))
    nav = []
    if filters.page > 1:
        nav.append(f'<a href="/conversations?{escape(filters.query(filters.page - 1))}" data-testid="prev">上一页</a>')
    if filters.page < pages:
        nav.append(f'<a href="/conversations?{escape(filters.query(filters.page + 1))}" data-testid="next">下一页</a>')
    message = f'<p class="error" data-testid="error">{escape(error)}</p>' if error else ""
    body = (f'<section class="card"><h1>对话审阅 <small data-testid="total">共 {total} 个会话，'
            f'第 {filters.page} / {pages} 页</small></h1>'
            f'{period_form("/conversations", filters.period, filters.channel, extra)}{message}'
            '<p class="hint">消息已脱敏：手机号、身份证号、银行卡号、令牌和渠道用户标识不会显示。</p></section>'
            + table_html(table, "conversations", f"/conversations.csv?{filters.query(1)}", links)
            + f'<p class="pager">{" ".join(nav)}</p>')
    return page("对话审阅", body, signed, [("page", "conversations")])


def _line(line: Line) -> str:
    at = line.at.strftime("%H:%M:%S")
    if line.speaker == "user":
        meta = [intent_label(line.intent or "")]
        if line.confidence is not None:
            meta.append(f"置信度 {line.confidence:.2f}")
        if line.question_id:
            meta.append(f"标准问题 {question_label(line.question_id)}")
        if line.fallback:
            meta.append("兜底")
        return (f'<li class="msg shopper" data-testid="user-line"><b>用户 · {at}</b>{escape(line.text)}'
                f'<span class="nlu" data-testid="nlu">{escape(" · ".join(meta))}</span></li>')
    buttons = "".join(f'<span class="chip">{escape(b)}</span>' for b in line.buttons)
    return (f'<li class="msg bot" data-testid="bot-line"><b>助手 · {at}</b>{escape(line.text)}'
            f'{f"<span class=buttons>{buttons}</span>" if buttons else ""}</li>')


def conversation_page(signed: SignedIn, view: ConversationView, back: str, notice: str = "") -> str:
    lines = "".join(_line(line) for line in view.lines) or '<li class="muted">对话记录已不在对话存储中。</li>'
    facts = [("渠道", CHANNEL_LABELS.get(view.channel, view.channel)),
             ("开始", view.started_at.strftime("%Y-%m-%d %H:%M:%S")),
             ("最后活动", view.last_at.strftime("%Y-%m-%d %H:%M:%S")),
             ("用户消息", str(view.messages)), ("兜底", str(view.fallbacks))]
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in facts)
    ticket = '<p class="muted" data-testid="ticket">没有转人工。</p>'
    if view.ticket is not None:
        t = view.ticket
        live = "".join(f'<li><b>{escape(who)} · {at.strftime("%H:%M:%S")}</b> {escape(text)}</li>'
                       for who, at, text in t.messages)
        ticket = (f'<table class="facts" data-testid="ticket"><tr><th>工单</th><td><a href="/tickets/{t.id}">#{t.id}</a>'
                  f'</td></tr><tr><th>原因</th><td>{escape(t.reason)}</td></tr>'
                  f'<tr><th>状态</th><td>{escape(t.state)}</td></tr>'
                  f'<tr><th>等待</th><td>{escape(duration(t.wait_seconds))}</td></tr>'
                  f'<tr><th>评分</th><td data-testid="rating">{escape(str(t.rating) if t.rating else "未评价")}</td></tr>'
                  f'<tr><th>摘要</th><td>{escape(t.summary)}</td></tr></table>'
                  + (f'<h3>人工对话</h3><ol class="live-log">{live}</ol>' if live else ""))
    fixed = "".join(_check("tag", tag, tag in view.tags).replace('value="1"', f'value="{escape(tag)}"')
                    for tag in REVIEW_TAGS)
    free = "、".join(t for t in view.tags if t not in REVIEW_TAGS)
    reviewer = f"（{escape(view.reviewer)}）" if view.reviewer else ""
    form = (f'<form method="post" action="/conversations/{view.id}/review" class="review" data-testid="review">'
            f'{csrf_field(signed.csrf_token)}<input type="hidden" name="back" value="{escape(back)}"><div>{fixed}</div>'
            f'<label>自定义标签（用逗号或顿号分隔）<input name="free" maxlength="200" value="{escape(free)}" '
            'data-testid="free-tags"></label>'
            + _check("reviewed", "已审阅", view.reviewed).replace('name="reviewed"', 'name="reviewed" data-testid="reviewed"')
            + f'{reviewer}<button type="submit" data-testid="save-review">保存</button></form>')
    note = f'<p class="notice" data-testid="notice">{escape(notice)}</p>' if notice else ""
    body = (f'<p><a href="{escape(back)}">← 返回对话列表</a></p><div class="grid">'
            f'<div class="side"><section class="card"><h1>会话 #{view.id}</h1><table class="facts">{rows}</table>'
            f'</section><section class="card"><h2>工单与评分</h2>{ticket}</section>'
            f'<section class="card"><h2>审阅</h2>{note}{form}</section></div>'
            f'<section class="card"><h2>对话记录（已脱敏）</h2><ol class="transcript review-log" '
            f'data-testid="transcript">{lines}</ol></section></div>')
    return page(f"会话 #{view.id}", body, signed, [("page", "conversation")])


def forbidden_page(signed: Optional[SignedIn], role: str = "lead") -> str:
    body = ('<section class="card" data-testid="forbidden"><h1>没有权限</h1>'
            f'<p>此页面只对拥有“{escape(role)}”角色的客服开放（数据分析和对话审阅为客服组长功能）。'
            '需要时请管理员运行 <code>python -m fenqi agents grant 名字 lead</code>。</p>'
            '<p><a href="/">返回待处理会话</a></p></section>')
    return page("没有权限", body, signed)


def error_page(signed: SignedIn, message: str) -> str:
    return page("请求有误", f'<section class="card"><h1>请求有误</h1><p class="error">{escape(message)}</p>'
                         '<p><a href="/analytics">返回数据分析</a></p></section>', signed)
