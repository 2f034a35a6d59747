"""Server-rendered HTML of the trainer's pages: the NLU inbox and the model releases (escaped, no script)."""
from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Iterable, List, Optional, Sequence
from urllib.parse import urlencode

from fenqi import clock
from fenqi.analytics.labels import intent_label
from fenqi.db.models import ModelRelease
from fenqi.handoff.agents import SignedIn
from fenqi.knowledge import QuestionBook
from fenqi.privacy import PERSONAL_KINDS
from fenqi.training.gate import GateRecord, summary
from fenqi.training.inbox import DecisionError, GroupView, ItemView, allowed_label
from fenqi.training.need import REASON_LABELS
from fenqi.training.releases import Live

from .pages import csrf_field, page

DECISION_LABELS = {"open": "待标注", "confirmed": "已确认", "relabelled": "已改标注", "out_of_scope": "超出范围",
                   "discarded": "已丢弃"}
STATE_LABELS = {"new": "待标注", "accepted": "已接受", "blocked": "被拦截", "discarded": "已丢弃", "exported": "已导出"}
ACTION_LABELS = {"baseline": "初始", "promote": "发布", "rollback": "回滚"}


def business(at: Optional[datetime]) -> str:
    """An instant of the store in business time (fenqi.clock)."""
    return "-" if at is None else clock.local(at).strftime("%Y-%m-%d %H:%M")


def label_text(book: QuestionBook, intent: Optional[str], question: Optional[str]) -> str:
    if not intent:
        return "-"
    text = f"{intent_label(intent)}（{intent}）"
    if question:
        title = book.get(question).question if question in book else question
        text += f" / {title}（{question}）"
    return text


def live_line(live: Live) -> str:
    if live.release is None:
        return (f'<p data-testid="live-model">线上模型：<b>{escape(live.name)}</b>'
                '（尚无发布记录：由 make train 训练的默认模型）</p>')
    r = live.release
    return (f'<p data-testid="live-model">线上模型：<b>{escape(r.model)}</b>，自 {escape(business(r.created_at))}'
            f'（北京时间）起，{escape(ACTION_LABELS.get(r.action, r.action))}人 {escape(r.by)}</p>')


def label_options(book: QuestionBook, intents: Sequence[str], chosen: str = "") -> str:
    """One select: every standard question under its intent, then the intents without questions."""
    with_questions = [i for i in intents if any(q.intent == i for q in book.questions)]
    out = ['<option value="">选择正确的意图 / 标准问题…</option>']
    for intent in with_questions:
        opts = "".join(
            f'<option value="{escape(intent)}|{escape(q.id)}"{" selected" if chosen == f"{intent}|{q.id}" else ""}>'
            f'{escape(q.question)}（{escape(q.id)}）</option>' for q in book.questions if q.intent == intent)
        out.append(f'<optgroup label="{escape(intent_label(intent))}（{escape(intent)}）">{opts}</optgroup>')
    others = "".join(f'<option value="{escape(i)}|">{escape(intent_label(i))}（{escape(i)}）</option>'
                     for i in intents if i not in with_questions)
    out.append(f'<optgroup label="其他意图">{others}</optgroup>')
    return "".join(out)


def confirmable(intent: str, question: Optional[str]) -> bool:
    """Whether "confirm" would be accepted: the prediction is a label the server takes."""
    try:
        allowed_label(intent, question)
    except DecisionError:
        return False
    return True


def _item_row(book: QuestionBook, item: ItemView, findings: Iterable[str]) -> str:
    conf = f"{item.confidence:.2f}"
    question = ""
    if item.question:
        title = book.get(item.question).question if item.question in book else item.question
        qconf = f" {item.question_confidence:.2f}" if item.question_confidence is not None else ""
        question = f"{title}（{item.question}）{qconf}"
    flags = "".join(f'<span class="chip warn">{escape(PERSONAL_KINDS.get(k, k))}</span>' for k in item.personal)
    notes = [*findings] + ([item.note] if item.note else [])
    note = "".join(f'<div class="guard" data-testid="guard">{escape(n)}</div>' for n in notes)
    return (f'<tr data-testid="item"><td class="text" data-testid="item-text">{escape(item.text)}{flags}{note}</td>'
            f'<td>{item.seen}</td><td>{escape(item.channel)}</td>'
            f'<td>{escape(intent_label(item.intent))}（{escape(item.intent)}）{conf}</td>'
            f'<td>{escape(question) or "-"}</td><td data-testid="item-state">{escape(STATE_LABELS.get(item.state, item.state))}</td></tr>')


