"""Exit cases over HTTP (docs/exit-cases.md): the coordinator opens a case (a member's own admin its
voluntary notice), changes steps, enters items and records the end; the coordinator and the auditor
read every case, a member's keys only their own member's (another member's case is 404: its raw data
never shows); the final statement is acknowledged by the member's admin and by the coordinator, each
by their own account (a member that left keeps this). Refusals are problem+json with a stable code,
nothing stored: `exit_case_open`, `exit_holdback_required`, `exit_days_open`, `exit_statement_not_final`,
`exit_window_open`, `exit_member_not_left`, `exit_data_erased` (409), `member_not_found`, `exit_case_not_found`
(404), `invalid_input` (422). After the retrieval window the coordinator erases what the alliance no longer
needs of the departed member (`.../erasure`: GET says what it would erase, POST does it, once)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Path, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import Field

from alliance.api.schemas import Body
from alliance.core.errors import InvalidInput
from alliance.core.messages import Message
from alliance.edge.deps import ClockDep, Code, PrincipalDep, StoreDep, opened_stores
from alliance.edge.problems import PROBLEM_JSON
from alliance.exits import erasure_service
from alliance.exits import service as exits
from alliance.exits.rules import parse_status, parse_step
from alliance.exits.triggers import parse_trigger

router = APIRouter(tags=["exits"])
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": {PROBLEM_JSON: {}}}
    for code, text in ((403, "not yours to do"), (404, "no such case, member or alliance for this key"),
                       (409, "a second case, the holdback while disputes run, open days, a closed case, an "
                             "erasure before the window or a second one"),
                       (422, "invalid: a trigger, a date, a step, an item"))
}
Number = Path(ge=1, le=2_147_483_647)


def _day(text: str | None, field: str) -> date | None:
    if text is None or text == "":
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(Message("{field}: {value!r} is not a date (YYYY-MM-DD)", field=field,
                                   value=text[:40])) from None


class CaseIn(Body):
    member: str = Field(min_length=1, max_length=32, description="The leaving member's code.")
    trigger: str = Field(max_length=40, description="voluntary, expiry, expulsion_vote, rating_elimination, breach, "
                                                    "change_of_control or insolvency.")
    decided_on: str = Field(max_length=40, description="The trigger's day (notice, decision, breach notice), YYYY-MM-DD.")
    end_date: str | None = Field(default=None, max_length=40, description="An agreed end date instead of the rule's.")
    cure_days: int | None = Field(default=None, ge=0, le=3650, description="A breach's cure period (default 30 days).")
    reference: str = Field(default="", max_length=200, description="What the trigger points to.")


class StepIn(Body):
    step: str = Field(max_length=40, description="notice, settlement, holdback, final_statement, ip, handover, data, "
                                                 "non_compete, staff, assets, agreements or end.")
    status: str = Field(max_length=20, description="done, waived, open or flagged.")
    reason: str = Field(default="", max_length=1000, description="Why it is waived, or how it was done.")
    owner: str | None = Field(default=None, max_length=64, description="member, coordinator or successor:<code>.")


class ItemIn(Body):
    step: str = Field(max_length=40, description="handover, staff or assets.")
    fields: dict[str, str] = Field(max_length=10, description="The item's fields, e.g. customer, successor, "
                                                              "continuity_until, non_solicitation_until.")


@router.get("/alliances/{code}/exits", responses=ERRORS)
def list_cases(code: Code, store: StoreDep, principal: PrincipalDep) -> dict[str, Any]:
    """The exit cases, newest first (a member's keys: their own member's), without their steps."""
    cases = exits.list_cases(store, code, principal)
    return {"items": [{k: v for k, v in exits.as_json(c).items() if k not in ("steps", "items", "acknowledgements")}
                      for c in cases], "total": len(cases)}


@router.post("/alliances/{code}/exits", status_code=201, responses=ERRORS)
async def open_case(request: Request, code: Code, body: CaseIn, store: StoreDep, clock: ClockDep,
                    principal: PrincipalDep) -> dict[str, Any]:
    """Open a member's exit case: its end date from the trigger (and the agreements' exit clause, or the
    defaults) and its plan of steps. One open case per member."""
    trigger = parse_trigger(body.trigger)
    decided = _day(body.decided_on, "decided_on")
    if decided is None:
        raise InvalidInput(Message("decided_on: give the trigger's day (YYYY-MM-DD)"))
    agreed = _day(body.end_date, "end_date")
    def run() -> Any:
        with opened_stores(request) as stores:  # the fact store suggests the member's recent orders
            return exits.open_case(store, code, body.member.strip(), trigger, decided, clock, principal=principal,
                                   agreed_end=agreed, cure_days=body.cure_days, reference=body.reference,
                                   facts=stores.facts)

    return exits.as_json(await run_in_threadpool(run))


@router.get("/alliances/{code}/exits/{number}", responses=ERRORS)
def show(code: Code, store: StoreDep, principal: PrincipalDep, number: int = Number) -> dict[str, Any]:
    """One case: its steps (owner, due date, status, what the plan computed), items, acknowledgements."""
    return exits.as_json(exits.get_case(store, code, number, principal))


@router.get("/alliances/{code}/exits/{number}/statement", responses=ERRORS)
def statement(code: Code, store: StoreDep, principal: PrincipalDep, number: int = Number) -> dict[str, Any]:
    """The member's final statement through its end date, with its SHA-256 and acknowledgements."""
    return exits.final_statement(store, code, number, principal)


