"""The KPI scorecard over HTTP (health.kpis): the alliance's and a member's scorecard, the
catalogue and its versions, entered values, pledges and deliveries, the quarterly review, and the
series the warning rules read.

Routes are authorised by edge.routes (the action) and again by the services (a member's scorecard,
values and pledges are its own: another member's are answered 404).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import Field

from alliance.api.schemas import Body, Day
from alliance.edge.deps import ClockDep, Code, Id, PrincipalDep, StoreDep
from alliance.edge.problems import PROBLEM_JSON
from alliance.health.kpis import documents, records, service

router = APIRouter(tags=["health"])
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": {PROBLEM_JSON: {}}}
    for code, text in ((403, "forbidden"), (404, "not found"), (409, "conflict"), (422, "invalid input"))
}
MemberCode = Annotated[str, Field(min_length=1, max_length=32)]
Period = Annotated[str | None, Query(max_length=40, description="2026Q4, 2026-11, 2026-W48 or 2026-10-01..2027-01-01 "
                                                                "(default: this quarter)")]
# Numbers travel as text ("12.5"); a JSON float is taken only to be refused by name (its value is already lost).
Number = Annotated[str, Field(max_length=64)] | int | float


@router.get("/alliances/{code}/health/scorecard", responses=ERRORS)
def alliance_scorecard(code: Code, store: StoreDep, principal: PrincipalDep, clock: ClockDep,
                       period: Period = None) -> dict[str, Any]:
    """The alliance's scorecard for a period: each KPI's value, band and score (0-100), the weighted
    score per dimension and overall, the trend over the periods before, and the catalogue version used."""
    return documents.scorecard(service.scorecard(store, code, principal, clock, period=period))


@router.get("/alliances/{code}/health/members/{member}/scorecard", responses=ERRORS)
def member_scorecard(code: Code, member: Annotated[str, Path(min_length=1, max_length=32)], store: StoreDep,
                     principal: PrincipalDep, clock: ClockDep, period: Period = None) -> dict[str, Any]:
    """A member's scorecard: the coordinator, an auditor and the member's own accounts (404 otherwise)."""
    return documents.scorecard(service.scorecard(store, code, principal, clock, period=period, member=member))


@router.get("/alliances/{code}/health/kpis", responses=ERRORS)
def get_catalogue(code: Code, store: StoreDep, principal: PrincipalDep) -> dict[str, Any]:
    """The current KPI catalogue and its version (0: the default catalogue)."""
    return documents.catalogue(records.catalogue(store, code, principal))


@router.get("/alliances/{code}/health/kpis/history", responses=ERRORS)
def catalogue_history(code: Code, store: StoreDep, principal: PrincipalDep) -> dict[str, Any]:
    """Every version of the catalogue, the latest first, with who changed it, when and why."""
    return {"versions": [{**documents.catalogue(v.catalogue), "note": v.note, "changed_by": v.changed_by,
                          "changed_at": v.changed_at.isoformat() if v.changed_at else None}
                         for v in records.catalogue_history(store, code, principal)]}


class KpiIn(Body):
    name_zh: str | None = Field(default=None, max_length=100)
    name_en: str | None = Field(default=None, max_length=100)
    dimension: str | None = Field(default=None, max_length=16, description="process, output, strategic or signal")
    definition_zh: str | None = Field(default=None, max_length=1000)
    definition_en: str | None = Field(default=None, max_length=1000)
    unit: str | None = Field(default=None, max_length=100)
    direction: str | None = Field(default=None, max_length=8, description="higher or lower (is better)")
    source: str | None = Field(default=None, max_length=40, description="a computed indicator's code, or entered")
    target: Number | None = None
    amber: Number | None = Field(default=None, description="the amber band's threshold")
    green: Number | None = Field(default=None, description="the green band's threshold")
    weight: Number | None = None
    note: str = Field(default="", max_length=500, description="why it changed (kept with the version)")


@router.put("/alliances/{code}/health/kpis/{kpi}", responses=ERRORS)
def edit_kpi(code: Code, kpi: Annotated[str, Path(min_length=1, max_length=40)], body: KpiIn, store: StoreDep, principal: PrincipalDep,
             clock: ClockDep) -> dict[str, Any]:
    """Change a KPI's definition (the fields given), or add a KPI under a new code (every field): a new
    catalogue version. Bands that do not order for the direction: 422 kpi_catalogue_invalid, nothing stored."""
    changes = {k: v for k, v in body.model_dump(exclude={"note"}).items() if v is not None}
    return documents.catalogue(records.edit_kpi(store, code, principal, kpi, changes, clock, note=body.note))


class ValueIn(Body):
    kpi: str = Field(max_length=40)
    period: str = Field(max_length=40, description="2026Q4, 2026-11, 2026-W48 or 2026-10-01..2027-01-01")
    value: Number = Field(description='an exact decimal as text, e.g. "12.5"')
    member: MemberCode | None = Field(default=None, description="omitted: the alliance as a whole")
    evidence: str = Field(default="", max_length=2000, description="what it rests on: text or a link")


@router.post("/alliances/{code}/health/values", status_code=201, responses=ERRORS)
def enter_value(code: Code, body: ValueIn, store: StoreDep, principal: PrincipalDep, clock: ClockDep) -> dict[str, Any]:
    """Record an entered KPI's value (append-only: a later entry for the same KPI, period and member wins)."""
    return documents.value(records.enter_value(store, code, principal, body.kpi, body.period, body.value, clock,
                                               member=body.member, evidence=body.evidence))


