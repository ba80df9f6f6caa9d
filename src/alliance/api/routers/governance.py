"""Governance bodies and their meetings over HTTP: bodies, seats and decision rules; meetings with
their agenda, attendance, minutes and action items; a body's calendar as iCalendar.

Routes are authorised by edge.routes (the action) and again by the service, per body (a member
role reaches the meetings of the bodies its member sits in, and runs them as chair or secretary).
"""

from __future__ import annotations

from datetime import date, time
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Response
from pydantic import Field

from alliance.api.schemas import Body, Day
from alliance.edge.deps import ClockDep, Code, Id, PrincipalDep, StoreDep
from alliance.edge.problems import PROBLEM_JSON
from alliance.governance import service_meetings as service
from alliance.governance.bodies import Body as GovBody
from alliance.governance.meetings import ActionItem, AgendaItem, Meeting
from alliance.governance import service_weights
from alliance.governance.weight_table import exact_text

router = APIRouter(tags=["governance"])
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": {PROBLEM_JSON: {}}}
    for code, text in ((403, "forbidden"), (404, "not found"), (409, "conflict"), (422, "invalid input"))
}
Text = Annotated[str, Field(max_length=200)]


class SeatIn(Body):
    member: str = Field(min_length=1, max_length=32)
    role: str = Field(max_length=16, description="chair, secretary, member or observer")
    person: str | None = Field(default=None, max_length=100, description="the user name sitting for the member")


class BodyIn(Body):
    name: str = Field(max_length=100)
    kind: str = Field(max_length=32, description="joint_committee, working_group or arbitration_panel")
    term_from: Day
    term_to: Day | None = None
    cadence: str = Field(max_length=32, description="weekly, biweekly, monthly, quarterly, half_yearly or yearly")
    meeting_time: time = Field(default=time(10, 0), description="HH:MM in the alliance's time zone")
    duration_minutes: int = Field(default=120, ge=-10_000, le=10_000)
    seats: list[SeatIn] = Field(default_factory=list, max_length=500)
    rules: dict[str, Any] = Field(default_factory=dict, description='{"approve_budget": {"rule": "two_thirds", '
                                                                    '"params": {"quorum": "0.5"}}}')


class SeatsIn(Body):
    seats: list[SeatIn] = Field(max_length=500)


class RulesIn(Body):
    rules: dict[str, Any]


class ScheduleIn(Body):
    first: Day
    count: int = Field(default=4, ge=-1000, le=1000)
    location: Text = ""


class MeetingIn(Body):
    day: Day
    at: time
    title: Text = ""
    location: Text = ""
    duration_minutes: int | None = Field(default=None, ge=-10_000, le=10_000)


class AgendaIn(Body):
    title: Text
    time_box: int = Field(ge=-10_000, le=10_000, description="minutes (1 to 480)")
    owner: str = Field(default="", max_length=32)
    proposal: str | None = Field(default=None, max_length=64)


class MinutesIn(Body):
    minutes: str = Field(max_length=20_000)


class PresenceIn(Body):
    member: str = Field(max_length=32)
    presence: str = Field(max_length=16, description="present, proxy or absent")
    proxy: str | None = Field(default=None, max_length=32, description="the member holding the proxy")


class AttendanceIn(Body):
    entries: list[PresenceIn] = Field(max_length=500)


class ActionIn(Body):
    title: Text
    owner: str = Field(max_length=32)
    due_on: Day
    agenda_item: int | None = Field(default=None, ge=1, le=2_147_483_647)
    decision: str | None = Field(default=None, max_length=64)


class ActionStatusIn(Body):
    status: str = Field(max_length=16, description="open, done or cancelled")


def body_record(b: GovBody) -> dict[str, Any]:
    return {"id": b.id, "name": b.name, "kind": b.kind.value, "term_from": b.term_from.isoformat(),
            "term_to": b.term_to.isoformat() if b.term_to else None, "cadence": b.cadence,
            "meeting_time": f"{b.meeting_time:%H:%M}", "duration_minutes": b.duration_minutes,
            "seats": [{"member": s.member, "role": s.role.value, "person": s.person} for s in b.seats],
            "rules": {k: c.to_mapping() for k, c in sorted(b.rules.items())}}


def meeting_record(m: Meeting, zone: str | None = None) -> dict[str, Any]:
    out = {"id": m.id, "body": m.body_id, "title": m.title, "starts_at": m.starts_at.isoformat(),
           "duration_minutes": m.duration_minutes, "location": m.location, "origin": m.origin.value}
    if zone:
        out["local_start"] = m.starts_at.astimezone(ZoneInfo(zone)).isoformat()
    return out


