"""The partner pipeline in the browser: prospects added by hand or shortlisted, their due-diligence
checklists, stage moves with a note, pilots with KPIs and measurements, and the go / no-go decision.

Every form shows its errors beside its fields (422), a refusal of the pipeline in words with the
items that block it (409), and saves nothing on error; the rules themselves are the screening
service's (`alliance.screening.service`, `alliance.screening.pipeline`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from alliance.access.policy import Action
from alliance.edge.deps import ClockDep, Code, Id, StoreDep
from alliance.core.errors import Conflict, InvalidInput, NotFound
from alliance.core.paging import Page
from alliance.core.messages import Message
from alliance.registry import service as registry
from alliance.registry.credit_code import InvalidCreditCode, normalise_credit_code
from alliance.screening import service
from alliance.screening.entities import Cadence, Decision, Prospect
from alliance.screening.pipeline import NEXT, Area, ItemStatus, KpiDirection, KpiResult, Source, Stage, StageRefused
from alliance.store.database import Store
from alliance.web import charts
from alliance.web.forms import CHOOSE, FormView, PostedForm, options, page_offset
from alliance.web.i18n import N_
from alliance.web.render import gettext_for, render
from alliance.web.viewer import PageViewer

router = APIRouter(include_in_schema=False)

STAGE_LABELS = {
    Stage.SCREENED: N_("Screened"),
    Stage.DUE_DILIGENCE: N_("Due diligence"),
    Stage.PILOT: N_("Pilot"),
    Stage.PARTNER: N_("Partner"),
    Stage.REJECTED: N_("Rejected"),
}
SOURCE_LABELS = {
    Source.TRADE_SHOW: N_("Trade show"),
    Source.ASSOCIATION: N_("Industry association"),
    Source.REFERRAL: N_("Referral"),
    Source.SERVICE_FIRM: N_("Service firm"),
    Source.B2B_PLATFORM: N_("B2B platform"),
    Source.COMPETITOR_PARTNER: N_("Partner of a competitor"),
    Source.SCREENING: N_("Screening run"),
    Source.MATCHING: N_("Resource matching"),
    Source.OTHER: N_("Other"),
}
AREA_LABELS = {
    Area.FINANCIAL: N_("Financial audit"),
    Area.LEGAL: N_("Legal review"),
    Area.MARKET: N_("Market research"),
    Area.TECHNICAL: N_("Technical assessment"),
}
ITEM_STATUS_LABELS = {
    ItemStatus.OPEN: N_("Not started"),
    ItemStatus.IN_PROGRESS: N_("In progress"),
    ItemStatus.DONE: N_("Done"),
    ItemStatus.FAILED: N_("Failed"),
    ItemStatus.WAIVED: N_("Waived"),
}
DECISION_LABELS = {Decision.GO: N_("Go: make a partner"), Decision.NO_GO: N_("No-go: reject")}
DIRECTION_LABELS = {KpiDirection.HIGHER: N_("Higher is better"), KpiDirection.LOWER: N_("Lower is better")}
CADENCE_LABELS = {Cadence.WEEKLY: N_("Weekly"), Cadence.BIWEEKLY: N_("Every two weeks"), Cadence.MONTHLY: N_("Monthly")}
WAIVER_NEEDS_REASON = N_("A waiver needs a reason.")
NO_GO_NEEDS_NOTE = N_("A no-go decision needs a note saying why.")
NO_KPI_NEEDS_REASON = N_("This pilot has no KPI: add one first, or write here why you decide without any.")
CHOOSE_SOURCE = N_("Choose where the prospect came from.")
CHOOSE_STAGE = N_("Choose a stage.")
CHOOSE_CADENCE = N_("Choose how often the pilot is reviewed.")
CHOOSE_DIRECTION = N_("Choose whether higher or lower is better.")
CHOOSE_KPI = N_("Choose one of this pilot's KPIs.")
BAD_CREDIT_CODE = N_("This is not a valid unified social credit code: 18 characters, the last one a check character.")
ALREADY_A_PROSPECT = N_("%(name)s is already a prospect of this alliance.")
NO_SUCH_STEP = N_("A prospect at the stage %(current)s cannot move to %(target)s.")
FINAL_STAGE = N_("%(stage)s is a final stage: the prospect moves no further.")
PILOT_BY_STARTING = N_("A prospect enters the pilot stage by starting its pilot: a name, dates and a cadence.")
PARTNER_BY_PILOT = N_("A prospect becomes a partner only through its pilot, decided as go.")
END_BEFORE_START = N_("The end comes before the start.")
PILOT_TOO_LONG = N_("A pilot runs at most %(years)d years.")
KPI_EXISTS = N_("This pilot already has a KPI named %(name)s.")
PILOT_DECIDED = N_("The pilot was already decided: no KPI can be added.")
MEASURED_ALREADY = N_("%(kpi)s already has a value for %(date)s.")


def attainment_chart(kpis: Sequence[KpiResult], series_name: str) -> dict[str, Any]:
    """One bar per KPI: its attainment in percent of target (100 = on target, marked by a line).
    A KPI without a measurement, or whose attainment is no ratio, has no bar."""
    values = [None if k.attainment is None else k.attainment * 100 for k in kpis]
    option = charts.bars([k.name for k in kpis], {series_name: values}, horizontal=True, unit="%")
    option["yAxis"]["inverse"] = True
    option["series"][0]["markLine"] = {"silent": True, "symbol": "none", "data": [{"xAxis": 100}]}
    return option


def stage_choices(current: Stage) -> list[Stage]:
    """The stages the move form offers: the pilot starts by its own form and ends by its decision
    (go makes a partner, no-go rejects), so a prospect in a pilot is moved by neither."""
    if current is Stage.PILOT:
        return []
    return [s for s in Stage if s in NEXT[current] and s not in (Stage.PILOT, Stage.PARTNER)]


def refusal_lines(_: Callable[[str], str], current: Stage, target: Stage, exc: StageRefused) -> list[str]:
    """Why the pipeline refused to move a prospect from `current` to `target`, in words (the
    due-diligence gate's items are listed apart, by `blocking_items`)."""
    stage = {s: _(label) for s, label in STAGE_LABELS.items()}
    if not NEXT[current]:
        return [_(FINAL_STAGE) % {"stage": stage[current]}]
    if target not in NEXT[current]:
        return [_(NO_SUCH_STEP) % {"current": stage[current], "target": stage[target]}]
    if target is Stage.PILOT and not exc.problems:
        return [_(PILOT_BY_STARTING)]
    if target is Stage.PARTNER:
        return [_(PARTNER_BY_PILOT)]
    return [] if exc.problems else [exc.message]


def blocking_items(exc: StageRefused) -> list[tuple[Area, str, ItemStatus]]:
    """The due-diligence gate's refusal: (area, item, status) of each required item not yet done or waived."""
    return [(Area(p.where), p.field, ItemStatus(p.reason)) for p in exc.problems]


def _to_prospect(code: str, prospect_id: int, saved: str, anchor: str = "") -> RedirectResponse:
    """303 to the prospect's page, which notes what was saved (and scrolls to where it shows)."""
    return RedirectResponse(f"/alliances/{code}/screening/prospects/{prospect_id}?saved={saved}"
                            + (f"#{anchor}" if anchor else ""), status_code=303)


# -- prospects, due diligence and pilots -----------------------------------------------------------

PROSPECT_PAGE = 25


def _prospects_page(request: Request, code: str, store: Store, viewer: PageViewer, status: int = 200,
                    adding: FormView | None = None) -> HTMLResponse:
    _ = gettext_for(request)
    alliance = registry.get_alliance(store, code)
    # Each stage's list pages on its own (`offset_<stage>`), PROSPECT_PAGE at a time, in SQL.
    by_stage = [(stage, _stage_page(request, store, code, stage)) for stage in Stage]
    shortlisted = request.query_params.get("shortlisted", "")
    return render(request, "screening/prospects.html", status=status, alliance=alliance, section="screening",
                  by_stage=by_stage, page_size=PROSPECT_PAGE, total=sum(page.total for _s, page in by_stage),
                  stage_labels=STAGE_LABELS, source_labels=SOURCE_LABELS,
                  may_manage=viewer.may(Action.MANAGE_ALLIANCE, code), adding=adding or FormView(),
                  source_options=options(_, SOURCE_LABELS),
                  shortlisted=int(shortlisted) if shortlisted.isdigit() and len(shortlisted) < 6 else None)


def _stage_page(request: Request, store: Store, code: str, stage: Stage) -> Page[Prospect]:
    """The stage's page the link asks for; a page past the end (the list shrank) shows the last one."""
    offset = page_offset(request.query_params.get(f"offset_{stage.value}", ""))
    page = service.page_prospects(store, code, stage, limit=PROSPECT_PAGE, offset=offset)
    if not page.items and page.total:
        last = (page.total - 1) // PROSPECT_PAGE * PROSPECT_PAGE
        page = service.page_prospects(store, code, stage, limit=PROSPECT_PAGE, offset=last)
    return page


@router.get("/alliances/{code}/screening/prospects", response_class=HTMLResponse)
def prospects_page(request: Request, code: Code, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    return _prospects_page(request, code, store, viewer)


@router.post("/alliances/{code}/screening/prospects", response_class=HTMLResponse)
async def add_prospect(request: Request, code: Code, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> Response:
    """Add a prospect by hand at the screened stage, with the default due-diligence checklist."""
    form = await PostedForm.read(request)
    name = form.text("name", 200)
    source = form.choice("source", Source, CHOOSE_SOURCE)
    credit_code = form.text("credit_code", 40, required=False)
    if credit_code:
        try:
            normalise_credit_code(credit_code)  # the service's check, here so every wrong field shows at once
        except InvalidCreditCode:
            form.fail("credit_code", BAD_CREDIT_CODE)
    status = 422
    if form.ok and source is not None:
        try:
            prospect = await run_in_threadpool(service.add_prospect, store, code, name, source,
                                               viewer.principal.actor, clock, credit_code or None)
        except Conflict:
            form.fail("name", ALREADY_A_PROSPECT, name=name)
            status = 409
        else:
            return _to_prospect(code, prospect.id, "added")
    return _prospects_page(request, code, store, viewer, status, form.view(request))


async def _prospect_page(request: Request, code: str, prospect_id: int, store: StoreDep, viewer: PageViewer,
                         status: int = 200, **context: Any) -> HTMLResponse:
    _ = gettext_for(request)
    alliance = registry.get_alliance(store, code)
    found = service.prospect_file(store, code, prospect_id)
    review = service.review_pilot(store, code, found.pilot.id) if found.pilot is not None else None
    chart = attainment_chart(review.kpis, _("Attainment")) if review is not None and review.kpis else None
    kpis = service.pilot_kpis(store, code, found.pilot.id) if found.pilot is not None else []
    defaults: dict[str, Any] = {"item_errors": {}, "item_values": {}, "decision_errors": {}, "decision_values": {},
                                "saved": request.query_params.get("saved")}
    forms = {name: FormView() for name in ("stage", "pilot", "kpi", "measurement")}
    forms.update(context.pop("forms", {}))
    return render(request, "screening/prospect.html", status=status, alliance=alliance, section="screening",
                  file=found, review=review, chart=chart, may_manage=viewer.may(Action.MANAGE_ALLIANCE, code),
                  stage_labels=STAGE_LABELS, source_labels=SOURCE_LABELS, area_labels=AREA_LABELS,
                  status_labels=ITEM_STATUS_LABELS, decision_labels=DECISION_LABELS,
                  direction_labels=DIRECTION_LABELS, forms=forms,
                  stage_options=options(_, STAGE_LABELS, stage_choices(found.prospect.stage)),
                  cadence_options=options(_, CADENCE_LABELS, placeholder=False),
                  direction_options=options(_, DIRECTION_LABELS, placeholder=False),
                  kpi_options=[("", _(CHOOSE)), *((str(k.id), f"{k.name} ({k.unit})" if k.unit else k.name)
                                                   for k in kpis)],
                  **{**defaults, **context})


@router.get("/alliances/{code}/screening/prospects/{prospect_id}", response_class=HTMLResponse)
async def prospect_page(request: Request, code: Code, prospect_id: Id, store: StoreDep,
                        viewer: PageViewer) -> HTMLResponse:
    return await _prospect_page(request, code, prospect_id, store, viewer)


@router.post("/alliances/{code}/screening/prospects/{prospect_id}/items/{item_id}", response_class=HTMLResponse)
async def update_item(request: Request, code: Code, prospect_id: Id, item_id: Id, store: StoreDep, clock: ClockDep,
                      viewer: PageViewer) -> Response:
    """Save one checklist item's status (a waiver needs a reason: else nothing is saved and the
    error is shown beside the reason field)."""
    form = await request.form()
    values = {"status": str(form.get("status", "")), "waiver_reason": str(form.get("waiver_reason", ""))[:2000]}
    found = service.prospect_file(store, code, prospect_id)
    if not any(i.id == item_id for i in found.checklist):
        raise NotFound(Message("prospect {prospect_id} has no due-diligence item {item_id}",
                               prospect_id=prospect_id, item_id=item_id))
    errors: dict[str, str] = {}
    try:
        status = ItemStatus(values["status"])
    except ValueError:
        status = None
        errors["status"] = N_("Choose a status.")
    if status is not None:
        reason = values["waiver_reason"] if status is ItemStatus.WAIVED else ""
        try:
            service.update_item(store, code, item_id, viewer.principal.actor, clock, status=status,
                                waiver_reason=reason)
        except InvalidInput as exc:
            waiver = any(p.field == "waiver_reason" for p in exc.problems)
            errors["waiver_reason"] = WAIVER_NEEDS_REASON if waiver else exc.message
    if errors:
        _ = gettext_for(request)
        return await _prospect_page(request, code, prospect_id, store, viewer, status=422,
                                    item_errors={item_id: {k: _(v) for k, v in errors.items()}},
                                    item_values={item_id: values})
    return RedirectResponse(f"/alliances/{code}/screening/prospects/{prospect_id}?saved=item-{item_id}#item-{item_id}",
                            status_code=303)


@router.post("/alliances/{code}/screening/prospects/{prospect_id}/decision", response_class=HTMLResponse)
async def decide(request: Request, code: Code, prospect_id: Id, store: StoreDep, clock: ClockDep,
                 viewer: PageViewer) -> Response:
    """Record the pilot's go / no-go (a no-go needs a note: the error is shown beside it)."""
    form = await request.form()
    values = {"decision": str(form.get("decision", "")), "note": str(form.get("note", ""))[:2000]}
    found = service.prospect_file(store, code, prospect_id)
    if found.pilot is None:
        raise NotFound(Message("prospect {prospect_id} has no pilot", prospect_id=prospect_id))
    errors: dict[str, str] = {}
    try:
        decision = Decision(values["decision"])
    except ValueError:
        decision = None
        errors["decision"] = N_("Choose go or no-go.")
    if decision is not None:
        try:
            service.decide_pilot(store, code, found.pilot.id, decision, values["note"], viewer.principal.actor, clock)
        except service.PilotWithoutKpis:
            errors["note"] = NO_KPI_NEEDS_REASON
        except InvalidInput as exc:
            missing_note = decision is Decision.NO_GO and not values["note"].strip()
            errors["note"] = NO_GO_NEEDS_NOTE if missing_note else exc.message
        except Conflict as exc:
            errors["decision"] = exc.message
    if errors:
        _ = gettext_for(request)
        return await _prospect_page(request, code, prospect_id, store, viewer, status=422,
                                    decision_errors={k: _(v) for k, v in errors.items()}, decision_values=values)
    return RedirectResponse(f"/alliances/{code}/screening/prospects/{prospect_id}?saved=decision#pilot",
                            status_code=303)


@router.post("/alliances/{code}/screening/prospects/{prospect_id}/stage", response_class=HTMLResponse)
async def move(request: Request, code: Code, prospect_id: Id, store: StoreDep, clock: ClockDep,
               viewer: PageViewer) -> Response:
    """Move a prospect to another stage with a note; a refused move changes nothing and its reasons
    are shown beside the form."""
    current = service.prospect_file(store, code, prospect_id).prospect.stage
    form = await PostedForm.read(request)
    target = form.choice("stage", Stage, CHOOSE_STAGE)
    note = form.text("stage_note", 2000, required=False, multiline=True)
    if target is None or not form.ok:
        return await _prospect_page(request, code, prospect_id, store, viewer, 422, forms={"stage": form.view(request)})
    try:
        await run_in_threadpool(service.move_prospect, store, code, prospect_id, target, viewer.principal.actor,
                                clock, note)
    except StageRefused as exc:
        lines = refusal_lines(gettext_for(request), current, target, exc)
        return await _prospect_page(request, code, prospect_id, store, viewer, 409,
                                    forms={"stage": form.view(request, lines, blocking_items(exc))})
    return _to_prospect(code, prospect_id, "stage", "history")


@router.post("/alliances/{code}/screening/prospects/{prospect_id}/pilot", response_class=HTMLResponse)
async def start_pilot(request: Request, code: Code, prospect_id: Id, store: StoreDep, clock: ClockDep,
                      viewer: PageViewer) -> Response:
    """Start the prospect's pilot; the due-diligence gate's refusal lists the items still blocking it."""
    current = service.prospect_file(store, code, prospect_id).prospect.stage
    form = await PostedForm.read(request)
    name = form.text("pilot_name", 200)
    starts_on, ends_on = form.day("starts_on"), form.day("ends_on")
    cadence = form.choice("cadence", Cadence, CHOOSE_CADENCE)
    status = 422
    if form.ok and starts_on is not None and ends_on is not None and cadence is not None:
        try:
            await run_in_threadpool(service.start_pilot, store, code, prospect_id, name, starts_on, ends_on, cadence,
                                    viewer.principal.actor, clock)
        except InvalidInput as exc:  # the dates: the name passed the same check above
            if not any(p.field == "ends_on" for p in exc.problems):
                raise
            if ends_on < starts_on:
                form.fail("ends_on", END_BEFORE_START)
            else:
                form.fail("ends_on", PILOT_TOO_LONG, years=service.MAX_PILOT_DAYS // 365)
        except StageRefused as exc:
            lines = refusal_lines(gettext_for(request), current, Stage.PILOT, exc)
            return await _prospect_page(request, code, prospect_id, store, viewer, 409,
                                        forms={"pilot": form.view(request, lines, blocking_items(exc))})
        else:
            return _to_prospect(code, prospect_id, "pilot", "pilot")
    return await _prospect_page(request, code, prospect_id, store, viewer, status, forms={"pilot": form.view(request)})


def _pilot_id(store: Store, code: str, prospect_id: int) -> int:
    pilot = service.prospect_file(store, code, prospect_id).pilot
    if pilot is None:
        raise NotFound(Message("prospect {prospect_id} has no pilot", prospect_id=prospect_id))
    return pilot.id


@router.post("/alliances/{code}/screening/prospects/{prospect_id}/kpis", response_class=HTMLResponse)
async def add_kpi(request: Request, code: Code, prospect_id: Id, store: StoreDep, viewer: PageViewer) -> Response:
    """Add a KPI (name, unit, direction, target) to the prospect's undecided pilot."""
    pilot_id = _pilot_id(store, code, prospect_id)
    form = await PostedForm.read(request)
    name = form.text("kpi_name", 100)
    unit = form.text("unit", 32, required=False)
    direction = form.choice("direction", KpiDirection, CHOOSE_DIRECTION)
    target = form.number("target")
    problems: list[str] = []
    status = 422
    if form.ok and direction is not None and target is not None:
        try:
            await run_in_threadpool(service.add_kpi, store, code, pilot_id, name, unit, direction, target)
        except Conflict:
            status = 409
            if any(k.name == name for k in service.pilot_kpis(store, code, pilot_id)):
                form.fail("kpi_name", KPI_EXISTS, name=name)
            else:
                problems.append(gettext_for(request)(PILOT_DECIDED))
        else:
            return _to_prospect(code, prospect_id, "kpi", "pilot")
    return await _prospect_page(request, code, prospect_id, store, viewer, status,
                                forms={"kpi": form.view(request, problems)})


@router.post("/alliances/{code}/screening/prospects/{prospect_id}/measurements", response_class=HTMLResponse)
async def record_measurement(request: Request, code: Code, prospect_id: Id, store: StoreDep, clock: ClockDep,
                             viewer: PageViewer) -> Response:
    """Record a KPI's value on a date; a KPI has one value per date (a second one answers 409)."""
    pilot_id = _pilot_id(store, code, prospect_id)
    form = await PostedForm.read(request)
    kpi = form.pick("kpi", {str(k.id): k for k in service.pilot_kpis(store, code, pilot_id)}, CHOOSE_KPI)
    measured_on = form.day("measured_on")
    value = form.number("value")
    note = form.text("measurement_note", 2000, required=False, multiline=True)
    status = 422
    if form.ok and kpi is not None and measured_on is not None and value is not None:
        try:
            await run_in_threadpool(service.record_measurement, store, code, kpi.id, measured_on, value, clock, note)
        except Conflict:
            form.fail("measured_on", MEASURED_ALREADY, kpi=kpi.name, date=measured_on.isoformat())
            status = 409
        else:
            return _to_prospect(code, prospect_id, "measurement", "pilot")
    return await _prospect_page(request, code, prospect_id, store, viewer, status,
                                forms={"measurement": form.view(request)})
