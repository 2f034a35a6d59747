"""Mask personal numbers users type: mainland mobile numbers, ID-card numbers, bank-card numbers.

``mask_pii(text)`` keeps the first 3 and last 4 characters of each number (separators dropped,
full-width digits folded to ASCII): ``13812345678`` / ``１３８ １２３４ ５６７８`` /
``138.1234.5678`` -> ``138****5678``. Any grouping counts (3-4-4, 4-3-4, 6-8-4, 6-4-4-4, groups of
4, spaces, dashes, dots, full-width separators), and so does a number after an order label or on a
``/intent{...}`` line: order ids of this store are not 11- or 16-19-digit numbers, so a number of
that shape is treated as personal wherever it is. ``mask_secrets`` also removes bearer tokens
(JWTs) and ``token=``/``access_token=``/``secret=`` query values and replaces WeChat conversation ids (``wx:<OpenID>``) by a
:func:`pseudonym`. :func:`install_log_filter` masks every log record of the process, its
traceback included (idempotent).

All scanning is linear in the text: one regex pass whose groups cannot overlap, then a bounded
look-ahead of at most :data:`MAX_GROUPS` groups per position.
"""
from __future__ import annotations

import hashlib
import logging
import re
from typing import Any, List, Optional, Tuple

KEEP_HEAD, KEEP_TAIL = 3, 4
MAX_GROUPS = 6  # a personal number is written in at most 6 groups (6-4-4-4, +86 3-4-4)
_DIGITS = "0-9\uff10-\uff19"
_X = "Xx\uff38\uff58"
_SEP = " \\-.\u3000\uff0d\u2014\u2013\u00b7\uff0e"
# One maximal run of digit groups separated by single separators; a possible trailing X (ID cards).
RUN = re.compile(rf"(?<![{_DIGITS}])[{_DIGITS}]+(?:[{_SEP}][{_DIGITS}]+)*[{_X}]?(?![{_DIGITS}])")
GROUP = re.compile(rf"[{_DIGITS}]+[{_X}]?")
_FOLD = str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789Xx")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_ID_CARD = re.compile(r"\d{17}[\dXx]")
_BANK_CARD = re.compile(r"\d{16,19}")
_CC = ("86", "0086")
# How people group these numbers when they space them (lengths of the digit groups).
LAYOUTS = {
    (3, 4, 4), (4, 3, 4),                              # mobiles
    (6, 8, 4), (6, 4, 4, 4),                           # ID cards
    (4, 4, 4, 4), (4, 4, 4, 4, 1), (4, 4, 4, 4, 2), (4, 4, 4, 4, 3), (6, 13),  # bank cards
}
JWT = re.compile(r"eyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*")
TOKEN_PARAM = re.compile(r"((?:^|[?&\s])(?:token|auth_token|access_token|secret|sid)=)[^&\s\"']+",
                         re.IGNORECASE)
# A WeChat conversation id: "wx:" and the OpenID (28 characters of [A-Za-z0-9_-] from WeChat).
WECHAT_SENDER = re.compile(r"(?<![A-Za-z0-9_\-])wx:([A-Za-z0-9_\-]{6,64})")
PSEUDONYM_CHARS = 12


def pseudonym(identifier: str) -> str:
    """A stable short stand-in for an identifier (an OpenID) in logs, keys and exports: the first
    12 hex digits of its SHA-256, ``~``-prefixed. The same OpenID always gives the same pseudonym,
    so log lines still correlate; the OpenID cannot be read back from it."""
    return "~" + hashlib.sha256(identifier.encode("utf-8")).hexdigest()[:PSEUDONYM_CHARS]


def mask_identifiers(text: str) -> str:
    """``text`` with every ``wx:<OpenID>`` replaced by ``wx:`` + :func:`pseudonym` of the OpenID (logs,
    keys, exports: lines still correlate). For people reading conversations: :func:`mask_for_people`."""
    if not text or "wx:" not in text:
        return text
    return WECHAT_SENDER.sub(lambda m: "wx:" + pseudonym(m.group(1)), text)


def _kind(chars: str) -> Optional[str]:
    """``mobile``/``id``/``card`` for a folded digit string, else None."""
    if _MOBILE.fullmatch(chars):
        return "mobile"
    if _ID_CARD.fullmatch(chars):
        return "id"
    if _BANK_CARD.fullmatch(chars):
        return "card"
    for cc in _CC:
        if chars.startswith(cc) and _MOBILE.fullmatch(chars[len(cc):]):
            return "cc_mobile"
    return None


def _masked(chars: str) -> str:
    return chars[:KEEP_HEAD] + "*" * (len(chars) - KEEP_HEAD - KEEP_TAIL) + chars[-KEEP_TAIL:]


def _mask_run(run: str) -> str:
    groups: List[Tuple[int, int]] = [(m.start(), m.end()) for m in GROUP.finditer(run)]
    folded = [run[a:b].translate(_FOLD) for a, b in groups]
    out: List[str] = []
    cursor, i = 0, 0
    while i < len(groups):
        hit = None
        for j in range(min(len(groups), i + MAX_GROUPS), i, -1):  # longest first
            lengths = tuple(len(g) for g in folded[i:j])
            if j - i > 1 and lengths not in LAYOUTS and not (
                    lengths[0] in (2, 4) and folded[i] in _CC and lengths[1:] in LAYOUTS | {(11,)}):
                continue
            chars = "".join(folded[i:j])
            kind = _kind(chars)
            if kind:
                hit = (j, chars, kind)
                break
        if hit is None:
            i += 1
            continue
        j, chars, kind = hit
        start, end = groups[i][0], groups[j - 1][1]
        out.append(run[cursor:start])
        if kind == "cc_mobile":
            cc = "86" if chars.startswith("86") else "0086"
            if j - i > 1 and folded[i] == cc:  # "+86 138..." keeps the code as typed
                out.append(run[start:groups[i + 1][0]] + _masked(chars[len(cc):]))
            else:
                out.append(cc + _masked(chars[len(cc):]))
        else:
            out.append(_masked(chars))
        cursor, i = end, j
    out.append(run[cursor:])
    return "".join(out)


