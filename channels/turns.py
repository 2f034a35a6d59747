"""One shopper turn through Rasa, guarded: answered once it is stored, else the busy message.

Every channel runs a turn with :func:`run_turn`. The turn fails when the conversation's lock
(Redis) or tracker store (PostgreSQL) fails — Rasa passes those errors on here
(``deploy/fail_closed.py``) — or when it runs past ``TURN_DEADLINE_S`` (a frozen instance holding
the conversation's lock, a hung database). A failed turn stored nothing (Rasa saves a turn at its
end, in one transaction) and the shopper gets :data:`fenqi.resilience.BUSY_TEXT` instead of an
answer, on every channel.

A channel that sends while the turn runs (socket.io) collects the turn's messages in a
:class:`BufferedOutput` and sends them once the turn returned: a turn whose save failed is never
answered as if it were stored.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Dict, Iterable, List, Text, Tuple

from rasa.core.channels.channel import OutputChannel, UserMessage

from fenqi.resilience import BUSY_TEXT, TURN_DEADLINE_S

logger = logging.getLogger(__name__)


def busy_message(recipient_id: Text) -> Dict[Text, Any]:
    """The busy reply in the shape of Rasa's collected messages."""
    return {"recipient_id": recipient_id, "text": BUSY_TEXT}


async def run_turn(on_new_message: Callable[[UserMessage], Awaitable[Any]], message: UserMessage,
                   deadline: float = TURN_DEADLINE_S) -> bool:
    """Run the turn; True once it returned (stored), False when it failed or ran out of time
    (logged by channel and error class only: no sender id, which holds a WeChat OpenID, and no
    error text, which may quote the conversation)."""
    try:
        await asyncio.wait_for(on_new_message(message), deadline)
        return True
    except asyncio.TimeoutError:
        logger.error("%s turn not finished after %.0f s: busy answer", message.input_channel, deadline)
    except Exception as exc:
        cause = getattr(exc, "orig", None) or exc.__cause__
        logger.error("%s turn failed (%s%s): busy answer", message.input_channel, exc.__class__.__name__,
                     f" from {cause.__class__.__name__}" if cause is not None else "")
    return False


class BufferedOutput(OutputChannel):
    """Keeps every call a turn makes on its output channel; :meth:`replay` makes the same calls
    on the real channel (so each answer looks exactly as if it had been sent at once)."""

    @classmethod
    def name(cls) -> Text:
        return "buffered"

    def __init__(self) -> None:
        self.calls: List[Tuple[str, tuple, Dict[str, Any]]] = []

    def _keep(self, method: str, *args: Any, **kwargs: Any) -> None:
        self.calls.append((method, args, kwargs))

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        self._keep("send_response", recipient_id, dict(message))

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        self._keep("send_text_message", recipient_id, text, **kwargs)

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        self._keep("send_image_url", recipient_id, image, **kwargs)

    async def send_attachment(self, recipient_id: Text, attachment: Text, **kwargs: Any) -> None:
        self._keep("send_attachment", recipient_id, attachment, **kwargs)

    async def send_text_with_buttons(self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]],
                                     **kwargs: Any) -> None:
        self._keep("send_text_with_buttons", recipient_id, text, buttons, **kwargs)

    async def send_quick_replies(self, recipient_id: Text, text: Text, quick_replies: List[Dict[Text, Any]],
                                 **kwargs: Any) -> None:
        self._keep("send_quick_replies", recipient_id, text, quick_replies, **kwargs)

    async def send_elements(self, recipient_id: Text, elements: Iterable[Dict[Text, Any]], **kwargs: Any) -> None:
        self._keep("send_elements", recipient_id, list(elements), **kwargs)

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        self._keep("send_custom_json", recipient_id, json_message, **kwargs)

    async def replay(self, output: OutputChannel) -> None:
        for method, args, kwargs in self.calls:
            await getattr(output, method)(*args, **kwargs)
