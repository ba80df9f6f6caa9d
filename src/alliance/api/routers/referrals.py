"""Lead referral over HTTP (operations.referrals): the programme, referrals (a member: those it sent or
received), submitting a lead with consent, the receiving member's answers, extensions, linking orders,
candidate orders, the commission so far and the leaderboard. Routes are authorised by edge.routes and
again by the service, which also decides who sees a lead's name and contact."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import Field

from alliance.api.schemas import Body, Day
from alliance.core.errors import InvalidInput, Problem
from alliance.core.messages import Message
from alliance.edge.deps import ClockDep, Code, PrincipalDep, StoreDep, StoresDep
from alliance.edge.problems import PROBLEM_JSON
from alliance.operations.referrals import records, service, service_orders
from alliance.operations.referrals.model import Consent, ConsentHow, LeadDraft, LeadKind, Programme

router = APIRouter(tags=["referrals"])
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": {PROBLEM_JSON: {}}}
    for code, text in ((403, "forbidden"), (404, "not found"), (409, "conflict"), (422, "invalid input"))
}
Number = Annotated[int, Path(ge=1, le=2_147_483_647)]
Text = Annotated[str, Field(max_length=2000)]


class ProgrammeIn(Body):
    commission_rate: Annotated[str, Field(max_length=32)] = "0.05"
    hold_days: int = 30
    window_days: int = 90
    max_extension_days: int = 90


class ConsentIn(Body):
    by: Annotated[str, Field(max_length=2000)]
    at: Day
    how: Literal["written", "email", "message", "verbal", "form"] = "written"


class ReferralIn(Body):
    to_member: Annotated[str, Field(min_length=1, max_length=32)]
    kind: Literal["customer", "partner"] = "customer"
    name: Text
    contact: Text
    products: Text
    consent: ConsentIn | None = None
    note: Text = ""
    # The referring member: a member's own key refers for itself; the coordinator names it.
    from_member: Annotated[str, Field(min_length=1, max_length=32)] | None = None


class ReasonIn(Body):
    reason: Text = ""


class ExtensionIn(Body):
    days: Annotated[int, Field(ge=1, le=10_000)]
    reason: Text = ""


class DecisionIn(Body):
    grant: bool


class OrdersIn(Body):
    orders: Annotated[list[Annotated[str, Field(max_length=200)]], Field(min_length=1, max_length=200)]


def _seen_json(seen: service.Seen) -> dict[str, Any]:
    return {**records.referral_json(seen.referral, sees_lead=seen.sees_lead),
            "may_answer": seen.may_answer, "may_extend": seen.may_extend}


@router.get("/alliances/{code}/referrals/programme", responses=ERRORS)
async def get_programme(code: Code, store: StoreDep, principal: PrincipalDep) -> dict[str, Any]:
    """The alliance's referral programme (defaults until the coordinator sets it)."""
    return records.programme_json(await run_in_threadpool(service.programme, store, code, principal))


@router.put("/alliances/{code}/referrals/programme", responses=ERRORS)
async def put_programme(code: Code, body: ProgrammeIn, store: StoreDep, clock: ClockDep,
                        principal: PrincipalDep) -> dict[str, Any]:
    """Set the programme: commission rate (share of the referred orders' net amount), hold days, window days."""
    try:
        rate = Decimal(body.commission_rate)
    except ArithmeticError:
        raise InvalidInput(Message("the referral programme is not valid"), [Problem(
            "programme", "commission_rate", Message("a share from 0 to 1 with at most 6 decimals (0.05 = 5%)"))]) \
            from None
    new = Programme(rate, body.hold_days, body.window_days, body.max_extension_days)
    return records.programme_json(await run_in_threadpool(service.set_programme, store, code, principal, new, clock))


@router.get("/alliances/{code}/referrals", responses=ERRORS)
async def list_referrals(code: Code, store: StoreDep, principal: PrincipalDep) -> dict[str, Any]:
    """The referrals the key may see, by number; a lead's name and contact only for its two members and the coordinator."""
    found = await run_in_threadpool(service.referrals, store, code, principal)
    return {"referrals": [_seen_json(s) for s in found]}


@router.post("/alliances/{code}/referrals", status_code=201, responses=ERRORS)
async def submit(code: Code, body: ReferralIn, store: StoreDep, clock: ClockDep, principal: PrincipalDep) -> dict[str, Any]:
    """Refer a lead to another member; the lead's consent (who, when, how) is required."""
    consent = None if body.consent is None else Consent(body.consent.by, body.consent.at, ConsentHow(body.consent.how))
    draft = LeadDraft(body.to_member, LeadKind(body.kind), body.name, body.contact, body.products, consent, body.note)
    made = await run_in_threadpool(lambda: service.submit(store, code, principal, draft, clock,
                                                          from_member=body.from_member))
    return records.referral_json(made, sees_lead=True)


