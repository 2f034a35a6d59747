"""WeChat's side of the conversation, for tests and local trials.

:class:`WeChatClient` signs (and in safe mode encrypts) pushes exactly as the WeChat server
does, using wechatpy directly (independent of the channel's own checks), and parses replies.
:class:`FakeWeChatApi` is a local aiohttp server for ``/cgi-bin/token`` and
``/cgi-bin/message/custom/send``, with switches for expiry, outages and slow responses.
"""
from __future__ import annotations

import asyncio
import itertools
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

import aiohttp
import xmltodict
from aiohttp import web
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.messages import BaseMessage
from wechatpy.utils import WeChatSigner


def url_signature(token: str, timestamp: str, nonce: str) -> str:
    signer = WeChatSigner()
    signer.add_data(token, timestamp, nonce)
    return signer.signature


@dataclass
class Reply:
    status: int
    body: str
    message: Optional[BaseMessage] = None  # parsed passive reply (decrypted in safe mode)

    @property
    def text(self) -> Optional[str]:
        return getattr(self.message, "content", None) if self.message is not None else None


class WeChatClient:
    """Pushes messages to a webhook URL like the WeChat server would."""

    _ids = itertools.count(int(time.time()) * 1000)

    def __init__(self, url: str, token: str, appid: str = "", aes_key: str = "",
                 account: str = "gh_fenqi_test"):
        self.url = url
        self.token = token
        self.appid = appid
        self.aes_key = aes_key
        self.account = account

    # -- payloads ---------------------------------------------------------------------------

    def _xml(self, openid: str, msg_type: str, create_time: Optional[int], **fields: Any) -> str:
        data = {"ToUserName": self.account, "FromUserName": openid,
                "CreateTime": str(create_time or int(time.time())), "MsgType": msg_type}
        data.update({k: str(v) for k, v in fields.items() if v is not None})
        return xmltodict.unparse({"xml": data}, full_document=False)

    def new_msg_id(self) -> int:
        return next(self._ids)

    def text(self, openid: str, content: str, msg_id: Optional[int] = None,
             create_time: Optional[int] = None) -> str:
        return self._xml(openid, "text", create_time, Content=content,
                         MsgId=msg_id if msg_id is not None else self.new_msg_id())

    def voice(self, openid: str, recognition: Optional[str], msg_id: Optional[int] = None) -> str:
        return self._xml(openid, "voice", None, MediaId="media-1", Format="amr",
                         Recognition=recognition, MsgId=msg_id or self.new_msg_id())

    def image(self, openid: str, msg_id: Optional[int] = None) -> str:
        return self._xml(openid, "image", None, PicUrl="http://example.invalid/p.jpg",
                         MediaId="media-2", MsgId=msg_id or self.new_msg_id())

    def event(self, openid: str, event: str, create_time: Optional[int] = None, **fields: Any) -> str:
        return self._xml(openid, "event", create_time, Event=event, **fields)

    # -- transport --------------------------------------------------------------------------

    def params(self, timestamp: Optional[str] = None, nonce: Optional[str] = None) -> Dict[str, str]:
        timestamp = timestamp or str(int(time.time()))
        nonce = nonce or secrets.token_hex(5)
        return {"timestamp": timestamp, "nonce": nonce,
                "signature": url_signature(self.token, timestamp, nonce)}

    def seal(self, xml: str, params: Dict[str, str]) -> Tuple[str, Dict[str, str]]:
        """Safe mode: encrypt ``xml`` and add ``encrypt_type``/``msg_signature`` to the params."""
        crypto = WeChatCrypto(self.token, self.aes_key, self.appid)
        sealed = crypto.encrypt_message(xml, params["nonce"], params["timestamp"])
        envelope = xmltodict.parse(sealed)["xml"]
        body = xmltodict.unparse({"xml": {"ToUserName": self.account, "Encrypt": envelope["Encrypt"]}},
                                 full_document=False)
        return body, dict(params, encrypt_type="aes", msg_signature=envelope["MsgSignature"])

    def prepare(self, xml: str, encrypt: bool = False,
                params: Optional[Dict[str, str]] = None) -> Tuple[Dict[str, str], bytes]:
        """Query parameters and body of one push."""
        params = dict(params or self.params())
        body = xml
        if encrypt:
            body, params = self.seal(xml, params)
        return params, body.encode("utf-8")

    async def post(self, session: aiohttp.ClientSession, xml: str, encrypt: bool = False,
                   params: Optional[Dict[str, str]] = None) -> Reply:
        params, body = self.prepare(xml, encrypt, params)
        async with session.post(self.url, params=params, data=body,
                                headers={"Content-Type": "text/xml"}) as response:
            text = await response.text()
            return Reply(response.status, text, self.parse_reply(text, params) if response.status == 200 else None)

    def parse_reply(self, body: str, params: Dict[str, str]) -> Optional[BaseMessage]:
        if not body.lstrip().startswith("<xml>"):
            return None
        if params.get("encrypt_type") == "aes":
            outer = xmltodict.parse(body)["xml"]
            crypto = WeChatCrypto(self.token, self.aes_key, self.appid)
            body = crypto.decrypt_message(body, outer["MsgSignature"], outer["TimeStamp"], outer["Nonce"])
        return parse_message(body)

    async def verify(self, session: aiohttp.ClientSession, echostr: str,
                     params: Optional[Dict[str, str]] = None) -> Reply:
        params = dict(params or self.params(), echostr=echostr)
        async with session.get(self.url, params=params) as response:
            return Reply(response.status, await response.text())


