"""Incidents over HTTP: report, list, show; the responders' acts (status, updates, checklist ticks,
roles, the closing review); comments; the alliance's SOP checklists and response clocks. The service
decides per incident who sees it (404 for anyone else) and who responds (403)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter
from pydantic import Field

from alliance.api.schemas import Body, Day
from alliance.edge.deps import ClockDep, Code, Id, PrincipalDep, StoreDep
from alliance.edge.problems import PROBLEM_JSON
from alliance.health.incidents import engine
from alliance.health.incidents import service as incidents

router = APIRouter(tags=["incidents"])
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": {PROBLEM_JSON: {}}}
    for code, text in ((403, "not a responder"), (404, "not found"), (409, "not allowed in this status"),
                       (422, "invalid input"))
}
TEXT = Field(max_length=engine.TEXT_LIMIT)


class IncidentIn(Body):
    title: str = Field(max_length=engine.TITLE_LIMIT)
    kind: str = Field(max_length=32, description="user_complaint, system_failure, contract_dispute, supplier_risk, other")
    severity: str = Field(max_length=8, description="SEV1 (worst), SEV2 or SEV3")
    members: list[str] = Field(default_factory=list, max_length=200, description="The members it concerns.")
    lead: str | None = Field(default=None, max_length=150, description="An account of the alliance (coordinator only).")
    scribe: str | None = Field(default=None, max_length=150)


class StatusIn(Body):
    status: str = Field(max_length=16, description="acknowledged, mitigated, resolved or closed")
    note: str = Field(default="", max_length=engine.TEXT_LIMIT)


class TextIn(Body):
    text: str = TEXT


class TickIn(Body):
    step: int = Field(ge=1, le=engine.MAX_STEPS)
    done: bool = True


class RoleIn(Body):
    role: str = Field(max_length=16, description="lead or scribe")
    person: str | None = Field(default=None, max_length=150, description="An account of the alliance; empty: nobody.")


class ActionIn(Body):
    title: str = Field(max_length=engine.TITLE_LIMIT)
    owner: str = Field(max_length=32, description="A member code.")
    due_on: Day


class ReviewIn(Body):
    summary: str = TEXT
    causes: str = TEXT
    went_well: str = Field(default="", max_length=engine.TEXT_LIMIT)
    went_badly: str = Field(default="", max_length=engine.TEXT_LIMIT)
    actions: list[ActionIn] = Field(default_factory=list, max_length=engine.MAX_ACTIONS)
    meeting_id: int | None = Field(default=None, ge=1, le=2_147_483_647,
                                   description="Make the action items this meeting's governance action items.")


class StepIn(Body):
    en: str = Field(default="", max_length=engine.STEP_LIMIT)
    zh: str = Field(default="", max_length=engine.STEP_LIMIT)


class SopIn(Body):
    kind: str = Field(max_length=32)
    steps: list[StepIn] = Field(max_length=engine.MAX_STEPS)


class ClockIn(Body):
    priority: int = Field(ge=1, le=9)
    acknowledge_minutes: int = Field(ge=1, le=engine.MAX_CLOCK_MINUTES)
    resolve_minutes: int = Field(ge=1, le=engine.MAX_CLOCK_MINUTES)


def _settings(found: incidents.Settings) -> dict[str, Any]:
    return {"sops": {k: {"version": v, "steps": [s.as_json() for s in steps]} for k, (v, steps) in found.sops.items()},
            "clocks": {f"P{p}": c.as_json() for p, c in sorted(found.clocks.items())}}


@router.get("/alliances/{code}/incidents", responses=ERRORS)
def list_incidents(code: Code, store: StoreDep, clock: ClockDep, principal: PrincipalDep,
                   status: str | None = None) -> dict[str, Any]:
    """The incidents you may see, most urgent first (priority, severity, oldest)."""
    return {"incidents": [v.as_json() for v in incidents.list_incidents(store, code, principal, clock, status=status)]}


@router.post("/alliances/{code}/incidents", responses=ERRORS, status_code=201)
def open_incident(code: Code, body: IncidentIn, store: StoreDep, clock: ClockDep,
                  principal: PrincipalDep) -> dict[str, Any]:
    return incidents.open_incident(store, code, principal, clock, title=body.title, kind=body.kind,
                                   severity=body.severity, members=body.members, lead=body.lead,
                                   scribe=body.scribe).as_json()


@router.get("/alliances/{code}/incidents/settings", responses=ERRORS)
def settings(code: Code, store: StoreDep, principal: PrincipalDep) -> dict[str, Any]:
    """The SOP checklist per kind (with its version) and the response clock per priority."""
    return _settings(incidents.settings(store, code, principal))


@router.put("/alliances/{code}/incidents/sops", responses=ERRORS)
def set_sop(code: Code, body: SopIn, store: StoreDep, clock: ClockDep, principal: PrincipalDep) -> dict[str, Any]:
    """Save a kind's SOP as a new version (incidents already open keep theirs)."""
    version = incidents.set_sop(store, code, body.kind, [s.model_dump() for s in body.steps], principal, clock)
    return {"kind": body.kind, "version": version}


