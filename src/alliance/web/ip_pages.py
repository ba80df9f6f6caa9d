"""The IP register in the browser: the register table per alliance (filtered by member, kind and
origin), the forms to register background IP (a member's own account, for its member) and foreground
IP (the coordinator or a contributor's account), and each asset's page with its history of versions
and the form to change it (ownership, shares, licence): a new version, the old ones kept.

Who may act is decided by `alliance.ip.service`; the forms are shown only to the accounts whose act
they would be. Refused input is shown above the form, as typed, with nothing stored.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from alliance.access.policy import Forbidden
from alliance.core.errors import Conflict, InvalidInput
from alliance.core.messages import Message
from alliance.edge.deps import ClockDep, Code, Id, StoreDep
from alliance.ip import checks
from alliance.ip import service as ip
from alliance.ip.exit import joint_patents
from alliance.ip.model import KIND_NAMES, ORIGIN_NAMES, IpKind, Licence, Origin, share_percent, share_text
from alliance.registry import service as registry
from alliance.web.render import render
from alliance.web.viewer import PageViewer, Viewer

router = APIRouter(include_in_schema=False)
SHARE_ROWS = 6  # contributor rows the forms offer


def _helpers() -> dict[str, Any]:
    return {"kinds": list(IpKind), "kind_names": KIND_NAMES, "origin_names": ORIGIN_NAMES, "origins": list(Origin),
            "share_text": share_text, "share_percent": share_percent}


def _day(form: Any, name: str, what: Message) -> date | None:
    text = str(form.get(name, "")).strip()[:10]
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise checks.IpInvalid(Message("{what} {value!r} is not a date (YYYY-MM-DD)", what=what, value=text)) from None


def _licence(form: Any) -> Licence:
    return Licence(str(form.get("licence_text", ""))[:checks.TEXT_LIMIT * 2],
                   form.get("licence_exclusive") in ("on", "yes", "1", "true"),
                   str(form.get("licence_territory", ""))[:checks.TITLE_LIMIT * 2],
                   _day(form, "licence_from", Message("the licence's start")),
                   _day(form, "licence_until", Message("the licence's end")))


def _shares(form: Any) -> list[tuple[str, str]]:
    """The contributor rows filled in (a member and its share); empty rows are left out."""
    rows = []
    for n in range(checks.MAX_CONTRIBUTORS):
        member = str(form.get(f"member-{n}", "")).strip()[:32]
        share = str(form.get(f"share-{n}", "")).strip()[:checks.SHARE_LIMIT * 2]
        if member or share:
            rows.append((member, share))
    return rows


def _values(form: Any) -> dict[str, Any]:
    """The form as typed, to show it again when refused."""
    return {key: str(value)[:checks.TEXT_LIMIT] for key, value in form.multi_items()}


def _refused(exc: InvalidInput | Conflict | Forbidden) -> dict[str, Any]:
    return {"error": exc.message, "problems": [p.text() for p in getattr(exc, "problems", [])][:50]}


# -- the register ---------------------------------------------------------------------------------------------
@router.get("/alliances/{code}/ip", response_class=HTMLResponse)
async def register_page(request: Request, code: Code, store: StoreDep, clock: ClockDep,
                        viewer: PageViewer) -> HTMLResponse:
    member = request.query_params.get("member", "")[:32]
    kind = request.query_params.get("kind", "")[:32]
    origin = request.query_params.get("origin", "")[:32]
    if kind not in {k.value for k in IpKind}:
        kind = ""

    def load() -> tuple[Any, ip.RegisterView]:
        return registry.get_alliance(store, code), ip.read_register(store, code, viewer.principal, clock,
                                                                    member=member or None, kind=kind or None,
                                                                    origin=origin or None)

    alliance, found = await run_in_threadpool(load)
    return render(request, "ip/register.html", alliance=alliance, section="ip", found=found,
                  filters={"member": member, "kind": kind, "origin": origin},
                  joint=joint_patents(found.assets), may_background=ip.may_register_background(viewer.principal, code),
                  may_foreground=_may_foreground(viewer, code), **_helpers())


def _may_foreground(viewer: Viewer, code: str) -> bool:
    from alliance.access.policy import Action

    if viewer.principal.member is not None:
        return ip.may_register_background(viewer.principal, code)  # as a contributor, for its own member
    return viewer.may(Action.MANAGE_ALLIANCE, code)


# -- registering ----------------------------------------------------------------------------------------------
async def _form_page(request: Request, store: Any, code: str, viewer: Viewer, template: str, *, status: int = 200,
                     values: dict[str, Any] | None = None, refused: dict[str, Any] | None = None) -> HTMLResponse:
    alliance, members = await run_in_threadpool(
        lambda: (registry.get_alliance(store, code), [m.code for m in registry.list_members(store, code)]))
    own = viewer.principal.member
    defaults: dict[str, Any] = {"kind": "patent", "owner": own or "", "member-0": own or "", "share-0": "1" if own
                                else ""}
    return render(request, template, status=status, alliance=alliance, section="ip", members=members,
                  values=values or defaults, rows=SHARE_ROWS, own=own, **(refused or {"error": None, "problems": []}), **_helpers())


@router.get("/alliances/{code}/ip/background", response_class=HTMLResponse)
async def background_form(request: Request, code: Code, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    return await _form_page(request, store, code, viewer, "ip/background.html")


@router.post("/alliances/{code}/ip/background", response_class=HTMLResponse)
async def register_background(request: Request, code: Code, store: StoreDep, clock: ClockDep,
                              viewer: PageViewer) -> Response:
    form = await request.form()
    try:
        asset = await run_in_threadpool(lambda: ip.register_background(
            store, code, viewer.principal, clock, owner=str(form.get("owner", ""))[:32],
            kind=str(form.get("kind", ""))[:32], title=str(form.get("title", ""))[:checks.TITLE_LIMIT * 2],
            number=str(form.get("number", ""))[:checks.NUMBER_LIMIT * 2], licence=_licence(form),
            note=str(form.get("note", ""))[:checks.TEXT_LIMIT * 2]))
    except (InvalidInput, Conflict) as exc:
        return await _form_page(request, store, code, viewer, "ip/background.html", status=exc.status,
                                values=_values(form), refused=_refused(exc))
    root = request.scope.get("root_path", "")
    return RedirectResponse(f"{root}/alliances/{code}/ip/{asset.asset}", status_code=303)


@router.get("/alliances/{code}/ip/foreground", response_class=HTMLResponse)
async def foreground_form(request: Request, code: Code, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    return await _form_page(request, store, code, viewer, "ip/foreground.html")


@router.post("/alliances/{code}/ip/foreground", response_class=HTMLResponse)
async def register_foreground(request: Request, code: Code, store: StoreDep, clock: ClockDep,
                              viewer: PageViewer) -> Response:
    form = await request.form()
    try:
        asset = await run_in_threadpool(lambda: ip.register_foreground(
            store, code, viewer.principal, clock, kind=str(form.get("kind", ""))[:32],
            title=str(form.get("title", ""))[:checks.TITLE_LIMIT * 2],
            number=str(form.get("number", ""))[:checks.NUMBER_LIMIT * 2], contributors=_shares(form),
            project=str(form.get("project", ""))[:64], note=str(form.get("note", ""))[:checks.TEXT_LIMIT * 2]))
    except (InvalidInput, Conflict, Forbidden) as exc:  # Forbidden: e.g. a member's background IP, not its act
        return await _form_page(request, store, code, viewer, "ip/foreground.html", status=exc.status,
                                values=_values(form), refused=_refused(exc))
    root = request.scope.get("root_path", "")
    return RedirectResponse(f"{root}/alliances/{code}/ip/{asset.asset}", status_code=303)


# -- one asset: its versions, and the change form ---------------------------------------------------------------
def _change_values(asset: Any) -> dict[str, Any]:
    v = asset.current
    values: dict[str, Any] = {"title": v.title, "number": v.number or "", "owner": v.owner or "",
                              "project": v.project or ""}
    if v.licence is not None:
        values |= {"licence_text": v.licence.text, "licence_exclusive": "on" if v.licence.exclusive else "",
                   "licence_territory": v.licence.territory,
                   "licence_from": v.licence.starts_on.isoformat() if v.licence.starts_on else "",
                   "licence_until": v.licence.until.isoformat() if v.licence.until else ""}
    for n, s in enumerate(v.contributors):
        values |= {f"member-{n}": s.member, f"share-{n}": share_text(s.share)}
    return values


async def _asset_page(request: Request, store: Any, code: str, number: int, viewer: Viewer, *, status: int = 200,
                      values: dict[str, Any] | None = None, refused: dict[str, Any] | None = None) -> HTMLResponse:
    def load() -> tuple[Any, Any, list[str]]:
        asset = ip.show(store, code, number, viewer.principal)
        return (registry.get_alliance(store, code), asset, [m.code for m in registry.list_members(store, code)])

    alliance, asset, members = await run_in_threadpool(load)
    return render(request, "ip/show.html", status=status, alliance=alliance, section="ip", a=asset, members=members,
                  may_change=ip.may_act_on(viewer.principal, code, asset), values=values or _change_values(asset),
                  rows=max(SHARE_ROWS, len(asset.current.contributors) + 2), **(refused or {"error": None, "problems": []}), **_helpers())


@router.get("/alliances/{code}/ip/{number}", response_class=HTMLResponse)
async def show(request: Request, code: Code, number: Id, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    return await _asset_page(request, store, code, number, viewer)


@router.post("/alliances/{code}/ip/{number}", response_class=HTMLResponse)
async def change(request: Request, code: Code, number: Id, store: StoreDep, clock: ClockDep,
                 viewer: PageViewer) -> Response:
    """The change form posts the whole version as it should be; what is unchanged stays as it was."""
    form = await request.form()
    try:
        current = await run_in_threadpool(ip.show, store, code, number, viewer.principal)
        background = current.origin is Origin.BACKGROUND
        await run_in_threadpool(lambda: ip.change(
            store, code, number, viewer.principal, clock, title=str(form.get("title", ""))[:checks.TITLE_LIMIT * 2],
            number=str(form.get("number", ""))[:checks.NUMBER_LIMIT * 2],
            owner=str(form.get("owner", ""))[:32] if background else None,
            licence=_licence(form) if background else None,
            contributors=None if background else _shares(form),
            project=None if background else str(form.get("project", ""))[:64],
            note=str(form.get("note", ""))[:checks.TEXT_LIMIT * 2]))
    except (InvalidInput, Conflict, Forbidden) as exc:
        return await _asset_page(request, store, code, number, viewer, status=exc.status, values=_values(form),
                                 refused=_refused(exc))
    root = request.scope.get("root_path", "")
    return RedirectResponse(f"{root}/alliances/{code}/ip/{number}#versions", status_code=303)
