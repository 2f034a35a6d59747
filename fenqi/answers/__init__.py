"""Answer rendering: one module per intent, dispatched by :func:`answer`.

Every module offers ``guidance(knowledge) -> str`` (no account data) and
``personal(snapshot, knowledge, order_id=None) -> Answer``.
"""
from .dispatch import INTENTS, UnknownIntent, answer
from .model import Answer, Button
from .orders import order_label

__all__ = ["answer", "Answer", "Button", "INTENTS", "UnknownIntent", "order_label"]
