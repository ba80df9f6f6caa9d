"""People in the browser: who may use an alliance, their roles, unlocking, one-time codes to set a
password, and one's own password.

- `/alliances/{code}/people`: a coordinator manages its alliance's people, a member admin its
  member's (`Action.MANAGE_PEOPLE`); `/people`: a platform admin manages everyone
  (`MANAGE_PLATFORM`). Each act is decided again by `access.policy` in `access.people` (who may
  give which role, whose account one may reset), so a page cannot reach further than the policy.
- `/reset-password`: anyone holding a one-time code sets a password with it and is signed in. The
  form is guarded like the sign-in form (a token matching a SameSite=Strict cookie), and attempts
  count against the client address like sign-ins.
- `/account`: one's own roles, and changing one's password (the current one is asked for).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from alliance.access import people
from alliance.access.credentials import secret_digest
from alliance.access.policy import Forbidden
from alliance.access.roles import MEMBER_ROLES, Role
from alliance.edge.auth import (SESSION_COOKIE, clear_form_token, form_token_matches, new_form_token, set_form_token,
                                set_session_cookie)
from alliance.edge.deps import ClockDep, Code, StoreDep, attempt_from_address
from alliance.core.errors import AllianceError, AllianceNotFound, InvalidInput
from alliance.core.messages import Message
from alliance.registry import service as registry
from alliance.registry.model import Alliance
from alliance.store.database import Store
from alliance.web.i18n import N_
from alliance.web.pages import ROLE_LABELS
from alliance.web.render import gettext_for, render
from alliance.web.viewer import PageViewer, Viewer

router = APIRouter(include_in_schema=False)
PASSWORDS_DIFFER = N_("The two passwords differ: type the same one twice.")
Username = Annotated[str, Path(min_length=2, max_length=64, pattern=r"^[a-z0-9][a-z0-9_.-]{1,63}$")]
RESET_COOKIE = "alliance_reset"

NOTICES = {
    "added": N_("The account is created and holds its role."),
    "granted": N_("The role is given."),
    "revoked": N_("The role is taken away; it stops at once."),
    "unlocked": N_("The account may sign in again at once."),
}


def when(value: datetime | None, tz: str | None) -> str:
    """A time as the page shows it, with its zone: the alliance's, or UTC on the platform's pages."""
    if value is None:
        return ""
    zone = tz or "UTC"
    return f"{value.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M:%S} ({zone})"


def _roles_for(viewer: Viewer, alliance: Alliance | None) -> list[Role]:
    """The roles the viewer may give here (policy.authorize_grant decides again on the post), the
    least powerful first: the form's default gives the least."""
    if alliance is None:
        return [Role.MEMBER_ANALYST, Role.MEMBER_ADMIN, Role.AUDITOR, Role.COORDINATOR, Role.PLATFORM_ADMIN]
    if viewer.principal.role is Role.PLATFORM_ADMIN:
        return [Role.MEMBER_ANALYST, Role.MEMBER_ADMIN, Role.AUDITOR, Role.COORDINATOR]
    if viewer.principal.role is Role.COORDINATOR:  # never the auditor: the platform admin's alone to give
        return [Role.MEMBER_ANALYST, Role.MEMBER_ADMIN, Role.COORDINATOR]
    return [Role.MEMBER_ANALYST, Role.MEMBER_ADMIN]


def _list_page(request: Request, store: Store, clock: ClockDep, viewer: Viewer, alliance: Alliance | None, *,
               status: int = 200, errors: list[str] | None = None, values: dict[str, str] | None = None) -> Response:
    found = people.people(store, viewer.principal, clock)
    if alliance is not None:  # a platform admin on an alliance's page: that alliance's people
        found = [p for p in found if any(g.alliance == alliance.code for g in p.grants)]
    if alliance is not None and viewer.principal.member is None:
        members = [(m.code, f"{m.code} · {m.legal_name}") for m in registry.list_members(store, alliance.code)]
    elif alliance is not None:
        members = [(viewer.principal.member, viewer.principal.member)]
    else:
        members = []
    tz = alliance.timezone if alliance is not None else None
    base = f"{request.scope.get('root_path', '')}" + (f"/alliances/{alliance.code}/people" if alliance else "/people")
    now = clock.now()
    rows = [{"person": p, "waiting": when(p.locked_until, tz) if p.waiting(now) else "",
             "code_until": when(p.code_expires_at, tz), "created": when(p.created_at, tz),
             "self": p.username == viewer.username} for p in found]
    alliances = [(a.code, a.name) for a in registry.list_alliances(store)] if alliance is None else []
    notice = NOTICES.get(request.query_params.get("done", ""))
    _ = gettext_for(request)
    return render(request, "people/list.html", status=status, alliance=alliance, section="people", rows=rows,
                  role_options=[(r.value, _(ROLE_LABELS[r])) for r in _roles_for(viewer, alliance)],
                  role_labels_by_value={r.value: ROLE_LABELS[r] for r in Role}, members=members,
                  alliances=alliances, people_base=base, errors=errors or [], values=values or {"mode": "invite"},
                  notice=notice)


