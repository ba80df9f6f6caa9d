"""Exit cases in the browser (docs/exit-cases.md).

- `/alliances/{code}/exits`: the cases (a member's people: their own member's), and the form to open
  one (the coordinator: any member, any trigger; a member's admin: its own voluntary notice).
- `/alliances/{code}/exits/{number}`: the case. The coordinator's view is the plan as a checklist
  (step, owner, due date, status, what the plan found), a timeline of the steps' due dates against the
  end date, and the forms to complete or waive a step, enter hand-over, staff and asset items and
  record the end; once the member has left and the archive's retrieval window has passed, the button
  erasing what the alliance no longer needs, with what it erases and what is kept. The leaving member's view is the same case read-only, with its final statement and
  the button acknowledging it (by its admin's own account). Another member gets the 404 page.

A refused form shows the error page with the reason (nothing stored); a done one returns to the case.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from alliance.access.policy import Action
from alliance.access.roles import Role
from alliance.core.clock import local_today
from alliance.core.errors import AllianceError, InvalidInput
from alliance.core.messages import Message
from alliance.edge.deps import ClockDep, Code, Id, StoreDep, opened_stores
from alliance.exits import erasure_service
from alliance.exits import service as exits
from alliance.exits.erasure import KIND_NAMES
from alliance.exits.model import (COORDINATOR, ITEM_FIELDS, MEMBER, STATUS_NAMES, STEP_NAMES, SUCCESSOR,
                                  TRIGGER_NAMES, Case, Status, StepKey, Trigger)
from alliance.exits.rules import parse_status, parse_step
from alliance.exits.triggers import parse_trigger
from alliance.registry import service as registry
from alliance.web.i18n import N_
from alliance.web.render import gettext_for, is_htmx, refused_page, render, say_for
from alliance.web.viewer import PageViewer

router = APIRouter(include_in_schema=False)

# How the pages say the end date's rule (exits.triggers: EndDate.rule), with the dates and the days.
RULE_TEXT = {
    "clause": N_("Notice given on %(decided)s plus the exit clause's %(days)s days."),
    "default": N_("Notice given on %(decided)s plus the default %(days)s days (no exit clause)."),
    "agreement_end": N_("Its agreement ends on %(end)s."),
    "decision": N_("The decision of %(decided)s takes effect that day."),
    "cure": N_("Breach notified on %(decided)s, not cured in the %(days)s-day cure period."),
    "control": N_("Control changed on %(decided)s; membership ends %(days)s days later."),
    "agreed": N_("Agreed end date: %(end)s."),
}
# The shared-operations step's items (operations.open_items), in the reader's language.
OPERATION_TOOLS = {"warehouse": N_("Shared warehouse"), "joint_purchase": N_("Joint purchasing"),
                   "referral": N_("Lead referral"), "marketing": N_("Joint marketing"), "bid": N_("Joint bids")}
OPERATION_ROLES = {"booked": N_("its booking"), "owner": N_("another member's booking in its warehouse"),
                   "organiser": N_("it organises the campaign"), "committed": N_("it committed a quantity"),
                   "referrer": N_("it referred the lead to %(other)s"), "receiver": N_("it received the lead from %(other)s"),
                   "lead": N_("it leads the campaign"), "participant": N_("it shares the campaign's costs"),
                   "consortium": N_("it is in the bid's consortium")}
OPERATION_STATES = {"booked": N_("booked"), "checked_in": N_("checked in"), "waitlisted": N_("waitlisted"),
                    "open": N_("open"), "succeeded": N_("target reached"), "ordered": N_("ordered"),
                    "submitted": N_("submitted"), "accepted": N_("accepted"), "converted": N_("converted"),
                    "running": N_("running"), "draft": N_("draft")}
BASIS_NAMES = {"own_background": N_("its own background IP"), "co_owner": N_("as a co-owner"),
               "non_exclusive_licence": N_("under a non-exclusive licence")}
ITEM_LABELS = {
    "customer": N_("Customer"), "open_orders": N_("Open orders"), "successor": N_("Successor member"),
    "continuity_until": N_("Service continuity until"), "non_solicitation_until": N_("No solicitation until"),
    "person": N_("Person"), "role": N_("Role"), "arrangement": N_("Arrangement"), "until": N_("Until"),
    "asset": N_("Asset"), "location": N_("Location"), "return_by": N_("Return by"),
}


def _day(form: Any, name: str, label: Message, *, required: bool = True) -> date | None:
    text = str(form.get(name) or "").strip()[:40]
    if not text and not required:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(Message("{field}: {value!r} is not a date (YYYY-MM-DD)", field=label, value=text)) from None


def _owner(owner: str, gettext: Any) -> str:
    if owner.startswith(SUCCESSOR):
        return gettext("successor %(member)s") % {"member": owner[len(SUCCESSOR):]}
    return {MEMBER: gettext("leaving member"), COORDINATOR: gettext("coordinator"),
            f"{MEMBER}+{COORDINATOR}": gettext("leaving member and coordinator")}.get(owner, owner)


def timeline(case: Case, say: Any, gettext: Any) -> dict[str, Any]:
    """An ECharts option: each step's due date on a time axis (steps as rows, coloured by status), with a
    line at the end date."""
    colours = {Status.DONE: "#0f766e", Status.WAIVED: "#94a3b8", Status.OPEN: "#1d4ed8", Status.FLAGGED: "#b45309"}
    rows = [say(STEP_NAMES[s.key]) for s in case.steps]
    return {
        "grid": {"left": 8, "right": 24, "top": 24, "bottom": 24, "containLabel": True},
        "tooltip": {"trigger": "item"},
        "xAxis": {"type": "time"},
        "yAxis": {"type": "category", "data": rows, "inverse": True},
        "series": [{"type": "scatter", "symbolSize": 14, "data": [
            {"value": [s.due.isoformat(), rows[i]], "name": f"{rows[i]}: {s.due.isoformat()} ({say(STATUS_NAMES[s.status])})",
             "itemStyle": {"color": colours[s.status]}} for i, s in enumerate(case.steps)],
            "markLine": {"symbol": "none", "label": {"formatter": gettext("End date %(day)s") % {
                "day": case.end_date.isoformat()}}, "data": [{"xAxis": case.end_date.isoformat()}]}}],
    }


async def _refused(request: Request, exc: AllianceError, title: str) -> Response:
    if is_htmx(request):
        raise exc
    return refused_page(request, exc, title)


def _to_case(request: Request, code: str, number: int) -> RedirectResponse:
    root = request.scope.get("root_path", "")
    return RedirectResponse(f"{root}/alliances/{code}/exits/{number}", status_code=303)


@router.get("/alliances/{code}/exits", response_class=HTMLResponse)
async def cases_page(request: Request, code: Code, store: StoreDep, viewer: PageViewer, clock: ClockDep) -> HTMLResponse:
    principal = viewer.principal

    def load() -> tuple[Any, list[Case], list[Any]]:
        alliance = registry.get_alliance(store, code)
        members = [m for m in registry.list_members(store, code)
                   if principal.member is None or m.code == principal.member]
        return alliance, exits.list_cases(store, code, principal), members

    alliance, cases, members = await run_in_threadpool(load)
    may_open_any = viewer.may(Action.MANAGE_ALLIANCE, code)
    may_give_notice = principal.member is not None and principal.role is Role.MEMBER_ADMIN and viewer.may(
        Action.ACT_FOR_MEMBER, code, principal.member)
    # A dissolution opens every member's case itself (exits.dissolution_service): not a choice here.
    triggers = [t for t in Trigger if t is not Trigger.DISSOLUTION] if may_open_any else [Trigger.VOLUNTARY]
    return render(request, "exits/list.html", alliance=alliance, section="exits", cases=cases, members=members,
                  may_open=may_open_any or may_give_notice, triggers=triggers, trigger_names=TRIGGER_NAMES,
                  today=local_today(clock, alliance.timezone).isoformat())


@router.post("/alliances/{code}/exits", response_class=HTMLResponse)
async def open_case(request: Request, code: Code, store: StoreDep, viewer: PageViewer, clock: ClockDep) -> Response:
    form = await request.form()
    try:
        trigger = parse_trigger(str(form.get("trigger") or ""))
        decided = _day(form, "decided_on", Message("trigger's day"))
        assert decided is not None
        agreed = _day(form, "end_date", Message("agreed end date"), required=False)
        cure_text = str(form.get("cure_days") or "").strip()[:6]
        if cure_text and not cure_text.isdigit():
            raise InvalidInput(Message("cure period: {value!r} is not a number of days", value=cure_text))
        member = str(form.get("member") or "").strip()[:32]
        reference = str(form.get("reference") or "")[:201]

        def run() -> Case:
            with opened_stores(request) as stores:  # the fact store suggests the member's recent orders
                return exits.open_case(store, code, member, trigger, decided, clock, principal=viewer.principal,
                                       agreed_end=agreed, cure_days=int(cure_text) if cure_text else None,
                                       reference=reference, facts=stores.facts)

        case = await run_in_threadpool(run)
    except AllianceError as exc:
        return await _refused(request, exc, N_("The exit case was not opened"))
    return _to_case(request, code, case.number)


@router.get("/alliances/{code}/exits/{number}", response_class=HTMLResponse)
async def case_page(request: Request, code: Code, number: Id, store: StoreDep, viewer: PageViewer,
                    clock: ClockDep) -> HTMLResponse:
    principal = viewer.principal

    manage = viewer.may(Action.MANAGE_ALLIANCE, code)

    def load() -> tuple[Any, Case, dict[str, Any], list[Any], dict[str, Any] | None]:
        alliance = registry.get_alliance(store, code)
        case = exits.get_case(store, code, number, principal)
        members = [m.code for m in registry.list_members(store, code) if m.code != case.member]
        erasure = erasure_service.preview_erasure(store, code, number, clock, principal=principal) \
            if manage and case.step(StepKey.DATA).status is Status.OPEN else None
        return alliance, case, exits.final_statement(store, code, number, principal), members, erasure

    alliance, case, statement, members, erasure = await run_in_threadpool(load)
    gettext, say = gettext_for(request), say_for(request)
    notice = case.step(StepKey.NOTICE).detail
    rule = RULE_TEXT.get(str(notice.get("rule") or ""))
    basis = gettext(rule) % {"decided": case.decided_on.isoformat(), "end": case.end_date.isoformat(),
                             "days": notice.get("notice_days", (case.end_date - case.decided_on).days)} \
        if rule else case.basis
    parties = {a.party for a in case.acknowledgements}
    own_admin = principal.member == case.member and principal.role is Role.MEMBER_ADMIN
    may_ack = case.status == "open" and statement["final"] and (
        (own_admin and MEMBER not in parties) or (principal.role is Role.COORDINATOR and COORDINATOR not in parties))
    today = local_today(clock, alliance.timezone)
    return render(request, "exits/show.html", alliance=alliance, section="exits", case=case, st=statement,
                  basis=basis, trigger_name=say(TRIGGER_NAMES[case.trigger]), step_names={k: say(v) for k, v in
                                                                                          STEP_NAMES.items()},
                  status_names={k: say(v) for k, v in STATUS_NAMES.items()},
                  owner=lambda o: _owner(o, gettext), chart=timeline(case, say, gettext), manage=manage,
                  may_ack=may_ack, own_admin=own_admin, item_fields=ITEM_FIELDS, item_labels=ITEM_LABELS,
                  items={k: [i for i in case.items if i.step is k] for k in ITEM_FIELDS}, members=members,
                  statuses=[Status.DONE, Status.WAIVED, Status.OPEN, Status.FLAGGED],
                  may_end=manage and case.step(StepKey.END).status is Status.OPEN and case.end_date <= today,
                  basis_names=BASIS_NAMES, ip_policy=_policy(case, say), Status=Status, StepKey=StepKey,
                  operation_tools=OPERATION_TOOLS, operation_roles=OPERATION_ROLES, operation_states=OPERATION_STATES,
                  erasure=erasure if erasure and erasure["ready"] else None,
                  erasure_names={k: say(v) for k, v in KIND_NAMES.items()})


def _policy(case: Case, say: Any) -> str:
    """The IP step's exit policy in words, and whether it is the default (no IP clause)."""
    from alliance.ip.exit import POLICY_NAMES, ExitPolicy

    detail = case.step(StepKey.IP).detail
    try:
        return say(POLICY_NAMES[ExitPolicy(str(detail.get("policy")))])
    except ValueError:
        return str(detail.get("policy") or "")


