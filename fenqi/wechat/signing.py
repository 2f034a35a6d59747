"""Signature checks and safe-mode (AES) envelopes, all through wechatpy."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.utils import check_signature

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


def verify_request(config: WeChatConfig, args: Mapping[str, str]) -> None:
    """The URL's ``signature`` = sha1(sorted token/timestamp/nonce); 403 when it does not match."""
    if not config.configured:
        raise not_configured()
    signature, timestamp, nonce = _arg(args, "signature"), _arg(args, "timestamp"), _arg(args, "nonce")
    if not (signature and timestamp and nonce):
        raise forbidden("missing signature")
    try:
        check_signature(config.token, signature, timestamp, nonce)
    except InvalidSignatureException as exc:
        raise forbidden() from exc


def verify_echo(config: WeChatConfig, args: Mapping[str, str]) -> str:
    """GET URL verification: return ``echostr`` after checking the signature."""
    verify_request(config, args)
    echostr = args.get("echostr")
    if not echostr:
        raise bad_request("missing echostr")
    return echostr


def crypto_for(config: WeChatConfig) -> WeChatCrypto:
    try:
        return WeChatCrypto(config.token, config.encoding_aes_key, config.appid)
    except (AssertionError, ValueError) as exc:  # wechatpy asserts a 32-byte key
        raise not_configured("WECHAT_ENCODING_AES_KEY is invalid") from exc


def open_envelope(config: WeChatConfig, args: Mapping[str, str], body: bytes) -> Envelope:
    """Check signatures, reject unsafe XML, decrypt safe-mode bodies; return the plain message XML."""
    verify_request(config, args)
    timestamp, nonce = _arg(args, "timestamp"), _arg(args, "nonce")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise bad_request("body is not UTF-8") from exc
    ensure_safe_xml(text)
    if _arg(args, "encrypt_type").lower() != "aes":
        return Envelope(xml=text, encrypted=False, timestamp=timestamp, nonce=nonce)
    if not config.can_decrypt:
        raise not_configured("safe mode needs WECHAT_ENCODING_AES_KEY and WECHAT_APPID")
    msg_signature = _arg(args, "msg_signature")
    if not msg_signature:
        raise forbidden("missing msg_signature")
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


def seal_reply(config: WeChatConfig, envelope: Envelope, reply_xml: str) -> str:
    """Encrypt a passive reply when the request came encrypted; otherwise return it unchanged."""
    if not envelope.encrypted:
        return reply_xml
    return crypto_for(config).encrypt_message(reply_xml, envelope.nonce, envelope.timestamp)

