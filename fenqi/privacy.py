"""Mask personal numbers users type: mainland mobile numbers, ID-card numbers, bank-card numbers.

``mask_pii(text)`` keeps the first 3 and last 4 characters of each number (separators dropped):
``13812345678`` -> ``138****5678``. A number right after an order label (订单号, 订单编号, 订单,
order id / order no) is an order number, not a card or a phone, and is left as it is.
:func:`install_log_filter` masks every log record of the process (idempotent).
"""
from __future__ import annotations

import logging
import re

KEEP_HEAD, KEEP_TAIL = 3, 4
_SEP = r"[ \-]?"
# Longest first: an 18-character ID card (6-8-4 when spaced), then 16–19-digit cards (groups of 4
# when spaced), then 11-digit mobiles (3-4-4 when spaced, optional +86).
_ID_CARD = r"\d{6}" + _SEP + r"\d{8}" + _SEP + r"\d{3}[\dXx]|\d{17}[\dXx]"
_BANK_CARD = r"\d{4}(?:[ \-]\d{4}){3}(?:[ \-]?\d{1,3})?|\d{16,19}"
_MOBILE = r"(?P<cc>(?:\+|00)?86[ \-]?)?(?P<mobile>1[3-9]\d" + _SEP + r"\d{4}" + _SEP + r"\d{4})"
PII = re.compile(rf"(?<!\d)(?:(?P<id>{_ID_CARD})|(?P<card>{_BANK_CARD})|{_MOBILE})(?![\dXx])")
ORDER_LABEL = re.compile(r"(?:订单编号|订单号码|订单号|订单|order[\s_]*(?:id|no\.?|number)?)[\"']?\s*(?:是|为)?\s*"
                         r"[:：#=]?\s*[\"']?\s*$", re.IGNORECASE)
_LABEL_WINDOW = 16


def _masked(number: str) -> str:
    chars = re.sub(r"[ \-]", "", number)
    return chars[:KEEP_HEAD] + "*" * (len(chars) - KEEP_HEAD - KEEP_TAIL) + chars[-KEEP_TAIL:]


def mask_pii(text: str, keep_order_numbers: bool = True) -> str:
    """``text`` with phone, ID-card and bank-card numbers masked; labelled order numbers kept
    unless ``keep_order_numbers`` is false (for text that may echo a mistaken "order number")."""
    if not text:
        return text

    def replace(match: re.Match) -> str:
        before = text[max(0, match.start() - _LABEL_WINDOW):match.start()]
        if keep_order_numbers and ORDER_LABEL.search(before):
            return match.group(0)
        if match.group("mobile"):
            return (match.group("cc") or "") + _masked(match.group("mobile"))
        return _masked(match.group(0))

    return PII.sub(replace, text)


class PiiLogFilter(logging.Filter):
    """Rewrites a record's message with :func:`mask_pii` (never drops a record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to logging's own error handling
            return True
        masked = mask_pii(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


_FILTER = PiiLogFilter()


def install_log_filter() -> None:
    """Mask PII in every log record created from now on in this process (safe to call twice).

    Records are filtered as they are made (the record factory), so handlers that Rasa or
    Sanic add later are covered too.
    """
    factory = logging.getLogRecordFactory()
    if getattr(factory, "masks_pii", False):
        return

    def masking_factory(*args, **kwargs):
        record = factory(*args, **kwargs)
        _FILTER.filter(record)
        return record

    masking_factory.masks_pii = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(masking_factory)
