"""Customer-journey metrics over HTTP (docs/journey-metrics.md): a month's metrics per member and for
the alliance recounted now (the coordinator and the auditor: counts only, no customer key), the month
as recorded (every role of the alliance), recording them as period metrics (the coordinator), and
checking recorded ones against a recount."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from fastapi import Path as PathParam

from alliance.datashare.journeys import service
from alliance.edge.deps import ActorDep, ClockDep, Code, StoresDep
from alliance.edge.problems import PROBLEM_JSON

router = APIRouter(tags=["datasets"])
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": {PROBLEM_JSON: {}}}
    for code, text in ((404, "no such alliance"),
                       (409, "the month has not ended, or a value is recorded otherwise (never rewritten)"),
                       (422, "not a month (YYYY-MM)"))
}
Period = Annotated[str, PathParam(max_length=7, description="The month, YYYY-MM.")]


@router.get("/alliances/{code}/journey-metrics/{period}", responses=ERRORS)
def journey_metrics(code: Code, period: Period, stores: StoresDep, clock: ClockDep) -> dict[str, Any]:
    """The month's repurchase rate, cross-member purchase rate, referral coefficient and user assets
    per member (with the counts they come from and what is recorded) and for the alliance."""
    return service.report_document(service.compute(stores, code, period, clock))


@router.get("/alliances/{code}/journey-metrics/{period}/recorded", responses=ERRORS)
def recorded_journey_metrics(code: Code, period: Period, stores: StoresDep, clock: ClockDep) -> dict[str, Any]:
    """The month as the coordinator recorded it: each member's recorded values with the counts they
    were measured on (no recount: what member accounts read)."""
    return service.report_document(service.recorded(stores, code, period, clock).report)


@router.post("/alliances/{code}/journey-metrics/{period}", responses=ERRORS)
def record_journey_metrics(code: Code, period: Period, stores: StoresDep, clock: ClockDep,
                           actor: ActorDep) -> dict[str, Any]:
    """Record the month's journey metrics of every member as period metrics, with their trace; values
    already recorded identically are left as they are; any recorded otherwise: 409, nothing recorded."""
    return service.report_document(service.record(stores, code, period, actor, clock))


@router.get("/alliances/{code}/journey-metrics/{period}/verify", responses=ERRORS)
def verify_journey_metrics(code: Code, period: Period, stores: StoresDep, clock: ClockDep) -> dict[str, Any]:
    """Recount the month and compare with the recorded journey metrics: each value that would differ,
    or whose member's events changed since it was recorded."""
    return service.verification_document(service.verify(stores, code, period, clock))
