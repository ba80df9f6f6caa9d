"""Incidents in the browser: the board (a column per status, priority and severity badges, the
response clock counting down or overdue), the report form, an incident's page (timeline, checklist
ticked in place with htmx, status update and comment forms, roles, the closing review form) and the
SOP and clock editor.

Who sees what is decided by `health.incidents.service` (anyone else gets the 404 page); the forms
are shown only to the accounts whose act they would be.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from alliance.access.policy import Action
from alliance.core.errors import AllianceError, InvalidInput
from alliance.core.messages import Message, from_document
from alliance.edge.deps import ClockDep, Code, Id, StoreDep
from alliance.health.incidents import engine
from alliance.health.incidents import service as incidents
from alliance.health.incidents.kinds import KINDS
from alliance.registry import service as registry
from alliance.web.i18n import N_
from alliance.web.render import is_htmx, refused_page, render
from alliance.web.viewer import PageViewer, Viewer

router = APIRouter(include_in_schema=False)
REVIEW_ROWS = 5  # action-item rows the review form offers
SOP_ROWS = 12


def local_time(moment: datetime | None, zone: str) -> str:
    if moment is None:
        return ""
    local = moment.astimezone(ZoneInfo(zone))
    offset = f"{local:%z}"
    return f"{local:%Y-%m-%d %H:%M} {offset[:3]}:{offset[3:5]}"


def time_left(seconds: int) -> Message:
    """The response clock as people read it: "1 h 5 min left" or "overdue by 20 min"."""
    minutes = abs(seconds) // 60
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    span = (Message("{d} d {h} h", d=days, h=hours) if days else
            Message("{h} h {m} min", h=hours, m=minutes) if hours else Message("{m} min", m=minutes))
    return Message("{span} left", span=span) if seconds > 0 else Message("overdue by {span}", span=span)


def _helpers(alliance: Any) -> dict[str, Any]:
    return {"when": lambda moment: local_time(moment, alliance.timezone), "time_left": time_left,
            "said": lambda e: from_document(e.text_doc, e.text), "kinds": KINDS,
            "status_names": engine.STATUS_NAMES, "statuses": list(engine.Status),
            "late_names": {late.value: name for late, name in incidents.LATE_WHAT.items()}}


@router.get("/alliances/{code}/incidents", response_class=HTMLResponse)
async def board(request: Request, code: Code, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> HTMLResponse:
    def load() -> tuple[Any, list[incidents.IncidentView]]:
        return registry.get_alliance(store, code), incidents.list_incidents(store, code, viewer.principal, clock)

    alliance, found = await run_in_threadpool(load)
    columns = [(status, [v for v in found if v.status is status]) for status in engine.Status]
    return render(request, "incidents/board.html", alliance=alliance, section="incidents", columns=columns,
                  may_report=incidents.may_report(viewer.principal, code),
                  may_manage=viewer.may(Action.MANAGE_INCIDENTS, code), **_helpers(alliance))


# -- reporting ------------------------------------------------------------------------------------------------
async def _new_page(request: Request, store: Any, code: str, viewer: Viewer, *, status: int = 200,
                    values: dict[str, Any] | None = None, error: Any = None) -> HTMLResponse:
    def load() -> tuple[Any, list[str]]:
        return registry.get_alliance(store, code), [m.code for m in registry.list_members(store, code)]

    alliance, members = await run_in_threadpool(load)
    return render(request, "incidents/new.html", status=status, alliance=alliance, section="incidents",
                  members=members, values=values or {"kind": "user_complaint", "severity": "SEV2",
                                                     "members": [viewer.principal.member] if viewer.principal.member
                                                     else []},
                  error=error, may_name_roles=viewer.principal.member is None, kinds=KINDS,
                  severities=list(engine.Severity))


@router.get("/alliances/{code}/incidents/new", response_class=HTMLResponse)
async def new(request: Request, code: Code, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    return await _new_page(request, store, code, viewer)


@router.post("/alliances/{code}/incidents/new", response_class=HTMLResponse)
async def report(request: Request, code: Code, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> Response:
    form = await request.form()
    values = {"title": str(form.get("title", ""))[:engine.TITLE_LIMIT * 2], "kind": str(form.get("kind", ""))[:32],
              "severity": str(form.get("severity", ""))[:8],
              "members": [str(m)[:32] for m in form.getlist("members")][:200],
              "lead": str(form.get("lead", ""))[:150], "scribe": str(form.get("scribe", ""))[:150]}
    try:
        view = await run_in_threadpool(lambda: incidents.open_incident(
            store, code, viewer.principal, clock, title=values["title"], kind=values["kind"],
            severity=values["severity"], members=values["members"], lead=values["lead"] or None,
            scribe=values["scribe"] or None))
    except InvalidInput as exc:
        return await _new_page(request, store, code, viewer, status=422, values=values, error=exc.message)
    root = request.scope.get("root_path", "")
    return RedirectResponse(f"{root}/alliances/{code}/incidents/{view.number}", status_code=303)


# -- the SOP and clock editor -----------------------------------------------------------------------------------
async def _settings_page(request: Request, store: Any, code: str, viewer: Viewer, *, status: int = 200,
                         error: Any = None, kind: str = "") -> HTMLResponse:
    def load() -> tuple[Any, incidents.Settings]:
        return registry.get_alliance(store, code), incidents.settings(store, code, viewer.principal)

    alliance, found = await run_in_threadpool(load)
    return render(request, "incidents/settings.html", status=status, alliance=alliance, section="incidents",
                  found=found, kinds=KINDS, error=error, error_kind=kind, rows=SOP_ROWS,
                  may_manage=viewer.may(Action.MANAGE_INCIDENTS, code))


@router.get("/alliances/{code}/incidents/settings", response_class=HTMLResponse)
async def settings(request: Request, code: Code, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    return await _settings_page(request, store, code, viewer)


@router.post("/alliances/{code}/incidents/settings/sop", response_class=HTMLResponse)
async def save_sop(request: Request, code: Code, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> Response:
    """A kind's checklist: a row per step (English and Chinese); rows left empty are left out."""
    form = await request.form()
    kind = str(form.get("kind", ""))[:32]
    steps = []
    for n in range(engine.MAX_STEPS):
        en, zh = str(form.get(f"step-{n}-en", ""))[:400], str(form.get(f"step-{n}-zh", ""))[:400]
        if en.strip() or zh.strip():
            steps.append({"en": en, "zh": zh})
    try:
        await run_in_threadpool(incidents.set_sop, store, code, kind, steps, viewer.principal, clock)
    except InvalidInput as exc:
        return await _settings_page(request, store, code, viewer, status=422, error=exc.message, kind=kind)
    root = request.scope.get("root_path", "")
    return RedirectResponse(f"{root}/alliances/{code}/incidents/settings#sop-{kind}", status_code=303)