async def _act(request: Request, code: str, number: int, act: Any) -> Response:
    try:
        await run_in_threadpool(act)
    except AllianceError as exc:
        return await _refused(request, exc, N_("The exit case was not changed"))
    return _to_case(request, code, number)


@router.post("/alliances/{code}/exits/{number}/steps", response_class=HTMLResponse)
async def change_step(request: Request, code: Code, number: Id, store: StoreDep, viewer: PageViewer,
                      clock: ClockDep) -> Response:
    form = await request.form()
    owner = str(form.get("owner") or "").strip()[:64] or None

    def act() -> Case:
        return exits.change_step(store, code, number, parse_step(str(form.get("step") or "")),
                                 parse_status(str(form.get("status") or "")), str(form.get("reason") or "")[:1001],
                                 clock, principal=viewer.principal, owner=owner)

    return await _act(request, code, number, act)


@router.post("/alliances/{code}/exits/{number}/items", response_class=HTMLResponse)
async def add_item(request: Request, code: Code, number: Id, store: StoreDep, viewer: PageViewer,
                   clock: ClockDep) -> Response:
    form = await request.form()
    text = str(form.get("step") or "")

    def act() -> Case:
        step = parse_step(text)
        names = [n for n, _date in ITEM_FIELDS.get(step, ())]
        values = {n: str(form.get(n) or "")[:201] for n in names if str(form.get(n) or "").strip()}
        return exits.add_item(store, code, number, step, values, clock, principal=viewer.principal)

    return await _act(request, code, number, act)


@router.post("/alliances/{code}/exits/{number}/acknowledge", response_class=HTMLResponse)
async def acknowledge(request: Request, code: Code, number: Id, store: StoreDep, viewer: PageViewer,
                      clock: ClockDep) -> Response:
    return await _act(request, code, number,
                      lambda: exits.acknowledge(store, code, number, clock, principal=viewer.principal))


@router.post("/alliances/{code}/exits/{number}/end", response_class=HTMLResponse)
async def record_end(request: Request, code: Code, number: Id, store: StoreDep, viewer: PageViewer,
                     clock: ClockDep) -> Response:
    return await _act(request, code, number,
                      lambda: exits.record_end(store, code, number, clock, principal=viewer.principal))


@router.post("/alliances/{code}/exits/{number}/erase", response_class=HTMLResponse)
async def erase(request: Request, code: Code, number: Id, store: StoreDep, viewer: PageViewer,
                clock: ClockDep) -> Response:
    form = await request.form()

    def act() -> Case:
        if str(form.get("confirm") or "") != "yes":
            raise InvalidInput(Message("tick the box to confirm that the member's data is erased"))
        return erasure_service.erase_member_data(store, code, number, clock, principal=viewer.principal)

    return await _act(request, code, number, act)
