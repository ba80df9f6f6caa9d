"""Who is looking at a page, and whether they may: the web workspace's side of `access.policy`.

A page is reached with the session cookie the sign-in page sets (the same sessions the API's
`/auth/sign-in` opens). Every page route is mapped in `PAGES` to the `Action` it is, and
`page_access` asks `access.policy.authorize` (the one place decisions are made) with the path's
alliance and member, exactly as the API does; a route missing from `PAGES` is refused. Pages that
list member data for a whole alliance (a settled day, the trend chart) narrow their rows with
`Viewer.sees_member`, which is `authorize` again, per member. (`PAGES` is the pages' half of
`edge.routes.ROUTES`, the one table the API's routes are in too.)

Writes are HTML form posts or htmx requests: both must carry the session's CSRF token, as the
form field `csrf_token` or the `X-CSRF-Token` header (htmx sends it from the page's meta tag).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from alliance.access.policy import Action, authorize, authorize_member_step
from alliance.edge.routes import PAGES, authorize_request, route_template
from alliance.access.roles import Principal, Role
from alliance.access.service import CsrfFailed, NotAuthenticated, SessionInfo
from alliance.edge.auth import SAFE_METHODS, SESSION_COOKIE, cookie_session, csrf_header, tokens_match
from alliance.edge.deps import ClockDep, StoreDep
from alliance.core.errors import AllianceError, NotFound
from alliance.core.messages import Message
from alliance.store.access_repository import Grant

CSRF_FIELD = "csrf_token"



class SignInRequired(AllianceError):
    """No live session: the page answers with the sign-in page (see `web.errors`)."""

    code = "sign_in_required"
    title = Message("Sign in")
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

    def acts_for(self, action: Action, alliance: str, member: str, *, operated: Collection[str] = ()) -> bool:
        """Whether this viewer may take a step in `member`'s own name (`authorize_member_step`: only that
        member's own accounts, or one holding its `operate` power of attorney; `operated`: the members whose
        power this viewer holds, `sharing.attorneys.operated_members`): pages offer a member's own steps
        only to who may take them."""
        try:
            authorize_member_step(self.principal, action, alliance, member, attorney=member in operated)
        except AllianceError:
            return False
        return True

    def step_members(self, action: Action, alliance: str, members: Iterable[str], *,
                     operated: Collection[str] = ()) -> list[str]:
        """Which of `members` this viewer takes `action`'s steps for: its own member, and those whose
        `operate` power of attorney it holds (`operated`), in the order given."""
        return [m for m in members if self.acts_for(action, alliance, m, operated=operated)]

    def own_member(self, alliance: str) -> str | None:
        """The member this viewer's own account acts for in `alliance` (ACT_FOR_MEMBER: import its data,
        publish its views, open its disputes); None when it acts for no member."""
        member = self.principal.member
        return member if member is not None and self.may(Action.ACT_FOR_MEMBER, alliance, member) else None

    def acts_for_members(self, action: Action, alliance: str, *, operated: Collection[str] = ()) -> bool:
        """Whether this viewer takes `action`'s steps in some member's name: it holds the action, and its
        account is held for a member (the coordinator and the platform operator act for no member:
        `authorize_member_step`), or it holds a member's `operate` power of attorney (`operated`)."""
        return ((self.may(action, alliance) and self.principal.member is not None)
                or bool(self.step_members(action, alliance, operated, operated=operated)))

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
        raise SignInRequired(Message("sign in to continue"))
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
        raise CsrfFailed(Message("this form has expired or came from another site: reload the page and try again"))


async def page_access(request: Request, viewer: ViewerDep, store: StoreDep) -> Viewer:
    """Authorise the page's action (edge.routes) for the path's alliance and member; check CSRF on writes."""
    template = route_template(request)
    if (request.method, template) not in PAGES:
        raise NotFound(Message("{method} {template} is not a page", method=request.method, template=template))
    if request.method not in SAFE_METHODS:
        await check_csrf(request, viewer)
    await authorize_request(request, viewer.principal, template, store=store)
    return viewer


PageViewer = Annotated[Viewer, Depends(page_access)]