@router.post("/alliances/{code}/exits/{number}/steps", responses=ERRORS)
def change_step(code: Code, body: StepIn, store: StoreDep, clock: ClockDep, principal: PrincipalDep,
                number: int = Number) -> dict[str, Any]:
    """Set a step's status (and owner): the coordinator."""
    return exits.as_json(exits.change_step(store, code, number, parse_step(body.step), parse_status(body.status),
                                           body.reason, clock, principal=principal, owner=body.owner))


@router.post("/alliances/{code}/exits/{number}/items", status_code=201, responses=ERRORS)
def add_item(code: Code, body: ItemIn, store: StoreDep, clock: ClockDep, principal: PrincipalDep,
             number: int = Number) -> dict[str, Any]:
    """Enter a hand-over, staff or asset item: the coordinator."""
    return exits.as_json(exits.add_item(store, code, number, parse_step(body.step), dict(body.fields), clock,
                                        principal=principal))


@router.post("/alliances/{code}/exits/{number}/acknowledgements", status_code=201, responses=ERRORS)
async def acknowledge(code: Code, store: StoreDep, clock: ClockDep, principal: PrincipalDep,
                      number: int = Number) -> dict[str, Any]:
    """Acknowledge the final statement as it stands: the member's admin or the coordinator, once each."""
    case = await run_in_threadpool(lambda: exits.acknowledge(store, code, number, clock, principal=principal))
    return exits.as_json(case)


@router.post("/alliances/{code}/exits/{number}/end", responses=ERRORS)
async def record_end(code: Code, store: StoreDep, clock: ClockDep, principal: PrincipalDep,
                     number: int = Number) -> dict[str, Any]:
    """Record that membership ended on the case's end date, once that day has come: the coordinator."""
    case = await run_in_threadpool(lambda: exits.record_end(store, code, number, clock, principal=principal))
    return exits.as_json(case)


@router.get("/alliances/{code}/exits/{number}/erasure", responses=ERRORS)
def erasure_preview(code: Code, store: StoreDep, clock: ClockDep, principal: PrincipalDep,
                    number: int = Number) -> dict[str, Any]:
    """What erasing the departed member's data would do now (counts per kind), and whether it may be
    done today: the coordinator."""
    preview = erasure_service.preview_erasure(store, code, number, clock, principal=principal)
    return {**preview, "refused": None if preview["refused"] is None else str(preview["refused"])}


@router.post("/alliances/{code}/exits/{number}/erasure", responses=ERRORS)
async def erase(code: Code, store: StoreDep, clock: ClockDep, principal: PrincipalDep,
                number: int = Number) -> dict[str, Any]:
    """Erase what the alliance no longer needs of the departed member, once its archive's retrieval window
    has passed (the data step, done by this only): the coordinator, once. Kept by law: untouched."""
    case = await run_in_threadpool(lambda: erasure_service.erase_member_data(store, code, number, clock,
                                                                             principal=principal))
    return exits.as_json(case)
