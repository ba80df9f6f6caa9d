"""Authentication at the edge, once for the API and the web: the bearer key, the session cookie,
and the CSRF comparisons (the session's token on writes, a form's one-time token against its cookie).

The API's dependencies (edge.deps), the front door (edge.guards.AuthenticateFirst), the kept
statements (api.statement_reads) and the pages (web.viewer, web.pages, web.people_pages) all
call these; none checks a key, a cookie or a token its own way.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from alliance.access.roles import Principal
from alliance.access.service import SESSION_HOURS, SessionInfo, check_key, record_use, session_info
from alliance.core.clock import Clock
from alliance.core.settings import get_settings
from alliance.store.database import Store

SESSION_COOKIE = "alliance_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "x-csrf-token"
FORM_TOKEN_AGE = 3600  # a sign-in or reset form's token lives an hour


def bearer_token(authorization: str) -> str | None:
    """The key of an `Authorization: Bearer <key>` header's value; None without one (or another scheme)."""
    scheme, _, token = authorization.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


async def key_principal(store: Store, token: str, clock: Clock) -> Principal:
    """The principal a bearer key stands for (NotAuthenticated otherwise).

    On the event loop: the check is a look-up in the key cache (access.service.check_key). A use
    due to be recorded is recorded here, in a thread so that waiting for a write lock never holds
    the loop; the check marks it recorded, so whoever checks must record it."""
    principal, due = check_key(store, token, clock)
    if due:
        await run_in_threadpool(record_use, store, principal.subject, clock)
    return principal


def cookie_session(store: Store, token: str, clock: Clock) -> SessionInfo:
    """The live session a session cookie holds (NotAuthenticated if it ended, expired or grants nothing)."""
    return session_info(store, token, clock)


def tokens_match(sent: str | None, expected: str) -> bool:
    """The one CSRF comparison: in constant time, and never true for an empty expectation."""
    if not expected:
        return False
    return hmac.compare_digest((sent or "").encode("utf-8", "replace"), expected.encode())


def csrf_header(headers: Mapping[str, str]) -> str | None:
    return headers.get(CSRF_HEADER)


# -- cookies ---------------------------------------------------------------------------------------

def cookies_secure() -> bool:
    """Whether cookies carry `Secure` (browsers then send them over https, or to localhost, only):
    always, unless the operator set ALLIANCE_INSECURE_HTTP=1 for a closed office network."""
    return not get_settings().insecure_http


LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


def sign_in_over_http_fails(scheme: str, host: str | None, forwarded_proto: str | None = None) -> bool:
    """Whether a browser that reached this site at `scheme`://`host` will drop the Secure session
    cookie, so that signing in cannot work: plain http to anything but the machine itself (browsers
    treat http://localhost as secure) while cookies are Secure. A proxy's `X-Forwarded-Proto:
    https` counts even from a proxy not (yet) trusted: it only spares the warning, it grants nothing."""
    if scheme != "http" or not cookies_secure() or (forwarded_proto or "").split(",")[-1].strip().lower() == "https":
        return False
    name = (host or "").lower()
    return not (name in LOOPBACK_NAMES or name.endswith(".localhost") or name.startswith("127."))


def set_session_cookie(response: Response, token: str) -> None:
    response.set_cookie(SESSION_COOKIE, token, max_age=SESSION_HOURS * 3600, httponly=True, secure=cookies_secure(),
                        samesite="lax", path="/")


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", secure=cookies_secure(), httponly=True, samesite="lax")


# A form that needs no session (sign-in, a one-time code's password) carries a token that must
# match a cookie only this site sets, SameSite=Strict so no other site's form sends it: otherwise a
# form on another site could sign a visitor in to the attacker's account (login CSRF).

def new_form_token() -> str:
    """A fresh token for a form's hidden field (set it in its cookie with `set_form_token`)."""
    return secrets.token_urlsafe(24)


def set_form_token(response: Response, cookie: str, token: str) -> None:
    response.set_cookie(cookie, token, max_age=FORM_TOKEN_AGE, httponly=True, secure=cookies_secure(),
                        samesite="strict", path="/")


def form_token_matches(cookies: Mapping[str, str], cookie: str, sent: str) -> bool:
    return tokens_match(sent, cookies.get(cookie, ""))


def clear_form_token(response: Response, cookie: str) -> None:
    response.delete_cookie(cookie, path="/", secure=cookies_secure(), httponly=True, samesite="strict")