def _alliance(store: Store, code: str | None) -> Alliance | None:
    return registry.get_alliance(store, code) if code is not None else None


def _refused_as_form(exc: AllianceError) -> bool:
    """Input and clashes are shown on the form again; a refusal of the policy is an error page."""
    return not isinstance(exc, (Forbidden, AllianceNotFound))


def _form_role(form: dict[str, str]) -> Role:
    try:
        return Role(form.get("role", ""))
    except ValueError:
        raise InvalidInput(Message("choose a role")) from None


async def _posted(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v[:1000] for k, v in form.multi_items() if isinstance(v, str)}


async def _add(request: Request, store: Store, clock: ClockDep, viewer: Viewer, code: str | None) -> Response:
    alliance = _alliance(store, code)
    form = await _posted(request)
    values = {k: form.get(k, "") for k in ("username", "display_name", "role", "member", "mode", "alliance")}
    try:
        role = _form_role(form)
        password = None
        if form.get("mode") == "password":
            password = form.get("password", "")
            if password != form.get("password_again", ""):
                raise InvalidInput(PASSWORDS_DIFFER)
        where = code if code is not None else (form.get("alliance") or None)
        member = (form.get("member") or "").strip() or None if role in MEMBER_ROLES else None
        issued = await run_in_threadpool(people.add_person, store, viewer.principal, form.get("username", "").strip(),
                                         form.get("display_name", ""), role, where, member, clock, password)
    except AllianceError as exc:
        if not _refused_as_form(exc):
            raise
        return _list_page(request, store, clock, viewer, alliance, status=exc.status, errors=[exc.message],
                          values=values)
    if issued is None:
        return RedirectResponse(_back(request, code, "added"), status_code=303)
    return _code_page(request, issued, alliance, invited=True)


def _back(request: Request, code: str | None, done: str) -> str:
    root = request.scope.get("root_path", "")
    return (f"{root}/alliances/{code}/people" if code else f"{root}/people") + f"?done={done}"


def _code_page(request: Request, issued: people.OneTimeCode, alliance: Alliance | None, *, invited: bool) -> Response:
    link = f"{str(request.base_url).rstrip('/')}/reset-password?code={issued.code}"
    return render(request, "people/code.html", alliance=alliance, section="people", issued=issued, link=link,
                  invited=invited, until=when(issued.expires_at, alliance.timezone if alliance else None))


async def _grant(request: Request, store: Store, clock: ClockDep, viewer: Viewer, code: str | None) -> Response:
    form = await _posted(request)
    try:
        role = _form_role(form)
        where = code if code is not None else (form.get("alliance") or None)
        member = (form.get("member") or "").strip() or None if role in MEMBER_ROLES else None
        await run_in_threadpool(people.grant, store, viewer.principal, form.get("username", "").strip(), role,
                                where, member)
    except AllianceError as exc:
        if not _refused_as_form(exc):
            raise
        return _list_page(request, store, clock, viewer, _alliance(store, code), status=exc.status,
                          errors=[exc.message], values={"mode": "invite"})
    return RedirectResponse(_back(request, code, "granted"), status_code=303)


async def _revoke(request: Request, store: Store, clock: ClockDep, viewer: Viewer, code: str | None,
                  username: str) -> Response:
    form = await _posted(request)
    where = code if code is not None else (form.get("alliance") or None)
    try:
        await run_in_threadpool(people.revoke, store, viewer.principal, username, where)
    except AllianceError as exc:
        if not _refused_as_form(exc):
            raise
        return _list_page(request, store, clock, viewer, _alliance(store, code), status=exc.status,
                          errors=[exc.message])
    return RedirectResponse(_back(request, code, "revoked"), status_code=303)


# -- an alliance's people -------------------------------------------------------------------------