@router.put("/alliances/{code}/incidents/clocks", responses=ERRORS)
def set_clock(code: Code, body: ClockIn, store: StoreDep, clock: ClockDep, principal: PrincipalDep) -> dict[str, Any]:
    found = incidents.set_clock(store, code, body.priority, body.acknowledge_minutes, body.resolve_minutes,
                                principal, clock)
    return {"priority": body.priority, **found.as_json()}


@router.get("/alliances/{code}/incidents/{number}", responses=ERRORS)
def show(code: Code, number: Id, store: StoreDep, clock: ClockDep, principal: PrincipalDep) -> dict[str, Any]:
    return incidents.show(store, code, number, principal, clock).as_json()


@router.post("/alliances/{code}/incidents/{number}/status", responses=ERRORS)
def move(code: Code, number: Id, body: StatusIn, store: StoreDep, clock: ClockDep,
         principal: PrincipalDep) -> dict[str, Any]:
    return incidents.move(store, code, number, body.status, principal, clock, note=body.note).as_json()


@router.post("/alliances/{code}/incidents/{number}/updates", responses=ERRORS)
def post_update(code: Code, number: Id, body: TextIn, store: StoreDep, clock: ClockDep,
                principal: PrincipalDep) -> dict[str, Any]:
    """A status update, published to everyone who sees the incident."""
    return incidents.post_update(store, code, number, body.text, principal, clock).as_json()


@router.post("/alliances/{code}/incidents/{number}/comments", responses=ERRORS)
def comment(code: Code, number: Id, body: TextIn, store: StoreDep, clock: ClockDep,
            principal: PrincipalDep) -> dict[str, Any]:
    return incidents.comment(store, code, number, body.text, principal, clock).as_json()


@router.post("/alliances/{code}/incidents/{number}/checklist", responses=ERRORS)
def tick(code: Code, number: Id, body: TickIn, store: StoreDep, clock: ClockDep,
         principal: PrincipalDep) -> dict[str, Any]:
    return incidents.tick(store, code, number, body.step, body.done, principal, clock).as_json()


@router.post("/alliances/{code}/incidents/{number}/roles", responses=ERRORS)
def assign(code: Code, number: Id, body: RoleIn, store: StoreDep, clock: ClockDep,
           principal: PrincipalDep) -> dict[str, Any]:
    return incidents.assign(store, code, number, body.role, body.person, principal, clock).as_json()


@router.post("/alliances/{code}/incidents/{number}/review", responses=ERRORS)
def review(code: Code, number: Id, body: ReviewIn, store: StoreDep, clock: ClockDep,
           principal: PrincipalDep) -> dict[str, Any]:
    """The closing review; with `meeting_id` its action items become that meeting's action items."""
    actions: list[tuple[str, str, date]] = [(a.title, a.owner, a.due_on) for a in body.actions]
    return incidents.review(store, code, number, principal, clock, summary=body.summary, causes=body.causes,
                            went_well=body.went_well, went_badly=body.went_badly, actions=actions,
                            meeting_id=body.meeting_id).as_json()
