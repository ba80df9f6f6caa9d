"""Typed dependencies shared by the API's routers and the pages: the stores, the clock, path types, and
who an API request acts as (the checks themselves are edge.auth's)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, Path, Query, Request

from alliance.access.policy import Forbidden
from alliance.access.roles import Principal
from alliance.access.service import CsrfFailed, NotAuthenticated, WebSession, sign_in
from alliance.core.clock import Clock
from alliance.core.messages import Message
from alliance.edge.guards import RateLimited, client_host
from alliance.edge.routes import API_PREFIX, ROUTES, authorize_request, route_template
from alliance.edge.auth import (SAFE_METHODS, SESSION_COOKIE, bearer_token, cookie_session, csrf_header,
                                key_principal, tokens_match)
from alliance.store.database import Store
from alliance.store.stores import Stores

logger = logging.getLogger("alliance.access")


# Trivial dependencies are async: FastAPI runs a sync one in the thread pool, a hop per request.
async def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


async def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


StoreDep = Annotated[Store, Depends(get_store)]


@contextmanager
def opened_stores(request: Request) -> Iterator[Stores]:
    """Both stores for one operation of the request (a page opens them around its service call).

    The fact store is the process's one connection, shared by the requests running now
    (store.shared_facts): open while any request uses it, closed after the last, so the CLI can use
    the file between them."""
    with request.app.state.facts.using() as facts:
        yield Stores(request.app.state.store, facts)


def get_stores(request: Request) -> Iterator[Stores]:
    # Sync, as a generator: opening the fact store may wait for another process (store.shared_facts).
    with opened_stores(request) as stores:
        yield stores


StoresDep = Annotated[Stores, Depends(get_stores)]
# Ids are positive 32-bit integers; anything else is a 422, never a database overflow.
Id = Annotated[int, Path(ge=1, le=2_147_483_647)]
Code = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
ClockDep = Annotated[Clock, Depends(get_clock)]
# A page of a list: at most 1,000 items at a time.
Limit = Annotated[int, Query(ge=1, le=1000, description="items on this page (at most 1,000)")]
Offset = Annotated[int, Query(ge=0, le=2_147_483_647, description="items to skip")]


# The scheme as the OpenAPI document declares it (server.py adds it to every operation that needs a
# key, so the docs page gets an "Authorize" button). The checking is ours, in `current_principal`:
# one dependency reading the header itself, as FastAPI's HTTPBearer would be one more node to solve
# on every request of the busiest reads.
BEARER_SCHEME = {"HTTPBearer": {"type": "http", "scheme": "bearer",
                                "description": "An API key: `alliance apikey create` (docs/access.md)."}}


async def current_principal(request: Request) -> Principal:
    """Who the request acts as, from `Authorization: Bearer <API key>` or the session cookie (401
    otherwise).

    Runs on the event loop, not in the thread pool: the key check is a lookup in the key cache
    (a database read about once a second per key), cheaper than the hop to a thread and back."""
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    store: Store = request.app.state.store
    clock: Clock = request.app.state.clock
    token = bearer_token(request.headers.get("authorization", ""))
    try:
        cookie = request.cookies.get(SESSION_COOKIE)
        if token is None and cookie:
            session = cookie_session(store, cookie, clock)
            principal = session.principal(request.path_params.get("code"))
            # A write made with the cookie must carry the session's CSRF token, which a page of
            # this origin can read and another site cannot.
            if request.method not in SAFE_METHODS and not tokens_match(csrf_header(request.headers),
                                                                       session.csrf_token):
                raise CsrfFailed(Message("a write with the session cookie needs its X-CSRF-Token header"))
            request.state.principal = principal
            request.state.session_csrf = session.csrf_token
            return principal
        if not token:
            raise NotAuthenticated(Message("send the API key as Authorization: Bearer <key> (or sign in)"))
        principal = await key_principal(store, token, clock)
    except NotAuthenticated as exc:
        # Logged without the key: who tried what, and why it failed.
        logger.warning("authentication failed: %s %s from %s: %s", request.method, request.url.path,
                       request.client.host if request.client else "?", exc.message)
        raise
    request.state.principal = principal
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]


async def authorize_route(request: Request, principal: PrincipalDep, store: StoreDep) -> None:
    """The API route's action (edge.routes.ROUTES), authorised for the path's alliance and member,
    within the key's rate (a route missing from the table is refused, 403); a member's operations step
    under its `operate` power of attorney is looked up in `store` (edge.routes.ATTORNEY_ROUTES)."""
    template = route_template(request, API_PREFIX)
    if (request.method, template) not in ROUTES:
        raise Forbidden(Message("{method} {template} is not open to any role yet",
                                method=request.method, template=template))
    await authorize_request(request, principal, template, store=store,
                            limiter=getattr(request.app.state, "rate_limiter", None))


async def current_actor(principal: PrincipalDep) -> str:
    """How records name whoever made the request (the key's prefix, role and where it is held)."""
    return principal.actor


ActorDep = Annotated[str, Depends(current_actor)]


@contextmanager
def attempt_from_address(request: Request, clock: Clock, refused: type[Exception], what: str) -> Iterator[None]:
    """A credential tried from the request's client address (edge.guards.ClientAddress): at most one
    attempt a second from an address on average, and after many refused ones (`refused` raised in
    the block) a wait that doubles with each further one (access.throttle); 429 with Retry-After
    while it lasts. Signing in and redeeming a one-time code share it."""
    address = client_host(request.scope)
    request.app.state.sign_in_limiter.take(address)
    backoff = request.app.state.sign_in_backoff
    wait = backoff.retry_after(address, clock.now())
    if wait:
        raise RateLimited(Message("too many {attempts} from this address; retry in {wait} s", attempts=what,
                                  wait=wait), wait)
    try:
        yield
    except refused:
        backoff.failed(address, clock.now())
        raise


def sign_in_from(request: Request, store: Store, username: str, password: str, clock: Clock) -> WebSession:
    """Sign in, throttled per client address (`attempt_from_address`); the account's own back-off
    is in access.service.sign_in."""
    with attempt_from_address(request, clock, NotAuthenticated, Message("failed sign-ins")):
        return sign_in(store, username, password, clock)


def require_csrf_for_sessions(request: Request) -> None:
    """For reads that leave a trace (a shared view's query lands in the publisher's access log):
    with a session cookie they need the CSRF token too, so another site cannot make a signed-in
    browser run them."""
    csrf: str | None = getattr(request.state, "session_csrf", None)
    if csrf is not None and not tokens_match(csrf_header(request.headers), csrf):
        raise CsrfFailed(Message("a shared view's query made with the session cookie needs its X-CSRF-Token header"))
