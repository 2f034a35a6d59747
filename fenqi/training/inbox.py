"""The NLU inbox: shopper messages the model was not trained on, for a trainer to label.

**Collecting** (:func:`collect`) reads the analytics rollup's shopper messages (``analytics_turns``,
so analytics' definitions of fallback and clarified hold here too) after the inbox's cursor, and
their text and parse data from the tracker store. A message is skipped when it is a button payload
or already a training line. Its text is masked (:func:`fenqi.privacy.mask_for_people`) *before* it
is stored; what still looks personal is recorded and keeps it out of training data. The same masked
text seen again counts on its item; a new text joins an open group of near-identical ones
(char-bigram Jaccard ≥ :data:`GROUP_SIMILARITY` with digits folded) or starts a group. A message is
collected once the bot's reply to it is folded (or after :data:`SETTLE`).

**Listing** (:func:`list_groups`) sorts the open groups by need (:mod:`fenqi.training.need`): what
the model made of them and how the conversations went on (clarified, handed off, rated low).

**Deciding** (:func:`decide`): one decision labels a whole group — confirm the prediction, relabel
(an intent and a standard question of the knowledge base, validated here), out of scope, or
discard. Each message of the group then passes the guards (:mod:`fenqi.training.guards`) or is
blocked with the reason.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from fenqi.analytics.events import as_dict, as_list, events_by_id
from fenqi.db.models import (
    Agent,
    AnalyticsConversation,
    AnalyticsTurn,
    InboxCursor,
    InboxGroup,
    InboxItem,
    InboxSighting,
    TicketTakeover,
)
from fenqi.nlp import FALLBACK, OUT_OF_SCOPE
from fenqi.overlap import normalise
from fenqi.privacy import mask_for_people, personal_traces

from .guards import Finding, TextIndex, TrainingIndex
from .need import Signs, need, reasons

SETTLE = timedelta(minutes=10)
GROUP_SIMILARITY = 0.75
BATCH = 2000
OPEN_INDEX_LIMIT = 20000   # the newest open items a new message is grouped against
MAX_TEXT = 500
PAGE_SIZE = 30
LOW_RATING = 2
DECISIONS = ("confirm", "relabel", "out_of_scope", "discard")
_DIGITS = re.compile(r"[0-9０-９]+")


class DecisionError(ValueError):
    """A decision that cannot be taken (unknown group, invalid label, nothing to confirm)."""


def item_key(masked: str) -> str:
    """The identity of an inbox item: the SHA-256 of its normalised masked text."""
    return hashlib.sha256(normalise(masked).encode("utf-8")).hexdigest()


def group_text(text: str) -> str:
    """The text near-identity is judged on: digits folded (分12期 ~ 分24期)."""
    return _DIGITS.sub("0", text)


@dataclass(frozen=True)
class Prediction:
    intent: str
    confidence: float
    margin: float
    question: Optional[str]
    question_confidence: Optional[float]


def prediction(parse_data: Mapping[str, Any]) -> Prediction:
    """The likeliest intent other than the fallback, its margin over the next, and its standard
    question (from the parse data the bot stored with the message)."""
    ranking: List[Tuple[str, float]] = []
    for entry in as_list(parse_data.get("intent_ranking")):
        n, c = as_dict(entry).get("name"), as_dict(entry).get("confidence")
        if isinstance(n, str) and n != FALLBACK and isinstance(c, (int, float)):
            ranking.append((n, float(c)))
    if not ranking:
        intent = as_dict(parse_data.get("intent"))
        n, c = intent.get("name"), intent.get("confidence")
        ranking = [(n if isinstance(n, str) else "", float(c) if isinstance(c, (int, float)) else 0.0)]
    name, confidence = ranking[0]
    margin = confidence - (ranking[1][1] if len(ranking) > 1 else 0.0)
    question = as_dict(parse_data.get("question"))
    qid, qconf = question.get("id"), question.get("confidence")
    if not isinstance(qid, str):
        qid, qconf = None, None
        for entry in as_list(parse_data.get("question_ranking")):
            entry = as_dict(entry)
            if entry.get("intent") == name and isinstance(entry.get("id"), str):
                qid, qconf = entry["id"], entry.get("confidence")
                break
    return Prediction(name[:64], confidence, margin, qid[:64] if qid else None,
                      float(qconf) if isinstance(qconf, (int, float)) else None)


# --- collecting -----------------------------------------------------------------------------

@dataclass
class Collected:
    turns: int = 0        # shopper messages looked at
    sightings: int = 0    # of them, counted on an inbox item
    new_items: int = 0
    new_groups: int = 0
    last_turn_id: int = 0


class _Groups:
    """Open groups' items for grouping a new message (loaded once per collect)."""

    def __init__(self, session: Session) -> None:
        rows = session.execute(
            select(InboxItem.id, InboxItem.group_id, InboxItem.text).join(InboxGroup, InboxGroup.id == InboxItem.group_id)
            .where(InboxGroup.decision == "open").order_by(InboxItem.id.desc()).limit(OPEN_INDEX_LIMIT)).all()
        self.index = TextIndex()
        self.group_of: List[int] = []
        for row in rows:
            self.add(row.text, row.group_id)

    def add(self, text: str, group_id: int) -> None:
        self.index.add(group_text(text))
        self.group_of.append(group_id)

    def find(self, text: str) -> Optional[int]:
        hits = self.index.similar(group_text(text), GROUP_SIMILARITY)
        return self.group_of[hits[0][0]] if hits else None