def group_card(signed: SignedIn, book: QuestionBook, intents: Sequence[str], group: GroupView, back: str) -> str:
    s = group.signs
    chips = "".join(f'<span class="chip">{escape(REASON_LABELS[r])}</span>' for r in group.reasons)
    facts = (f"出现 {s.seen} 次 · 平均置信度 {s.confidence:.2f} · 最小间隔 {s.margin:.2f} · 兜底 {s.fallbacks}"
             f" · 澄清 {s.clarified} · 转人工 {s.handoffs} · 低评分 {s.low_ratings}")
    findings = dict(group.findings)
    rows = "".join(_item_row(book, item, [f.message for f in findings.get(item.id, ())]) for item in group.items)
    table = ('<table class="data inbox-items"><thead><tr><th>用户消息（已脱敏）</th><th>次数</th><th>渠道</th>'
             f'<th>预测意图 置信度</th><th>预测标准问题</th><th>状态</th></tr></thead><tbody>{rows}</tbody></table>')
    if group.decision == "open":
        rep = group.representative
        if confirmable(rep.intent, rep.question):
            confirm = (f'<button type="submit" name="action" value="confirm" data-testid="confirm">'
                       f'确认：{escape(label_text(book, rep.intent, rep.question))}</button>')
        else:  # e.g. the fallback's guess without a standard question: only a relabel can say which
            confirm = ('<button type="button" disabled class="secondary" data-testid="confirm">'
                       '无法确认：预测缺少标准问题，请改标注</button>')
        form = (f'<form method="post" action="/inbox/groups/{group.id}" class="decide" data-testid="decide">'
                f'{csrf_field(signed.csrf_token)}<input type="hidden" name="back" value="{escape(back)}">'
                f'{confirm}'
                f'<label>改标注<select name="label" data-testid="label">{label_options(book, intents)}</select></label>'
                '<button type="submit" name="action" value="relabel" data-testid="relabel">改标注</button>'
                '<button type="submit" name="action" value="out_of_scope" class="secondary" data-testid="out-of-scope">'
                '超出范围</button>'
                '<button type="submit" name="action" value="discard" class="secondary" data-testid="discard">丢弃</button>'
                '</form><p class="hint">一次决定标注整组近似消息；被拦截的句子（重复、冲突、评测句、个人信息）不会加入训练数据。</p>')
        head = (f'<h2>组 #{group.id} <small>需要度 {group.need:.2f}</small> {chips}</h2>'
                f'<p class="muted" data-testid="signs">{escape(facts)}</p>')
    else:
        who = f"，{escape(group.reviewer)}" if group.reviewer else ""
        form = ""
        head = (f'<h2>组 #{group.id} <small data-testid="decision">{escape(DECISION_LABELS.get(group.decision, group.decision))}'
                f'：{escape(label_text(book, group.intent, group.question))}{who}，{escape(business(group.decided_at))}'
                f'</small></h2><p class="muted">{escape(facts)}</p>')
    return f'<section class="card group" data-testid="group" data-group="{group.id}">{head}{table}{form}</section>'