@router.get("/alliances/{code}/referrals/leaderboard", responses=ERRORS)
async def leaderboard(code: Code, store: StoreDep, principal: PrincipalDep,
                      period: Annotated[str, Query(min_length=1, max_length=16)]) -> dict[str, Any]:
    """Per referrer: referrals made in the period (YYYY-MM or YYYY-Qn), accepted, converted, commission booked."""
    currency, rows = await run_in_threadpool(service.leaderboard, store, code, principal, period)
    return records.leaderboard_json(period.strip().upper(), currency, rows)


@router.get("/alliances/{code}/referrals/{number}", responses=ERRORS)
async def get_referral(code: Code, number: Number, store: StoreDep, principal: PrincipalDep) -> dict[str, Any]:
    return _seen_json(await run_in_threadpool(service.referral, store, code, principal, number))


@router.post("/alliances/{code}/referrals/{number}/accept", responses=ERRORS)
async def accept(code: Code, number: Number, store: StoreDep, clock: ClockDep, principal: PrincipalDep) -> dict[str, Any]:
    return records.referral_json(await run_in_threadpool(service.accept, store, code, principal, number, clock),
                                 sees_lead=True)


@router.post("/alliances/{code}/referrals/{number}/reject", responses=ERRORS)
async def reject(code: Code, number: Number, body: ReasonIn, store: StoreDep, clock: ClockDep,
                 principal: PrincipalDep) -> dict[str, Any]:
    """Reject a submitted referral; the reason is required."""
    made = await run_in_threadpool(service.reject, store, code, principal, number, body.reason, clock)
    return records.referral_json(made, sees_lead=True)


@router.post("/alliances/{code}/referrals/{number}/lost", responses=ERRORS)
async def mark_lost(code: Code, number: Number, body: ReasonIn, store: StoreDep, clock: ClockDep,
                    principal: PrincipalDep) -> dict[str, Any]:
    made = await run_in_threadpool(service.lost, store, code, principal, number, body.reason, clock)
    return records.referral_json(made, sees_lead=True)


@router.post("/alliances/{code}/referrals/{number}/extension", responses=ERRORS)
async def request_extension(code: Code, number: Number, body: ExtensionIn, store: StoreDep, clock: ClockDep,
                            principal: PrincipalDep) -> dict[str, Any]:
    """The referrer asks for more days of exclusivity."""
    made = await run_in_threadpool(service.request_extension, store, code, principal, number, body.days,
                                   body.reason, clock)
    return records.referral_json(made, sees_lead=True)


@router.post("/alliances/{code}/referrals/{number}/extension/decision", responses=ERRORS)
async def decide_extension(code: Code, number: Number, body: DecisionIn, store: StoreDep, clock: ClockDep,
                           principal: PrincipalDep) -> dict[str, Any]:
    """The receiving member grants or refuses the extension asked."""
    made = await run_in_threadpool(service.decide_extension, store, code, principal, number, body.grant, clock)
    return records.referral_json(made, sees_lead=True)


@router.post("/alliances/{code}/referrals/{number}/orders", responses=ERRORS)
def link_orders(code: Code, number: Number, body: OrdersIn, stores: StoresDep, clock: ClockDep,
                principal: PrincipalDep) -> dict[str, Any]:
    """Link orders by id (the receiving member); the first link converts an accepted referral."""
    made = service_orders.link_orders(stores, code, principal, number, body.orders, clock)
    return records.referral_json(made, sees_lead=True)


@router.get("/alliances/{code}/referrals/{number}/candidates", responses=ERRORS)
def candidates(code: Code, number: Number, stores: StoresDep, clock: ClockDep,
               principal: PrincipalDep) -> dict[str, Any]:
    """Orders sold by the receiving member with the referrer in attributed_to, inside the window, not linked."""
    found = service_orders.candidate_orders(stores, code, principal, number, clock)
    return {"candidates": [{"order_id": c.order_id, "first_day": c.first_day.isoformat(), "lines": c.lines,
                            "amount_minor": c.amount_minor} for c in found]}


@router.get("/alliances/{code}/referrals/{number}/commission", responses=ERRORS)
def commission(code: Code, number: Number, stores: StoresDep, principal: PrincipalDep) -> dict[str, Any]:
    """What the linked orders have earned so far, line by line (refunds inside the hold period count)."""
    return records.commission_json(service_orders.commission(stores, code, principal, number))