def _cursor(session: Session) -> InboxCursor:
    cursor = session.get(InboxCursor, 1)
    if cursor is None:
        cursor = InboxCursor(id=1, last_turn_id=0)
        session.add(cursor)
        session.flush()
    return cursor


def collect(session: Session, tracker: Optional[Connection], training: TrainingIndex, now: datetime,
            limit: int = BATCH, settle: timedelta = SETTLE) -> Collected:
    """Take the shopper messages folded since the last call into the inbox (at most ``limit``);
    ``now`` is an aware instant (fenqi.clock)."""
    done = Collected()
    cursor = _cursor(session)
    done.last_turn_id = cursor.last_turn_id
    if tracker is None:
        return done
    turns = list(session.scalars(select(AnalyticsTurn).where(AnalyticsTurn.id > cursor.last_turn_id)
                                 .order_by(AnalyticsTurn.id).limit(limit)))
    if not turns:
        return done
    events = events_by_id(tracker, [t.id for t in turns])
    groups: Optional[_Groups] = None
    for turn in turns:
        if turn.latency_ms is None and turn.at > now - settle:
            break  # its reply may still come: clarified is not known yet
        done.turns += 1
        cursor.last_turn_id = done.last_turn_id = turn.id
        event = events.get(turn.id)
        text = event.text.strip() if event is not None else ""
        if not text or text.startswith("/"):
            continue  # gone from the tracker store, or a button payload
        masked = mask_for_people(text.replace("\n", " "))[:MAX_TEXT]
        if training.is_training_line(masked) or training.is_training_line(text):
            continue
        assert event is not None
        guess = prediction(event.parse_data)
        key = item_key(masked)
        item = session.scalars(select(InboxItem).where(InboxItem.key == key)).first()
        if item is None:
            if groups is None:
                groups = _Groups(session)
            group_id = groups.find(masked)
            if group_id is None:
                group = InboxGroup(decision="open", created_at=now)
                session.add(group)
                session.flush()
                group_id = group.id
                done.new_groups += 1
            kinds = personal_traces(masked)
            item = InboxItem(group_id=group_id, text=masked, key=key, channel=turn.channel, intent=guess.intent,
                             confidence=guess.confidence, margin=guess.margin, question_id=guess.question,
                             question_confidence=guess.question_confidence, seen=0, fallbacks=0, clarified=0,
                             first_at=turn.at, last_at=turn.at, personal=",".join(kinds) or None, state="new")
            session.add(item)
            session.flush()
            groups.add(masked, group_id)
            done.new_items += 1
        if session.get(InboxSighting, turn.id) is not None:
            continue  # counted already (the rollup was rebuilt)
        if item.seen:  # seen before: the latest prediction is shown; confidence averaged, smallest margin kept
            item.confidence = (item.confidence * item.seen + guess.confidence) / (item.seen + 1)
            item.margin = min(item.margin, guess.margin)
            item.intent, item.question_id, item.question_confidence = guess.intent, guess.question, guess.question_confidence
            item.first_at, item.last_at = min(item.first_at, turn.at), max(item.last_at, turn.at)
        item.seen += 1
        item.fallbacks += int(bool(turn.fallback))
        item.clarified += int(bool(turn.clarified))
        session.add(InboxSighting(turn_id=turn.id, item_id=item.id, conversation_id=turn.conversation_id))
        done.sightings += 1
    cursor.updated_at = now
    session.flush()
    return done


# --- listing --------------------------------------------------------------------------------

@dataclass(frozen=True)
class ItemView:
    id: int
    text: str
    seen: int
    channel: str
    intent: str
    confidence: float
    question: Optional[str]
    question_confidence: Optional[float]
    state: str
    note: Optional[str]
    personal: Tuple[str, ...]


