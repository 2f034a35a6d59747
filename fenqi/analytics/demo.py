"""Made-up but realistic conversation histories in the stores' own formats: Rasa's tracker events
(the rows ``SQLTrackerStore`` writes) and the handoff tickets, takeovers and ratings the bot and
the console write. Used by the demo seed (``python -m fenqi db seed-demo-history``: a week of
traffic so a lead's pages are not empty), the tests (:class:`Chat` writes a known history) and
the benchmark (``generate`` at a million events).

Every sender id of a generated history contains :data:`MARK`, so the demo seed can replace its
own history without touching real conversations. No message here is copied from any corpus.
"""
from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

from sqlalchemy import delete, insert, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from fenqi import clock
from fenqi.db.models import (
    AnalyticsConversation,
    AnalyticsTurn,
    ConversationReview,
    HandoffTicket,
    TicketMessage,
    TicketTakeover,
)
from fenqi.fallback import load_topics
from fenqi.handoff.reasons import AFTER_FALLBACK, ASKED, FALLBACK_LADDER
from fenqi.nlp import FALLBACK, OUT_OF_SCOPE

from . import DEMO_STAMP as STAMP  # noqa: F401 - the CLI writes it
from .events import EVENTS, ensure_events_table, utc

MARK = "demoh"
MODEL_ID = "demo-history"
INPUT_CHANNELS = {"widget": "secure_socketio", "wechat": "wechat", "rest": "rest"}
CLARIFY_TEXT = "抱歉，我不太确定您的意思。您是想问{options}吗？请点选一个，都不是的话点“都不是”。"
HANDOFF_TEXT = "已为您转接人工客服，前面还有 {position} 位用户在排队，请稍候。"
LADDER_LEAD = "抱歉，我几次都没能理解您的问题，为免耽误您，请人工客服来帮您。\n"
OUT_OF_SCOPE_TEXT = "这个问题我暂时帮不上忙 😅 我专门解答小米分期和备用金的问题，您可以问我："

# Shopper phrasings (written for this project), per intent.
ASKS: Dict[str, Tuple[str, ...]] = {
    "how_to_use_installment": ("买手机怎么分期付款", "下单时在哪里选小米分期", "分期购买要怎么操作",
                               "第一次用小米分期，流程是什么"),
    "why_cannot_installment": ("为什么我结算的时候没有分期选项", "我的小米分期用不了是怎么回事",
                               "手机号 13812345678 的账户为啥不能分期", "提示暂不支持分期，什么原因"),
    "how_to_repay": ("这个月的分期怎么还", "在哪里还小米分期的钱", "还款入口在哪", "可以用微信还分期吗"),
    "early_repayment": ("能提前把分期全部还清吗", "提前还款要手续费吗", "我想一次性结清剩下的期数"),
    "auto_repay": ("怎么开通自动还款", "自动扣款绑的哪张卡", "关闭自动还款在哪里设置"),
    "installment_fees": ("分12期手续费多少", "分期利息怎么算的", "3期免息吗"),
    "credit_limit": ("我的分期额度是多少", "怎么提高小米分期额度", "额度为什么变少了"),
    "reserve_fund_limit": ("备用金能借多少", "备用金怎么提现到银行卡", "备用金额度用完了怎么办"),
    "repayment_due": ("每个月几号还款", "这期账单什么时候到期", "逾期一天会怎样"),
    "greet": ("你好", "在吗", "您好，请问一下"),
    "thank": ("谢谢", "好的，明白了，谢谢", "感谢"),
    "goodbye": ("再见", "没有了，拜拜"),
    "request_human": ("转人工", "我要找人工客服", "人工服务"),
}
UNCLEAR = ("那个东西怎么弄", "我上次那个还没好", "为啥又这样", "卡号 6222 0212 3456 7890 123 扣了两次钱",
           "你们这个太麻烦了", "怎么又不行")