def item_record(i: AgendaItem) -> dict[str, Any]:
    return {"id": i.id, "position": i.position, "title": i.title, "time_box": i.time_box, "owner": i.owner or None,
            "proposal": i.proposal, "minutes": i.minutes}


def action_record(a: ActionItem, today: date | None = None) -> dict[str, Any]:
    out = {"id": a.id, "body": a.body_id, "meeting": a.meeting_id, "agenda_item": a.agenda_item_id,
           "decision": a.decision, "title": a.title, "owner": a.owner, "due_on": a.due_on.isoformat(),
           "status": a.status.value, "closed_at": a.closed_at.isoformat() if a.closed_at else None}
    if today is not None:
        out["overdue"] = a.overdue(today)
    return out


def _seats(seats: list[SeatIn]) -> list[tuple[str, str, str | None]]:
    return [(s.member, s.role, s.person) for s in seats]


@router.get("/alliances/{code}/bodies", responses=ERRORS)
def list_bodies(code: Code, store: StoreDep, principal: PrincipalDep) -> dict[str, Any]:
    """Every body of the alliance with its seats (every role of the alliance reads the directory)."""
    return {"bodies": [body_record(b) for b in service.list_bodies(store, code, principal)]}


@router.post("/alliances/{code}/bodies", status_code=201, responses=ERRORS)
def create_body(code: Code, body: BodyIn, store: StoreDep, principal: PrincipalDep, clock: ClockDep) -> dict[str, Any]:
    """Set up a body: kind, term, cadence, seats and decision rules per proposal type."""
    return body_record(service.create_body(
        store, code, principal, name=body.name, kind=body.kind, term_from=body.term_from, term_to=body.term_to,
        cadence=body.cadence, meeting_time=body.meeting_time, duration_minutes=body.duration_minutes,
        seats=_seats(body.seats), rules=body.rules, clock=clock))


@router.get("/alliances/{code}/bodies/{body_id}", responses=ERRORS)
def get_body(code: Code, body_id: Id, store: StoreDep, principal: PrincipalDep) -> dict[str, Any]:
    return body_record(service.get_body(store, code, principal, body_id))


@router.put("/alliances/{code}/bodies/{body_id}/seats", responses=ERRORS)
def set_seats(code: Code, body_id: Id, body: SeatsIn, store: StoreDep, principal: PrincipalDep) -> dict[str, Any]:
    return body_record(service.set_seats(store, code, principal, body_id, _seats(body.seats)))


@router.put("/alliances/{code}/bodies/{body_id}/rules", responses=ERRORS)
def set_rules(code: Code, body_id: Id, body: RulesIn, store: StoreDep, principal: PrincipalDep) -> dict[str, Any]:
    return body_record(service.set_rules(store, code, principal, body_id, body.rules))


@router.get("/alliances/{code}/bodies/{body_id}/meetings", responses=ERRORS)
def body_meetings(code: Code, body_id: Id, store: StoreDep, principal: PrincipalDep, clock: ClockDep) -> dict[str, Any]:
    """The body's upcoming and past meetings (a member without a seat in the body: 404)."""
    upcoming, past = service.body_meetings(store, code, principal, body_id, clock)
    return {"upcoming": [meeting_record(m) for m in upcoming], "past": [meeting_record(m) for m in past]}


@router.post("/alliances/{code}/bodies/{body_id}/schedule", status_code=201, responses=ERRORS)
def schedule(code: Code, body_id: Id, body: ScheduleIn, store: StoreDep, principal: PrincipalDep,
             clock: ClockDep) -> dict[str, Any]:
    """The next `count` meetings from `first` on, at the body's cadence and meeting time (none in the past)."""
    made = service.schedule(store, code, principal, body_id, body.first, body.count, clock, location=body.location)
    return {"meetings": [meeting_record(m) for m in made]}


@router.post("/alliances/{code}/bodies/{body_id}/meetings", status_code=201, responses=ERRORS)
def add_meeting(code: Code, body_id: Id, body: MeetingIn, store: StoreDep, principal: PrincipalDep,
                clock: ClockDep) -> dict[str, Any]:
    """One meeting by hand, at local `at` on `day` in the alliance's time zone."""
    return meeting_record(service.add_meeting(store, code, principal, body_id, body.day, body.at, clock,
                                              title=body.title, location=body.location,
                                              duration_minutes=body.duration_minutes))


