"""Sign-in, sign-out, the viewer's alliances, and founding a new alliance."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from alliance.health.warnings import service as warnings
from alliance.access import people
from alliance.access import service as access
from alliance.access.policy import Action
from alliance.access.roles import Role
from alliance.edge.auth import (SESSION_COOKIE, clear_form_token, clear_session_cookie, cookies_secure,
                                form_token_matches, new_form_token, set_form_token, set_session_cookie,
                                sign_in_over_http_fails)
from alliance.edge.deps import ClockDep, StoreDep, sign_in_from
from alliance.core.errors import AllianceError, InvalidInput
from alliance.registry import service
from alliance.registry.model import Alliance, AllianceKind, AllianceSpec, AllianceStructure, Member
from alliance.store.database import Store
from alliance.web.i18n import N_
from alliance.web.render import render
from alliance.web.viewer import PageViewer, Viewer, current_viewer

router = APIRouter(include_in_schema=False)


@dataclass(slots=True)
class AllianceNode:
    """One alliance as a list shows it: its current members and its sub-alliances."""

    alliance: Alliance
    members: Sequence[Member]
    parent: Alliance | None = None
    children: list[AllianceNode] = field(default_factory=list)


def build_tree(alliances: Sequence[Alliance], members: Mapping[str, Sequence[Member]]) -> list[AllianceNode]:
    """Nest sub-alliances under their parents, keeping the given order among siblings.

    Returns the roots: alliances without a parent, or whose parent is not among `alliances`.
    Parent cycles cannot exist: a parent must exist before its sub-alliance is founded, and an
    alliance's parent is never changed.
    """
    by_code = {a.code: a for a in alliances}
    nodes = {
        a.code: AllianceNode(a, members.get(a.code, ()), by_code.get(a.parent_code or ""))
        for a in alliances
    }
    roots: list[AllianceNode] = []
    for alliance in alliances:
        node = nodes[alliance.code]
        if node.parent is None:
            roots.append(node)
        else:
            nodes[node.parent.code].children.append(node)
    return roots


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site only (never another origin)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


async def optional_viewer(request: Request, store: StoreDep, clock: ClockDep) -> Viewer | None:
    try:
        return await current_viewer(request, store, clock)
    except AllianceError:
        return None


# Login CSRF: a form on another site could sign a visitor in to the attacker's account (and what
# they then type would be the attacker's to read): the form carries a token (edge.auth's form tokens).
SIGN_IN_COOKIE = "alliance_sign_in"


def _sign_in_form(request: Request, status: int = 200, *, next: str, username: str, failed: bool,
                  expired: bool = False) -> Response:
    token = new_form_token()
    response = render(request, "sign_in.html", status=status, next=next, username=username, failed=failed,
                      expired=expired, sign_in_token=token, insecure_http=not cookies_secure(),
                      http_cannot_sign_in=sign_in_over_http_fails(request.url.scheme, request.url.hostname,
                                                                  request.headers.get("x-forwarded-proto")))
    set_form_token(response, SIGN_IN_COOKIE, token)
    return response


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, viewer: Annotated[Viewer | None, Depends(optional_viewer)],
                 next: str | None = None) -> Response:
    if viewer is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _sign_in_form(request, next=safe_next(next), username="", failed=False)


@router.post("/sign-in", response_class=HTMLResponse)
def sign_in(request: Request, store: StoreDep, clock: ClockDep, username: Annotated[str, Form(max_length=64)] = "",
            password: Annotated[str, Form(max_length=1000)] = "", next: Annotated[str, Form()] = "/",
            sign_in_token: Annotated[str, Form(max_length=100)] = "") -> Response:
    if not form_token_matches(request.cookies, SIGN_IN_COOKIE, sign_in_token):
        # No password is checked (nor counted against the account): the form came from elsewhere, or expired.
        return _sign_in_form(request, 403, next=safe_next(next), username=username, failed=False, expired=True)
    try:
        session = sign_in_from(request, store, username.strip(), password, clock)
    except access.NotAuthenticated:
        return _sign_in_form(request, 401, next=safe_next(next), username=username, failed=True)
    response = RedirectResponse(safe_next(next), status_code=303)
    clear_form_token(response, SIGN_IN_COOKIE)
    set_session_cookie(response, session.token)
    return response


@router.post("/sign-out")
async def sign_out(request: Request, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        access.sign_out(store, token, clock)
    response = RedirectResponse("/sign-in", status_code=303)
    clear_session_cookie(response)
    return response


ROLE_LABELS = {
    Role.PLATFORM_ADMIN: N_("Platform administrator"),
    Role.COORDINATOR: N_("Coordinator"),
    Role.MEMBER_ADMIN: N_("Member administrator"),
    Role.MEMBER_ANALYST: N_("Member analyst"),
    Role.AUDITOR: N_("Auditor"),
}


@router.get("/", response_class=HTMLResponse)
def home(request: Request, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    """The alliances the viewer holds a role in (every alliance for a platform admin)."""
    listing = service.directory(store)
    if not viewer.is_platform_admin:
        mine = {g.alliance for g in viewer.grants}
        listing = [(a, m) for a, m in listing if a.code in mine]
    alliances = [a for a, _ in listing]
    members = {a.code: listed for a, listed in listing}
    roles = {g.alliance: g for g in viewer.grants if g.alliance is not None}
    companies = {m.credit_code for listed in members.values() for m in listed}
    return render(
        request, "home.html", roots=build_tree(alliances, members), alliance_count=len(alliances),
        company_count=len(companies), roles=roles, role_labels=ROLE_LABELS,
        may_found=viewer.may(Action.MANAGE_PLATFORM),
    )


ALLIANCE_FIELDS = ("code", "name", "kind", "structure", "currency", "timezone", "parent_code", "charter",
                   "coordinator_mode", "coordinator", "coordinator_name")


def _alliance_form(request: Request, store: Store, values: dict[str, str], errors: list[str],
                   status: int = 200) -> HTMLResponse:
    parents = [(a.code, a.name) for a in service.list_alliances(store)]
    return render(request, "alliance_new.html", status=status, values=values, errors=errors, parents=parents,
                  kinds=list(AllianceKind), structures=list(AllianceStructure))


@router.get("/alliances/new", response_class=HTMLResponse)
def new_alliance_page(request: Request, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    return _alliance_form(request, store, {"currency": "CNY", "timezone": "Asia/Shanghai", "kind": "market",
                                    "structure": "star", "coordinator_mode": "new"}, [])


@router.post("/alliances/new", response_class=HTMLResponse)
async def found_alliance(request: Request, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> Response:
    form = await request.form()
    values = {k: str(form.get(k, "")).strip() for k in ALLIANCE_FIELDS}
    try:
        spec = AllianceSpec(values["code"], values["name"], AllianceKind(values["kind"]),
                            AllianceStructure(values["structure"]), currency=values["currency"] or "CNY",
                            timezone=values["timezone"] or "Asia/Shanghai", charter=values["charter"],
                            parent_code=values["parent_code"] or None)
        # The coordinator is chosen with the founding (an existing account or a new, invited one),
        # and appointed in the same transaction; left empty, one is granted later on the people page.
        choice = (people.CoordinatorChoice(values["coordinator"], new=values["coordinator_mode"] != "existing",
                                           display_name=values["coordinator_name"]) if values["coordinator"] else None)
        if choice is not None:
            await run_in_threadpool(choice.check, store)
        issued: list[people.OneTimeCode] = []
        appoint = people.appoint_coordinator(choice, viewer.principal.actor, clock, issued) if choice else None
        founding = warnings.with_standard_rules(appoint, viewer.principal.actor, clock)
        created = await run_in_threadpool(service.create_alliance, store, spec, clock, (), founding)
    except ValueError as exc:  # an unknown kind or structure from a tampered form
        return _alliance_form(request, store, values, [str(exc)], status=422)
    except InvalidInput as exc:
        reasons = [p.reason for p in exc.problems] if exc.problems else [exc.message]
        return _alliance_form(request, store, values, reasons, status=422)
    except AllianceError as exc:
        return _alliance_form(request, store, values, [exc.message], status=exc.status)
    if issued:  # a new coordinator: its one-time code, shown once
        link = f"{str(request.base_url).rstrip('/')}/reset-password?code={issued[0].code}"
        return render(request, "people/code.html", alliance=created, section="people", issued=issued[0], link=link,
                      invited=True, until=f"{issued[0].expires_at:%Y-%m-%d %H:%M} (UTC)")
    return RedirectResponse(f"/alliances/{created.code}", status_code=303)
