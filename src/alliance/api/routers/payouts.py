"""Payouts over HTTP (docs/payouts.md): a member's payout currency (its own admin or the coordinator),
payouts recorded by the coordinator over closed days, listed and shown (a member's keys: its own
only; another member's payout is 404). Refusals are problem+json with a stable code, nothing stored:
`payout_day_open`, `payout_days_paid` (409), `rate_missing`, `invalid_money` (422)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Path
from fastapi.concurrency import run_in_threadpool
from pydantic import Field

from alliance.api.schemas import Body
from alliance.core.errors import InvalidInput
from alliance.core.messages import Message
from alliance.edge.deps import ClockDep, Code, Limit, Offset, PrincipalDep, StoreDep
from alliance.edge.problems import PROBLEM_JSON
from alliance.settlement import payout_service
from alliance.store.payout_repository import CurrencyChoice

router = APIRouter(tags=["payouts"])
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": {PROBLEM_JSON: {}}}
    for code, text in ((403, "not yours to do"), (404, "not found"), (409, "an open day, a day already paid, or the "
                                                                            "alliance's state refuses it"),
                       (422, "invalid: a currency, a period, a missing rate"))
}
Number = Path(ge=1, le=2_147_483_647)


def _day(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(Message("{field}: {value!r} is not a date (YYYY-MM-DD)", field=field,
                                   value=text[:40])) from None


def _choice(c: CurrencyChoice) -> dict[str, Any]:
    return {"member": c.member, "currency": c.currency, "set_at": c.set_at.isoformat(), "set_by": c.set_by}


class CurrencyIn(Body):
    member: str = Field(min_length=1, max_length=32, description="The member's code.")
    currency: str = Field(max_length=10, description="ISO 4217 code it is paid in from now on, e.g. USD.")


class PayoutIn(Body):
    member: str = Field(min_length=1, max_length=32, description="The member's code.")
    first_day: str = Field(max_length=40, description="The first closed day paid, YYYY-MM-DD.")
    last_day: str = Field(max_length=40, description="The last closed day paid, YYYY-MM-DD.")
    payout_day: str = Field(max_length=40, description="The day it is paid: the rate of this day is used.")


@router.get("/alliances/{code}/payouts/currencies", responses=ERRORS)
def list_currencies(code: Code, store: StoreDep, principal: PrincipalDep) -> dict[str, Any]:
    """Each member's payout currency in force (a member's keys: its own) and every choice made."""
    found = payout_service.currencies(store, code, principal)
    return {"settlement_currency": found.settlement_currency, "current": found.current,
            "history": [_choice(c) for c in found.history]}


@router.put("/alliances/{code}/payouts/currencies", responses=ERRORS)
def set_currency(code: Code, body: CurrencyIn, store: StoreDep, clock: ClockDep,
                 principal: PrincipalDep) -> dict[str, Any]:
    """Choose the currency a member is paid in from now on: its own admin, or the coordinator."""
    return _choice(payout_service.set_currency(store, code, body.member, body.currency, clock, principal=principal))


@router.post("/alliances/{code}/payouts", status_code=201, responses=ERRORS)
async def record(code: Code, body: PayoutIn, store: StoreDep, clock: ClockDep, principal: PrincipalDep) -> dict[str, Any]:
    """Record a payout of a member's net over closed days, in its payout currency at the payout day's
    rate; answers its statement."""
    first, last = _day(body.first_day, "first_day"), _day(body.last_day, "last_day")
    day = _day(body.payout_day, "payout_day")
    stored = await run_in_threadpool(lambda: payout_service.record(store, code, body.member, first, last, day, clock,
                                                                   principal=principal))
    return payout_service.statement(code, stored)


@router.get("/alliances/{code}/payouts", responses=ERRORS)
def list_payouts(code: Code, store: StoreDep, principal: PrincipalDep, member: str | None = None,
                 limit: Limit = 100, offset: Offset = 0) -> dict[str, Any]:
    """Payouts, newest first, as statements (of one member with `member`; a member's keys: its own)."""
    if member is not None and len(member) > 32:
        raise InvalidInput(Message("{value!r} is not a member code", value=member[:40]))
    currency, page = payout_service.list_payouts(store, code, principal, member=member, limit=limit, offset=offset)
    return {"settlement_currency": currency,
            **page.as_json([payout_service.statement(code, s) for s in page.items])}


@router.get("/alliances/{code}/payouts/{number}", responses=ERRORS)
def show(code: Code, store: StoreDep, principal: PrincipalDep, number: int = Number) -> dict[str, Any]:
    """One payout's statement: days, owed, the rate with its day and source, paid, value back, difference."""
    return payout_service.statement(code, payout_service.get(store, code, number, principal))