OFF_TOPIC = ("我的快递到哪了", "手机屏幕碎了能保修吗", "发票怎么开", "优惠券怎么用不了", "花呗能用吗")
ANSWERS = {
    "how_to_use_installment": "在结算页选择“小米分期”，选好期数并确认即可：",
    "why_cannot_installment": "我帮您查了账户：您的可用额度低于本单结算金额，所以暂时不能分期。",
    "how_to_repay": "您可以在小米商城 App“我的-小米分期-账单”中还款：",
    "early_repayment": "可以提前还款，提前结清的期数不再收取后续手续费：",
    "auto_repay": "在“小米分期-设置-自动还款”中开通，到期日自动从绑定的卡扣款。",
    "installment_fees": "分期手续费按期收取，费率以结算页显示为准：",
    "credit_limit": "您的小米分期额度和可用额度如下：",
    "reserve_fund_limit": "您的备用金额度和可用金额如下：",
    "repayment_due": "您下一期账单的还款日和金额如下：",
    "greet": "您好，我是分期助手 🙂 小米分期和备用金的问题都可以问我。",
    "thank": "不客气！还有其他关于小米分期或备用金的问题吗？",
    "goodbye": "好的，祝您购物愉快，再见！",
}
def standard_questions(intent: str) -> Tuple[str, ...]:
    """The knowledge base's standard questions of ``intent`` (for generate(question_ids=True))."""
    from fenqi.knowledge import load_questions

    return tuple(q.id for q in load_questions().for_intent(intent))


def demo_sender(channel: str, n: int) -> str:
    """A marked sender id of the channel (an OpenID-shaped one for WeChat)."""
    if channel == "wechat":
        return f"wx:o{MARK}{n:022d}"
    if channel == "rest":
        return f"rest:anon:{MARK}-{n:06d}"
    return f"anon:{MARK}-{n:06d}"


@dataclass
class TicketSpec:
    """A ticket the history opened, with what became of it."""

    sender_id: str
    channel: str                     # Rasa input channel name, as the action stores it
    created_at: datetime             # aware
    reason: str
    summary: str
    transcript: List[Dict[str, str]]
    accepted_after: Optional[float] = None   # seconds; None: never accepted
    served_for: float = 240.0
    rating: Optional[int] = None
    agent_lines: Tuple[str, ...] = ()


@dataclass
class History:
    """Event rows (``EVENTS`` columns) and tickets of made-up conversations."""

    rows: List[Dict[str, Any]] = field(default_factory=list)
    tickets: List[TicketSpec] = field(default_factory=list)

    def event(self, sender_id: str, data: Dict[str, Any]) -> None:
        parse = data.get("parse_data") or {}
        self.rows.append({"sender_id": sender_id, "type_name": data["event"], "timestamp": data["timestamp"],
                          "intent_name": (parse.get("intent") or {}).get("name"), "action_name": data.get("name"),
                          "data": json.dumps(data, ensure_ascii=False)})

    def chat(self, sender_id: str, start: datetime, channel: str = "widget") -> "Chat":
        """A conversation starting at ``start`` (aware; a naive datetime is refused)."""
        return Chat(self, sender_id, clock.local(start).timestamp(), INPUT_CHANNELS[channel])


