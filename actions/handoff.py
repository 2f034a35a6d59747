"""Human handoff: open (or find) the sender's ticket and tell them where they are in the queue."""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.account_context import account_context
from actions.store import off_loop, session_factory
from fenqi import clock
from fenqi.db.engine import session_scope
from fenqi.fallback import load_topics
from fenqi.handoff import (
    TicketRequest,
    handoff_text,
    load_service_info,
    open_ticket,
    open_ticket_for,
    pending_notice,
    queue_position,
)
from fenqi.handoff.live import agents_online
from fenqi.handoff.reasons import requested_reason
from fenqi.handoff.summary import ticket_summary, ticket_transcript

logger = logging.getLogger(__name__)

HANDOFF_FAILED = ("抱歉，转人工暂时没有成功。请在小米商城 App“我的-客服”中联系在线客服，"
                  "或稍后再发送“转人工”。")


def ticket_request(tracker: Tracker, reason: str) -> TicketRequest:
    topics, service = load_topics(), load_service_info()
    snapshot = account_context(tracker).snapshot
    return TicketRequest(sender_id=tracker.sender_id, channel=tracker.get_latest_input_channel(),
                         user_id=snapshot.user.user_id if snapshot else None,
                         summary=ticket_summary(tracker.events, topics, service.summary_intents),
                         transcript=ticket_transcript(tracker.events, topics, service), reason=reason)


def hand_off(dispatcher: CollectingDispatcher, tracker: Tracker, lead: Optional[str] = None,
             reason: Optional[str] = None) -> None:
    """Open the sender's ticket (or find the open one) and say its number, position and hours.
    ``reason`` (fenqi.handoff.reasons): given by the fallback ladder, else derived from the events."""
    now = clock.now()
    try:
        with session_scope(session_factory()) as session:
            request = ticket_request(tracker, reason or requested_reason(tracker.events))
            ticket, created = open_ticket(session, request, now)
            ticket_id, position = ticket.id, queue_position(session, ticket)
            free = agents_online(session, now) > 0
    except SQLAlchemyError:
        logger.exception("could not open a handoff ticket for sender %s", tracker.sender_id)
        dispatcher.utter_message(text=HANDOFF_FAILED)
        return
    if created:
        logger.info("handoff ticket #%s opened for sender %s", ticket_id, tracker.sender_id)
    text = handoff_text(ticket_id, position, load_service_info(), now, already_open=not created,
                        agents_free=free)
    dispatcher.utter_message(text=f"{lead}\n{text}" if lead else text)


def open_ticket_notice(sender_id: str) -> Optional[str]:
    """The "your request is with an agent" line while the sender's ticket is open, else None."""
    try:
        with session_scope(session_factory()) as session:
            ticket = open_ticket_for(session, sender_id)
            return pending_notice(ticket.id, queue_position(session, ticket)) if ticket else None
    except SQLAlchemyError:
        logger.exception("could not look up the handoff ticket of sender %s", sender_id)
        return None


class ActionHandoff(Action):
    """``request_human`` (转人工): a ticket for a human agent."""

    def name(self) -> Text:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        return await off_loop(dispatcher, lambda private: hand_off(private, tracker))