def mask_pii(text: str, keep_order_numbers: bool = False) -> str:
    """``text`` with phone, ID-card and bank-card numbers masked, in any spacing or width.

    ``keep_order_numbers`` is accepted for compatibility and ignored: a number shaped like a
    phone or card number is masked even after 订单号 (order ids here never have that shape).
    """
    del keep_order_numbers
    if not text or not any(ch.isdigit() for ch in text):
        return text
    return RUN.sub(lambda m: _mask_run(m.group(0)), text)


def mask_secrets(text: str) -> str:
    """``text`` without JWTs, ``token=``/``sid=`` values or OpenIDs, and with personal numbers masked."""
    if not text:
        return text
    text = JWT.sub("[token]", text)
    text = TOKEN_PARAM.sub(lambda m: m.group(1) + "[redacted]", text)
    return mask_pii(mask_identifiers(text))


_TRACEBACKS = logging.Formatter()


class PiiLogFilter(logging.Filter):
    """Rewrites a record's message with :func:`mask_secrets`, and its traceback and stack too
    (formatted once here, masked, so every handler prints the masked text); never drops a record.

    Tracebacks matter: an exception's text can carry a request (Rasa's failed action call holds
    the tracker, token included)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to logging's own error handling
            return True
        masked = mask_secrets(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            try:
                record.exc_text = _TRACEBACKS.formatException(record.exc_info)
            except Exception:  # an exception whose str() fails: leave it to logging
                return True
        if record.exc_text:
            record.exc_text = mask_secrets(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_secrets(record.stack_info)
        return True


_FILTER = PiiLogFilter()


def install_log_filter() -> None:
    """Mask PII and tokens in every log record created from now on in this process (idempotent).

    Records are filtered as they are made (the record factory), so handlers that Rasa or
    Sanic add later are covered too.
    """
    factory = logging.getLogRecordFactory()
    if getattr(factory, "masks_pii", False):
        return

    def masking_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        _FILTER.filter(record)
        return record

    masking_factory.masks_pii = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(masking_factory)


# Conversation ids the channels derive (``web:``, ``anon:``, ``wx:<OpenID>``, ``rest:…``) and bare
# WeChat OpenIDs (28 characters starting with ``o``): never shown to people reading conversations.
SENDER_ID = re.compile(r"(?<![A-Za-z0-9_:])(?:web|anon|wx|rest):[A-Za-z0-9_:.@\-]+")
OPENID = re.compile(r"(?<![A-Za-z0-9_-])o[A-Za-z0-9_-]{27}(?![A-Za-z0-9_-])")


def mask_for_people(text: str) -> str:
    """``text`` with tokens and personal numbers masked (:func:`mask_secrets`) and channel sender
    ids and OpenIDs replaced by ``[会话标识]`` / ``[OpenID]``."""
    if not text:
        return text
    text = SENDER_ID.sub("[会话标识]", mask_secrets(text))
    return OPENID.sub("[OpenID]", text)


# --- what still looks personal after masking (the NLU inbox: never trained on) ---------------------

_LONG_DIGITS = re.compile(rf"[{_DIGITS}]{{6,}}|\d*\*{{3,}}\d*")
_NAME = re.compile(
    r"(我叫|我的名字(是|叫)|名字(是|叫)|姓名[是:：]?|本人)\s*[\u4e00-\u9fff]{2,4}"
    r"|[张王李赵刘陈杨黄周吴徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余杜叶程魏苏吕丁任卢"
    r"姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严莫孔汤康"
    r"易乔赖文][\u4e00-\u9fff]{0,2}(先生|女士|小姐)")
_ADDRESS = re.compile(
    r"[\u4e00-\u9fff]{1,8}(省|市|区|县|镇)[\u4e00-\u9fff\d]{0,12}?(路|街|大道|巷|弄|村|小区|大厦|花园|公寓)"
    r"|(路|街|巷|弄|道)\s*[\d０-９]+\s*号"
    r"|[\d０-９]+\s*(栋|幢|单元|号楼|号院)|[\d０-９]{3,4}\s*室")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
_MARKS = ("[会话标识]", "[OpenID]", "[token]", "[redacted]")
PERSONAL_KINDS = {"digits": "长数字", "name": "姓名", "address": "地址", "email": "邮箱", "identifier": "标识"}


def personal_traces(text: str) -> List[str]:
    """What in ``text`` (already masked) still looks personal: ``digits`` (a run of six or more, or a
    masked number), ``name``, ``address``, ``email``, ``identifier`` (a masked id or token). Such a
    message may be read by people but never becomes training data."""
    if not text:
        return []
    kinds = []
    if _LONG_DIGITS.search(text):
        kinds.append("digits")
    if _NAME.search(text):
        kinds.append("name")
    if _ADDRESS.search(text):
        kinds.append("address")
    if _EMAIL.search(text):
        kinds.append("email")
    if any(mark in text for mark in _MARKS):
        kinds.append("identifier")
    return kinds
