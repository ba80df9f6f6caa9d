"""Sign-in for people: a session in a cookie (HttpOnly, Secure, SameSite=Lax) and a CSRF token.

Machines use API keys (Authorization: Bearer); the web workspace uses this. Writes made with the
cookie must send the session's CSRF token in `X-CSRF-Token` (docs/access.md).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import Field

from alliance.access import service
from alliance.edge.auth import SESSION_COOKIE, clear_session_cookie, set_session_cookie
from alliance.edge.deps import ClockDep, PrincipalDep, StoreDep, sign_in_from
from alliance.edge.problems import PROBLEM_JSON
from alliance.api.schemas import Body

router = APIRouter(prefix="/auth", tags=["sign-in"])
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "wrong username or password, or no session", "content": {PROBLEM_JSON: {}}},
    403: {"description": "a write without the session's CSRF token", "content": {PROBLEM_JSON: {}}},
    422: {"description": "invalid request", "content": {PROBLEM_JSON: {}}},
    429: {"description": "too many sign-in attempts from this address", "content": {PROBLEM_JSON: {}}},
}


class SignIn(Body):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1000)


@router.post("/sign-in", responses=ERRORS)
def sign_in(body: SignIn, request: Request, response: Response, store: StoreDep, clock: ClockDep) -> dict[str, Any]:
    """Start a session: sets the session cookie; answers the CSRF token to send on writes."""
    session = sign_in_from(request, store, body.username, body.password, clock)
    set_session_cookie(response, session.token)
    return {"csrf_token": session.csrf_token, "expires_at": session.expires_at.isoformat()}


@router.get("/me", responses=ERRORS)
def me(principal: PrincipalDep) -> dict[str, Any]:
    """Who the request acts as, and the actions its key is limited to (null: all its role allows).
    Any principal may ask, whatever its scopes."""
    return {"subject": principal.subject, "role": principal.role.value, "alliance": principal.alliance,
            "member": principal.member, "scopes": sorted(principal.scopes) if principal.scopes is not None else None}


@router.post("/sign-out", status_code=204, responses=ERRORS)
def sign_out(request: Request, response: Response, store: StoreDep, clock: ClockDep, principal: PrincipalDep) -> None:
    """End the session (the cookie stops working at once)."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        service.sign_out(store, token, clock)
    clear_session_cookie(response)
