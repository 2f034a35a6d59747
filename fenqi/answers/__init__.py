"""Answer rendering: one module per intent, dispatched by :func:`answer`.

Every module offers ``guidance(knowledge) -> str`` (no account data) and
``personal(snapshot, knowledge, order_id=None) -> Answer``; 备用金 variants of the repayment
topics live in :mod:`fenqi.answers.reserve_fund` (``answer(…, product="reserve_fund")``).
"""
from .dispatch import INTENTS, PRODUCTS, UnknownIntent, UnknownProduct, answer
from .model import Answer, Button
from .orders import order_label

__all__ = ["answer", "Answer", "Button", "INTENTS", "PRODUCTS", "UnknownIntent", "UnknownProduct", "order_label"]