@router.get("/alliances/{code}/bodies/{body_id}/calendar.ics", responses={**ERRORS, 200: {"content": {"text/calendar": {}}}})
def calendar(code: Code, body_id: Id, store: StoreDep, principal: PrincipalDep, clock: ClockDep) -> Response:
    """The body's upcoming meetings and open action items' due dates as iCalendar (RFC 5545)."""
    name, content = service.calendar_file(store, code, principal, body_id, clock)
    return Response(content, media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/alliances/{code}/meetings/{meeting_id}", responses=ERRORS)
def get_meeting(code: Code, meeting_id: Id, store: StoreDep, principal: PrincipalDep) -> dict[str, Any]:
    """A meeting with its agenda and minutes, attendance and action items."""
    r = service.meeting_record(store, code, principal, meeting_id)
    return {**meeting_record(r.meeting, r.timezone), "agenda": [item_record(i) for i in r.agenda],
            "attendance": [{"member": a.member, "presence": a.presence.value, "proxy": a.proxy}
                           for a in r.attendance.values()],
            "actions": [action_record(a) for a in r.actions]}


@router.post("/alliances/{code}/meetings/{meeting_id}/agenda", status_code=201, responses=ERRORS)
def add_agenda_item(code: Code, meeting_id: Id, body: AgendaIn, store: StoreDep, principal: PrincipalDep) -> dict[str, Any]:
    return item_record(service.add_agenda_item(store, code, principal, meeting_id, title=body.title,
                                               time_box=body.time_box, owner=body.owner, proposal=body.proposal))


@router.put("/alliances/{code}/meetings/{meeting_id}/agenda/{item_id}/minutes", responses=ERRORS)
def write_minutes(code: Code, meeting_id: Id, item_id: Id, body: MinutesIn, store: StoreDep,
                  principal: PrincipalDep) -> dict[str, Any]:
    return item_record(service.write_minutes(store, code, principal, meeting_id, item_id, body.minutes))


@router.put("/alliances/{code}/meetings/{meeting_id}/attendance", responses=ERRORS)
def record_attendance(code: Code, meeting_id: Id, body: AttendanceIn, store: StoreDep,
                      principal: PrincipalDep) -> dict[str, Any]:
    """Record present / proxy / absent for members of the body (merged with what was recorded)."""
    sheet = service.record_attendance(store, code, principal, meeting_id,
                                      [(e.member, e.presence, e.proxy) for e in body.entries])
    return {"attendance": [{"member": a.member, "presence": a.presence.value, "proxy": a.proxy} for a in sheet.values()]}


@router.post("/alliances/{code}/meetings/{meeting_id}/actions", status_code=201, responses=ERRORS)
def add_action(code: Code, meeting_id: Id, body: ActionIn, store: StoreDep, principal: PrincipalDep,
               clock: ClockDep) -> dict[str, Any]:
    return action_record(service.add_action(store, code, principal, meeting_id, title=body.title, owner=body.owner,
                                            due_on=body.due_on, clock=clock, agenda_item_id=body.agenda_item,
                                            decision=body.decision))


@router.get("/alliances/{code}/actions", responses=ERRORS)
def list_actions(code: Code, store: StoreDep, principal: PrincipalDep, clock: ClockDep,
                 body: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
                 member: Annotated[str | None, Query(max_length=32)] = None) -> dict[str, Any]:
    """Open action items of the bodies the caller sees, each marked overdue or not, with the counts
    of open and overdue items per member and per body."""
    found = service.overview(store, code, principal, clock)
    actions, today = service.open_actions(store, code, principal, clock, body_id=body, member=member)
    return {"today": today.isoformat(), "actions": [action_record(a, today) for a in actions],
            "by_member": {m: {"open": c.open, "overdue": c.overdue} for m, c in sorted(found.by_member.items())},
            "by_body": {str(b): {"open": c.open, "overdue": c.overdue} for b, c in sorted(found.by_body.items())}}


@router.patch("/alliances/{code}/actions/{action_id}", responses=ERRORS)
def set_action_status(code: Code, action_id: Id, body: ActionStatusIn, store: StoreDep, principal: PrincipalDep,
                      clock: ClockDep) -> dict[str, Any]:
    return action_record(service.set_action_status(store, code, principal, action_id, body.status, clock))


# -- voting weights (governance.service_weights) -------------------------------------------------------------

class WeightIn(Body):
    member: str = Field(max_length=32)
    # Text ("45", "12.5") or a whole number; a JSON float is taken only to be refused by name, as
    # binary floats have already lost the value written.
    weight: Annotated[str, Field(max_length=64)] | int | float = Field(
        description='an exact decimal as text, e.g. "45" or "12.5" (at most 4 places)')


class WeightsIn(Body):
    weights: list[WeightIn] = Field(max_length=2000, description="the whole table: every member once")


def _weights_text(weights: dict[str, Any]) -> dict[str, str]:
    return {member: exact_text(w) for member, w in sorted(weights.items())}


def table_record(table: list[Any]) -> list[dict[str, Any]]:
    return [{"member": w.member, "weight": w.weight, "set_by": w.set_by, "set_at": w.set_at.isoformat()}
            for w in table]


@router.get("/alliances/{code}/weights", responses=ERRORS)
def get_weights(code: Code, store: StoreDep, principal: PrincipalDep, clock: ClockDep,
                source: Annotated[str | None, Query(max_length=32, description="table, settled or equal")] = None,
                on: Annotated[Day | None, Query(description="the day a vote would open (default today)")] = None
                ) -> dict[str, Any]:
    """The alliance's voting weights: the explicit table, what each source gives today (or why not) and
    the table's history; with `source`, only that source's weights on `on` (422 weights_unavailable
    when it has none). Weights are exact text ("30.5", "1/3")."""
    if source is not None:
        found = service_weights.source_weights(store, code, principal, source, clock, on=on)
        return {"source": source.strip(), "weights": _weights_text(found)}
    view = service_weights.weights_view(store, code, principal, clock)
    return {
        "today": view.today.isoformat(), "table": table_record(view.table), "unweighted": view.unweighted,
        "sources": {s.source.key: {"weights": None if s.weights is None else _weights_text(s.weights),
                                   "shares": _weights_text(s.shares) if s.weights is not None else None,
                                   "unavailable": s.unavailable} for s in view.sources},
        "history": [{"entry": c.index, "at": c.at.isoformat(), "actor": c.actor,
                     "weights": [{"member": m, "weight": w} for m, w in c.weights],
                     "before": [{"member": m, "weight": w} for m, w in c.before]} for c in view.history],
    }


@router.put("/alliances/{code}/weights", responses=ERRORS)
def put_weights(code: Code, body: WeightsIn, store: StoreDep, principal: PrincipalDep, clock: ClockDep) -> dict[str, Any]:
    """Replace the explicit weight table as a whole (the coordinator or a platform admin); recorded in the
    ledger. Every problem at once (422 vote_weights_invalid); nothing is stored then."""
    table = service_weights.set_weight_table(store, code, principal, [(w.member, w.weight) for w in body.weights], clock)
    return {"table": table_record(table)}
# -- minutes sign-off (governance.signoff) ------------------------------------------------------------------

class SignOffIn(Body):
    member: str | None = Field(default=None, max_length=32,
                               description="the member signing (default: the caller's own; another member's: 404)")


def signoff_record(state: Any) -> dict[str, Any]:
    s = state.signoff
    return {"id": s.id, "meeting": s.meeting_id, "member": s.member, "sha256": s.sha256, "account": s.account,
            "signed_at": s.signed_at.isoformat(), "current": state.current}


@router.post("/alliances/{code}/meetings/{meeting_id}/signoff", status_code=201, responses=ERRORS)
def sign_minutes(code: Code, meeting_id: Id, store: StoreDep, principal: PrincipalDep, clock: ClockDep,
                 body: SignOffIn | None = None) -> dict[str, Any]:
    """Sign the meeting's minutes and attendance for your member (a voting seat in the body, after the
    meeting): the SHA-256 of their canonical document is kept and recorded in the ledger."""
    made = service.sign_minutes(store, code, principal, meeting_id, clock, member=body.member if body else None)
    return signoff_record(service.signoff.SignOffState(made, True))


@router.get("/alliances/{code}/meetings/{meeting_id}/signoffs", responses=ERRORS)
def minutes_signoffs(code: Code, meeting_id: Id, store: StoreDep, principal: PrincipalDep) -> dict[str, Any]:
    """Every sign-off of the minutes, each marked `current` or signed on an earlier version, with the
    SHA-256 of the minutes document now."""
    sha256, found = service.minutes_signoffs(store, code, principal, meeting_id)
    return {"meeting": meeting_id, "sha256": sha256, "signoffs": [signoff_record(s) for s in found]}
