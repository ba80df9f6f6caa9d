"""The alliance's health (健康度) in the browser: the dashboard (the 12-axis radar, the trend of each
dimension, the scorecard table with its bands, and slots for the warnings, incidents and ratings
pages of issue 20), a member's own scorecard, the KPI catalogue editor with its versions, the
entered values with their history, and pledges with their deliveries.

Who may do what is decided by `access.policy` (each page's action in `edge.routes`, then the
services): the dashboard is every role's; a member's scorecard is the coordinator's, an auditor's
and that member's own (another member's account gets 404); the forms are the coordinator's. A form
the service refuses is shown again as typed with the message (422), and nothing is stored.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from alliance.access.policy import Action
from alliance.core.dates import DateError, parse_date
from alliance.core.errors import AllianceError, InvalidInput
from alliance.edge.deps import ClockDep, Code, StoreDep
from alliance.health.incidents import service as incidents
from alliance.health.kpis import records, service
from alliance.health.warnings import service as warnings
from alliance.health.kpis.catalogue import FIELDS, SCORED, Dimension
from alliance.health.kpis.pledges import PledgeKind
from alliance.health.kpis.scoring import shown
from alliance.registry import service as registry
from alliance.web import charts
from alliance.web.incident_pages import time_left
from alliance.web.ratings_pages import panel_context as ratings_panel
from alliance.web.render import gettext_for, render
from alliance.web.viewer import PageViewer, Viewer

router = APIRouter(include_in_schema=False)
BAND_CLASSES = {"green": "status--active", "amber": "status--dissolving", "red": "status--dissolved"}
TEXT_LIMIT = 2000


def _locale(request: Request) -> str:
    from alliance.core.settings import get_settings
    from alliance.web.i18n import request_locale

    return request_locale(request, get_settings().default_locale).locale


def _base(request: Request, code: str) -> str:
    return f"{request.scope.get('root_path', '')}/alliances/{code}/health"


def _dimension_names(gettext: Any) -> dict[Dimension, str]:
    return {Dimension.PROCESS: gettext("Process"), Dimension.OUTPUT: gettext("Output"),
            Dimension.STRATEGIC: gettext("Strategic"), Dimension.SIGNAL: gettext("Signals")}


def _card_context(request: Request, card: service.Scorecard, chart_prefix: str) -> dict[str, Any]:
    """The radar, the trend charts and the rows of a scorecard, for the templates."""
    gettext = gettext_for(request)
    locale = _locale(request)
    names = _dimension_names(gettext)
    scored = [r for r in card.scores.rows if r.kpi.dimension in SCORED]
    radar = charts.radar([(r.kpi.name(locale), 100) for r in scored], [r.score_shown for r in scored],
                         gettext("Score (0-100)"))
    labels = [t.period.label for t in card.trend]
    trends = {d: charts.lines(labels, {names[d]: [shown(t.dimensions.get(d)) for t in card.trend],
                                       gettext("Overall"): [shown(t.overall) for t in card.trend]})
              for d in SCORED}
    return {"card": card, "radar": radar, "trends": trends, "dimension_names": names, "scored": SCORED,
            "band_classes": BAND_CLASSES, "chart_prefix": chart_prefix, "shown": shown, "locale_code": locale}


def _period(request: Request) -> str | None:
    return (request.query_params.get("period") or "").strip()[:40] or None


@router.get("/alliances/{code}/health", response_class=HTMLResponse, response_model=None)
def dashboard(request: Request, code: Code, store: StoreDep, viewer: PageViewer, clock: ClockDep) -> Response:
    alliance = registry.get_alliance(store, code)
    period = _period(request)
    picked = (request.query_params.get("member") or "").strip()[:32]
    if picked:  # the member picker (a plain GET form: no script needed)
        query = f"?{urlencode({'period': period})}" if period else ""
        return RedirectResponse(f"{_base(request, code)}/members/{quote(picked, safe='')}{query}", status_code=303)
    try:
        board = service.dashboard(store, code, viewer.principal, clock, period=period)
    except InvalidInput as exc:  # a period that does not parse: this quarter, and the message
        board = service.dashboard(store, code, viewer.principal, clock)
        error: Any = exc.message
    else:
        error = None
    companies = {m.code: m.legal_name for m in registry.list_members(store, code, include_left=True)}
    meetings = _upcoming_meetings(store, code, viewer, clock) if viewer.may(Action.MANAGE_ALLIANCE, code) else []
    return render(request, "health/dashboard.html", status=422 if error else 200, alliance=alliance, section="health",
                  board=board, companies=companies, period_error=error, meetings=meetings,
                  may_manage=viewer.may(Action.MANAGE_ALLIANCE, code), health_base=_base(request, code),
                  **_panels(store, code, viewer, clock), **_card_context(request, board.alliance, "alliance"))


def _panels(store: Any, code: str, viewer: Viewer, clock: Any) -> dict[str, Any]:
    """The other health capabilities' panels on the dashboard (None: not the viewer's to read)."""
    return {
        "warning_groups": (warnings.firing_now(store, code, viewer.principal, clock)
                           if viewer.may(Action.READ_WARNINGS, code) else None),
        "open_incidents": (incidents.open_incidents(store, code, viewer.principal, clock)
                           if viewer.may(Action.READ_INCIDENTS, code) else None),
        "time_left": time_left,
        **ratings_panel(store, code, viewer, clock),
    }


def _upcoming_meetings(store: Any, code: str, viewer: Viewer, clock: Any) -> list[Any]:
    """The meetings a review can go on: those from today on, of every body."""
    from alliance.governance import service_meetings

    try:
        overview = service_meetings.overview(store, code, viewer.principal, clock)
    except AllianceError:
        return []
    return list(getattr(overview, "upcoming", []) or [])[:20]


@router.get("/alliances/{code}/health/members/{member}", response_class=HTMLResponse)
def member_page(request: Request, code: Code, member: str, store: StoreDep, viewer: PageViewer,
                clock: ClockDep) -> HTMLResponse:
    alliance = registry.get_alliance(store, code)
    card = service.scorecard(store, code, viewer.principal, clock, period=_period(request), member=member[:32])
    companies = {m.code: m.legal_name for m in registry.list_members(store, code, include_left=True)}
    pledges = records.list_pledges(store, code, viewer.principal, member=card.member)
    return render(request, "health/member.html", alliance=alliance, section="health", companies=companies,
                  pledges=pledges, today=records.alliance_today(store, code, clock), health_base=_base(request, code),
                  **_card_context(request, card, "member"))


# -- the catalogue -------------------------------------------------------------------------------------------

def _catalogue_page(request: Request, store: Any, code: str, viewer: Viewer, *, status: int = 200,
                    errors: dict[str, Any] | None = None, values: dict[str, str] | None = None,
                    message: Any = None) -> HTMLResponse:
    alliance = registry.get_alliance(store, code)
    history = records.catalogue_history(store, code, viewer.principal)
    current = history[0].catalogue
    chosen = (values or {}).get("code") or request.query_params.get("kpi", "")[:40]
    existing = current.by_code().get(chosen)
    shown_values = values if values is not None else (existing.document() if existing else {"code": chosen})
    from alliance.health.kpis.indicators import INDICATORS
    gettext = gettext_for(request)
    return render(request, "health/catalogue.html", status=status, alliance=alliance, section="health",
                  catalogue=current, history=history, values=shown_values, errors=errors or {}, message=message,
                  may_edit=viewer.may(Action.MANAGE_ALLIANCE, code), health_base=_base(request, code),
                  dimension_names=_dimension_names(gettext),
                  dimension_options=[(d.value, name) for d, name in _dimension_names(gettext).items()],
                  sources=["entered", *INDICATORS], locale_code=_locale(request))


@router.get("/alliances/{code}/health/catalogue", response_class=HTMLResponse)
def catalogue_page(request: Request, code: Code, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    return _catalogue_page(request, store, code, viewer)


@router.post("/alliances/{code}/health/catalogue", response_class=HTMLResponse)
async def edit_catalogue(request: Request, code: Code, store: StoreDep, viewer: PageViewer, clock: ClockDep) -> Response:
    form = await request.form()
    values = {name: str(form.get(name, ""))[:TEXT_LIMIT].strip() for name in (*FIELDS, "note")}
    changes = {k: v for k, v in values.items() if k in FIELDS and k != "code"}
    try:
        records.edit_kpi(store, code, viewer.principal, values["code"], changes, clock, note=values["note"])
    except InvalidInput as exc:
        errors = {p.field: p.reason for p in exc.problems}
        return _catalogue_page(request, store, code, viewer, status=422, errors=errors, values=values,
                               message=exc.message)
    return RedirectResponse(f"{_base(request, code)}/catalogue?kpi={values['code']}", status_code=303)


# -- entered values ------------------------------------------------------------------------------------------

def _values_page(request: Request, store: Any, code: str, viewer: Viewer, clock: Any, *, status: int = 200,
                 errors: dict[str, Any] | None = None, values: dict[str, str] | None = None,
                 message: Any = None) -> HTMLResponse:
    alliance = registry.get_alliance(store, code)
    catalogue = records.catalogue(store, code, viewer.principal)
    history = records.value_history(store, code, viewer.principal)
    members = [m.code for m in registry.list_members(store, code)]
    quarter = service.current_quarter(store, code, clock)
    return render(request, "health/values.html", status=status, alliance=alliance, section="health",
                  entered=[d for d in catalogue.definitions if d.entered], names=catalogue.by_code(),
                  history=history, members=members, errors=errors or {}, message=message,
                  values=values or {"period": quarter.label}, may_enter=viewer.may(Action.MANAGE_ALLIANCE, code),
                  health_base=_base(request, code), locale_code=_locale(request))


@router.get("/alliances/{code}/health/values", response_class=HTMLResponse)
def values_page(request: Request, code: Code, store: StoreDep, viewer: PageViewer, clock: ClockDep) -> HTMLResponse:
    return _values_page(request, store, code, viewer, clock)


@router.post("/alliances/{code}/health/values", response_class=HTMLResponse)
async def enter_value(request: Request, code: Code, store: StoreDep, viewer: PageViewer, clock: ClockDep) -> Response:
    form = await request.form()
    values = {name: str(form.get(name, ""))[:TEXT_LIMIT].strip() for name in ("kpi", "period", "member", "value",
                                                                              "evidence")}
    try:
        records.enter_value(store, code, viewer.principal, values["kpi"], values["period"], values["value"], clock,
                            member=values["member"] or None, evidence=values["evidence"])
    except InvalidInput as exc:
        errors = {p.field: p.reason for p in exc.problems}
        return _values_page(request, store, code, viewer, clock, status=422, errors=errors, values=values,
                            message=exc.message)
    return RedirectResponse(f"{_base(request, code)}/values", status_code=303)


# -- pledges ---------------------------------------------------------------------------------------------------

def _pledges_page(request: Request, store: Any, code: str, viewer: Viewer, clock: Any, *, status: int = 200,
                  errors: dict[str, Any] | None = None, values: dict[str, str] | None = None,
                  message: Any = None) -> HTMLResponse:
    alliance = registry.get_alliance(store, code)
    return render(request, "health/pledges.html", status=status, alliance=alliance, section="health",
                  pledges=records.list_pledges(store, code, viewer.principal),
                  today=records.alliance_today(store, code, clock),
                  members=[m.code for m in registry.list_members(store, code)], kinds=list(PledgeKind),
                  errors=errors or {}, values=values or {}, message=message,
                  may_record=viewer.may(Action.MANAGE_ALLIANCE, code), health_base=_base(request, code))


@router.get("/alliances/{code}/health/pledges", response_class=HTMLResponse)
def pledges_page(request: Request, code: Code, store: StoreDep, viewer: PageViewer, clock: ClockDep) -> HTMLResponse:
    return _pledges_page(request, store, code, viewer, clock)


def _day(text: str, field: str, errors: dict[str, Any]) -> date | None:
    try:
        return parse_date(text)
    except DateError as exc:
        errors[field] = exc.message
        return None


@router.post("/alliances/{code}/health/pledges", response_class=HTMLResponse)
async def add_pledge(request: Request, code: Code, store: StoreDep, viewer: PageViewer, clock: ClockDep) -> Response:
    form = await request.form()
    values = {name: str(form.get(name, ""))[:TEXT_LIMIT].strip() for name in ("member", "kind", "amount", "unit",
                                                                              "due_on", "description")}
    errors: dict[str, Any] = {}
    due = _day(values["due_on"], "due_on", errors)
    try:
        if due is None:
            raise InvalidInput(errors["due_on"])
        records.add_pledge(store, code, viewer.principal, member=values["member"], kind=values["kind"],
                           amount=values["amount"], due_on=due, clock=clock, unit=values["unit"],
                           description=values["description"])
    except InvalidInput as exc:
        errors.update({p.field: p.reason for p in exc.problems})
        return _pledges_page(request, store, code, viewer, clock, status=422, errors=errors, values=values,
                             message=exc.message)
    return RedirectResponse(f"{_base(request, code)}/pledges", status_code=303)


@router.post("/alliances/{code}/health/pledges/{number}/deliveries", response_class=HTMLResponse)
async def deliver(request: Request, code: Code, number: int, store: StoreDep, viewer: PageViewer,
                  clock: ClockDep) -> Response:
    form = await request.form()
    values = {name: str(form.get(name, ""))[:TEXT_LIMIT].strip() for name in ("amount", "delivered_on", "note")}
    errors: dict[str, Any] = {}
    day = _day(values["delivered_on"], "delivered_on", errors)
    try:
        if day is None:
            raise InvalidInput(errors["delivered_on"])
        records.deliver(store, code, viewer.principal, number, amount=values["amount"], delivered_on=day, clock=clock,
                        note=values["note"])
    except InvalidInput as exc:
        return _pledges_page(request, store, code, viewer, clock, status=422, message=exc.message)
    return RedirectResponse(f"{_base(request, code)}/pledges", status_code=303)


@router.post("/alliances/{code}/health/review", response_class=HTMLResponse)
async def schedule_review(request: Request, code: Code, store: StoreDep, viewer: PageViewer, clock: ClockDep) -> Response:
    form = await request.form()
    try:
        meeting = int(str(form.get("meeting", "0"))[:12] or 0)
    except ValueError:
        meeting = 0
    period = str(form.get("period", ""))[:40].strip() or None
    records.schedule_review(store, code, viewer.principal, meeting, clock, period=period)
    root = request.scope.get("root_path", "")
    return RedirectResponse(f"{root}/alliances/{code}/governance/meetings/{meeting}", status_code=303)
