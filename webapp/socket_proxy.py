"""Same-origin relay of socket.io long-polling to the Rasa server.

The page then talks only to its own origin: no CORS settings on Rasa, CSP ``connect-src
'self'``. Only the socket.io path is relayed, request and response bodies pass through
untouched, and nothing about identity is added or removed here: the channel verifies the
token the widget sends inside the socket.io handshake. (Polling only: engine.io's
WebSocket transport does not work on Rasa 3.6's Sanic 21.12.)

Bounded (issue #11): at most ``relay_max_concurrent`` upstream requests in flight (the client
pool's size too), ``relay_max_per_client`` per client address and ``relay_rate_per_minute``
requests per client per minute; beyond that the client gets 429 and engine.io retries.
"""
from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, Optional

from aiohttp import ClientError, ClientSession, ClientTimeout, TCPConnector, web

from fenqi.security.limits import Limits
from fenqi.security.ratelimit import ConcurrencyGate, RateLimiter
from fenqi.settings import load_limits

FORWARDED_REQUEST_HEADERS = ("Content-Type", "Accept", "User-Agent")
FORWARDED_RESPONSE_HEADERS = ("Content-Type",)
# engine.io holds a poll open for up to its ping interval (25 s) plus the ping timeout (20 s)
UPSTREAM_TIMEOUT = ClientTimeout(total=75, connect=5)


def upstream_url(rasa_url: str, path_qs: str) -> str:
    """The Rasa URL for a relayed request path (with its query string)."""
    return rasa_url.rstrip("/") + path_qs


def pick(headers, names) -> Dict[str, str]:
    return {name: headers[name] for name in names if name in headers}


def client_key(request: web.Request) -> str:
    """Who is asking, for rate limits: the peer address (this app is not behind a proxy)."""
    return request.remote or "unknown"


def relay(rasa_url: str, session_key: web.AppKey, limits: Optional[Limits] = None
          ) -> Callable[[web.Request], Awaitable[web.Response]]:
    """An aiohttp handler relaying the request to ``rasa_url`` with the app's client session."""
    limits = limits or load_limits()
    gate = ConcurrencyGate(limits.relay_max_concurrent, limits.relay_max_per_client)
    rate = RateLimiter(limits.relay_rate_per_minute, per=60.0)

    async def handler(request: web.Request) -> web.Response:
        key = client_key(request)
        if not rate.allow(key) or not gate.try_acquire(key):
            raise web.HTTPTooManyRequests(text="too many requests", headers={"Retry-After": "2"})
        try:
            return await forward(request, key)
        finally:
            gate.release(key)

    async def forward(request: web.Request, key: str) -> web.Response:
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


def open_client_session(limits: Optional[Limits] = None) -> Callable[[web.Application], Any]:
    """cleanup_ctx factory: one bounded client session for the relay, closed on shutdown."""
    pool = (limits or load_limits()).relay_max_concurrent

    async def ctx(app: web.Application):  # type: ignore[no-untyped-def]
        async with ClientSession(timeout=UPSTREAM_TIMEOUT, connector=TCPConnector(limit=pool)) as session:
            app[SESSION] = session
            yield

    return ctx


SESSION = web.AppKey("relay_session", ClientSession)
