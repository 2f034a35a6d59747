"""Same-origin relay of socket.io long-polling to the Rasa server.

The page then talks only to its own origin: no CORS settings on Rasa, CSP ``connect-src
'self'``. Only the socket.io path is relayed, request and response bodies pass through
untouched, and nothing about identity is added or removed here: the channel verifies the
token the widget sends inside the socket.io handshake. (Polling only: engine.io's
WebSocket transport does not work on Rasa 3.6's Sanic 21.12.)
"""
from __future__ import annotations

from typing import Dict

from aiohttp import ClientError, ClientSession, ClientTimeout, web

FORWARDED_REQUEST_HEADERS = ("Content-Type", "Accept", "User-Agent")
FORWARDED_RESPONSE_HEADERS = ("Content-Type",)
# engine.io holds a poll open for up to its ping interval (25 s) plus the ping timeout (20 s)
UPSTREAM_TIMEOUT = ClientTimeout(total=75, connect=5)


def upstream_url(rasa_url: str, path_qs: str) -> str:
    """The Rasa URL for a relayed request path (with its query string)."""
    return rasa_url.rstrip("/") + path_qs


def pick(headers, names) -> Dict[str, str]:
    return {name: headers[name] for name in names if name in headers}


def relay(rasa_url: str, session_key: web.AppKey):
    """An aiohttp handler relaying the request to ``rasa_url`` with the app's client session."""

    async def handler(request: web.Request) -> web.Response:
        session: ClientSession = request.app[session_key]
        body = await request.read()
        try:
            async with session.request(request.method, upstream_url(rasa_url, request.path_qs),
                                       data=body or None, allow_redirects=False,
                                       headers=pick(request.headers, FORWARDED_REQUEST_HEADERS)
                                       ) as upstream:
                payload = await upstream.read()
                return web.Response(status=upstream.status, body=payload,
                                    headers=pick(upstream.headers, FORWARDED_RESPONSE_HEADERS))
        except (ClientError, TimeoutError) as exc:
            raise web.HTTPBadGateway(text=f"chat server unreachable: {exc.__class__.__name__}")

    return handler


def open_client_session():
    """cleanup_ctx factory: one client session for the relay, closed on shutdown."""

    async def ctx(app: web.Application):
        async with ClientSession(timeout=UPSTREAM_TIMEOUT) as session:
            app[SESSION] = session
            yield

    return ctx


SESSION = web.AppKey("relay_session", ClientSession)
