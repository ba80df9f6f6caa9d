"""Governance (联盟治理) in the browser: the alliance's bodies, their next meetings and open and
overdue action items; a body's page (seats, rules, meetings, calendar download); a meeting's page,
where the secretary sets the agenda, records attendance, writes the minutes of each item and adds
action items; and the minutes with attendance as a printable page.

Who may do what is decided by `access.policy`: the page's action in `PAGES`, then the service per
body (`authorize_body`: a member role sees the meetings of the bodies its member sits in, and runs
them as chair or secretary). Forms post as HTML forms; with htmx the answer's `#meeting-main` is
swapped in place. A refused form is shown again with each problem beside its field (422).
"""

from __future__ import annotations

import hashlib
from datetime import date, time
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from alliance.access.policy import Action
from alliance.core.clock import Clock
from alliance.core.errors import AllianceError, InvalidInput, NotFound
from alliance.core.messages import Message
from alliance.edge.deps import ClockDep, Code, Id, StoreDep
from alliance.governance import service_meetings as service
from alliance.governance import signoff
from alliance.governance.bodies import PROPOSAL_TYPES, Body, BodyKind, SeatRole
from alliance.governance.errors import RuleInvalid
from alliance.governance.rules import RULES, rule_from_params
from alliance.governance.rules.base import Base, Kind
from alliance.governance.rules.base import _text as rules_text
from alliance.governance.cadence import CADENCES
from alliance.governance.meetings import ActionStatus, Presence
from alliance.registry import service as registry
from alliance.web.i18n import N_
from alliance.web.render import gettext_for, render
from alliance.web.viewer import PageViewer, Viewer

router = APIRouter(include_in_schema=False)

KIND_LABELS = {BodyKind.JOINT_COMMITTEE: N_("Joint management committee"), BodyKind.WORKING_GROUP: N_("Working group"),
               BodyKind.ARBITRATION_PANEL: N_("Arbitration panel")}
ROLE_LABELS = {SeatRole.CHAIR: N_("Chair"), SeatRole.SECRETARY: N_("Secretary"), SeatRole.MEMBER: N_("Member"),
               SeatRole.OBSERVER: N_("Observer")}
PRESENCE_LABELS = {Presence.PRESENT: N_("Present"), Presence.PROXY: N_("By proxy"), Presence.ABSENT: N_("Absent")}
STATUS_LABELS = {ActionStatus.OPEN: N_("To do"), ActionStatus.DONE: N_("Done"), ActionStatus.CANCELLED: N_("Cancelled")}
CADENCE_LABELS = {"weekly": N_("Weekly"), "biweekly": N_("Every two weeks"), "monthly": N_("Monthly"),
                  "quarterly": N_("Quarterly"), "half_yearly": N_("Every six months"), "yearly": N_("Yearly")}
assert set(CADENCE_LABELS) == set(CADENCES), "every cadence has its label"
NOT_A_NUMBER = N_("Enter a whole number.")
ACTIONS_SHOWN = 50  # on the governance page, the most urgent (earliest due) first; the counts cover all
NOT_A_DATE = N_("Enter a date (YYYY-MM-DD).")


def _labels(request: Request) -> dict[str, Any]:
    gettext = gettext_for(request)
    return {"kind_labels": {k.value: gettext(v) for k, v in KIND_LABELS.items()},
            "role_labels": {k.value: gettext(v) for k, v in ROLE_LABELS.items()},
            "presence_labels": {k.value: gettext(v) for k, v in PRESENCE_LABELS.items()},
            "status_labels": {k.value: gettext(v) for k, v in STATUS_LABELS.items()},
            "cadence_labels": {k: gettext(v) for k, v in CADENCE_LABELS.items()}}


def _base(request: Request) -> str:
    return request.scope.get("root_path", "")