@dataclass(frozen=True)
class GroupView:
    id: int
    decision: str
    intent: Optional[str]           # decided label
    question: Optional[str]
    reviewer: Optional[str]
    decided_at: Optional[datetime]
    items: Tuple[ItemView, ...]
    signs: Signs
    need: float
    reasons: Tuple[str, ...]
    findings: Tuple[Tuple[int, Tuple[Finding, ...]], ...] = field(default=())  # item id -> guard findings

    @property
    def representative(self) -> ItemView:
        """The most seen message: its prediction is what "confirm" confirms."""
        return max(self.items, key=lambda i: (i.seen, -i.id))


def _signs(session: Session, group_ids: Sequence[int]) -> Dict[int, Signs]:
    """Per group: the sightings summed (handoffs and low ratings through the conversations)."""
    if not group_ids:
        return {}
    i, s, c, t = InboxItem, InboxSighting, AnalyticsConversation, TicketTakeover
    base = {r.group_id: r for r in session.execute(
        select(i.group_id, func.sum(i.seen).label("seen"), func.sum(i.confidence * i.seen).label("conf"),
               func.min(i.margin).label("margin"), func.sum(i.fallbacks).label("fallbacks"),
               func.sum(i.clarified).label("clarified"))
        .where(i.group_id.in_(group_ids)).group_by(i.group_id))}
    handoffs: Dict[int, int] = dict(session.execute(
        select(i.group_id, func.count()).select_from(s).join(i, i.id == s.item_id)
        .join(c, c.id == s.conversation_id).where(i.group_id.in_(group_ids), c.ticket_id.isnot(None))
        .group_by(i.group_id)).all())
    low: Dict[int, int] = dict(session.execute(
        select(i.group_id, func.count()).select_from(s).join(i, i.id == s.item_id)
        .join(c, c.id == s.conversation_id).join(t, t.ticket_id == c.ticket_id)
        .where(i.group_id.in_(group_ids), t.rating <= LOW_RATING).group_by(i.group_id)).all())
    out = {}
    for gid in group_ids:
        r = base.get(gid)
        if r is None:
            out[gid] = Signs(0, 0.0, 1.0, 0, 0, handoffs.get(gid, 0), low.get(gid, 0))
            continue
        seen = int(r.seen or 0)
        out[gid] = Signs(seen=seen, confidence=float(r.conf or 0.0) / seen if seen else 0.0,
                         margin=float(r.margin) if r.margin is not None else 1.0, fallbacks=int(r.fallbacks or 0),
                         clarified=int(r.clarified or 0), handoffs=handoffs.get(gid, 0), low_ratings=low.get(gid, 0))
    return out


def _item_view(item: InboxItem) -> ItemView:
    return ItemView(item.id, item.text, item.seen, item.channel, item.intent, item.confidence, item.question_id,
                    item.question_confidence, item.state, item.note,
                    tuple(k for k in (item.personal or "").split(",") if k))


def _views(session: Session, groups: Sequence[InboxGroup], signs: Mapping[int, Signs],
           training: Optional[TrainingIndex]) -> List[GroupView]:
    ids = [g.id for g in groups]
    items: Dict[int, List[InboxItem]] = {gid: [] for gid in ids}
    for item in session.scalars(select(InboxItem).where(InboxItem.group_id.in_(ids)).order_by(InboxItem.id)):
        items[item.group_id].append(item)
    names = {a.id: a.name for a in session.scalars(select(Agent).where(
        Agent.id.in_([g.agent_id for g in groups if g.agent_id])))}
    out = []
    for g in groups:
        views = tuple(sorted((_item_view(i) for i in items[g.id]), key=lambda v: (-v.seen, v.id)))
        if not views:
            continue
        sign = signs.get(g.id) or Signs(0, 0.0, 1.0, 0, 0, 0, 0)
        findings: Tuple[Tuple[int, Tuple[Finding, ...]], ...] = ()
        if training is not None and g.decision == "open":
            rep = max(views, key=lambda v: (v.seen, -v.id))
            checks = training.check_many([(v.text, rep.intent, rep.question) for v in views])
            findings = tuple((v.id, tuple(f)) for v, f in zip(views, checks) if f)
        out.append(GroupView(g.id, g.decision, g.intent, g.question, names.get(g.agent_id or -1), g.decided_at,
                             views, sign, need(sign), tuple(reasons(sign)), findings))
    return out


def list_groups(session: Session, status: str = "open", page: int = 1, page_size: int = PAGE_SIZE,
                training: Optional[TrainingIndex] = None) -> Tuple[List[GroupView], int]:
    """One page of groups: open ones by need (highest first), decided ones newest first; and how many."""
    if status == "open":
        ids = list(session.scalars(select(InboxGroup.id).where(InboxGroup.decision == "open")))
        signs = _signs(session, ids)
        ordered = sorted(ids, key=lambda gid: (-need(signs[gid]), gid))
        chosen = ordered[(page - 1) * page_size: page * page_size]
        groups = {g.id: g for g in session.scalars(select(InboxGroup).where(InboxGroup.id.in_(chosen)))}
        return _views(session, [groups[gid] for gid in chosen if gid in groups], signs, training), len(ids)
    where = InboxGroup.decision != "open"
    total = session.scalar(select(func.count()).select_from(InboxGroup).where(where)) or 0
    page_groups = list(session.scalars(select(InboxGroup).where(where).order_by(InboxGroup.decided_at.desc(),
                                                                                InboxGroup.id.desc())
                                       .limit(page_size).offset((page - 1) * page_size)))
    return _views(session, page_groups, _signs(session, [g.id for g in page_groups]), None), int(total)