@dataclass
class FakeWeChatApi:
    """A local stand-in for api.weixin.qq.com (token + customer-service send)."""

    appid: str
    secret: str
    expires_in: int = 7200
    send_delay: float = 0.0
    fail_next: int = 0  # next N requests answer HTTP 500
    busy_next: int = 0  # next N requests answer errcode -1
    token_calls: int = 0
    sent: List[Tuple[str, str]] = field(default_factory=list)  # (openid, content)
    rejected_tokens: List[str] = field(default_factory=list)
    _valid: set = field(default_factory=set)
    _counter: itertools.count = field(default_factory=lambda: itertools.count(1))
    _runner: Optional[web.AppRunner] = None
    base_url: str = ""

    def expire_tokens(self) -> None:
        """Every issued token becomes invalid (WeChat answers 42001 next time)."""
        self._valid.clear()

    async def _token(self, request: web.Request) -> web.Response:
        self.token_calls += 1
        if (failed := self._maybe_fail()) is not None:
            return failed
        q = request.query
        if q.get("grant_type") != "client_credential" or q.get("appid") != self.appid \
                or q.get("secret") != self.secret:
            return web.json_response({"errcode": 40125, "errmsg": "invalid appsecret"})
        token = f"TOKEN-{next(self._counter)}-{secrets.token_hex(4)}"
        self._valid.add(token)
        return web.json_response({"access_token": token, "expires_in": self.expires_in})

    async def _send(self, request: web.Request) -> web.Response:
        if (failed := self._maybe_fail()) is not None:
            return failed
        token = request.query.get("access_token", "")
        if token not in self._valid:
            self.rejected_tokens.append(token)
            return web.json_response({"errcode": 42001, "errmsg": "access_token expired"})
        payload = await request.json()
        if payload.get("msgtype") != "text" or not payload.get("touser"):
            return web.json_response({"errcode": 40008, "errmsg": "invalid message type"})
        content = payload["text"]["content"]
        if len(content.encode("utf-8")) > 2048:
            return web.json_response({"errcode": 45002, "errmsg": "content size out of limit"})
        if self.send_delay:
            await asyncio.sleep(self.send_delay)
        self.sent.append((payload["touser"], content))
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    def _maybe_fail(self) -> Optional[web.Response]:
        if self.fail_next > 0:
            self.fail_next -= 1
            return web.Response(status=500, text="upstream error")
        if self.busy_next > 0:
            self.busy_next -= 1
            return web.json_response({"errcode": -1, "errmsg": "system error"})
        return None

    async def start(self, host: str = "127.0.0.1") -> str:
        app = web.Application()
        app.router.add_get("/cgi-bin/token", self._token)
        app.router.add_post("/cgi-bin/message/custom/send", self._send)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.base_url = f"http://{host}:{port}"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