class Chat:
    """Writes one conversation (a Rasa session) the way Rasa and the actions would store it.
    Every method returns the chat; ``after`` is seconds since the previous event, ``latency`` the
    bot's reply time."""

    def __init__(self, history: History, sender_id: str, start: float, input_channel: str) -> None:
        self.history, self.sender_id, self.t, self.input_channel = history, sender_id, start, input_channel
        self.users: List[str] = []
        self.lines: List[Dict[str, str]] = []
        self.misses = 0
        self._action("action_session_start", policy=None)
        self._emit({"event": "session_started", "metadata": {"model_id": MODEL_ID}})
        self._action("action_listen", policy=None)

    def _emit(self, data: Dict[str, Any], after: float = 0.0) -> None:
        self.t += after
        self.history.event(self.sender_id, {**data, "timestamp": round(self.t, 6)})

    def _action(self, name: str, policy: Optional[str] = "RulePolicy", after: float = 0.001) -> None:
        self._emit({"event": "action", "metadata": {"model_id": MODEL_ID}, "name": name, "policy": policy,
                    "confidence": 1.0, "action_text": None, "hide_rule_turn": False}, after)

    def _bot(self, text: str, buttons: Sequence[Tuple[str, str]] = (), after: float = 0.001) -> None:
        data = {"elements": None, "quick_replies": None,
                "buttons": [{"title": t, "payload": p} for t, p in buttons] or None,
                "attachment": None, "image": None, "custom": None}
        self._emit({"event": "bot", "metadata": {"model_id": MODEL_ID}, "text": text, "data": data}, after)
        self.lines.append({"speaker": "bot", "text": text})

    def say(self, text: str, intent: str, confidence: float = 0.92, after: float = 20.0,
            ranking: Sequence[Tuple[str, float]] = (), question: Optional[Tuple[str, float]] = None) -> "Chat":
        """A shopper message the NLU read as ``intent``."""
        message_id = uuid.uuid4().hex
        ranked = [{"name": intent, "confidence": confidence}] + [{"name": n, "confidence": c} for n, c in ranking]
        parse: Dict[str, Any] = {"intent": {"name": intent, "confidence": confidence}, "entities": [], "text": text,
                                 "message_id": message_id, "metadata": {}, "intent_ranking": ranked}
        if question is not None:
            parse["question"] = {"id": question[0], "confidence": question[1]}
        self._emit({"event": "user", "metadata": {"model_id": MODEL_ID}, "text": text, "parse_data": parse,
                    "input_channel": self.input_channel, "message_id": message_id}, after)
        self.users.append(intent)
        self.lines.append({"speaker": "user", "text": text})
        return self

    def answer(self, intent: str, latency: float = 0.25, text: Optional[str] = None,
               buttons: Sequence[Tuple[str, str]] = ()) -> "Chat":
        """The bot's answer to the last message (``action_<intent>`` or ``utter_<intent>``)."""
        core = intent in load_topics().titles
        self._action(f"action_{intent}" if core else f"utter_{intent}", after=latency * 0.9)
        self._bot(text or ANSWERS.get(intent, "好的。"), buttons, after=latency * 0.1)
        self._action("action_listen", after=0.002)
        self.misses = 0
        return self

    def clarify(self, latency: float = 0.3, options: Sequence[str] = ("how_to_repay", "repayment_due")) -> "Chat":
        """``action_clarify``: the clarifying question with the suggested topics as buttons."""
        titles = load_topics().titles
        self.misses += 1
        self._action("action_clarify", after=latency * 0.9)
        asked = "还是".join(f"“{titles[o]}”" for o in options)
        self._bot(CLARIFY_TEXT.format(options=asked), [(titles[o], f"/{o}") for o in options] + [("都不是", "/deny")],
                  after=latency * 0.1)
        self._action("action_listen", after=0.002)
        return self

    def out_of_scope(self, latency: float = 0.2) -> "Chat":
        self._action("utter_out_of_scope", after=latency * 0.9)
        self._bot(OUT_OF_SCOPE_TEXT, [("怎么还款", "/how_to_repay"), ("转人工", "/request_human")], after=latency * 0.1)
        self._action("action_listen", after=0.002)
        return self

    def hand_off(self, reason: str, latency: float = 0.4, accepted_after: Optional[float] = 90.0,
                 rating: Optional[int] = None, served_for: float = 240.0) -> "Chat":
        """The bot opens a ticket (``action_handoff``, or ``action_clarify`` on the last miss)."""
        ladder = reason == FALLBACK_LADDER
        self._action("action_clarify" if ladder else "action_handoff", after=latency * 0.5)
        created = utc(self.t)
        text = (LADDER_LEAD if ladder else "") + HANDOFF_TEXT.format(position=1)
        self._bot(text, after=latency * 0.5)
        self._action("action_listen", after=0.002)
        topics = [load_topics().titles[i] for i in self.users if i in load_topics().titles]
        summary = "近期话题：" + ("、".join(dict.fromkeys(topics)) if topics else "无")
        self.history.tickets.append(TicketSpec(
            sender_id=self.sender_id, channel=self.input_channel, created_at=created, reason=reason, summary=summary,
            transcript=self.lines[-6:], accepted_after=accepted_after, served_for=served_for, rating=rating,
            agent_lines=("您好，我来帮您看一下。", "已为您处理好，还有其他问题吗？") if accepted_after is not None else ()))
        return self


# --- random histories ----------------------------------------------------------------------------

CORE = ("why_cannot_installment", "how_to_repay", "repayment_due", "installment_fees", "early_repayment",
        "credit_limit", "reserve_fund_limit", "auto_repay", "how_to_use_installment")
CORE_WEIGHTS = (18, 20, 14, 10, 8, 8, 9, 6, 7)
CHANNEL_WEIGHTS = (("widget", 55), ("wechat", 35), ("rest", 10))
HOUR_WEIGHTS = (1, 1, 1, 1, 1, 2, 3, 5, 8, 10, 11, 10, 9, 10, 10, 9, 8, 8, 9, 10, 11, 9, 6, 3)
RATING_WEIGHTS = (7, 6, 14, 27, 46)


def _pick(rng: random.Random, options: Sequence[Any], weights: Sequence[float]) -> Any:
    return rng.choices(options, weights=weights, k=1)[0]


def _latency(rng: random.Random, slow: bool = False) -> float:
    return min(4.0, rng.lognormvariate(-1.45 if not slow else -0.9, 0.45))


