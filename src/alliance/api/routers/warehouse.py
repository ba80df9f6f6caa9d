"""The shared warehouse over HTTP (operations.warehouse.service): warehouses and their price lines,
free capacity, quotes, bookings with the waitlist, check-in and check-out, billed months, idle rates.
The bodies are the records of `operations.warehouse.records` (amounts as minor units and as text).
A member's key sees its own member's bookings and invoice lines only; the service decides that."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import Field

from alliance.api.schemas import Body, Day
from alliance.edge.deps import ClockDep, Code, PrincipalDep, StoreDep
from alliance.edge.problems import PROBLEM_JSON
from alliance.operations.warehouse import service
from alliance.operations.warehouse.model import Status
from alliance.operations.warehouse.records import as_json

router = APIRouter(tags=["warehouse"])
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": {PROBLEM_JSON: {}}}
    for code, text in ((403, "forbidden"), (404, "not found"), (409, "conflict"), (422, "invalid input"))
}
Number = Annotated[int, Path(ge=1, le=10**9)]
Text = Annotated[str, Field(max_length=200)]
Amount = Annotated[str | None, Field(max_length=32)]


class WarehouseIn(Body):
    name: Text
    owner: Annotated[str, Field(max_length=32)]
    capacity: Annotated[str, Field(max_length=12)]
    unit: Annotated[str, Field(max_length=8)] = "pallet"
    location: Text = ""
    price_day: Amount = None
    price_week: Amount = None
    price_month: Amount = None
    free_days: Annotated[str, Field(max_length=6)] = "0"
    surcharge_after: Annotated[str, Field(max_length=6)] = "0"
    surcharge_percent: Annotated[str, Field(max_length=12)] = "0"
    active: bool = True


class BookingIn(Body):
    member: Annotated[str, Field(min_length=1, max_length=32)]
    quantity: Annotated[int, Field(ge=1, le=10**9)]
    starts_on: Day
    ends_on: Day
    priority: Annotated[int, Field(ge=1, le=5)] = service.DEFAULT_PRIORITY
    waitlist: bool = False  # when it does not fit: join the waitlist instead of the 409
    note: Annotated[str, Field(max_length=500)] = ""


class CheckIn(Body):
    on: Day
    quantity: Annotated[int | None, Field(ge=1, le=10**9)] = None


class CheckOut(Body):
    on: Day


class BillIn(Body):
    month: Annotated[str, Field(pattern=r"^\d{4}-\d{2}$")]
    warehouse: Annotated[int | None, Field(ge=1)] = None


@router.get("/alliances/{code}/warehouses", responses=ERRORS)
async def list_warehouses(code: Code, store: StoreDep, principal: PrincipalDep, clock: ClockDep,
                          active_only: bool = False) -> dict[str, Any]:
    """The alliance's warehouses: capacity, price lines, free days, surcharge, what is free today."""
    found = await run_in_threadpool(lambda: service.warehouses(store, code, principal, clock, active_only=active_only))
    return {"items": as_json(found)}


@router.post("/alliances/{code}/warehouses", status_code=201, responses=ERRORS)
async def add_warehouse(code: Code, body: WarehouseIn, store: StoreDep, principal: PrincipalDep,
                        clock: ClockDep) -> dict[str, Any]:
    """A new warehouse (prices as amounts: "10.00"; at least one of price_day, price_week, price_month)."""
    view = await run_in_threadpool(service.save_warehouse, store, code, principal, body.model_dump(), clock)
    return as_json(view)


@router.get("/alliances/{code}/warehouses/{number}", responses=ERRORS)
async def get_warehouse(code: Code, number: Number, store: StoreDep, principal: PrincipalDep,
                        clock: ClockDep) -> dict[str, Any]:
    return as_json(await run_in_threadpool(service.warehouse, store, code, principal, number, clock))


@router.put("/alliances/{code}/warehouses/{number}", responses=ERRORS)
async def put_warehouse(code: Code, number: Number, body: WarehouseIn, store: StoreDep, principal: PrincipalDep,
                        clock: ClockDep) -> dict[str, Any]:
    """Change a warehouse (the whole of it; the owner stays)."""
    view = await run_in_threadpool(lambda: service.save_warehouse(store, code, principal, body.model_dump(), clock,
                                                                  number=number))
    return as_json(view)


@router.get("/alliances/{code}/warehouses/{number}/availability", responses=ERRORS)
async def availability(code: Code, number: Number, start: date, end: date, store: StoreDep,
                       principal: PrincipalDep) -> dict[str, Any]:
    """Free capacity on each day from start to end (at most 400 days)."""
    return as_json(await run_in_threadpool(service.availability, store, code, principal, number, start, end))


@router.get("/alliances/{code}/warehouses/{number}/quote", responses=ERRORS)
async def quote(code: Code, number: Number, quantity: Annotated[int, Query(ge=1, le=10**9)], start: date, end: date,
                store: StoreDep, principal: PrincipalDep) -> dict[str, Any]:
    """The price of a stay (the cheapest combination of price lines) and whether it fits; nothing stored."""
    return as_json(await run_in_threadpool(service.quote, store, code, principal, number, quantity, start, end))


