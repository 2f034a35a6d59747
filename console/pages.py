"""Server-rendered HTML of the console (Chinese UI). Every value is escaped; no inline script."""
from __future__ import annotations

from html import escape
from typing import Iterable, List, Optional, Sequence, Tuple

from fenqi.handoff.agents import LEAD, SignedIn
from fenqi.handoff.view import AccountSummary

STATE_LABELS = {"queued": "排队中", "accepted": "人工服务中", "returned": "已交还机器人", "closed": "已结束"}


def page(title: str, body: str, signed: Optional[SignedIn] = None, data: Sequence[Tuple[str, str]] = ()) -> str:
    attrs = "".join(f' data-{escape(k)}="{escape(v)}"' for k, v in data)
    who = nav = ""
    if signed is not None:
        links = [("/", "待处理会话")]
        if signed.has(LEAD):  # the lead's pages; other agents never see the links (and get 403)
            links += [("/analytics", "数据分析"), ("/conversations", "对话审阅")]
        nav = '<nav data-testid="nav">' + "".join(f'<a href="{h}">{escape(t)}</a>' for h, t in links) + "</nav>"
        who = (f'<span class="who">客服：<b data-testid="agent-name">{escape(signed.name)}</b></span>'
               f'<form method="post" action="/logout" class="inline">{csrf_field(signed.csrf_token)}'
               '<button type="submit" class="link">退出</button></form>')
    return ("<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{escape(title)} · 分期助手人工客服</title>"
            "<link rel=\"stylesheet\" href=\"/static/console.css\"></head>"
            f"<body{attrs}><header><a href=\"/\" class=\"brand\">分期助手 · 人工客服工作台</a>{nav}{who}</header>"
            f"<main>{body}</main><script src=\"/static/console.js\"></script></body></html>")


def csrf_field(token: str) -> str:
    return f'<input type="hidden" name="csrf" value="{escape(token)}">'


def login_page(csrf: str, error: str = "") -> str:
    message = f'<p class="error" data-testid="login-error">{escape(error)}</p>' if error else ""
    body = (f'<section class="card login"><h1>客服登录</h1>{message}'
            f'<form method="post" action="/login">{csrf_field(csrf)}'
            '<label>账号<input name="name" autocomplete="username" maxlength="32" required></label>'
            '<label>密码<input name="password" type="password" autocomplete="current-password" '
            'maxlength="128" required></label><button type="submit" data-testid="login">登录</button>'
            '</form></section>')
    return page("登录", body)


def queue_page(signed: SignedIn, online: int) -> str:
    body = ('<section class="card"><h1>待处理会话 <small data-testid="online">在线客服 '
            f'{online} 人</small></h1>'
            '<table class="queue"><thead><tr><th>工单</th><th>状态</th><th>等待时间</th><th>渠道</th>'
            '<th>用户</th><th>摘要</th><th></th></tr></thead><tbody id="queue" data-testid="queue">'
            '<tr><td colspan="7">加载中…</td></tr></tbody></table>'
            '<p class="hint">列表每 2 秒自动刷新；按排队先后排列。</p></section>')
    return page("待处理会话", body, signed, [("page", "queue"), ("csrf", signed.csrf_token)])


def _rows(items: Iterable[Tuple[str, str]]) -> str:
    return "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in items)


def account_block(summary: Optional[AccountSummary]) -> str:
    if summary is None:
        return ('<section class="card"><h2>账户概况</h2><p class="muted" data-testid="account">'
                '未登录访客：没有经过验证的账户信息。</p></section>')
    lines = "".join(
        f"<tr><th>{escape(line.label)}</th><td>{escape(line.limit)}</td><td>{escape(line.used)}</td>"
        f"<td>{escape(line.available)}</td><td>{escape(line.status)}</td></tr>" for line in summary.lines)
    lines = lines or '<tr><td colspan="5">未开通小米分期或备用金</td></tr>'
    diagnosis = "".join(f"<li>{escape(t)}</li>" for t in summary.diagnosis) or "<li>未发现问题</li>"
    return ('<section class="card" data-testid="account"><h2>账户概况（已脱敏）</h2>'
            f'<table class="facts">{_rows([("用户", summary.name), ("信用评级", summary.rating)])}</table>'
            '<table class="lines"><thead><tr><th></th><th>额度</th><th>已用</th><th>可用</th><th>状态</th>'
            f'</tr></thead><tbody>{lines}</tbody></table>'
            f'<table class="facts">{_rows([("逾期", summary.overdue)])}</table>'
            f'<h3>机器人的诊断</h3><ul data-testid="diagnosis">{diagnosis}</ul></section>')


def ticket_page(signed: SignedIn, ticket_id: int, summary_text: str, channel: str, waiting: str,
                transcript: List[Tuple[str, str]], account: Optional[AccountSummary]) -> str:
    turns = "".join(f'<li class="turn {"user" if who == "用户" else "bot"}"><b>{escape(who)}</b>'
                    f"<span>{escape(text)}</span></li>" for who, text in transcript) or "<li>无</li>"
    token = csrf_field(signed.csrf_token)

    def action(name: str, label: str, testid: str) -> str:
        return (f'<form method="post" action="/tickets/{ticket_id}/{name}" class="inline action" '
                f'data-action="{name}">{token}<button type="submit" data-testid="{testid}">{label}</button></form>')

    body = (f'<div class="grid"><div class="side"><section class="card"><h1>工单 #{ticket_id}</h1>'
            f'<table class="facts">{_rows([("渠道", channel), ("等待", waiting), ("摘要", summary_text)])}'
            f'<tr><th>状态</th><td id="state" data-testid="state">-</td></tr></table></section>'
            f'{account_block(account)}'
            f'<section class="card"><h2>机器人对话记录（已脱敏）</h2><ol class="transcript" '
            f'data-testid="transcript">{turns}</ol></section></div>'
            '<section class="card live"><h2>实时对话</h2><ol id="live" data-testid="live"></ol>'
            '<div class="actions">'
            + action("accept", "接入会话", "accept") + action("release", "放回队列", "release")
            + action("handback", "交还机器人", "handback") + action("close", "结束服务", "close")
            + '</div>'
            f'<form id="send" method="post" action="/tickets/{ticket_id}/messages">{token}'
            '<textarea name="text" maxlength="1000" rows="3" placeholder="输入回复，Enter 发送" '
            'data-testid="reply"></textarea><button type="submit" data-testid="send">发送</button></form>'
            '<p id="notice" class="muted" data-testid="notice"></p></section></div>')
    return page(f"工单 #{ticket_id}", body, signed,
                [("page", "ticket"), ("ticket", str(ticket_id)), ("csrf", signed.csrf_token)])