def inbox_page(signed: SignedIn, book: QuestionBook, intents: Sequence[str], status: str, groups: Sequence[GroupView],
               total: int, page_no: int, page_size: int, live: Live, counts: dict, notice: Optional[GroupView] = None,
               error: str = "") -> str:
    def link(**query: object) -> str:
        return "/inbox?" + urlencode({k: v for k, v in query.items() if v not in (None, "", 1) or k == "status"})

    back = link(status=status, page=page_no)
    tabs = " ".join(
        f'<a href="{escape(link(status=key))}" class="tab{" on" if key == status else ""}" data-testid="tab-{key}">'
        f'{label}</a>' for key, label in (("open", f"待标注（{counts.get('open_groups', 0)} 组）"), ("decided", "已处理")))
    pages = max(1, -(-total // page_size))
    nav = []
    if page_no > 1:
        nav.append(f'<a href="{escape(link(status=status, page=page_no - 1))}" data-testid="prev">上一页</a>')
    if page_no < pages:
        nav.append(f'<a href="{escape(link(status=status, page=page_no + 1))}" data-testid="next">下一页</a>')
    message = f'<p class="error" data-testid="error">{escape(error)}</p>' if error else ""
    if notice is not None:
        blocked = [i for i in notice.items if i.state == "blocked"]
        accepted = sum(i.state == "accepted" for i in notice.items)
        message += (f'<div class="notice" data-testid="notice">组 #{notice.id}：'
                    f'{escape(DECISION_LABELS.get(notice.decision, notice.decision))}'
                    f'（{escape(label_text(book, notice.intent, notice.question))}），{accepted} 句已接受'
                    + (f"，{len(blocked)} 句被拦截：" + "".join(
                        f'<div class="guard">「{escape(i.text)}」{escape(i.note or "")}</div>' for i in blocked)
                       if blocked else "") + "</div>")
    cards = "".join(group_card(signed, book, intents, g, back) for g in groups) or \
        '<section class="card muted" data-testid="empty">没有待标注的消息。</section>'
    body = (f'<section class="card"><h1>NLU 收件箱 <small data-testid="total">第 {page_no} / {pages} 页，共 {total} 组</small>'
            f'</h1>{live_line(live)}<p class="tabs">{tabs}</p>'
            f'<p class="hint">模型未训练过的用户消息，按需要度排序（低置信、兜底、意图边界、高频、追问/转人工/低评分）。'
            f'已接受 {counts.get("accepted", 0)} 句待导出（python -m fenqi nlu export），已导出 {counts.get("exported", 0)} 句。'
            f'消息在进入收件箱前已脱敏。</p>{message}</section>{cards}<p class="pager">{" ".join(nav)}</p>')
    return page("NLU 收件箱", body, signed, [("page", "inbox")])


def models_page(signed: SignedIn, live: Live, rows: Sequence[ModelRelease]) -> str:
    def gate_cell(gate: Optional[dict]) -> str:
        return escape(summary(GateRecord.from_json(gate))) if gate else "-"

    def rollout_cell(steps: Optional[List[dict]]) -> str:
        return escape("、".join(f"{s.get('name')} {s.get('seconds')} s" for s in steps or [])) or "-"

    body_rows = "".join(
        f'<tr data-testid="release"><td>#{r.id}</td><td>{escape(business(r.created_at))}</td>'
        f'<td>{escape(ACTION_LABELS.get(r.action, r.action))}</td><td>{escape(r.model)}</td><td>{escape(r.by)}</td>'
        f'<td>{gate_cell(r.gate)}</td><td>{rollout_cell(r.rollout)}</td></tr>' for r in rows) \
        or '<tr><td colspan="7" class="muted">尚无发布记录。</td></tr>'
    body = (f'<section class="card"><h1>模型发布</h1>{live_line(live)}'
            '<p class="hint">发布：python -m fenqi model gate NEW（评测门禁）→ python -m fenqi model promote NEW'
            '（逐个实例切换）；回滚：python -m fenqi model rollback（docs/training-loop.md）。</p></section>'
            '<section class="card"><table class="data" data-testid="releases"><thead><tr><th>#</th><th>时间（北京）</th>'
            '<th>操作</th><th>模型</th><th>发布人</th><th>门禁</th><th>各实例切换用时</th></tr></thead>'
            f'<tbody>{body_rows}</tbody></table></section>')
    return page("模型发布", body, signed, [("page", "models")])


def forbidden_page(signed: Optional[SignedIn]) -> str:
    body = ('<section class="card" data-testid="forbidden"><h1>没有权限</h1>'
            '<p>此页面只对拥有“trainer”角色的客服开放（NLU 收件箱和模型发布为训练师功能）。'
            '需要时请管理员运行 <code>python -m fenqi agents grant 名字 trainer</code>。</p>'
            '<p><a href="/">返回待处理会话</a></p></section>')
    return page("没有权限", body, signed)



def error_page(signed: SignedIn, message: str) -> str:
    return page("请求有误", f'<section class="card"><h1>请求有误</h1><p class="error" data-testid="error">'
                         f'{escape(message)}</p><p><a href="/inbox">返回收件箱</a></p></section>', signed)