@router.get("/alliances/{code}/health/values", responses=ERRORS)
def value_history(code: Code, store: StoreDep, principal: PrincipalDep,
                  kpi: Annotated[str | None, Query(max_length=40)] = None,
                  member: Annotated[str | None, Query(max_length=32)] = None) -> dict[str, Any]:
    """Every entered value, the latest first (a member's accounts: their own and the alliance's)."""
    found = records.value_history(store, code, principal, kpi=kpi, member=member)
    return {"items": [documents.value(v) for v in found]}


class PledgeIn(Body):
    member: MemberCode
    kind: str = Field(max_length=20, description="money, people_days, warehouse_space, channels or technology")
    amount: Number = Field(description='exact, as text ("5000.00"); money in the alliance currency')
    unit: str = Field(default="", max_length=32, description="the unit of a kind other than money")
    due_on: Day
    description: str = Field(default="", max_length=1000)


class DeliveryIn(Body):
    amount: Number
    delivered_on: Day
    note: str = Field(default="", max_length=1000)


def _pledges(store: Any, code: str, clock: Any, found: list[Any]) -> dict[str, Any]:
    today = records.alliance_today(store, code, clock)
    return {"as_of": today.isoformat(), "items": [documents.pledge(p, today) for p in found]}


@router.get("/alliances/{code}/health/pledges", responses=ERRORS)
def list_pledges(code: Code, store: StoreDep, principal: PrincipalDep, clock: ClockDep,
                 member: Annotated[str | None, Query(max_length=32)] = None) -> dict[str, Any]:
    """Pledges with their deliveries and status (open, on_time, late, short) as of today."""
    return _pledges(store, code, clock, records.list_pledges(store, code, principal, member=member))


@router.post("/alliances/{code}/health/pledges", status_code=201, responses=ERRORS)
def add_pledge(code: Code, body: PledgeIn, store: StoreDep, principal: PrincipalDep, clock: ClockDep) -> dict[str, Any]:
    """Record a member's pledge (422 pledge_invalid with every problem; nothing stored then)."""
    made = records.add_pledge(store, code, principal, member=body.member, kind=body.kind, amount=body.amount,
                              due_on=body.due_on, clock=clock, unit=body.unit, description=body.description)
    return documents.pledge(made, records.alliance_today(store, code, clock))


@router.post("/alliances/{code}/health/pledges/{number}/deliveries", status_code=201, responses=ERRORS)
def deliver(code: Code, number: Id, body: DeliveryIn, store: StoreDep, principal: PrincipalDep,
            clock: ClockDep) -> dict[str, Any]:
    """Record a delivery against a pledge."""
    made = records.deliver(store, code, principal, number, amount=body.amount, delivered_on=body.delivered_on,
                           clock=clock, note=body.note)
    return documents.pledge(made, records.alliance_today(store, code, clock))


class ReviewIn(Body):
    meeting: int = Field(ge=1, le=2_147_483_647, description="the governance meeting's id")
    period: str | None = Field(default=None, max_length=40, description="default: the quarter before this one")


@router.post("/alliances/{code}/health/reviews", status_code=201, responses=ERRORS)
def schedule_review(code: Code, body: ReviewIn, store: StoreDep, principal: PrincipalDep,
                    clock: ClockDep) -> dict[str, Any]:
    """Put the quarterly health review (linked to the scorecard) on a meeting's agenda."""
    item = records.schedule_review(store, code, principal, body.meeting, clock, period=body.period)
    return {"meeting": item.meeting_id, "item": item.id, "title": item.title}


@router.get("/alliances/{code}/health/series", responses=ERRORS)
def kpi_series(code: Code, store: StoreDep, principal: PrincipalDep,
               kpi: Annotated[list[str], Query(max_length=50)], since: Annotated[date, Query()],
               until: Annotated[date, Query()],
               granularity: Annotated[str, Query(max_length=8, description="week, month or quarter")] = "month",
               member: Annotated[list[str] | None, Query(max_length=500)] = None) -> dict[str, Any]:
    """Each KPI's value per period (what the warning rules read): every member's and the alliance's
    (the coordinator and auditors: READ_FINANCE)."""
    from alliance.access.policy import Action, authorize

    authorize(principal, Action.READ_FINANCE, code)
    found = service.series(store, code, [k[:40] for k in kpi], granularity=granularity, since=since, until=until,
                           members=member)
    return {"granularity": granularity, "series": [
        {"kpi": k, "member": m, "points": [{"start": d.isoformat(), "value": None if v is None else str(v)}
                                           for d, v in points]} for (k, m), points in found.items()]}
