"""Reject hostile XML before any parser that resolves DTDs (xmltodict, via wechatpy) sees it."""
from __future__ import annotations

from typing import Union
from xml.etree.ElementTree import ParseError

import defusedxml
from defusedxml.ElementTree import fromstring

from .errors import bad_request


def ensure_safe_xml(data: Union[str, bytes]) -> None:
    """Raise a 400 :class:`WebhookError` unless ``data`` is plain, well-formed ``<xml>…</xml>``.

    DOCTYPE, ENTITY and external references are refused outright (no billion laughs, no XXE).
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    upper = raw.upper()
    if b"<!DOCTYPE" in upper or b"<!ENTITY" in upper:
        raise bad_request("DTD/entity declarations are not allowed")
    try:
        root = fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DefusedXmlException as exc:
        raise bad_request("DTD/entity declarations are not allowed") from exc
    except (ParseError, ValueError) as exc:
        raise bad_request("malformed XML") from exc
    if root.tag != "xml":
        raise bad_request("unexpected XML root element")
