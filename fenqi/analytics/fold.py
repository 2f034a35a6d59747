"""What the tracker's events mean for analytics (pure): the one place each definition lives
(docs/analytics.md).

* A **conversation** is one Rasa session of one sender: it starts at a ``session_started`` event
  (or at the first shopper message of a sender without one) and runs to the next.
* A **shopper message** is a ``user`` event. It is a **question** when it was typed (not a button
  payload ``/intent``) and is not small talk, ``bot_challenge`` or ``request_human``.
* A message is a **fallback** when the bot answered it with its clarifying step (``action_clarify``,
  run for ``nlu_fallback``) or its intent is ``out_of_scope``.
* It was **clarified** when the bot's reply to it asks “您是想问…” (the fallback's question, or the
  second NLU stage's question with buttons).
* The **response latency** of a message is the time from it to the bot's first reply (``bot``
  event) before the next ``action_listen``.
* Its **guess** is the likeliest intent the bot could answer (for ``nlu_fallback`` the first other
  intent of the ranking): which topics the misses were about.
* Its **standard question** is ``parse_data.question.id`` when the second NLU stage set one.

:class:`Fold` applies events in id order to the senders' current conversations; state that a
later batch may still change (the open message awaiting its reply) is kept on the rows, so folding
in batches gives the same result as folding everything at once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Dict, List, Optional

from fenqi.nlp import FALLBACK, OUT_OF_SCOPE, SMALL_TALK

from .channels import channel_of
from .events import ACTION, BOT, SESSION_STARTED, USER, Event, as_dict, as_list, utc
from .periods import business_day

CLARIFY_ACTION = "action_clarify"
LISTEN_ACTION = "action_listen"
SESSION_START_ACTION = "action_session_start"  # runs just before ``session_started``: the next session's
CLARIFYING_PHRASE = "您是想问"
NOT_QUESTIONS = SMALL_TALK | {"bot_challenge", "request_human"}
NAME_MAX = 64


@dataclass
class Turn:
    """One shopper message (``analytics_turns``)."""

    id: int
    conversation_id: int
    day: date
    at: datetime
    channel: str
    intent: str
    confidence: Optional[float]
    guess: str
    question_id: Optional[str]
    question: bool
    fallback: bool = False
    clarified: bool = False
    latency_ms: Optional[int] = None
    timestamp: float = 0.0          # of the message (for the latency), not stored
    changed: bool = True
    new: bool = True                # not stored yet


@dataclass
class Conversation:
    """One conversation (``analytics_conversations``)."""

    id: int
    sender_id: str
    channel: str
    day: date
    started_at: datetime
    last_timestamp: float            # of the newest event folded in (``last_at`` when stored)
    last_event_id: int
    open_turn_id: Optional[int] = None
    messages: int = 0
    fallbacks: int = 0
    ticket_id: Optional[int] = None
    new: bool = True
    changed: bool = True

    @property
    def last_at(self) -> datetime:
        return utc(self.last_timestamp)


def _name(value: object) -> str:
    return value[:NAME_MAX] if isinstance(value, str) else ""


def turn_for(event: Event, conversation: Conversation) -> Turn:
    """A new :class:`Turn` for a ``user`` event (before the bot's reply is known)."""
    parse = event.parse_data
    intent_data = as_dict(parse.get("intent"))
    intent = _name(intent_data.get("name")) or _name(event.intent)
    confidence = intent_data.get("confidence")
    guess = intent
    if intent == FALLBACK:
        names = [_name(as_dict(r).get("name")) for r in as_list(parse.get("intent_ranking"))]
        guess = next((n for n in names if n not in ("", FALLBACK)), "")
    question_id = _name(as_dict(parse.get("question")).get("id")) or None
    typed = not event.text.startswith("/")
    return Turn(id=event.id, conversation_id=conversation.id, day=business_day(event.timestamp), at=event.at,
                channel=conversation.channel, intent=intent,
                confidence=float(confidence) if isinstance(confidence, (int, float)) else None,
                guess=guess, question_id=question_id,
                question=typed and bool(intent) and intent not in NOT_QUESTIONS,
                fallback=intent == OUT_OF_SCOPE, timestamp=event.timestamp)


@dataclass
class Fold:
    """Folds events (in id order) into conversations and turns.

    ``current``: each sender's latest conversation as stored; ``open_turns``: the stored turn each
    of those conversations still awaits a reply to (by conversation id)."""

    current: Dict[str, Conversation] = field(default_factory=dict)
    open_turns: Dict[int, Turn] = field(default_factory=dict)
    turns: List[Turn] = field(default_factory=list)       # every turn created or changed
    conversations: Dict[int, Conversation] = field(default_factory=dict)  # created or changed

    def _start(self, event: Event) -> Conversation:
        conversation = Conversation(id=event.id, sender_id=event.sender_id, channel=channel_of(event.sender_id),
                                    day=business_day(event.timestamp), started_at=event.at,
                                    last_timestamp=event.timestamp, last_event_id=event.id)
        self.current[event.sender_id] = conversation
        return conversation

    def _touch(self, conversation: Conversation) -> None:
        conversation.changed = True
        self.conversations[conversation.id] = conversation

    def _turn(self, turn: Turn) -> None:
        if not turn.changed:
            turn.changed = True
            self.turns.append(turn)

    def add(self, event: Event) -> None:
        conversation = self.current.get(event.sender_id)
        if event.type == SESSION_STARTED or (event.type == USER and conversation is None):
            conversation = self._start(event)
        if conversation is None or (event.type == ACTION and event.action == SESSION_START_ACTION):
            return  # bookkeeping before a session
        conversation.last_timestamp, conversation.last_event_id = event.timestamp, event.id
        self._touch(conversation)
        open_turn = self.open_turns.get(conversation.id)
        if event.type == USER:
            turn = turn_for(event, conversation)
            self.turns.append(turn)
            self.open_turns[conversation.id] = turn
            conversation.open_turn_id = turn.id
            conversation.messages += 1
            conversation.fallbacks += int(turn.fallback)
        elif open_turn is None:
            return
        elif event.type == ACTION and event.action == LISTEN_ACTION:
            del self.open_turns[conversation.id]
            conversation.open_turn_id = None
        elif event.type == ACTION and event.action == CLARIFY_ACTION and not open_turn.fallback:
            open_turn.fallback = True
            conversation.fallbacks += 1
            self._turn(open_turn)
        elif event.type == BOT:
            if open_turn.latency_ms is None:
                open_turn.latency_ms = max(0, round((event.timestamp - open_turn.timestamp) * 1000))
                self._turn(open_turn)
            if CLARIFYING_PHRASE in event.text and not open_turn.clarified:
                open_turn.clarified = True
                self._turn(open_turn)
