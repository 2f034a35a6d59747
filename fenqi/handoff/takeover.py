"""Live takeover of a conversation by an agent, as a pure state machine.

A ticket is ``queued`` until an agent accepts it; while ``accepted`` the agent owns the
conversation and the bot says nothing. The owner may release it (back to ``queued``, keeping
its place in the queue), hand it back to the bot (``returned``) or close it (``closed``).
A queued ticket may be closed without being taken (``python -m fenqi tickets close``).
After a served ticket ends the shopper may rate the help once, 1–5.

:func:`apply` is the only way a state changes; an event that does not fit the state raises
:class:`InvalidTransition` and changes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Optional, Union

QUEUED, ACCEPTED, RETURNED, CLOSED = "queued", "accepted", "returned", "closed"
STATES = (QUEUED, ACCEPTED, RETURNED, CLOSED)
OPEN_STATES = frozenset({QUEUED, ACCEPTED})   # the ticket's ``status`` is 'open'
ENDED_STATES = frozenset({RETURNED, CLOSED})  # the ticket's ``status`` is 'closed'
RATING_MIN, RATING_MAX = 1, 5


class InvalidTransition(ValueError):
    """The event does not apply to the ticket's current state."""


@dataclass(frozen=True)
class TakeoverState:
    """What the takeover machine knows of one ticket."""

    state: str = QUEUED
    agent_id: Optional[int] = None      # the owner while accepted, the last server after
    served: bool = False                # an agent accepted it at least once
    rating: Optional[int] = None

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def bot_silent(self) -> bool:
        """While an agent owns the conversation the bot answers nothing."""
        return self.state == ACCEPTED

    @property
    def awaiting_rating(self) -> bool:
        return self.state in ENDED_STATES and self.served and self.rating is None


@dataclass(frozen=True)
class Accept:
    agent_id: int


@dataclass(frozen=True)
class Release:
    agent_id: int


@dataclass(frozen=True)
class HandBack:
    agent_id: int


@dataclass(frozen=True)
class Close:
    agent_id: Optional[int] = None  # None: an operator (CLI), only for a ticket nobody owns


@dataclass(frozen=True)
class Rate:
    score: int


Event = Union[Accept, Release, HandBack, Close, Rate]


def _owner(current: TakeoverState, agent_id: Optional[int], what: str) -> None:
    if current.state != ACCEPTED:
        raise InvalidTransition(f"cannot {what} a {current.state} ticket")
    if agent_id != current.agent_id:
        raise InvalidTransition(f"only the agent who accepted the ticket may {what} it")


def apply(current: TakeoverState, event: Event) -> TakeoverState:
    """The state after ``event``; raises :class:`InvalidTransition` when it does not apply."""
    if isinstance(event, Accept):
        if current.state != QUEUED:
            raise InvalidTransition(f"cannot accept a {current.state} ticket")
        return replace(current, state=ACCEPTED, agent_id=event.agent_id, served=True)
    if isinstance(event, Release):
        _owner(current, event.agent_id, "release")
        return replace(current, state=QUEUED, agent_id=None)
    if isinstance(event, HandBack):
        _owner(current, event.agent_id, "hand back")
        return replace(current, state=RETURNED)
    if isinstance(event, Close):
        if current.state == QUEUED:
            return replace(current, state=CLOSED)
        _owner(current, event.agent_id, "close")
        return replace(current, state=CLOSED)
    if isinstance(event, Rate):
        if isinstance(event.score, bool) or not isinstance(event.score, int) \
                or not RATING_MIN <= event.score <= RATING_MAX:
            raise InvalidTransition(f"a rating is {RATING_MIN}–{RATING_MAX}, got {event.score!r}")
        if not current.awaiting_rating:
            raise InvalidTransition("this ticket cannot be rated (not served, not ended or rated already)")
        return replace(current, rating=event.score)
    raise InvalidTransition(f"unknown event {event!r}")


def status_for(state: str) -> str:
    """The ticket's coarse ``status`` column ('open' / 'closed') for a takeover state."""
    if state not in STATES:
        raise ValueError(f"unknown takeover state {state!r}")
    return "open" if state in OPEN_STATES else "closed"