def _errors(exc: InvalidInput, prefix: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    """Each problem beside its field (`prefix-field`); one not tied to a field under `prefix`."""
    errors: dict[str, Any] = {}
    for p in exc.problems:
        name = (fields or {}).get(p.field, p.field)
        errors.setdefault(f"{prefix}-{name}" if name else prefix, p.reason)
    return errors or {prefix: exc.message}


def _int(text: str) -> int | None:
    try:
        return int(text.strip())
    except ValueError:
        return None


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def _local(moment: Any, zone: str) -> str:
    return f"{moment.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M}"


# -- the governance page --------------------------------------------------------------------------------

def _overview_page(request: Request, store: StoreDep, code: str, viewer: Viewer, clock: ClockDep, *, status: int = 200,
                   errors: dict[str, Any] | None = None, values: dict[str, str] | None = None) -> HTMLResponse:
    alliance = registry.get_alliance(store, code)
    found = service.overview(store, code, viewer.principal, clock)
    members = registry.list_members(store, code)
    names = {b.id: b.name for b in found.bodies}
    return render(request, "governance/overview.html", status=status, alliance=alliance, section="governance",
                  overview=found, body_names=names, shown_actions=found.actions[:ACTIONS_SHOWN], zone=alliance.timezone, local=_local,
                  companies={m.code: m.legal_name for m in members}, members=members,
                  may_manage=viewer.may(Action.MANAGE_BODIES, code), errors=errors or {},
                  values={"body-name": "", "body-kind": BodyKind.JOINT_COMMITTEE.value, "body-term_from": "",
                          "body-term_to": "", "body-cadence": "quarterly", "body-meeting_time": "10:00",
                          "body-duration_minutes": "120", "body-seats": "", **(values or {})}, **_labels(request))


@router.get("/alliances/{code}/governance", response_class=HTMLResponse)
def governance(request: Request, code: Code, store: StoreDep, viewer: PageViewer, clock: ClockDep) -> HTMLResponse:
    return _overview_page(request, store, code, viewer, clock)


@router.post("/alliances/{code}/governance/bodies", response_class=HTMLResponse)
async def create_body(request: Request, code: Code, store: StoreDep, viewer: PageViewer, clock: ClockDep) -> Response:
    """Set up a body from the form; seats one a line: member code, role, and optionally the person's user name."""
    form = await request.form()
    values = {f"body-{k}": str(form.get(f"body-{k}", ""))[:4000] for k in (
        "name", "kind", "term_from", "term_to", "cadence", "meeting_time", "duration_minutes", "seats")}
    v = {k.removeprefix("body-"): text for k, text in values.items()}
    errors: dict[str, Any] = {}
    term_from, term_to = _day(v["term_from"]), _day(v["term_to"]) if v["term_to"].strip() else None
    if term_from is None:
        errors["body-term_from"] = gettext_for(request)(NOT_A_DATE)
    if v["term_to"].strip() and term_to is None:
        errors["body-term_to"] = gettext_for(request)(NOT_A_DATE)
    duration = _int(v["duration_minutes"])
    if duration is None:
        errors["body-duration_minutes"] = gettext_for(request)(NOT_A_NUMBER)
    try:
        at = time.fromisoformat(v["meeting_time"].strip())
    except ValueError:
        at = time(10, 0)
        errors["body-meeting_time"] = gettext_for(request)(N_("Enter a time of day (HH:MM)."))
    seats = [tuple((line.replace(",", " ").split() + ["", ""])[:3]) for line in v["seats"].splitlines()
             if line.strip()]
    if errors:
        return _overview_page(request, store, code, viewer, clock, status=422, errors=errors, values=values)
    assert term_from is not None and duration is not None
    try:
        body = service.create_body(store, code, viewer.principal, name=v["name"], kind=v["kind"],
                                   term_from=term_from, term_to=term_to, cadence=v["cadence"], meeting_time=at,
                                   duration_minutes=duration,
                                   seats=[(m, r, p or None) for m, r, p in seats], rules={}, clock=clock)
    except InvalidInput as exc:
        found: dict[str, Any] = {}
        for p in exc.problems:  # a seat's problem says which line (seat n) it is about
            seat = p.field in ("member", "role", "person")
            found.setdefault("body-seats" if seat else f"body-{p.field}", p.text() if seat else p.reason)
        return _overview_page(request, store, code, viewer, clock, status=422, errors=found, values=values)
    return RedirectResponse(f"{_base(request)}/alliances/{code}/governance/bodies/{body.id}", status_code=303)


# -- a body's page ----------------------------------------------------------------------------------------

def _body_page(request: Request, store: StoreDep, code: str, body_id: int, viewer: Viewer, clock: ClockDep, *,
               status: int = 200, errors: dict[str, Any] | None = None,
               values: dict[str, str] | None = None) -> HTMLResponse:
    alliance = registry.get_alliance(store, code)
    body = service.get_body(store, code, viewer.principal, body_id)
    reads = service.may(viewer.principal, Action.READ_MEETINGS, code, body)
    upcoming, past = service.body_meetings(store, code, viewer.principal, body_id, clock) if reads else ([], [])
    actions, today = (service.open_actions(store, code, viewer.principal, clock, body_id=body_id) if reads
                      else ([], clock.now().date()))
    companies = {m.code: m.legal_name for m in registry.list_members(store, code, include_left=True)}
    manages = viewer.may(Action.MANAGE_BODIES, code)
    setup = _setup_context(request, store, code, body, viewer, clock, values or {}) if manages else {}
    return render(request, "governance/body.html", status=status, alliance=alliance, section="governance", body=body,
                  reads=reads, may_run=service.may(viewer.principal, Action.RUN_MEETINGS, code, body),
                  upcoming=upcoming, past=past, actions=actions, today=today, companies=companies,
                  zone=alliance.timezone, local=_local, errors=errors or {}, manages=manages, **setup,
                  values={"schedule-starts_on": "", "schedule-count": "4", "schedule-location": "", "meeting-day": "",
                          "meeting-at": f"{body.meeting_time:%H:%M}", "meeting-title": "", "meeting-location": "",
                          **(values or {})},
                  **_labels(request))


@router.get("/alliances/{code}/governance/bodies/{body_id}", response_class=HTMLResponse)
def body_page(request: Request, code: Code, body_id: Id, store: StoreDep, viewer: PageViewer,
              clock: ClockDep) -> HTMLResponse:
    # The rules form asks for the page again when a rule is picked (htmx, or its "Show the settings"
    # button without script): the choices so far come as the query and are shown, nothing is stored.
    chosen = {k: v[:200] for k, v in request.query_params.items() if k.startswith(("rule-", "param-"))}
    return _body_page(request, store, code, body_id, viewer, clock, values=chosen)


@router.post("/alliances/{code}/governance/bodies/{body_id}/schedule", response_class=HTMLResponse)
async def schedule(request: Request, code: Code, body_id: Id, store: StoreDep, viewer: PageViewer,
                   clock: ClockDep) -> Response:
    """Schedule the body's next meetings from its cadence."""
    form = await request.form()
    values = {f"schedule-{k}": str(form.get(f"schedule-{k}", ""))[:200] for k in ("starts_on", "count", "location")}
    first, count = _day(values["schedule-starts_on"]), _int(values["schedule-count"])
    errors: dict[str, Any] = {}
    if first is None:
        errors["schedule-starts_on"] = gettext_for(request)(NOT_A_DATE)
    if count is None:
        errors["schedule-count"] = gettext_for(request)(NOT_A_NUMBER)
    if not errors:
        assert first is not None and count is not None
        try:
            service.schedule(store, code, viewer.principal, body_id, first, count, clock, location=values["schedule-location"])
        except InvalidInput as exc:
            errors = _errors(exc, "schedule")
    if errors:
        return _body_page(request, store, code, body_id, viewer, clock, status=422, errors=errors, values=values)
    return RedirectResponse(f"{_base(request)}/alliances/{code}/governance/bodies/{body_id}#meetings", status_code=303)


@router.post("/alliances/{code}/governance/bodies/{body_id}/meetings", response_class=HTMLResponse)
async def add_meeting(request: Request, code: Code, body_id: Id, store: StoreDep, viewer: PageViewer,
                      clock: ClockDep) -> Response:
    """One meeting by hand (an extraordinary meeting): a day, a local time, a title and a place."""
    form = await request.form()
    values = {f"meeting-{k}": str(form.get(f"meeting-{k}", ""))[:200] for k in ("day", "at", "title", "location")}
    day = _day(values["meeting-day"])
    errors: dict[str, Any] = {}
    if day is None:
        errors["meeting-day"] = gettext_for(request)(NOT_A_DATE)
    try:
        at = time.fromisoformat(values["meeting-at"].strip())
    except ValueError:
        at = time(10, 0)
        errors["meeting-at"] = gettext_for(request)(N_("Enter a time of day (HH:MM)."))
    if not errors:
        assert day is not None
        try:
            made = service.add_meeting(store, code, viewer.principal, body_id, day, at, clock,
                                       title=values["meeting-title"], location=values["meeting-location"])
            return RedirectResponse(f"{_base(request)}/alliances/{code}/governance/meetings/{made.id}", status_code=303)
        except InvalidInput as exc:
            errors = {("meeting-day" if k == "meeting-starts_on" else k): v for k, v in _errors(exc, "meeting").items()}
    return _body_page(request, store, code, body_id, viewer, clock, status=422, errors=errors, values=values)


@router.get("/alliances/{code}/governance/bodies/{body_id}/calendar.ics")
def calendar(code: Code, body_id: Id, store: StoreDep, viewer: PageViewer, clock: ClockDep) -> Response:
    name, content = service.calendar_file(store, code, viewer.principal, body_id, clock)
    return Response(content, media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


# -- a meeting's page --------------------------------------------------------------------------------------

def _meeting_page(request: Request, store: StoreDep, code: str, meeting_id: int, viewer: Viewer, *,
                  template: str = "governance/meeting.html", status: int = 200, errors: dict[str, Any] | None = None,
                  values: dict[str, str] | None = None, clock: Clock | None = None) -> HTMLResponse:
    alliance = registry.get_alliance(store, code)
    record = service.meeting_record(store, code, viewer.principal, meeting_id)
    companies = {m.code: m.legal_name for m in registry.list_members(store, code, include_left=True)}
    signer = _signer(viewer, record, clock)
    return render(request, template, status=status, alliance=alliance, section="governance", record=record,
                  signer=signer, held=clock is not None and record.meeting.starts_at < clock.now(),
                  body=record.body, meeting=record.meeting, companies=companies, zone=alliance.timezone, local=_local,
                  errors=errors or {}, values={"agenda-title": "", "agenda-time_box": "15", "agenda-owner": "",
                                               "agenda-proposal": "", "action-title": "", "action-owner": "",
                                               "action-due_on": "", "action-agenda_item": "", **(values or {})},
                  items={i.id: i for i in record.agenda}, **_labels(request))


def _back(request: Request, code: str, meeting_id: int, anchor: str) -> RedirectResponse:
    return RedirectResponse(f"{_base(request)}/alliances/{code}/governance/meetings/{meeting_id}#{anchor}",
                            status_code=303)


@router.get("/alliances/{code}/governance/meetings/{meeting_id}", response_class=HTMLResponse)
def meeting_page(request: Request, code: Code, meeting_id: Id, store: StoreDep, viewer: PageViewer,
                 clock: ClockDep) -> HTMLResponse:
    return _meeting_page(request, store, code, meeting_id, viewer, clock=clock)


@router.get("/alliances/{code}/governance/meetings/{meeting_id}/print", response_class=HTMLResponse)
def print_minutes(request: Request, code: Code, meeting_id: Id, store: StoreDep, viewer: PageViewer,
                  clock: ClockDep) -> HTMLResponse:
    """Minutes and attendance as a page to print (or save as PDF from the browser's print dialog)."""
    return _meeting_page(request, store, code, meeting_id, viewer, template="governance/print.html", clock=clock)


@router.post("/alliances/{code}/governance/meetings/{meeting_id}/agenda", response_class=HTMLResponse)
async def add_agenda_item(request: Request, code: Code, meeting_id: Id, store: StoreDep, viewer: PageViewer) -> Response:
    form = await request.form()
    values = {f"agenda-{k}": str(form.get(f"agenda-{k}", ""))[:400] for k in ("title", "time_box", "owner", "proposal")}
    time_box = _int(values["agenda-time_box"])
    if time_box is None:
        errors: dict[str, Any] = {"agenda-time_box": gettext_for(request)(NOT_A_NUMBER)}
    else:
        try:
            service.add_agenda_item(store, code, viewer.principal, meeting_id, title=values["agenda-title"],
                                    time_box=time_box, owner=values["agenda-owner"],
                                    proposal=values["agenda-proposal"] or None)
            return _back(request, code, meeting_id, "agenda")
        except InvalidInput as exc:
            errors = _errors(exc, "agenda")
    return _meeting_page(request, store, code, meeting_id, viewer, status=422, errors=errors, values=values)


@router.post("/alliances/{code}/governance/meetings/{meeting_id}/minutes/{item_id}", response_class=HTMLResponse)
async def write_minutes(request: Request, code: Code, meeting_id: Id, item_id: Id, store: StoreDep,
                        viewer: PageViewer) -> Response:
    form = await request.form()
    text = str(form.get("minutes", ""))[:40_000]
    try:
        service.write_minutes(store, code, viewer.principal, meeting_id, item_id, text)
    except InvalidInput as exc:
        return _meeting_page(request, store, code, meeting_id, viewer, status=422,
                             errors={f"minutes-{item_id}": exc.problems[0].reason if exc.problems else exc.message})
    return _back(request, code, meeting_id, f"item-{item_id}")


@router.post("/alliances/{code}/governance/meetings/{meeting_id}/attendance", response_class=HTMLResponse)
async def record_attendance(request: Request, code: Code, meeting_id: Id, store: StoreDep,
                            viewer: PageViewer) -> Response:
    """The whole sheet at once: a presence (and a proxy holder) per seat of the body."""
    form = await request.form()
    record = service.meeting_record(store, code, viewer.principal, meeting_id)
    changes = [(s.member, str(form.get(f"presence-{s.member}", "")), str(form.get(f"proxy-{s.member}", "")) or None)
               for s in record.body.seats if form.get(f"presence-{s.member}")]
    try:
        service.record_attendance(store, code, viewer.principal, meeting_id, changes)
    except InvalidInput as exc:
        errors: dict[str, Any] = {}
        for p in exc.problems:
            member = next((s.member for s in record.body.seats if p.where == Message("attendance of {member}",
                                                                                      member=s.member)), "")
            errors.setdefault(f"attendance-{member}" if member else "attendance", p.reason)
        return _meeting_page(request, store, code, meeting_id, viewer, status=422, errors=errors,
                             values={f"presence-{m}": p or "" for m, p, _ in changes}
                             | {f"proxy-{m}": h or "" for m, _, h in changes})
    return _back(request, code, meeting_id, "attendance")


@router.post("/alliances/{code}/governance/meetings/{meeting_id}/actions", response_class=HTMLResponse)
async def add_action(request: Request, code: Code, meeting_id: Id, store: StoreDep, viewer: PageViewer,
                     clock: ClockDep) -> Response:
    form = await request.form()
    values = {f"action-{k}": str(form.get(f"action-{k}", ""))[:400] for k in ("title", "owner", "due_on", "agenda_item")}
    errors: dict[str, Any] = {}
    due = _day(values["action-due_on"])
    if due is None:
        errors["action-due_on"] = gettext_for(request)(NOT_A_DATE)
    item = _int(values["action-agenda_item"]) if values["action-agenda_item"].strip() else None
    if not errors:
        assert due is not None
        try:
            service.add_action(store, code, viewer.principal, meeting_id, title=values["action-title"],
                               owner=values["action-owner"], due_on=due, clock=clock, agenda_item_id=item)
            return _back(request, code, meeting_id, "actions")
        except InvalidInput as exc:
            errors = _errors(exc, "action")
    return _meeting_page(request, store, code, meeting_id, viewer, status=422, errors=errors, values=values)


@router.post("/alliances/{code}/governance/actions/{action_id}", response_class=HTMLResponse)
async def action_status(request: Request, code: Code, action_id: Id, store: StoreDep, viewer: PageViewer,
                        clock: ClockDep) -> Response:
    form = await request.form()
    changed = service.set_action_status(store, code, viewer.principal, action_id, str(form.get("status", ""))[:16],
                                        clock)
    return _back(request, code, changed.meeting_id, "actions")



# -- a body's seats and decision rules, set up from forms (the coordinator) -------------------------------

BASE_LABELS = {Base.VOTES_CAST: N_("the votes cast (yes and no)"), Base.MEMBERS_PRESENT: N_("the members present"),
               Base.ALL_MEMBERS: N_("all members")}
TYPE_LABELS = {"admit_member": N_("Admit a member"), "change_agreement": N_("Change an agreement"),
               "approve_budget": N_("Approve a budget"), "sanction": N_("Sanction"), "ruling": N_("Ruling"),
               "dissolve": N_("Dissolve the alliance"), "change_status": N_("Change the alliance's state"),
               "other": N_("Other proposals"), "exclude_member": N_("Exclude a member"),
               "confirm_milestone": N_("Confirm a project milestone")}
assert set(TYPE_LABELS) == PROPOSAL_TYPES, "every proposal type has its label"
TYPES = [t for t in TYPE_LABELS]  # in the order a coordinator reads them
NEW = "new"  # the key of the form's row that adds a seat


def _member_accounts(store: StoreDep, code: str, viewer: Viewer, clock: Clock) -> dict[str, list[str]]:
    """Member code -> the user names of its member admins (who may sit for it and run or sign), as the
    viewer manages them (a coordinator: its alliance's people)."""
    from alliance.access import people

    try:
        found = people.people(store, viewer.principal, clock)
    except AllianceError:
        return {}
    accounts: dict[str, list[str]] = {}
    for person in found:
        for g in person.grants:
            if g.alliance == code and g.member and g.role == "member_admin" and not person.disabled:
                accounts.setdefault(g.member, []).append(person.username)
    return accounts


def _text_of(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else ""
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return "" if value is None else str(value)


def _setup_context(request: Request, store: StoreDep, code: str, body: Body, viewer: Viewer, clock: Clock,
                   values: dict[str, str]) -> dict[str, Any]:
    """What the seat and rule forms show: the members, their accounts, the rules and their parameters,
    with the values stored (or those just refused, or picked in the form so far)."""
    gettext = gettext_for(request)
    members = registry.list_members(store, code)
    chosen: dict[str, str] = {}
    params: dict[str, str] = {}
    for kind in TYPES:
        stored = body.rules.get(kind)
        chosen[kind] = values.get(f"rule-{kind}", stored.rule if stored else "")
        for rule in RULES.values():
            for p in rule.parameters:
                key = f"param-{kind}-{p.name}"
                if key in values:
                    params[key] = values[key]
                elif stored is not None and stored.rule == rule.kind and p.name in stored.params:
                    params[key] = _text_of(stored.params[p.name])
    return {"members": members, "accounts": _member_accounts(store, code, viewer, clock), "rules": RULES,
            "types": TYPES, "type_labels": {k: gettext(v) for k, v in TYPE_LABELS.items()},
            "base_labels": {k.value: gettext(v) for k, v in BASE_LABELS.items()}, "chosen_rules": chosen,
            "params": params, "kinds": Kind, "seat_values": values, "NEW": NEW,
            "default_text": lambda p: _text_of(p.default.value if isinstance(p.default, Base) else
                                               rules_text(p.default))}


@router.post("/alliances/{code}/governance/bodies/{body_id}/seats", response_class=HTMLResponse)
async def set_seats(request: Request, code: Code, body_id: Id, store: StoreDep, viewer: PageViewer,
                    clock: ClockDep) -> Response:
    """Replace the body's seats from the form: each seat kept (its role and person changed) or removed,
    and optionally one added. Refused seats are shown with their problem beside them; nothing stored."""
    form = await request.form()
    body = service.get_body(store, code, viewer.principal, body_id)
    values = {k: str(v)[:200] for k, v in form.items() if k.startswith("seat-")}
    rows: list[tuple[str, tuple[str, str, str | None]]] = []
    for s in body.seats:
        if form.get(f"seat-remove-{s.member}"):
            continue
        rows.append((s.member, (s.member, values.get(f"seat-role-{s.member}", s.role.value),
                                values.get(f"seat-person-{s.member}", "") or None)))
    if values.get(f"seat-member-{NEW}", "").strip():
        rows.append((NEW, (values[f"seat-member-{NEW}"], values.get(f"seat-role-{NEW}", ""),
                           values.get(f"seat-person-{NEW}", "") or None)))
    errors: dict[str, Any] = {}
    accounts = _member_accounts(store, code, viewer, clock)
    for key, (member, _, person) in rows:
        if person is not None and person not in accounts.get(member.strip(), []):
            errors[f"seat-person-{key}"] = Message("{person!r} is not an account of a member admin of {member}",
                                                   person=person, member=member)
    if not errors:
        try:
            service.set_seats(store, code, viewer.principal, body_id, [seat for _, seat in rows])
        except InvalidInput as exc:
            for p in exc.problems:
                key = next((k for n, (k, _) in enumerate(rows, start=1) if p.where == Message("seat {n}", n=n)), None)
                name = f"seat-{p.field}-{key}" if key is not None and p.field in ("member", "role", "person") else "seats"
                errors.setdefault(name, p.reason if name != "seats" else p.text())
            if not errors:
                errors["seats"] = exc.message
    if errors:
        return _body_page(request, store, code, body_id, viewer, clock, status=422, errors=errors, values=values)
    return RedirectResponse(f"{_base(request)}/alliances/{code}/governance/bodies/{body_id}#seats", status_code=303)


def _rules_from_form(form: Any, members: set[str]) -> tuple[dict[str, Any], dict[str, str], dict[str, Any]]:
    """(decision rules as the service takes them, the values to show again, problems per field) from
    the rules form: per proposal type a rule and the parameters of that rule only."""
    values: dict[str, str] = {}
    rules: dict[str, Any] = {}
    errors: dict[str, Any] = {}
    for kind in TYPES:
        name = str(form.get(f"rule-{kind}", ""))[:64].strip()
        values[f"rule-{kind}"] = name
        if not name:
            continue
        rule = RULES.get(name)
        if rule is None:
            errors[f"rule-{kind}"] = Message("{name!r} is not a decision rule (one of {rules})", name=name,
                                             rules=", ".join(sorted(RULES)))
            continue
        params: dict[str, Any] = {}
        for p in rule.parameters:
            key = f"param-{kind}-{p.name}"
            if p.kind is Kind.MEMBERS:
                picked = sorted({str(m)[:32] for m in form.getlist(key)})
                values[key] = ",".join(picked)
                if picked:
                    params[p.name] = ",".join(picked)
                strangers = [m for m in picked if m not in members]
                if strangers:
                    errors[key] = Message("{members} has no seat in this body", members=", ".join(strangers))
            elif p.kind is Kind.BOOL:
                values[key] = "true" if form.get(key) else ""
                if form.get(key):
                    params[p.name] = "true"
            else:
                text = str(form.get(key, ""))[:200].strip()
                values[key] = text
                if text:
                    params[p.name] = text
        try:
            rule_from_params(name, params)
        except RuleInvalid as exc:
            for problem in exc.problems:
                field = str(problem.where).removeprefix("rule.")
                target = f"param-{kind}-{field}" if any(p.name == field for p in rule.parameters) else f"rule-{kind}"
                errors.setdefault(target, problem.reason)
        rules[kind] = {"rule": name, "params": params}
    return rules, values, errors


@router.post("/alliances/{code}/governance/bodies/{body_id}/rules", response_class=HTMLResponse)
async def set_rules(request: Request, code: Code, body_id: Id, store: StoreDep, viewer: PageViewer,
                    clock: ClockDep) -> Response:
    """Replace the body's decision rules from the form (a rule per proposal type, none: not decided by
    this body); each refused parameter is shown beside its field and nothing is stored."""
    form = await request.form()
    body = service.get_body(store, code, viewer.principal, body_id)
    rules, values, errors = _rules_from_form(form, set(body.members))
    if not errors:
        try:
            service.set_rules(store, code, viewer.principal, body_id, rules)
        except InvalidInput as exc:
            for p in exc.problems:
                kind = next((k for k in TYPES if p.where == Message("decision rule for {kind}", kind=k)), None)
                errors.setdefault(f"rule-{kind}" if kind else "rules", p.reason)
            errors = errors or {"rules": exc.message}
    if errors:
        return _body_page(request, store, code, body_id, viewer, clock, status=422, errors=errors, values=values)
    return RedirectResponse(f"{_base(request)}/alliances/{code}/governance/bodies/{body_id}#rules", status_code=303)


# -- signing off the minutes -----------------------------------------------------------------------------

def _signer(viewer: Viewer, record: service.MeetingRecord, clock: Clock | None) -> str | None:
    """The member this viewer may sign the minutes for now (None: no form to show)."""
    member = service.signer_for(viewer.principal)
    if member is None or clock is None:
        return None
    try:
        signoff.check_signer(record.body, member, viewer.principal.subject, record.meeting, clock.now(),
                             [s.signoff for s in record.signoffs], record.sha256)
    except AllianceError:
        return None
    return member


@router.post("/alliances/{code}/governance/meetings/{meeting_id}/signoff", response_class=HTMLResponse)
async def sign_minutes(request: Request, code: Code, meeting_id: Id, store: StoreDep, viewer: PageViewer,
                       clock: ClockDep) -> Response:
    """Sign the minutes and attendance as they are now, for the viewer's own member."""
    await request.form()
    try:
        service.sign_minutes(store, code, viewer.principal, meeting_id, clock)
    except NotFound:
        raise
    except AllianceError as exc:
        return _meeting_page(request, store, code, meeting_id, viewer, status=exc.status,
                             errors={"signoff": exc.message}, clock=clock)
    return _back(request, code, meeting_id, "signoff")


@router.get("/alliances/{code}/governance/meetings/{meeting_id}/minutes.json")
def minutes_json(code: Code, meeting_id: Id, store: StoreDep, viewer: PageViewer) -> Response:
    """The canonical document of the minutes and attendance (RFC 8785): what a sign-off's SHA-256 is of."""
    content = service.minutes_document(store, code, viewer.principal, meeting_id)
    return Response(content, media_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{code}-meeting-{meeting_id}-minutes.json"',
                             "X-Minutes-SHA256": hashlib.sha256(content).hexdigest()})
