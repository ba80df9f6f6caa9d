"""Who is looking at a page, and whether they may: the web workspace's side of `access.policy`.

A page is reached with the session cookie the sign-in page sets (the same sessions the API's
`/auth/sign-in` opens). Every page route is mapped in `PAGES` to the `Action` it is, and
`page_access` asks `access.policy.authorize` (the one place decisions are made) with the path's
alliance and member, exactly as the API does; a route missing from `PAGES` is refused. Pages that
list member data for a whole alliance (a settled day, the trend chart) narrow their rows with
`Viewer.sees_member`, which is `authorize` again, per member.

Writes are HTML form posts or htmx requests: both must carry the session's CSRF token, as the
form field `csrf_token` or the `X-CSRF-Token` header (htmx sends it from the page's meta tag).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from alliance.access.policy import Action, authorize
from alliance.access.roles import Principal, Role
from alliance.access.service import CsrfFailed, NotAuthenticated, SessionInfo
from alliance.edge.auth import SAFE_METHODS, SESSION_COOKIE, cookie_session, csrf_header, tokens_match
from alliance.edge.deps import ClockDep, StoreDep
from alliance.core.errors import AllianceError, NotFound
from alliance.sharing import attorneys
from alliance.store.access_repository import Grant
from alliance.store.scope import request_scope

logger = logging.getLogger("alliance.web")
CSRF_FIELD = "csrf_token"

# (method, path template) -> the action the page is; None: open to anyone (the sign-in page).
PAGES: dict[tuple[str, str], Action | None] = {
    ("GET", "/sign-in"): None,
    ("POST", "/sign-in"): None,
    ("POST", "/sign-out"): Action.COMPUTE,
    ("GET", "/"): Action.COMPUTE,  # the viewer's own alliances
    ("GET", "/alliances/new"): Action.MANAGE_PLATFORM,
    ("POST", "/alliances/new"): Action.MANAGE_PLATFORM,
    ("GET", "/alliances/{code}"): Action.READ_DIRECTORY,
    ("GET", "/alliances/{code}/ledger/verify"): Action.READ_RECORDS,
    ("GET", "/alliances/{code}/members"): Action.READ_DIRECTORY,
    ("GET", "/alliances/{code}/members/import"): Action.MANAGE_ALLIANCE,
    ("POST", "/alliances/{code}/members/import"): Action.MANAGE_ALLIANCE,
    ("GET", "/alliances/{code}/members/{member}"): Action.READ_DIRECTORY,
    # A member's own accounts grant and revoke its powers of attorney (sharing.attorneys).
    ("POST", "/alliances/{code}/members/{member}/powers-of-attorney"): Action.ACT_FOR_MEMBER,
    ("POST", "/alliances/{code}/members/{member}/powers-of-attorney/{power_id}/revoke"): Action.ACT_FOR_MEMBER,
    ("GET", "/alliances/{code}/settlement"): Action.READ_MEMBER_DATA,  # rows narrowed per member
    ("POST", "/alliances/{code}/settlement"): Action.MANAGE_ALLIANCE,
    ("GET", "/alliances/{code}/settlement/{day}"): Action.READ_MEMBER_DATA,  # rows narrowed per member
    ("GET", "/alliances/{code}/settlement/{day}/members/{member}"): Action.READ_MEMBER_DATA,
    ("GET", "/alliances/{code}/settlement/{day}/members/{member}/download"): Action.READ_MEMBER_DATA,
    ("GET", "/alliances/{code}/journal"): Action.READ_FINANCE,
    ("GET", "/alliances/{code}/orders/import"): Action.IMPORT_ORDERS,
    ("POST", "/alliances/{code}/orders/import"): Action.IMPORT_ORDERS,
    ("GET", "/alliances/{code}/screening"): Action.READ_PIPELINE,
    ("POST", "/alliances/{code}/screening"): Action.READ_PIPELINE,  # re-rank only: nothing is saved
    ("POST", "/alliances/{code}/screening/runs"): Action.MANAGE_ALLIANCE,
    ("GET", "/alliances/{code}/screening/runs/{run_id}"): Action.READ_PIPELINE,
    ("GET", "/alliances/{code}/screening/ahp"): Action.READ_PIPELINE,
    ("GET", "/alliances/{code}/screening/prospects"): Action.READ_PIPELINE,
    ("GET", "/alliances/{code}/screening/prospects/{prospect_id}"): Action.READ_PIPELINE,
    ("POST", "/alliances/{code}/screening/prospects/{prospect_id}/items/{item_id}"): Action.MANAGE_ALLIANCE,
    ("POST", "/alliances/{code}/screening/prospects/{prospect_id}/decision"): Action.MANAGE_ALLIANCE,
    ("GET", "/alliances/{code}/contribution"): Action.COMPUTE,  # the report shows only members the viewer sees
    ("POST", "/alliances/{code}/contribution"): Action.COMPUTE,
    ("GET", "/alliances/{code}/contribution/solver"): Action.COMPUTE,
    ("GET", "/alliances/{code}/sharing"): Action.READ_RECORDS,  # what is shared, never the data
    ("GET", "/alliances/{code}/sharing/views/{view_id}"): Action.READ_SHARED,  # the query form
    ("POST", "/alliances/{code}/sharing/views/{view_id}"): Action.READ_SHARED,  # run it (logged)
    ("GET", "/alliances/{code}/sharing/members/{member}/views/new"): Action.ACT_FOR_MEMBER,
    ("POST", "/alliances/{code}/sharing/members/{member}/views"): Action.ACT_FOR_MEMBER,
    ("GET", "/alliances/{code}/sharing/members/{member}/views/{view_id}/log"): Action.READ_MEMBER_DATA,
    ("GET", "/alliances/{code}/sharing/members/{member}/views/{view_id}/revoke"): Action.ACT_FOR_MEMBER,
    ("POST", "/alliances/{code}/sharing/members/{member}/views/{view_id}/revoke"): Action.ACT_FOR_MEMBER,
    ("POST", "/alliances/{code}/screening/runs/{run_id}/shortlist"): Action.MANAGE_ALLIANCE,
    ("POST", "/alliances/{code}/screening/prospects"): Action.MANAGE_ALLIANCE,
    ("POST", "/alliances/{code}/screening/prospects/{prospect_id}/stage"): Action.MANAGE_ALLIANCE,
    ("POST", "/alliances/{code}/screening/prospects/{prospect_id}/pilot"): Action.MANAGE_ALLIANCE,
    ("POST", "/alliances/{code}/screening/prospects/{prospect_id}/kpis"): Action.MANAGE_ALLIANCE,
    ("POST", "/alliances/{code}/screening/prospects/{prospect_id}/measurements"): Action.MANAGE_ALLIANCE,
    ("GET", "/alliances/{code}/agreements"): Action.READ_RECORDS,
    ("GET", "/alliances/{code}/agreements/new"): Action.MANAGE_ALLIANCE,
    ("POST", "/alliances/{code}/agreements/new"): Action.MANAGE_ALLIANCE,
    ("POST", "/alliances/{code}/agreements/check"): Action.MANAGE_ALLIANCE,
    ("POST", "/alliances/{code}/agreements/builder"): Action.MANAGE_ALLIANCE,
    ("POST", "/alliances/{code}/agreements/builder/load"): Action.MANAGE_ALLIANCE,
    ("GET", "/alliances/{code}/agreements/sandbox"): Action.MANAGE_ALLIANCE,
    ("GET", "/alliances/{code}/agreements/{agreement}"): Action.READ_RECORDS,
    ("POST", "/alliances/{code}/agreements/{agreement}/versions/{version}/signatures/{member}"):
        Action.ACT_FOR_MEMBER,
    # People (web.people_pages): each act is decided again, per role and account, by access.policy.
    ("GET", "/alliances/{code}/people"): Action.MANAGE_PEOPLE,
    ("POST", "/alliances/{code}/people"): Action.MANAGE_PEOPLE,
    ("POST", "/alliances/{code}/people/grants"): Action.MANAGE_PEOPLE,
    ("POST", "/alliances/{code}/people/{username}/revoke"): Action.MANAGE_PEOPLE,
    ("POST", "/alliances/{code}/people/{username}/unlock"): Action.MANAGE_PEOPLE,
    ("POST", "/alliances/{code}/people/{username}/reset"): Action.MANAGE_PEOPLE,
    ("GET", "/people"): Action.MANAGE_PLATFORM,
    ("POST", "/people"): Action.MANAGE_PLATFORM,
    ("POST", "/people/grants"): Action.MANAGE_PLATFORM,
    ("POST", "/people/{username}/revoke"): Action.MANAGE_PLATFORM,
    ("POST", "/people/{username}/unlock"): Action.MANAGE_PLATFORM,
    ("POST", "/people/{username}/reset"): Action.MANAGE_PLATFORM,
    ("GET", "/account"): Action.COMPUTE,  # one's own account: any signed-in person
    ("POST", "/account/password"): Action.COMPUTE,
    ("GET", "/reset-password"): None,  # a one-time code is the credential
    ("POST", "/reset-password"): None,
}

ATTORNEY_PAGES = frozenset({("POST", "/alliances/{code}/agreements/{agreement}/versions/{version}/signatures/{member}")})


class SignInRequired(AllianceError):
    """No live session: the page answers with the sign-in page (see `web.errors`)."""

    code = "sign_in_required"
    title = "Sign in"
    status = 401


@dataclass(frozen=True, slots=True)
class Viewer:
    """A signed-in person looking at a page: the principal they act as here, and all their roles."""

    principal: Principal
    csrf_token: str
    grants: tuple[Grant, ...]

    @property
    def username(self) -> str:
        return self.principal.subject

    def may(self, action: Action, alliance: str | None = None, member: str | None = None) -> bool:
        """Whether `authorize` allows `action`: pages use it to show only the actions that would work."""
        try:
            authorize(self.principal, action, alliance, member)
        except AllianceError:
            return False
        return True

    def may_open(self, page: str, alliance: str) -> bool:
        """Whether this viewer may open the page `page` (a path template of PAGES, GET) of `alliance`:
        menus show only the sections that would open."""
        action = PAGES[("GET", page)]
        return action is None or self.may(action, alliance)

    def sees_member(self, alliance: str, member: str) -> bool:
        """Whether this viewer may see `member`'s own data (statements) in `alliance`."""
        return self.may(Action.READ_MEMBER_DATA, alliance, member)

    @property
    def is_platform_admin(self) -> bool:
        return self.principal.role is Role.PLATFORM_ADMIN