@router.get("/alliances/{code}/warehouses/{number}/idle", responses=ERRORS)
async def idle(code: Code, number: Number, store: StoreDep, principal: PrincipalDep, clock: ClockDep,
               weeks: Annotated[int, Query(ge=1, le=53)] = 4) -> dict[str, Any]:
    """The idle rate per week up to yesterday: 1 − used unit-days / capacity unit-days."""
    found = await run_in_threadpool(lambda: service.idle_rates(store, code, principal, number, clock, weeks=weeks))
    return {"items": as_json(found)}


@router.get("/alliances/{code}/warehouses/{number}/suggestions", responses=ERRORS)
async def suggestions(code: Code, number: Number, store: StoreDep, principal: PrincipalDep) -> dict[str, Any]:
    """Other members' declared storage space (the resource map), same region first."""
    return {"items": as_json(await run_in_threadpool(service.suggestions, store, code, principal, number))}


@router.get("/alliances/{code}/warehouses/{number}/waitlist", responses=ERRORS)
async def waitlist(code: Code, number: Number, store: StoreDep, principal: PrincipalDep) -> dict[str, Any]:
    """The waitlist in the order space is offered (a member's key: its own entries)."""
    return {"items": as_json(await run_in_threadpool(service.waitlist, store, code, principal, number))}


@router.post("/alliances/{code}/warehouses/{number}/bookings", status_code=201, responses=ERRORS)
async def book(code: Code, number: Number, body: BookingIn, store: StoreDep, principal: PrincipalDep,
               clock: ClockDep) -> dict[str, Any]:
    """Book space; over capacity: 409 `warehouse_over_capacity` naming the first full day (and
    `suggestions`), or with `waitlist` the booking is waitlisted."""
    outcome = await run_in_threadpool(lambda: service.book(
        store, code, principal, number, body.member, body.quantity, body.starts_on, body.ends_on, clock,
        priority=body.priority, waitlist=body.waitlist, note=body.note))
    return as_json(outcome)


@router.get("/alliances/{code}/warehouse-bookings", responses=ERRORS)
async def list_bookings(code: Code, store: StoreDep, principal: PrincipalDep,
                        warehouse: Annotated[int | None, Query(ge=1)] = None,
                        member: Annotated[str | None, Query(max_length=32)] = None,
                        status: Status | None = None) -> dict[str, Any]:
    """Bookings the key may see, newest first."""
    found = await run_in_threadpool(lambda: service.bookings(store, code, principal, warehouse, member=member,
                                                             status=status))
    return {"items": as_json(found)}


@router.get("/alliances/{code}/warehouse-bookings/{booking}", responses=ERRORS)
async def get_booking(code: Code, booking: Number, store: StoreDep, principal: PrincipalDep) -> dict[str, Any]:
    return as_json(await run_in_threadpool(service.booking, store, code, principal, booking))


@router.post("/alliances/{code}/warehouse-bookings/{booking}/cancel", responses=ERRORS)
async def cancel(code: Code, booking: Number, store: StoreDep, principal: PrincipalDep,
                 clock: ClockDep) -> dict[str, Any]:
    """Cancel a booked or waitlisted booking; `promoted`: waitlisted bookings that got the space."""
    return as_json(await run_in_threadpool(service.cancel, store, code, principal, booking, clock))


@router.post("/alliances/{code}/warehouse-bookings/{booking}/check-in", responses=ERRORS)
async def check_in(code: Code, booking: Number, body: CheckIn, store: StoreDep, principal: PrincipalDep,
                   clock: ClockDep) -> dict[str, Any]:
    view = await run_in_threadpool(lambda: service.check_in(store, code, principal, booking, body.on, clock,
                                                            quantity=body.quantity))
    return as_json(view)


@router.post("/alliances/{code}/warehouse-bookings/{booking}/check-out", responses=ERRORS)
async def check_out(code: Code, booking: Number, body: CheckOut, store: StoreDep, principal: PrincipalDep,
                    clock: ClockDep) -> dict[str, Any]:
    return as_json(await run_in_threadpool(service.check_out, store, code, principal, booking, body.on, clock))


@router.get("/alliances/{code}/warehouse-invoices", responses=ERRORS)
async def list_invoices(code: Code, store: StoreDep, principal: PrincipalDep,
                        warehouse: Annotated[int | None, Query(ge=1)] = None,
                        month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None) -> dict[str, Any]:
    """Billed months, newest first (a member's key: its own lines and total)."""
    found = await run_in_threadpool(lambda: service.invoices(store, code, principal, warehouse, month=month))
    return {"items": as_json(found)}


@router.post("/alliances/{code}/warehouse-invoices", status_code=201, responses=ERRORS)
async def bill(code: Code, body: BillIn, store: StoreDep, principal: PrincipalDep, clock: ClockDep) -> dict[str, Any]:
    """Bill a month that is over (one warehouse, or every one not yet billed for it): one charge per
    warehouse month for the next settlement run. Billed already: 409 `warehouse_month_billed`."""
    found = await run_in_threadpool(lambda: service.bill_month(store, code, principal, body.month, clock,
                                                               number=body.warehouse))
    return {"items": as_json(found)}