def _whole(text: object) -> int | str:
    value = str(text).strip()[:12]
    return int(value) if value.isdigit() else value  # anything else is named by the clock's own check


@router.post("/alliances/{code}/incidents/settings/clock", response_class=HTMLResponse)
async def save_clock(request: Request, code: Code, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> Response:
    form = await request.form()
    try:
        priority = _whole(form.get("priority", ""))
        await run_in_threadpool(incidents.set_clock, store, code, priority, _whole(form.get("acknowledge_minutes", "")),
                                _whole(form.get("resolve_minutes", "")), viewer.principal, clock)
    except InvalidInput as exc:
        return await _settings_page(request, store, code, viewer, status=422, error=exc.message, kind="clock")
    root = request.scope.get("root_path", "")
    return RedirectResponse(f"{root}/alliances/{code}/incidents/settings#clocks", status_code=303)


# -- one incident ---------------------------------------------------------------------------------------------
def _meetings(store: Any, code: str, viewer: Viewer, clock: Any) -> list[Any]:
    """Upcoming meetings the viewer may run, for the review's action items (none: kept on the incident)."""
    from alliance.governance import service_meetings

    try:
        found = service_meetings.overview(store, code, viewer.principal, clock)
    except AllianceError:
        return []
    return found.upcoming


async def _incident_page(request: Request, store: Any, code: str, number: int, viewer: Viewer, clock: Any, *,
                         status: int = 200, error: Any = None) -> HTMLResponse:
    def load() -> tuple[Any, incidents.IncidentView, list[Any]]:
        view = incidents.show(store, code, number, viewer.principal, clock)
        meetings = _meetings(store, code, viewer, clock) if view.may_respond else []
        return registry.get_alliance(store, code), view, meetings

    alliance, view, meetings = await run_in_threadpool(load)
    return render(request, "incidents/show.html", status=status, alliance=alliance, section="incidents", d=view,
                  s=view.stored, error=error, meetings=meetings, review_rows=REVIEW_ROWS,
                  members=[m.code for m in await run_in_threadpool(registry.list_members, store, code)],
                  next_statuses=sorted(engine.TRANSITIONS[view.status]), **_helpers(alliance))


@router.get("/alliances/{code}/incidents/{number}", response_class=HTMLResponse)
async def show(request: Request, code: Code, number: Id, store: StoreDep, clock: ClockDep,
               viewer: PageViewer) -> HTMLResponse:
    return await _incident_page(request, store, code, number, viewer, clock)


async def _act(request: Request, store: Any, code: str, number: int, viewer: Viewer, clock: Any, work: Any) -> Response:
    """Run a responder's act; refused input is shown above the forms, other refusals as the error page."""
    try:
        await run_in_threadpool(work)
    except InvalidInput as exc:
        return await _incident_page(request, store, code, number, viewer, clock, status=422, error=exc.message)
    except AllianceError as exc:
        if is_htmx(request):
            raise
        return refused_page(request, exc, N_("The incident was not changed"))
    root = request.scope.get("root_path", "")
    return RedirectResponse(f"{root}/alliances/{code}/incidents/{number}", status_code=303)


@router.post("/alliances/{code}/incidents/{number}/status", response_class=HTMLResponse)
async def move(request: Request, code: Code, number: Id, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> Response:
    form = await request.form()
    target, note = str(form.get("status", ""))[:16], str(form.get("note", ""))[:engine.TEXT_LIMIT * 2]
    return await _act(request, store, code, number, viewer, clock,
                      lambda: incidents.move(store, code, number, target, viewer.principal, clock, note=note))


@router.post("/alliances/{code}/incidents/{number}/update", response_class=HTMLResponse)
async def post_update(request: Request, code: Code, number: Id, store: StoreDep, clock: ClockDep,
                      viewer: PageViewer) -> Response:
    text = str((await request.form()).get("text", ""))[:engine.TEXT_LIMIT * 2]
    return await _act(request, store, code, number, viewer, clock,
                      lambda: incidents.post_update(store, code, number, text, viewer.principal, clock))


@router.post("/alliances/{code}/incidents/{number}/comment", response_class=HTMLResponse)
async def comment(request: Request, code: Code, number: Id, store: StoreDep, clock: ClockDep,
                  viewer: PageViewer) -> Response:
    text = str((await request.form()).get("text", ""))[:engine.TEXT_LIMIT * 2]
    return await _act(request, store, code, number, viewer, clock,
                      lambda: incidents.comment(store, code, number, text, viewer.principal, clock))


@router.post("/alliances/{code}/incidents/{number}/role", response_class=HTMLResponse)
async def assign(request: Request, code: Code, number: Id, store: StoreDep, clock: ClockDep,
                 viewer: PageViewer) -> Response:
    form = await request.form()
    role, person = str(form.get("role", ""))[:16], str(form.get("person", ""))[:150]
    return await _act(request, store, code, number, viewer, clock,
                      lambda: incidents.assign(store, code, number, role, person, viewer.principal, clock))


@router.post("/alliances/{code}/incidents/{number}/tick", response_class=HTMLResponse)
async def tick(request: Request, code: Code, number: Id, store: StoreDep, clock: ClockDep,
               viewer: PageViewer) -> Response:
    """Tick or untick a step; htmx gets the checklist back in place, a plain form the page."""
    form = await request.form()
    step = _whole(form.get("step", ""))
    done = str(form.get("done", "")) == "1"
    if not is_htmx(request):
        return await _act(request, store, code, number, viewer, clock,
                          lambda: incidents.tick(store, code, number, step if isinstance(step, int) else 0, done,
                                                 viewer.principal, clock))
    view = await run_in_threadpool(lambda: incidents.tick(store, code, number, step if isinstance(step, int) else 0,
                                                          done, viewer.principal, clock))
    alliance = await run_in_threadpool(registry.get_alliance, store, code)
    return render(request, "incidents/_checklist.html", alliance=alliance, d=view, s=view.stored,
                  **_helpers(alliance))


def _day(text: str) -> date | str:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return text


@router.post("/alliances/{code}/incidents/{number}/review", response_class=HTMLResponse)
async def review(request: Request, code: Code, number: Id, store: StoreDep, clock: ClockDep,
                 viewer: PageViewer) -> Response:
    form = await request.form()
    limit = engine.TEXT_LIMIT * 2
    actions: list[tuple[str, str, date]] = []
    bad_days = []
    for n in range(REVIEW_ROWS):
        title, owner = str(form.get(f"action-{n}-title", ""))[:400], str(form.get(f"action-{n}-owner", ""))[:32]
        due = _day(str(form.get(f"action-{n}-due", ""))[:20])
        if not title.strip() and not owner.strip():
            continue
        if isinstance(due, str):
            bad_days.append(Message("action item {n}: due on: {value!r} is not a date (YYYY-MM-DD)", n=n + 1,
                                    value=due))
            continue
        actions.append((title, owner, due))
    meeting = _whole(form.get("meeting_id", ""))
    fields = {name: str(form.get(name, ""))[:limit] for name in ("summary", "causes", "went_well", "went_badly")}

    def work() -> Any:
        if bad_days:
            raise InvalidInput(bad_days[0])
        return incidents.review(store, code, number, viewer.principal, clock, actions=actions,
                                meeting_id=meeting if isinstance(meeting, int) and meeting > 0 else None, **fields)

    return await _act(request, store, code, number, viewer, clock, work)