def group_view(session: Session, group_id: int) -> Optional[GroupView]:
    """One group as the inbox shows it (None if there is no such group)."""
    group = session.get(InboxGroup, group_id)
    if group is None:
        return None
    views = _views(session, [group], _signs(session, [group_id]), None)
    return views[0] if views else None


def counts(session: Session) -> Dict[str, int]:
    """Items by state, and open groups."""
    out = {state: int(n) for state, n in session.execute(select(InboxItem.state, func.count()).group_by(InboxItem.state))}
    out["open_groups"] = int(session.scalar(select(func.count()).select_from(InboxGroup)
                                            .where(InboxGroup.decision == "open")) or 0)
    return out


# --- deciding -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Decided:
    group_id: int
    decision: str
    intent: Optional[str]
    question: Optional[str]
    accepted: int
    blocked: Tuple[Tuple[str, Tuple[str, ...]], ...]   # (text, reasons) of the messages a guard kept out


def allowed_label(intent: str, question: Optional[str]) -> Tuple[str, Optional[str]]:
    """The label as stored, or DecisionError: a known intent; the standard question of the knowledge
    base it asks when the intent has standard questions (required then), none otherwise."""
    from fenqi.analytics.labels import known_intents
    from fenqi.knowledge import load_questions

    if not isinstance(intent, str) or intent in ("", FALLBACK) or intent not in known_intents():
        raise DecisionError(f"unknown intent {str(intent)[:64]!r}")
    book = load_questions()
    with_questions = {q.intent for q in book.questions}
    if intent in with_questions:
        if not isinstance(question, str) or question not in book:
            raise DecisionError(f"intent {intent} needs one of its standard questions")
        if book.get(question).intent != intent:
            raise DecisionError(f"standard question {question} belongs to {book.get(question).intent}, not {intent}")
        return intent, question
    if question:
        raise DecisionError(f"intent {intent} has no standard questions")
    return intent, None


def decide(session: Session, group_id: int, action: str, agent_id: Optional[int], now: datetime,
           training: TrainingIndex, intent: Optional[str] = None, question: Optional[str] = None) -> Decided:
    """Label every message of a group with one decision; raises DecisionError."""
    if action not in DECISIONS:
        raise DecisionError(f"unknown action {str(action)[:32]!r}")
    group = session.get(InboxGroup, group_id)
    if group is None:
        raise DecisionError("no such group")
    items = list(session.scalars(select(InboxItem).where(InboxItem.group_id == group_id).order_by(InboxItem.id)))
    if any(i.state == "exported" for i in items):
        raise DecisionError("this group is in the training data already (exported): change the data file instead")
    if action == "discard":
        label: Tuple[Optional[str], Optional[str]] = (None, None)
    elif action == "out_of_scope":
        label = allowed_label(OUT_OF_SCOPE, None)
    elif action == "confirm":
        rep = max(items, key=lambda i: (i.seen, -i.id)) if items else None
        if rep is None or rep.intent in ("", FALLBACK):
            raise DecisionError("nothing to confirm: relabel it")
        try:
            label = allowed_label(rep.intent, rep.question_id)
        except DecisionError as exc:
            raise DecisionError(f"the prediction cannot be confirmed ({exc}): relabel it") from None
    else:
        label = allowed_label(intent or "", question)
    group.decision = {"confirm": "confirmed", "relabel": "relabelled", "discard": "discarded"}.get(action, action)
    group.intent, group.question = label
    group.agent_id, group.decided_at = agent_id, now
    blocked: List[Tuple[str, Tuple[str, ...]]] = []
    accepted = 0
    if action == "discard":
        for item in items:
            item.state, item.note = "discarded", None
    else:
        assert label[0] is not None
        for item, findings in zip(items, training.check_many([(i.text, label[0], label[1]) for i in items])):
            if findings:
                item.state, item.note = "blocked", "；".join(f.message for f in findings)[:500]
                blocked.append((item.text, tuple(f.message for f in findings)))
            else:
                item.state, item.note = "accepted", None
                accepted += 1
    session.flush()
    return Decided(group_id, group.decision, label[0], label[1], accepted, tuple(blocked))