def _ask(chat: Chat, rng: random.Random, intent: str, questions: bool, after: float) -> Chat:
    ranking = [(i, round(rng.uniform(0.01, 0.08), 3)) for i in rng.sample(CORE, 2) if i != intent]
    question = None
    known = standard_questions(intent) if questions else ()
    if known:
        question = (rng.choice(known), round(rng.uniform(0.6, 0.98), 3))
    chat.say(rng.choice(ASKS[intent]), intent, round(rng.uniform(0.72, 0.99), 3), after, ranking, question)
    return chat.answer(intent, _latency(rng, slow=intent in ("why_cannot_installment", "repayment_due")))


def _miss(chat: Chat, rng: random.Random, after: float) -> Tuple[Chat, str]:
    guess = _pick(rng, CORE, CORE_WEIGHTS)
    other = next(i for i in CORE if i != guess)
    chat.say(rng.choice(UNCLEAR), FALLBACK, 0.45, after,
             ranking=[(guess, round(rng.uniform(0.25, 0.44), 3)), (other, round(rng.uniform(0.05, 0.2), 3))])
    return chat, guess


def random_conversation(history: History, rng: random.Random, sender_id: str, channel: str, start: datetime,
                        questions: bool = False) -> None:
    """One conversation of a random kind: answered questions, a clarified miss, out of scope,
    a human asked for (before or after a miss), three misses handed over, a miss left behind."""
    chat = history.chat(sender_id, start, channel)
    gap = lambda: rng.uniform(8, 90)  # noqa: E731 - seconds between the shopper's messages
    if rng.random() < 0.3:
        chat.say(rng.choice(ASKS["greet"]), "greet", 0.97, rng.uniform(0.5, 3)).answer("greet", _latency(rng))
    kind = _pick(rng, ("answered", "clarified", "off_topic", "asked", "after_miss", "ladder", "lost"),
                 (58, 13, 8, 8, 4, 3, 6))
    served = rng.random() < 0.85
    accepted_after: Optional[float] = rng.uniform(20, 900) if served else None
    served_for = rng.uniform(60, 900)
    rating: Optional[int] = _pick(rng, (1, 2, 3, 4, 5), RATING_WEIGHTS) if served and rng.random() < 0.65 else None
    if kind == "answered":
        for _ in range(_pick(rng, (1, 2, 3), (60, 30, 10))):
            _ask(chat, rng, _pick(rng, CORE, CORE_WEIGHTS), questions, gap())
    elif kind == "clarified":
        chat, guess = _miss(chat, rng, gap())
        chat.clarify(_latency(rng), options=(guess, next(i for i in CORE if i != guess)))
        chat.say(f"/{guess}", guess, 1.0, rng.uniform(3, 15)).answer(guess, _latency(rng))
    elif kind == "off_topic":
        chat.say(rng.choice(OFF_TOPIC), OUT_OF_SCOPE, round(rng.uniform(0.6, 0.95), 3), gap()).out_of_scope(
            _latency(rng))
        if rng.random() < 0.4:
            _ask(chat, rng, _pick(rng, CORE, CORE_WEIGHTS), questions, gap())
    elif kind == "asked":
        if rng.random() < 0.5:
            _ask(chat, rng, _pick(rng, CORE, CORE_WEIGHTS), questions, gap())
        chat.say(rng.choice(ASKS["request_human"]), "request_human", 0.98, gap())
        chat.hand_off(ASKED, _latency(rng), accepted_after, rating, served_for)
    elif kind == "after_miss":
        chat, guess = _miss(chat, rng, gap())
        chat.clarify(_latency(rng), options=(guess, next(i for i in CORE if i != guess)))
        chat.say(rng.choice(ASKS["request_human"]), "request_human", 0.98, rng.uniform(5, 30))
        chat.hand_off(AFTER_FALLBACK, _latency(rng), accepted_after, rating, served_for)
    elif kind == "ladder":
        for _ in range(2):
            chat, guess = _miss(chat, rng, gap())
            chat.clarify(_latency(rng), options=(guess, next(i for i in CORE if i != guess)))
        chat, _ = _miss(chat, rng, gap())
        chat.hand_off(FALLBACK_LADDER, _latency(rng), accepted_after, rating, served_for)
    else:  # lost: a miss, a clarifying question, no answer
        chat, guess = _miss(chat, rng, gap())
        chat.clarify(_latency(rng), options=(guess, next(i for i in CORE if i != guess)))
    if kind in ("answered", "clarified") and rng.random() < 0.35:
        chat.say(rng.choice(ASKS["thank"]), "thank", 0.96, rng.uniform(3, 20)).answer("thank", _latency(rng))


