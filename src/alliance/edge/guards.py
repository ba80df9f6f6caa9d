"""Protections around every request: the client's address (forwarded headers believed only from
trusted proxies), security and caching headers, authentication before the body is read, a body
size limit, and rate limits per key and per address.

(`Idempotency-Key` is handled in alliance.edge.idempotency.)

Plain ASGI middleware (not Starlette's BaseHTTPMiddleware, which costs a task per request). CORS
stays closed: no CORS middleware is installed, so browsers refuse cross-origin reads of the API.
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.concurrency import run_in_threadpool

from alliance.core.errors import AllianceError
from alliance.core.messages import Message

Scope = MutableMapping[str, Any]
AsgiMessage = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[AsgiMessage]]
Send = Callable[[AsgiMessage], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
# A page the web answers with, built from the request (a starlette Request): the composition root
# (server.py) passes the web's, so that the edge imports neither the API nor the web.
PageAnswer = Callable[[Any], ASGIApp]

# Pages and API answers load nothing from elsewhere, run no inline script and are never framed.
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
       "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
# The interactive API docs page (api.routers.docs) runs Swagger UI from local files; it sets inline
# styles as it renders, so its policy allows those, and nothing else more than every other page's.
DOCS_PATH = "/api/v1/docs"
DOCS_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")


# Assets are the same for everyone and may be cached; every other answer may carry statements,
# journals, exports or someone's session, and is kept by no cache, shared or the browser's.
CACHEABLE_PATHS = ("/static/",)
HSTS = b"max-age=31536000; includeSubDomains"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class SecurityHeaders:
    """Headers on every answer: no sniffing, no framing, the CSP; `Cache-Control: no-store` on all
    but static assets (unless the app chose its own); `Strict-Transport-Security` when the request
    came over https (directly, or through a trusted proxy: see ClientAddress, which runs first)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = list(HEADERS)
        policy = DOCS_CSP if scope["path"] == DOCS_PATH else CSP
        extra.append((b"content-security-policy", policy.encode()))
        if scope.get("scheme") == "https":
            extra.append((b"strict-transport-security", HSTS))
        cacheable = scope["path"].startswith(CACHEABLE_PATHS)

        async def with_headers(message: AsgiMessage) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), *extra]
                if not cacheable and not any(name.lower() == b"cache-control" for name, _ in headers):
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


async def send_problem(scope: Scope, send: Send, status: int, code: str, title: str, detail: str,
                       headers: list[tuple[bytes, bytes]] | None = None) -> None:
    """The API's problem+json answer (edge.problems), sent from outside the app: its title and
    detail (Messages) said in the language the request's Accept-Language asks for."""
    from alliance.edge.problems import problem_in_language

    asked = next((v for k, v in scope.get("headers", []) if k == b"accept-language"), b"")
    response = problem_in_language(asked.decode("latin-1") or None, status, code, title, detail)
    await send({"type": "http.response.start", "status": response.status_code,
                "headers": [*response.raw_headers, *(headers or [])]})
    await send({"type": "http.response.body", "body": response.body})


def _trusted(host: str, proxies: tuple[Network, ...]) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in network for network in proxies)


class ClientAddress:
    """The client's address and scheme as the app sees them (`request.client`, `request.url`).

    `X-Forwarded-For` and `X-Forwarded-Proto` are believed only when the direct peer is one of the
    configured trusted proxies (ALLIANCE_TRUSTED_PROXIES); from anyone else they are ignored, so a
    client cannot pick the address its attempts are counted against. Through a chain of trusted
    proxies the client is the right-most forwarded address that is not itself a trusted proxy."""

    def __init__(self, app: ASGIApp, proxies: tuple[Network, ...]) -> None:
        self.app, self.proxies = app, proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if scope["type"] not in ("http", "websocket") or not self.proxies or not client or not _trusted(
                client[0], self.proxies):
            await self.app(scope, receive, send)
            return
        forwarded: list[str] = []
        proto = None
        for name, value in scope.get("headers", []):
            if name == b"x-forwarded-for":
                forwarded += [part.strip() for part in value.decode("latin-1").split(",") if part.strip()]
            elif name == b"x-forwarded-proto":
                proto = value.decode("latin-1").split(",")[-1].strip().lower()
        host = client[0]
        for hop in reversed(forwarded):
            host = hop
            if not _trusted(hop, self.proxies):
                break
        scope = dict(scope)
        scope["client"] = (host, 0 if host != client[0] else client[1])
        if proto in ("http", "https") and scope["type"] == "http":
            scope["scheme"] = proto
        await self.app(scope, receive, send)


def client_host(scope: Scope) -> str:
    """The request's client address, as ClientAddress settled it ("?" when the server does not say)."""
    client = scope.get("client")
    return str(client[0]) if client else "?"