def _viewer(info: SessionInfo, alliance: str | None) -> Viewer:
    return Viewer(info.principal(alliance), info.csrf_token, tuple(info.grants))


async def current_viewer(request: Request, store: StoreDep, clock: ClockDep) -> Viewer:
    """The signed-in viewer (SignInRequired without a live session)."""
    cached: Viewer | None = getattr(request.state, "viewer", None)
    if cached is not None:
        return cached
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise SignInRequired("sign in to continue")
    try:
        info = cookie_session(store, token, clock)
    except NotAuthenticated as exc:
        raise SignInRequired(exc.message) from None
    viewer = _viewer(info, request.path_params.get("code"))
    request.state.viewer = viewer
    return viewer


ViewerDep = Annotated[Viewer, Depends(current_viewer)]


async def check_csrf(request: Request, viewer: Viewer) -> None:
    """A write must carry the session's CSRF token (header from htmx, or the form's hidden field)."""
    sent = csrf_header(request.headers)
    if sent is None:
        form = await request.form()  # Starlette keeps the parsed form: the route reads it again for free
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else ""
    if not tokens_match(sent, viewer.csrf_token):
        raise CsrfFailed("this form has expired or came from another site: reload the page and try again")


async def page_access(request: Request, viewer: ViewerDep, store: StoreDep) -> Viewer:
    """Authorise the page's action (`PAGES`) for the path's alliance and member; check CSRF on writes."""
    route = request.scope.get("route")
    path = getattr(route, "path", request.url.path)
    try:
        action = PAGES[(request.method, path)]
    except KeyError:
        raise NotFound(f"{request.method} {path} is not a page") from None
    if request.method not in SAFE_METHODS:
        await check_csrf(request, viewer)
    if action is None:
        return viewer
    if viewer.principal.role is not Role.PLATFORM_ADMIN and viewer.principal.alliance is not None:
        request_scope.set(viewer.principal.alliance)  # row-level security on PostgreSQL, as for the API
    code, member = request.path_params.get("code"), request.path_params.get("member")
    # Signing for a member may be done under its power of attorney (the other acts for a member not).
    attorney = ((request.method, path) in ATTORNEY_PAGES and code is not None and member is not None
                and viewer.principal.member != member
                and await run_in_threadpool(attorneys.holds, store, viewer.principal, code, member))
    try:
        authorize(viewer.principal, action, code, member, attorney=attorney)
    except AllianceError as exc:
        logger.info("denied page: %s %s for %s: %s", request.method, request.url.path, viewer.principal.actor, exc)
        raise
    return viewer


PageViewer = Annotated[Viewer, Depends(page_access)]