@router.get("/alliances/{code}/people", response_class=HTMLResponse)
def alliance_people(request: Request, code: Code, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> Response:
    return _list_page(request, store, clock, viewer, registry.get_alliance(store, code))


@router.post("/alliances/{code}/people", response_class=HTMLResponse)
async def alliance_add(request: Request, code: Code, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> Response:
    return await _add(request, store, clock, viewer, code)


@router.post("/alliances/{code}/people/grants", response_class=HTMLResponse)
async def alliance_grant(request: Request, code: Code, store: StoreDep, clock: ClockDep,
                         viewer: PageViewer) -> Response:
    return await _grant(request, store, clock, viewer, code)


@router.post("/alliances/{code}/people/{username}/revoke", response_class=HTMLResponse)
async def alliance_revoke(request: Request, code: Code, username: Username, store: StoreDep, clock: ClockDep,
                          viewer: PageViewer) -> Response:
    return await _revoke(request, store, clock, viewer, code, username)


@router.post("/alliances/{code}/people/{username}/unlock", response_class=HTMLResponse)
async def alliance_unlock(request: Request, code: Code, username: Username, store: StoreDep,
                          viewer: PageViewer) -> Response:
    await run_in_threadpool(people.unlock, store, viewer.principal, username)
    return RedirectResponse(_back(request, code, "unlocked"), status_code=303)


@router.post("/alliances/{code}/people/{username}/reset", response_class=HTMLResponse)
async def alliance_reset(request: Request, code: Code, username: Username, store: StoreDep, clock: ClockDep,
                         viewer: PageViewer) -> Response:
    issued = await run_in_threadpool(people.issue_reset, store, viewer.principal, username, clock)
    return _code_page(request, issued, registry.get_alliance(store, code), invited=False)


# -- the platform's people (a platform admin) -----------------------------------------------------

@router.get("/people", response_class=HTMLResponse)
def platform_people(request: Request, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> Response:
    return _list_page(request, store, clock, viewer, None)


@router.post("/people", response_class=HTMLResponse)
async def platform_add(request: Request, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> Response:
    return await _add(request, store, clock, viewer, None)


@router.post("/people/grants", response_class=HTMLResponse)
async def platform_grant(request: Request, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> Response:
    return await _grant(request, store, clock, viewer, None)


@router.post("/people/{username}/revoke", response_class=HTMLResponse)
async def platform_revoke(request: Request, username: Username, store: StoreDep, clock: ClockDep,
                          viewer: PageViewer) -> Response:
    return await _revoke(request, store, clock, viewer, None, username)


@router.post("/people/{username}/unlock", response_class=HTMLResponse)
async def platform_unlock(request: Request, username: Username, store: StoreDep, viewer: PageViewer) -> Response:
    await run_in_threadpool(people.unlock, store, viewer.principal, username)
    return RedirectResponse(_back(request, None, "unlocked"), status_code=303)


@router.post("/people/{username}/reset", response_class=HTMLResponse)
async def platform_reset(request: Request, username: Username, store: StoreDep, clock: ClockDep,
                         viewer: PageViewer) -> Response:
    issued = await run_in_threadpool(people.issue_reset, store, viewer.principal, username, clock)
    return _code_page(request, issued, None, invited=False)


# -- one's own account ------------------------------------------------------------------------------

def _account_page(request: Request, viewer: Viewer, *, status: int = 200, errors: list[str] | None = None,
                  changed: bool = False) -> Response:
    return render(request, "people/account.html", status=status, errors=errors or [], changed=changed,
                  grants=viewer.grants, role_labels={r.value: ROLE_LABELS[r] for r in Role},
                  password_set=request.query_params.get("password") == "set")


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, viewer: PageViewer) -> Response:
    return _account_page(request, viewer)


@router.post("/account/password", response_class=HTMLResponse)
async def change_password(request: Request, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> Response:
    form = await _posted(request)
    try:
        if form.get("new_password", "") != form.get("new_password_again", ""):
            raise InvalidInput(PASSWORDS_DIFFER)
        token = request.cookies.get(SESSION_COOKIE, "")
        await run_in_threadpool(people.change_password, store, viewer.username, form.get("current_password", ""),
                                form.get("new_password", ""), clock, secret_digest(token))
    except (InvalidInput, people.WrongPassword) as exc:
        return _account_page(request, viewer, status=exc.status, errors=[exc.message])
    return _account_page(request, viewer, changed=True)


# -- setting a password with a one-time code (no session needed) -------------------------------------

def _reset_form(request: Request, status: int = 200, *, code: str = "", errors: list[str] | None = None) -> Response:
    token = new_form_token()
    response = render(request, "people/reset.html", status=status, code=code, errors=errors or [], reset_token=token)
    set_form_token(response, RESET_COOKIE, token)
    return response


@router.get("/reset-password", response_class=HTMLResponse)
def reset_page(request: Request) -> Response:
    return _reset_form(request, code=request.query_params.get("code", "")[:100])


@router.post("/reset-password", response_class=HTMLResponse)
async def reset_password(request: Request, store: StoreDep, clock: ClockDep) -> Response:
    form = await _posted(request)
    code = form.get("code", "").strip()[:100]
    if not form_token_matches(request.cookies, RESET_COOKIE, form.get("reset_token", "")):
        return _reset_form(request, 403, code=code, errors=[N_("The form had expired or was sent from another "
                                                               "site. Please enter the code again.")])
    if form.get("password", "") != form.get("password_again", ""):
        return _reset_form(request, 422, code=code, errors=[PASSWORDS_DIFFER])
    try:
        with attempt_from_address(request, clock, people.CodeRefused, Message("refused attempts")):
            _username, session = await run_in_threadpool(people.redeem, store, code, form.get("password", ""), clock)
    except people.CodeRefused as exc:
        return _reset_form(request, exc.status, code=code, errors=[exc.message])
    except InvalidInput as exc:
        return _reset_form(request, exc.status, code=code, errors=[exc.message])
    response = RedirectResponse(f"{request.scope.get('root_path', '')}/account?password=set", status_code=303)
    clear_form_token(response, RESET_COOKIE)
    set_session_cookie(response, session.token)
    return response