def generate(first_day: date, days: int, per_day: int, seed: int = 19, questions: bool = False,
             first_number: int = 1, until: Optional[datetime] = None) -> Iterator[History]:
    """A random history, one :class:`History` per business day (``per_day`` ± 30 % conversations,
    more in the evening, ending before ``until`` (aware) if given)."""
    rng = random.Random(seed)
    number = first_number
    for i in range(days):
        day = first_day + timedelta(days=i)
        history = History()
        for _ in range(max(1, round(per_day * rng.uniform(0.7, 1.3)))):
            hour = _pick(rng, range(24), HOUR_WEIGHTS)
            start = datetime.combine(day, time(hour), clock.zone()) + timedelta(seconds=rng.uniform(0, 3599))
            if until is not None and start > until - timedelta(hours=1):
                continue
            channel = _pick(rng, [c for c, _ in CHANNEL_WEIGHTS], [w for _, w in CHANNEL_WEIGHTS])
            random_conversation(history, rng, demo_sender(channel, number), channel, start, questions)
            number += 1
        yield history


# --- writing -------------------------------------------------------------------------------------

def write_events(tracker: Engine, rows: Sequence[Dict[str, Any]], chunk: int = 5000) -> None:
    """Append event rows to the tracker store (creating Rasa's table if Rasa has not yet)."""
    ensure_events_table(tracker)
    with tracker.begin() as connection:
        for i in range(0, len(rows), chunk):
            connection.execute(insert(EVENTS), list(rows[i:i + chunk]))


def write_tickets(session: Session, tickets: Sequence[TicketSpec]) -> List[int]:
    """The tickets, their takeovers (accepted, served, ended, rated) and live messages; closed."""
    ids = []
    for spec in tickets:
        accepted = spec.created_at + timedelta(seconds=spec.accepted_after) if spec.accepted_after is not None else None
        ended = (accepted + timedelta(seconds=spec.served_for)) if accepted else spec.created_at + timedelta(minutes=30)
        ticket = HandoffTicket(sender_id=spec.sender_id, channel=spec.channel, user_id=None, summary=spec.summary,
                               transcript=spec.transcript, status="closed", created_at=spec.created_at,
                               closed_at=ended, reason=spec.reason)
        session.add(ticket)
        session.flush()
        session.add(TicketTakeover(ticket_id=ticket.id, state="returned" if accepted else "closed", agent_id=None,
                                   served=accepted is not None, rating=spec.rating, rating_offered=False,
                                   accepted_at=accepted, ended_at=ended, last_inbound_at=spec.created_at))
        if accepted is not None:
            for k, line in enumerate(spec.agent_lines):
                session.add(TicketMessage(ticket_id=ticket.id, author="agent", kind="text", text=line,
                                          created_at=accepted + timedelta(seconds=20 * (k + 1)), delivery="delivered",
                                          delivered_at=accepted + timedelta(seconds=20 * (k + 1))))
            if spec.rating is not None:
                session.add(TicketMessage(ticket_id=ticket.id, author="shopper", kind="text",
                                          text=f"评分 {spec.rating}", created_at=ended + timedelta(seconds=30),
                                          delivery="received"))
        ids.append(ticket.id)
    return ids


def remove_demo_history(session: Session, tracker: Engine) -> int:
    """Delete every marked conversation: its events, rollup rows, reviews and tickets."""
    marked = f"%{MARK}%"
    ids = list(session.scalars(select(AnalyticsConversation.id).where(AnalyticsConversation.sender_id.like(marked))))
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        for statement in (delete(ConversationReview).where(ConversationReview.conversation_id.in_(chunk)),
                          delete(AnalyticsTurn).where(AnalyticsTurn.conversation_id.in_(chunk)),
                          delete(AnalyticsConversation).where(AnalyticsConversation.id.in_(chunk))):
            session.execute(statement.execution_options(synchronize_session=False))
    session.execute(delete(HandoffTicket).where(HandoffTicket.sender_id.like(marked))
                    .execution_options(synchronize_session=False))
    removed = 0
    ensure_events_table(tracker)
    with tracker.begin() as connection:
        removed = connection.execute(delete(EVENTS).where(or_(EVENTS.c.sender_id.like(marked)))).rowcount or 0
    return removed


def newest_demo_day(tracker: Engine) -> Optional[date]:
    """The business date of the newest marked event, or None."""
    from sqlalchemy import func

    from .events import has_events_table
    from .periods import business_day

    if not has_events_table(tracker):
        return None
    with tracker.connect() as connection:
        newest = connection.execute(select(func.max(EVENTS.c.timestamp))
                                    .where(EVENTS.c.sender_id.like(f"%{MARK}%"))).scalar()
    return business_day(newest) if newest else None
