"""Signature checks and safe-mode (AES) envelopes, all through wechatpy."""
from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Mapping, Optional

from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException

from fenqi.security.replay import NonceCache

from .config import WeChatConfig
from .errors import bad_request, forbidden, not_configured
from .xmlsafe import ensure_safe_xml


@dataclass(frozen=True)
class Envelope:
    """How a POST arrived, so the passive reply goes back the same way."""

    xml: str  # the plain message XML (already checked by ensure_safe_xml)
    encrypted: bool
    timestamp: str
    nonce: str


def _arg(args: Mapping[str, str], name: str) -> str:
    return (args.get(name) or "").strip()


MAX_NONCE_CHARS = 64


def signature_of(*parts: str) -> str:
    """WeChat's signature: sha1 of the sorted parts, concatenated."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def verify_request(config: WeChatConfig, args: Mapping[str, str], body: bytes = b"",
                   nonces: Optional[NonceCache] = None, now: Optional[float] = None) -> None:
    """403 unless the URL's ``signature`` = sha1(sorted token/timestamp/nonce) (constant-time
    compare), the timestamp is within ``config.timestamp_window`` seconds of now and the
    (timestamp, nonce) pair was not seen before with another body (replay cache)."""
    if not config.configured:
        raise not_configured()
    signature, timestamp, nonce = _arg(args, "signature"), _arg(args, "timestamp"), _arg(args, "nonce")
    if not (signature and timestamp and nonce):
        raise forbidden("missing signature")
    if len(nonce) > MAX_NONCE_CHARS or not timestamp.isdigit() or len(timestamp) > 12:
        raise forbidden("malformed timestamp or nonce")
    expected = signature_of(config.token, timestamp, nonce)
    if not hmac.compare_digest(expected.encode(), signature.lower().encode("utf-8", "replace")):
        raise forbidden()
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > config.timestamp_window:
        raise forbidden("stale timestamp")
    if nonces is not None:
        fingerprint = hashlib.sha256(body).hexdigest()
        if not nonces.first_use(f"{timestamp}:{nonce}", fingerprint):
            raise forbidden("replayed nonce")


def verify_echo(config: WeChatConfig, args: Mapping[str, str],
                nonces: Optional[NonceCache] = None) -> str:
    """GET URL verification: return ``echostr`` after checking the signature."""
    verify_request(config, args, (args.get("echostr") or "").encode(), nonces)
    echostr = args.get("echostr")
    if not echostr:
        raise bad_request("missing echostr")
    return echostr


def crypto_for(config: WeChatConfig) -> WeChatCrypto:
    try:
        return WeChatCrypto(config.token, config.encoding_aes_key, config.appid)
    except (AssertionError, ValueError) as exc:  # wechatpy asserts a 32-byte key
        raise not_configured("WECHAT_ENCODING_AES_KEY is invalid") from exc


def open_envelope(config: WeChatConfig, args: Mapping[str, str], body: bytes,
                  nonces: Optional[NonceCache] = None) -> Envelope:
    """Check signatures, reject unsafe XML, decrypt safe-mode bodies; return the plain message XML.

    With an EncodingAESKey configured, a plaintext body is refused (no downgrade)."""
    verify_request(config, args, body, nonces)
    timestamp, nonce = _arg(args, "timestamp"), _arg(args, "nonce")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise bad_request("body is not UTF-8") from exc
    ensure_safe_xml(text)
    if _arg(args, "encrypt_type").lower() != "aes":
        if config.encoding_aes_key:
            raise forbidden("safe mode (encrypt_type=aes) is required")
        return Envelope(xml=text, encrypted=False, timestamp=timestamp, nonce=nonce)
    if not config.can_decrypt:
        raise not_configured("safe mode needs WECHAT_ENCODING_AES_KEY and WECHAT_APPID")
    msg_signature = _arg(args, "msg_signature")
    if not msg_signature:
        raise forbidden("missing msg_signature")
    encrypted = _encrypt_element(text)
    if not hmac.compare_digest(signature_of(config.token, timestamp, nonce, encrypted).encode(),
                               msg_signature.lower().encode("utf-8", "replace")):
        raise forbidden()
    try:
        plain = crypto_for(config).decrypt_message(text, msg_signature, timestamp, nonce)
    except InvalidSignatureException as exc:
        raise forbidden() from exc
    except InvalidAppIdException as exc:
        raise forbidden("AppID mismatch") from exc
    except KeyError as exc:
        raise bad_request("missing Encrypt element") from exc
    except Exception as exc:  # bad base64 / padding / ciphertext: signed but undecryptable
        raise bad_request("cannot decrypt message") from exc
    ensure_safe_xml(plain)
    return Envelope(xml=plain, encrypted=True, timestamp=timestamp, nonce=nonce)


def _encrypt_element(text: str) -> str:
    import xmltodict

    try:
        value = xmltodict.parse(text)["xml"]["Encrypt"]
    except Exception as exc:  # checked XML already; any other shape is a bad request
        raise bad_request("missing Encrypt element") from exc
    if not isinstance(value, str):
        raise bad_request("missing Encrypt element")
    return value


def seal_reply(config: WeChatConfig, envelope: Envelope, reply_xml: str) -> str:
    """Encrypt a passive reply when the request came encrypted; otherwise return it unchanged."""
    if not envelope.encrypted:
        return reply_xml
    return crypto_for(config).encrypt_message(reply_xml, envelope.nonce, envelope.timestamp)