class AuthenticateFirst:
    """An API request that needs a key is refused (401) before its body is read, unless it carries
    an API key that holds or a live session cookie; so a request without them costs the server
    nothing however large its body. A page write (a form post, an upload) without a live session is
    sent to the sign-in page the same way, unread. Requests refused so are counted against their
    address: past `limiter`'s rate they are answered 429 with Retry-After.

    Who the request acts as, and whether it may, is still decided by the app (deps.current_principal,
    authorize_route): this is the cheap front door, not the authorisation."""

    PREFIX = "/api/v1/"
    PUBLIC = frozenset({"/api/v1/auth/sign-in", "/api/v1/openapi.json", "/api/v1/docs"})
    PUBLIC_PAGES = frozenset({"/sign-in", "/reset-password"})  # a one-time code is the credential there
    SAFE = frozenset({"GET", "HEAD", "OPTIONS"})

    def __init__(self, app: ASGIApp, store: Any, clock: Any, limiter: RateLimiter,
                 sign_in_page: PageAnswer | None = None) -> None:
        self.app, self.store, self.clock, self.limiter = app, store, clock, limiter
        self.sign_in_page = sign_in_page

    async def _refusal(self, headers: dict[bytes, bytes]) -> str | None:
        """Why the request holds no key or live session, in the app's own words; None when it holds
        one, or when that cannot be told now (the database is down: the app then answers 503)."""
        from http.cookies import CookieError, SimpleCookie

        from alliance.access.service import NotAuthenticated
        from alliance.edge.auth import SESSION_COOKIE, bearer_token, cookie_session, key_principal

        token = bearer_token(headers.get(b"authorization", b"").decode("latin-1"))
        try:
            if token is not None:
                await key_principal(self.store, token, self.clock)
                return None
            cookies: SimpleCookie = SimpleCookie()
            try:
                cookies.load(headers.get(b"cookie", b"").decode("latin-1"))
            except CookieError:
                cookies = SimpleCookie()
            session = cookies.get(SESSION_COOKIE)
            if session is None or not session.value:
                return Message("send the API key as Authorization: Bearer <key> (or sign in)")
            await run_in_threadpool(cookie_session, self.store, session.value, self.clock)
            return None
        except NotAuthenticated as exc:
            return exc.message
        except AllianceError:
            return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        api = path.startswith(self.PREFIX)
        page_write = not api and scope.get("method") not in self.SAFE and path not in self.PUBLIC_PAGES
        if scope["type"] != "http" or not (api or page_write) or path in self.PUBLIC:
            await self.app(scope, receive, send)
            return
        headers: dict[bytes, bytes] = {}
        for name, value in scope.get("headers", []):
            headers.setdefault(name, value)
        refusal = await self._refusal(headers)
        if refusal is None:
            await self.app(scope, receive, send)
            return
        try:
            self.limiter.take(client_host(scope))
        except RateLimited as exc:
            await send_problem(scope, send, 429, exc.code, exc.title,
                               Message("too many requests without a valid key from this address; retry in {wait} s",
                                       wait=exc.retry_after), [(b"retry-after", str(exc.retry_after).encode())])
            return
        if page_write and self.sign_in_page is not None:
            from starlette.requests import Request

            await self.sign_in_page(Request(scope))(scope, receive, send)  # answers without reading the body
            return
        await send_problem(scope, send, 401, "not_authenticated", Message("Authentication required"), refusal,
                           [(b"www-authenticate", b'Bearer realm="alliance"')])


class BodyLimit:
    """Refuse request bodies over `limit` bytes with 413, by Content-Length or while streaming.

    The one limit on a request's size (ALLIANCE_MAX_BODY_MB): routes read their bodies whole
    behind it. A browser's request is answered by `too_large_page` (the web's page in the user's
    language, given by the composition root) when it returns one; else the API's problem."""

    def __init__(self, app: ASGIApp, limit: int,
                 too_large_page: Callable[[Any, int], Any | None] | None = None) -> None:
        self.app, self.limit, self.too_large_page = app, limit, too_large_page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, send)
            return
        seen, too_big, started = 0, False, False

        async def counted() -> AsgiMessage:
            # Past the limit the app is told the client left, and its answer is replaced by ours:
            # raising here would surface inside the app as a parse error (400), not a 413.
            nonlocal seen, too_big
            if too_big:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    too_big = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded(message: AsgiMessage) -> None:
            nonlocal started
            if too_big:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if not too_big:
                raise
        if too_big and not started:
            await self._refuse(scope, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        from starlette.requests import Request

        page = self.too_large_page(Request(scope), self.limit) if self.too_large_page is not None else None
        if page is not None:
            # A browser's upload: a page in the user's language with the limit and the way round it.
            async def nothing() -> AsgiMessage:
                return {"type": "http.disconnect"}

            await page(scope, nothing, send)
            return
        await send_problem(scope, send, 413, "body_too_large", Message("Request body too large"),
                           Message("the request body is over {limit} MiB", limit=self.limit // 2**20))


class RateLimited(AllianceError):
    code = "rate_limited"
    title = Message("Too many requests")
    status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimiter:
    """A token bucket per API key (or address): `rate` requests a second on average, bursts up to
    `burst`.

    In this process's memory: with several server processes each keeps its own buckets. Full buckets
    are dropped when there are many, so unknown keys or addresses cannot grow it without bound."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if len(self._buckets) > 100_000:
                self._prune(now)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                wait = math.ceil((1.0 - tokens) / self.rate)
                raise RateLimited(Message("more than {rate:g} requests a second for this key; retry in {wait} s",
                                          rate=self.rate, wait=wait), wait)
            self._buckets[key] = (tokens - 1.0, now)

    def _prune(self, now: float) -> None:
        """Forget the buckets that have refilled (they are as if new); the lock is held."""
        full = [key for key, (tokens, last) in self._buckets.items()
                if tokens + (now - last) * self.rate >= self.burst]
        for key in full:
            del self._buckets[key]

