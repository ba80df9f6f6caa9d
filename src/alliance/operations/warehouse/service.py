"""The shared warehouse's use cases: the one entry point of the CLI, the API and the pages.

Who may do what (access.policy):
- READ_WAREHOUSE (every role of the alliance): the warehouses, their price lines, free capacity per
  day, quotes, idle rates; a member's accounts see their own member's bookings and invoice lines
  only; the coordinator (and auditor) and the warehouse owner's accounts see all of the warehouse.
- BOOK_WAREHOUSE (member admins for their own member, 404 for another's; the coordinator for any):
  book, join the waitlist, cancel one's own booking.
- MANAGE_WAREHOUSE: create a warehouse (a member admin as its owner, the coordinator for any
  member), change it, check bookings in and out, cancel any booking of it (the owner's accounts or
  the coordinator).
- MANAGE_ALLIANCE (the coordinator): bill a month (the scheduler bills due months by itself).

Every write checks everything first and stores nothing when anything is wrong (InvalidInput with
every Problem); it records its ledger event in the same transaction.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from alliance.access.policy import Action, Forbidden, authorize
from alliance.access.roles import Principal
from alliance.core.clock import Clock, local_today
from alliance.core.errors import AllianceError, AlreadyStored, InvalidInput, Problem
from alliance.core.messages import Message
from alliance.core.money import minor_digits
from alliance.ledger import events
from alliance.ledger import service as ledger
from alliance.operations.warehouse import capacity as cap
from alliance.operations.warehouse.accrual import month_bounds, previous_month
from alliance.operations.warehouse.billing import Invoice, InvoiceLine, by_member, invoice, member_rate
from alliance.operations.warehouse.digests import booking_fields, invoice_digest, warehouse_fields
from alliance.operations.warehouse.idle import IdleRate, idle_rate, weeks as week_spans
from alliance.operations.warehouse.model import (
    Booking, BookingInvalid, BookingNotFound, BookingStateConflict, MonthAlreadyBilled, MonthNotOver, OverCapacity,
    Status, Warehouse, WarehouseDraft, WarehouseInvalid, WarehouseNotFound, check_booking, check_span,
    check_warehouse, parse_draft,
)
from alliance.operations.warehouse.pricing import CostTable, explain, stay_price
from alliance.operations.warehouse.views import (
    Availability, BookingOutcome, BookingView, DayFree, IdleView, InvoiceLineView, InvoiceView, PriceLineView, Quote,
    Suggestion, WarehouseView,
)
from alliance.registry.model import Alliance
from alliance.store.database import Store
from alliance.store.unit_of_work import UnitOfWork
from alliance.store.warehouse_repository import WarehouseRepository

DEFAULT_PRIORITY = 3
IDLE_THRESHOLD_PERCENT = 15
AVAILABILITY_LIMIT = 400  # days shown at once
SOURCE = "warehouse"  # the charges' source (statement lines' kind)
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
STORAGE_GROUP = "warehouse"  # matching.taxonomy's group of storage and logistics kinds


@dataclass(frozen=True, slots=True)
class WarehouseUse:
    """A member's use of a shared warehouse, for `matching.service.beside` (USES)."""

    kind: str  # "warehouse"
    reference: str  # "warehouse-3/booking-12"
    title: str  # "#3 杭州仓"
    quantity: int
    unit: str
    starts_on: date
    ends_on: date
    status: str


# -- reading --------------------------------------------------------------------------------------

def warehouses(store: Store, alliance_code: str, principal: Principal, clock: Clock, *,
               active_only: bool = False) -> list[WarehouseView]:
    """Every warehouse of the alliance, by number (READ_WAREHOUSE)."""
    authorize(principal, Action.READ_WAREHOUSE, alliance_code)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        repo = WarehouseRepository(uow.connection)
        today = local_today(clock, alliance.timezone)
        return [_warehouse_view(repo, alliance, w, principal, today)
                for w in repo.warehouses(alliance.id, active_only=active_only)]


def warehouse(store: Store, alliance_code: str, principal: Principal, number: int, clock: Clock) -> WarehouseView:
    """One warehouse (WarehouseNotFound)."""
    authorize(principal, Action.READ_WAREHOUSE, alliance_code)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        repo = WarehouseRepository(uow.connection)
        return _warehouse_view(repo, alliance, _warehouse(repo, alliance, number), principal,
                               local_today(clock, alliance.timezone))


def bookings(store: Store, alliance_code: str, principal: Principal, number: int | None = None, *,
             member: str | None = None, status: Status | None = None) -> list[BookingView]:
    """Bookings the reader may see: of one warehouse (number) or all, of one member, of one status.
    A member's account sees only its own member's; the owner's sees all of its warehouses'; the
    coordinator and auditor all. Newest first; waitlisted ones carry their waitlist position."""
    authorize(principal, Action.READ_WAREHOUSE, alliance_code)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        repo = WarehouseRepository(uow.connection)
        houses = repo.warehouses(alliance.id)
        if number is not None:
            houses = [_warehouse(repo, alliance, number)]
        found: list[BookingView] = []
        for w in houses:
            every = repo.bookings(alliance.id, w.id)
            views = _booking_views(w, every, alliance.currency)
            found += [v for b, v in zip(every, views, strict=True)
                      if _may_see(principal, w, b) and (member is None or b.member == member)
                      and (status is None or b.status is status)]
        return sorted(found, key=lambda v: -v.number)


def booking(store: Store, alliance_code: str, principal: Principal, booking_number: int) -> BookingView:
    """One booking (BookingNotFound, also for another member's booking when the reader may not see it)."""
    authorize(principal, Action.READ_WAREHOUSE, alliance_code)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        repo = WarehouseRepository(uow.connection)
        b, w = _booking(repo, alliance, principal, booking_number)
        return _view_of(repo, alliance, w, b)


def waitlist(store: Store, alliance_code: str, principal: Principal, number: int) -> list[BookingView]:
    """The warehouse's waitlist in the order space is offered (priority, then who asked first); a
    member's account sees its own entries only (with their positions)."""
    authorize(principal, Action.READ_WAREHOUSE, alliance_code)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        repo = WarehouseRepository(uow.connection)
        w = _warehouse(repo, alliance, number)
        every = repo.bookings(alliance.id, w.id)
        views = {v.number: v for v in _booking_views(w, every, alliance.currency)}
        return [views[b.number] for b in cap.waitlist_order(every) if _may_see(principal, w, b)]


def availability(store: Store, alliance_code: str, principal: Principal, number: int, starts_on: date,
                 ends_on: date) -> Availability:
    """Free capacity on each day of starts_on … ends_on (at most 400 days; InvalidInput otherwise)."""
    authorize(principal, Action.READ_WAREHOUSE, alliance_code)
    problems = check_span(starts_on, ends_on, "availability")
    if not problems and (ends_on - starts_on).days + 1 > AVAILABILITY_LIMIT:
        problems = [Problem("availability", "ends_on", Message("at most {limit} days at once",
                                                               limit=AVAILABILITY_LIMIT))]
    if problems:
        raise BookingInvalid(Message("the span is not valid"), problems)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        repo = WarehouseRepository(uow.connection)
        w = _warehouse(repo, alliance, number)
        held = repo.bookings(alliance.id, w.id, overlapping=(starts_on, ends_on))
        free = cap.free_by_day(held, w.capacity, starts_on, ends_on)
        return Availability(w.number, w.capacity, w.unit,
                            tuple(DayFree(starts_on + timedelta(days=i), f) for i, f in enumerate(free)))


def quote(store: Store, alliance_code: str, principal: Principal, number: int, quantity: int, starts_on: date,
          ends_on: date) -> Quote:
    """The price of a stay (cheapest combination, free days, surcharge) and whether it fits; nothing
    stored. Bad input: BookingInvalid with every problem."""
    authorize(principal, Action.READ_WAREHOUSE, alliance_code)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        repo = WarehouseRepository(uow.connection)
        w = _warehouse(repo, alliance, number)
        problems = check_booking(quantity, starts_on, ends_on, DEFAULT_PRIORITY, w.capacity)
        if problems:
            raise BookingInvalid(Message("the stay is not valid"), problems)
        days = (ends_on - starts_on).days + 1
        price = stay_price(days, quantity, w.terms, CostTable(w.terms.lines))
        held = repo.bookings(alliance.id, w.id, overlapping=(starts_on, ends_on))
        short = cap.first_shortfall(held, w.capacity, quantity, starts_on, ends_on)
        return Quote(w.number, quantity, starts_on, ends_on, days, price.billable, price.free_days,
                     price.combination.counts, price.base_minor, price.surcharge_minor, price.total_minor,
                     alliance.currency, explain(price, w.terms, minor_digits(alliance.currency)),
                     short is None, None if short is None else short.day)


def suggestions(store: Store, alliance_code: str, principal: Principal, number: int) -> list[Suggestion]:
    """Other members' declared storage space (resource map kinds of the `warehouse` group, except
    the warehouse's owner), same region first: where to go when the warehouse is full."""
    authorize(principal, Action.READ_WAREHOUSE, alliance_code)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        w = _warehouse(WarehouseRepository(uow.connection), alliance, number)
        return _suggestions(uow, alliance, w, principal.member)


def invoices(store: Store, alliance_code: str, principal: Principal, number: int | None = None, *,
             month: str | None = None) -> list[InvoiceView]:
    """Billed months (of one warehouse or all; of one month), newest first, as the reader may see
    them: a member its own lines and total only; the owner and coordinator everything."""
    authorize(principal, Action.READ_WAREHOUSE, alliance_code)
    if month is not None:
        _check_month(month)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        repo = WarehouseRepository(uow.connection)
        w = None if number is None else _warehouse(repo, alliance, number)
        return _invoice_views(repo, alliance, principal, None if w is None else w.id, month)


def idle_rates(store: Store, alliance_code: str, principal: Principal, number: int, clock: Clock, *,
               weeks: int = 4) -> list[IdleView]:
    """The idle rate of each of the last `weeks` weeks up to yesterday (alliance's zone), oldest first,
    counted from the day the warehouse was added (a week before it: no capacity, never flagged)."""
    authorize(principal, Action.READ_WAREHOUSE, alliance_code)
    if not 1 <= weeks <= 53:
        raise InvalidInput(Message("weeks: from 1 to 53"), [Problem("idle", "weeks", Message("from 1 to 53"))])
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        repo = WarehouseRepository(uow.connection)
        w = _warehouse(repo, alliance, number)
        end = local_today(clock, alliance.timezone) - timedelta(days=1)
        spans = week_spans(end, weeks)
        held = repo.bookings(alliance.id, w.id, overlapping=(spans[0][0], end))
        since = w.created_at.astimezone(ZoneInfo(alliance.timezone)).date()  # no idle days before it existed
        return [_idle_view(w, idle_rate(held, w.capacity, max(lo, since), hi) if max(lo, since) <= hi
                           else IdleRate(lo, hi, 0, 0)) for lo, hi in spans]


def _idle_view(w: Warehouse, rate: Any) -> IdleView:
    exact = Decimal(rate.rate.numerator) / Decimal(rate.rate.denominator)
    return IdleView(w.number, rate.start, rate.end, rate.capacity_unit_days, rate.used_unit_days,
                    exact.quantize(Decimal("0.0001"), ROUND_HALF_EVEN), rate.percent,
                    rate.capacity_unit_days > 0 and rate.rate * 100 > IDLE_THRESHOLD_PERCENT)


# -- writing --------------------------------------------------------------------------------------

def create_warehouse(store: Store, alliance_code: str, principal: Principal, draft: WarehouseDraft,
                     clock: Clock) -> WarehouseView:
    """A new warehouse, numbered 1, 2, … per alliance (WarehouseInvalid with every problem)."""
    authorize(principal, Action.MANAGE_WAREHOUSE, alliance_code)
    if principal.member is not None and draft.owner != principal.member:
        raise Forbidden(Message("a member's account adds warehouses its own member owns, not {owner}'s",
                                owner=draft.owner))
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        problems = check_warehouse(draft, _active_members(uow, alliance))
        if problems:
            raise WarehouseInvalid(Message("the warehouse has {count} problem(s); nothing was stored",
                                           count=len(problems)), problems)
        repo = WarehouseRepository(uow.connection)
        now = clock.now()
        number = repo.add_warehouse(alliance.id, draft, now, principal.subject)
        w = _warehouse(repo, alliance, number)
        _record_warehouse(uow, alliance, w, principal, clock)
        view = _warehouse_view(repo, alliance, w, principal, local_today(clock, alliance.timezone))
        uow.commit()
        return view


def save_warehouse(store: Store, alliance_code: str, principal: Principal, raw: Mapping[str, Any], clock: Clock, *,
                   number: int | None = None) -> WarehouseView:
    """Create (number None) or change a warehouse from text fields (a form, JSON, CLI options; see
    `model.parse_draft`: prices as amounts of the alliance's currency). Every problem at once."""
    authorize(principal, Action.MANAGE_WAREHOUSE, alliance_code)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        members = _active_members(uow, alliance)
        if number is not None:
            members.append(_warehouse(WarehouseRepository(uow.connection), alliance, number).owner)
    draft = parse_draft(raw, alliance.currency, members)
    if number is None:
        return create_warehouse(store, alliance_code, principal, draft, clock)
    return update_warehouse(store, alliance_code, principal, number, draft, clock)


def update_warehouse(store: Store, alliance_code: str, principal: Principal, number: int, draft: WarehouseDraft,
                     clock: Clock) -> WarehouseView:
    """Change a warehouse (name, location, capacity, unit, price lines, free days, surcharge, active).
    The owner stays (a changed owner: WarehouseInvalid). A capacity below what is booked on some day:
    OverCapacity naming the day. New terms bill months not yet billed (and corrections)."""
    authorize(principal, Action.MANAGE_WAREHOUSE, alliance_code)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        repo = WarehouseRepository(uow.connection)
        w = _warehouse(repo, alliance, number)
        _check_manager(principal, w)
        problems = check_warehouse(draft, _active_members(uow, alliance) + [w.owner])
        if draft.owner != w.owner:
            problems.append(Problem("warehouse", "owner", Message("the owner of a warehouse stays {owner}",
                                                                  owner=w.owner)))
        if problems:
            raise WarehouseInvalid(Message("the warehouse has {count} problem(s); nothing was stored",
                                           count=len(problems)), problems)
        today = local_today(clock, alliance.timezone)
        if draft.capacity < w.capacity:
            held = [b for b in repo.bookings(alliance.id, w.id) if b.occupies and b.occupies[1] >= today]
            if held:
                last = max(b.occupies[1] for b in held if b.occupies)
                used = cap.used_by_day(held, today, last)
                for i, u in enumerate(used):
                    if u > draft.capacity:
                        raise OverCapacity(w.number, today + timedelta(days=i), draft.capacity - u, u - draft.capacity)
        repo.update_warehouse(alliance.id, w.id, draft, clock.now(), principal.subject)
        w = _warehouse(repo, alliance, number)
        _record_warehouse(uow, alliance, w, principal, clock)
        view = _warehouse_view(repo, alliance, w, principal, today)
        uow.commit()
        return view


def book(store: Store, alliance_code: str, principal: Principal, number: int, member: str, quantity: int,
         starts_on: date, ends_on: date, clock: Clock, *, priority: int = DEFAULT_PRIORITY,
         waitlist: bool = False, note: str = "") -> BookingOutcome:
    """Book `quantity` units for `member` on starts_on … ends_on (inclusive). Bad input: BookingInvalid
    with every problem. When it does not fit: OverCapacity naming the first full day (with
    `suggestions` from the resource map), or, with waitlist=True, the booking is stored waitlisted
    (outcome.full_on says why). A starts_on before today is refused."""
    authorize(principal, Action.BOOK_WAREHOUSE, alliance_code, member)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        uow.alliances.lock(alliance.id)  # one booking at a time: capacity is checked against what is stored
        repo = WarehouseRepository(uow.connection)
        w = _warehouse(repo, alliance, number)
        today = local_today(clock, alliance.timezone)
        problems = check_booking(quantity, starts_on, ends_on, priority, w.capacity)
        if member not in _active_members(uow, alliance):
            problems.append(Problem("booking", "member", Message("{member} is not an active member", member=member)))
        if not w.active:
            problems.append(Problem("booking", "warehouse", Message("warehouse {number} takes no bookings now",
                                                                    number=w.number)))
        if starts_on < today:
            problems.append(Problem("booking", "starts_on", Message("starts on {start}, before today ({today})",
                                                                    start=starts_on.isoformat(),
                                                                    today=today.isoformat())))
        if len(note) > 500:
            problems.append(Problem("booking", "note", Message("at most {limit} characters", limit=500)))
        if problems:
            raise BookingInvalid(Message("the booking has {count} problem(s); nothing was stored",
                                         count=len(problems)), problems)
        held = repo.bookings(alliance.id, w.id, overlapping=(starts_on, ends_on))
        short = cap.first_shortfall(held, w.capacity, quantity, starts_on, ends_on)
        found: tuple[Suggestion, ...] = ()
        if short is not None:
            found = tuple(_suggestions(uow, alliance, w, member))
            if not waitlist:
                raise OverCapacity(w.number, short.day, short.free, quantity, found)
        status = Status.BOOKED if short is None else Status.WAITLISTED
        booking_number = repo.add_booking(alliance.id, w.id, member, quantity, starts_on, ends_on, priority, status,
                                          note.strip(), clock.now(), principal.subject)
        b = _require_booking(repo, alliance, booking_number)
        _record_booking(uow, alliance, w, b, principal, clock)
        outcome = BookingOutcome(_view_of(repo, alliance, w, b), (), None if short is None else short.day, found)
        uow.commit()
        return outcome


def cancel(store: Store, alliance_code: str, principal: Principal, booking_number: int,
           clock: Clock) -> BookingOutcome:
    """Cancel a booked or waitlisted booking (not one checked in); the waitlist is offered the space
    freed (outcome.promoted). A billed month's part is credited as a correction next month."""
    authorize(principal, Action.READ_WAREHOUSE, alliance_code)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        uow.alliances.lock(alliance.id)
        repo = WarehouseRepository(uow.connection)
        b, w = _booking(repo, alliance, principal, booking_number)
        if principal.member is not None and principal.member == b.member and principal.member != w.owner:
            authorize(principal, Action.BOOK_WAREHOUSE, alliance_code, b.member)
        else:
            authorize(principal, Action.MANAGE_WAREHOUSE, alliance_code)
            _check_manager(principal, w)
        if b.status not in (Status.BOOKED, Status.WAITLISTED):
            raise BookingStateConflict(Message("booking {number} is {status}: only a booked or waitlisted booking "
                                               "is cancelled", number=b.number, status=b.status.value))
        repo.update_booking(alliance.id, b.id, clock.now(), principal.subject, status=Status.CANCELLED)
        b = _require_booking(repo, alliance, b.number)
        _record_booking(uow, alliance, w, b, principal, clock)
        promoted = _promote(uow, repo, alliance, w, principal, clock)
        outcome = BookingOutcome(_view_of(repo, alliance, w, b), promoted)
        uow.commit()
        return outcome


def check_in(store: Store, alliance_code: str, principal: Principal, booking_number: int, on: date,
             clock: Clock, *, quantity: int | None = None) -> BookingView:
    """Record the actual arrival (date, and the actual quantity if it differs; at most the booked
    quantity unless it fits). Only a booked booking; `on` not after today."""
    authorize(principal, Action.MANAGE_WAREHOUSE, alliance_code)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        uow.alliances.lock(alliance.id)
        repo = WarehouseRepository(uow.connection)
        b, w = _booking(repo, alliance, principal, booking_number)
        _check_manager(principal, w)
        if b.status is not Status.BOOKED:
            raise BookingStateConflict(Message("booking {number} is {status}: only a booked booking is checked in",
                                               number=b.number, status=b.status.value))
        today = local_today(clock, alliance.timezone)
        problems: list[Problem] = []
        if on > today:
            problems.append(Problem("check-in", "on", Message("{day} is after today", day=on.isoformat())))
        if on > b.ends_on:
            problems.append(Problem("check-in", "on", Message("{day} is after the booking's last day {end}",
                                                              day=on.isoformat(), end=b.ends_on.isoformat())))
        if quantity is not None and (type(quantity) is not int or quantity <= 0):
            problems.append(Problem("check-in", "quantity", Message("a whole number above 0")))
        if problems:
            raise BookingInvalid(Message("the check-in has {count} problem(s); nothing was stored",
                                         count=len(problems)), problems)
        actual = quantity if quantity is not None else b.quantity
        start, end = min(on, b.starts_on), b.ends_on
        held = repo.bookings(alliance.id, w.id, overlapping=(start, end))
        short = cap.first_shortfall(held, w.capacity, actual, on, end, skip=b.id)
        if short is not None and (actual > b.quantity or on < b.starts_on):
            raise OverCapacity(w.number, short.day, short.free, actual)
        repo.update_booking(alliance.id, b.id, clock.now(), principal.subject, status=Status.CHECKED_IN,
                            checked_in_on=on, actual_quantity=actual)
        b = _require_booking(repo, alliance, b.number)
        _record_booking(uow, alliance, w, b, principal, clock)
        view = _view_of(repo, alliance, w, b)
        uow.commit()
        return view


def check_out(store: Store, alliance_code: str, principal: Principal, booking_number: int, on: date,
              clock: Clock) -> BookingOutcome:
    """Record the actual departure (not before check-in, not after today); an early departure frees
    space, offered to the waitlist (outcome.promoted). Billing then uses the actual days."""
    authorize(principal, Action.MANAGE_WAREHOUSE, alliance_code)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        uow.alliances.lock(alliance.id)
        repo = WarehouseRepository(uow.connection)
        b, w = _booking(repo, alliance, principal, booking_number)
        _check_manager(principal, w)
        if b.status is not Status.CHECKED_IN:
            raise BookingStateConflict(Message("booking {number} is {status}: only a checked-in booking is checked "
                                               "out", number=b.number, status=b.status.value))
        today = local_today(clock, alliance.timezone)
        problems: list[Problem] = []
        if on > today:
            problems.append(Problem("check-out", "on", Message("{day} is after today", day=on.isoformat())))
        if b.checked_in_on is not None and on < b.checked_in_on:
            problems.append(Problem("check-out", "on", Message("{day} is before the check-in on {start}",
                                                               day=on.isoformat(), start=b.checked_in_on.isoformat())))
        if problems:
            raise BookingInvalid(Message("the check-out has {count} problem(s); nothing was stored",
                                         count=len(problems)), problems)
        repo.update_booking(alliance.id, b.id, clock.now(), principal.subject, status=Status.CHECKED_OUT,
                            checked_out_on=on)
        b = _require_booking(repo, alliance, b.number)
        _record_booking(uow, alliance, w, b, principal, clock)
        promoted = _promote(uow, repo, alliance, w, principal, clock) if on < b.ends_on else ()
        outcome = BookingOutcome(_view_of(repo, alliance, w, b), promoted)
        uow.commit()
        return outcome


def bill_month(store: Store, alliance_code: str, principal: Principal, month: str, clock: Clock, *,
               number: int | None = None) -> list[InvoiceView]:
    """Bill `month` ("2026-11", over: MonthNotOver otherwise) for one warehouse or every warehouse not
    yet billed for it: per booking an invoice line (the month's days, and corrections of earlier
    months), and ONE charge per warehouse and month (members −, the owner +) scheduled for the next
    settlement run. A warehouse billed for the month already: MonthAlreadyBilled (number given; with
    all warehouses those billed are skipped)."""
    authorize(principal, Action.MANAGE_ALLIANCE, alliance_code)
    _check_month(month)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        uow.alliances.lock(alliance.id)
        repo = WarehouseRepository(uow.connection)
        if month_bounds(month)[1] >= local_today(clock, alliance.timezone):
            raise MonthNotOver(month)
        houses = repo.warehouses(alliance.id) if number is None else [_warehouse(repo, alliance, number)]
        billed: list[int] = []
        for w in houses:
            if month in repo.billed_months(alliance.id, w.id):
                if number is not None:
                    raise MonthAlreadyBilled(w.number, month)
                continue
            if _bill(uow, repo, alliance, w, month, principal.subject, clock) is not None:
                billed.append(w.id)
        views = [v for v in _invoice_views(repo, alliance, principal, None, month)
                 if v.warehouse in {w.number for w in houses if w.id in billed}]
        uow.commit()
        return views


def bill_due_months(store: Store, clock: Clock) -> int:
    """The scheduler's job: bill, for every alliance, each warehouse's last month once it is over
    (not yet billed). Returns how many warehouse months were billed."""
    count = 0
    with store.unit_of_work() as uow:
        alliances = uow.alliances.all()
    for alliance in alliances:
        month = previous_month(local_today(clock, alliance.timezone).strftime("%Y-%m"))
        try:
            with store.unit_of_work() as uow:
                repo = WarehouseRepository(uow.connection)
                for w in repo.warehouses(alliance.id):
                    if month not in repo.billed_months(alliance.id, w.id) and \
                            _bill(uow, repo, alliance, w, month, "scheduler", clock) is not None:
                        count += 1
                uow.commit()
        except AllianceError:  # an alliance that may not be billed now (dissolved) is skipped, not the rest
            continue
    return count


def uses_of(uow: UnitOfWork, alliance_id: int, member: str) -> Sequence[WarehouseUse]:
    """`matching.service.USES` source: the member's warehouse bookings (not cancelled), as
    `WarehouseUse` values, newest first."""
    repo = WarehouseRepository(uow.connection)
    houses = {w.id: w for w in repo.warehouses(alliance_id)}
    found = []
    for b in repo.bookings(alliance_id, member=member):
        if b.status is Status.CANCELLED:
            continue
        w = houses[b.warehouse_id]
        start, end = b.stay
        found.append(WarehouseUse("warehouse", f"warehouse-{w.number}/booking-{b.number}", w.label,
                                  b.billed_quantity, w.unit.value, start, end, b.status.value))
    return found[::-1]


# -- billing --------------------------------------------------------------------------------------

def reference_of(w: Warehouse, month: str) -> str:
    return f"warehouse-{w.number}/{month}"


def title_of(w: Warehouse, month: str) -> str:
    """The charge's title, without words of any language (the statement says 云仓 / shared warehouse
    beside it): "#3 杭州仓 2026-11", the name as the user typed it."""
    name = w.name if len(w.name) <= 150 else w.name[:149] + "…"
    return f"#{w.number} {name} {month}"


def charge_lines(inv: Invoice, owner: str, reference: str) -> list[Any]:
    """The month's charge: each member (not the owner: what it owes itself nets out) pays its total, the
    owner receives the sum. Members owing nothing are left out; a credit (a correction) is a + line."""
    from alliance.operations.charges import ChargeLine

    lines: list[Any] = []
    grouped = by_member(inv.lines)
    for member in sorted(inv.totals):
        amount = inv.totals[member]
        if member == owner or amount == 0:
            continue
        mine = grouped[member]
        base = sum(line.month_minor for line in mine)
        lines.append(ChargeLine(member, -amount, base, member_rate(mine, reference)))
    total = -sum(line.amount_minor for line in lines)
    if lines and total:
        lines.append(ChargeLine(owner, total, total, f"Σ {len(lines)} ({reference})"))
    return lines


def _bill(uow: UnitOfWork, repo: WarehouseRepository, alliance: Alliance, w: Warehouse, month: str, actor: str,
          clock: Clock) -> int | None:
    """Bill one warehouse month (inside the caller's unit of work); the invoice's id."""
    from alliance.operations import charge_service

    every = repo.bookings(alliance.id, w.id)
    by_number = {b.number: b for b in every}
    inv = invoice(month, every, w.terms, repo.billed_before(alliance.id, w.id, month),
                  digits=minor_digits(alliance.currency))
    reference = reference_of(w, month)
    lines = charge_lines(inv, w.owner, reference)
    charge_id = None
    if len(lines) >= 2:
        charge_id = charge_service.schedule_charge(uow, alliance, source=SOURCE, reference=reference,
                                                   title=title_of(w, month), lines=lines, actor=actor, clock=clock)
    try:
        invoice_id = repo.add_invoice(alliance.id, w.id, month, reference, charge_id, inv.total_minor,
                                      invoice_digest(inv.lines, alliance.currency),
                                      [(by_number[line.booking].id, line) for line in inv.lines], clock.now(), actor)
    except AlreadyStored:
        raise MonthAlreadyBilled(w.number, month) from None
    ledger.record(uow, alliance.id, alliance.code, events.WAREHOUSE_MONTH_BILLED, actor, clock.now(), {
        "warehouse": w.number, "month": month, "reference": reference, "charge": charge_id,
        "lines": len(inv.lines), "lines_sha256": invoice_digest(inv.lines, alliance.currency)})
    return invoice_id


# -- helpers --------------------------------------------------------------------------------------

def _check_month(month: str) -> None:
    if not isinstance(month, str) or not MONTH.match(month):
        raise InvalidInput(Message("{month!r} is not a month (YYYY-MM)", month=month),
                           [Problem("billing", "month", Message("a month as YYYY-MM, e.g. 2026-11"))])


def _active_members(uow: UnitOfWork, alliance: Alliance) -> list[str]:
    return [m.code for m in uow.members.of_alliance(alliance.id, alliance.code, alliance.currency)]


def _warehouse(repo: WarehouseRepository, alliance: Alliance, number: int) -> Warehouse:
    w = repo.warehouse(alliance.id, number)
    if w is None:
        raise WarehouseNotFound(number)
    return w


def _require_booking(repo: WarehouseRepository, alliance: Alliance, number: int) -> Booking:
    b = repo.booking(alliance.id, number)
    if b is None:
        raise BookingNotFound(number)
    return b


def _is_manager(principal: Principal, w: Warehouse) -> bool:
    """The coordinator (and alliance-wide roles: auditor, platform admin) or the owner's accounts."""
    return principal.member is None or principal.member == w.owner


def _may_see(principal: Principal, w: Warehouse, b: Booking) -> bool:
    return _is_manager(principal, w) or principal.member == b.member


def _check_manager(principal: Principal, w: Warehouse) -> None:
    if not _is_manager(principal, w):
        raise Forbidden(Message("only the coordinator or {owner}'s accounts manage warehouse {number}",
                                owner=w.owner, number=w.number))


def _booking(repo: WarehouseRepository, alliance: Alliance, principal: Principal,
             number: int) -> tuple[Booking, Warehouse]:
    """A booking the reader may see, with its warehouse; another member's is not there (404)."""
    b = repo.booking(alliance.id, number)
    w = None if b is None else repo.warehouse_by_id(alliance.id, b.warehouse_id)
    if b is None or w is None or not _may_see(principal, w, b):
        raise BookingNotFound(number)
    return b, w


def _booking_views(w: Warehouse, every: Sequence[Booking], currency: str) -> list[BookingView]:
    table = CostTable(w.terms.lines)
    positions = {b.id: i for i, b in enumerate(cap.waitlist_order(every), start=1)}
    digits = minor_digits(currency)
    views = []
    for b in every:
        start, end = b.stay
        price = stay_price((end - start).days + 1, b.billed_quantity, w.terms, table)
        views.append(BookingView(
            b.number, w.number, b.member, b.quantity, b.starts_on, b.ends_on, b.priority, b.status, b.checked_in_on,
            b.checked_out_on, b.actual_quantity, b.note, b.created_at, b.created_by, positions.get(b.id),
            0 if b.status is Status.CANCELLED else price.total_minor, explain(price, w.terms, digits), currency))
    return views


def _view_of(repo: WarehouseRepository, alliance: Alliance, w: Warehouse, b: Booking) -> BookingView:
    every = repo.bookings(alliance.id, w.id)
    views = _booking_views(w, every, alliance.currency)
    return next(v for v in views if v.number == b.number)


def _warehouse_view(repo: WarehouseRepository, alliance: Alliance, w: Warehouse, principal: Principal,
                    today: date) -> WarehouseView:
    held = repo.bookings(alliance.id, w.id, overlapping=(today, today))
    free = cap.free_by_day(held, w.capacity, today, today)[0]
    t = w.terms
    return WarehouseView(w.number, w.name, w.owner, w.location, w.capacity, w.unit, alliance.currency,
                         tuple(PriceLineView(line.period, line.days, line.price_minor) for line in t.lines),
                         t.free_days, t.surcharge_after, t.surcharge_percent, w.active, free, w.label,
                         _is_manager(principal, w) and principal.role.value != "auditor")


def _promote(uow: UnitOfWork, repo: WarehouseRepository, alliance: Alliance, w: Warehouse, principal: Principal,
             clock: Clock) -> tuple[BookingView, ...]:
    """Offer freed space to the waitlist in order; the promoted bookings the reader may see."""
    today = local_today(clock, alliance.timezone)
    moved = cap.promotions(repo.bookings(alliance.id, w.id), w.capacity, today)
    for b in moved:
        repo.update_booking(alliance.id, b.id, clock.now(), principal.subject, status=Status.BOOKED)
        _record_booking(uow, alliance, w, b, principal, clock)
    return tuple(_view_of(repo, alliance, w, b) for b in moved if _may_see(principal, w, b))


def _suggestions(uow: UnitOfWork, alliance: Alliance, w: Warehouse, member: str | None) -> list[Suggestion]:
    from alliance.matching.model import Side
    from alliance.store.matching_repository import MatchingRepository, Owner, declaration_of

    members = [m for m in uow.members.of_alliance(alliance.id, alliance.code, alliance.currency)
               if m.code not in (w.owner, member)]
    rows = MatchingRepository(uow.connection).declarations(Owner.MEMBER, alliance.id, [m.id for m in members])
    place = w.location.casefold()
    found = []
    for m in members:
        for row in rows.get(m.id, ()):
            d = declaration_of(row)
            if d.side is not Side.RESOURCE or d.kind.split("/", 1)[0] != STORAGE_GROUP:
                continue
            region = d.region or m.region or ""
            same = bool(region) and (region.casefold() in place or place in region.casefold())
            found.append(Suggestion(m.code, m.legal_name, d.kind, d.description, d.capacity, d.unit, region, same))
    return sorted(found, key=lambda s: (not s.same_region, s.member, s.kind))


def _line_view(line: InvoiceLine) -> InvoiceLineView:
    d = line.detail
    if d is None:
        return InvoiceLineView(line.booking, line.member, line.month_minor, line.correction_minor, line.amount_minor,
                               line.days_in_month, line.explanation)
    return InvoiceLineView(line.booking, line.member, line.month_minor, line.correction_minor, line.amount_minor,
                           line.days_in_month, line.explanation, line.stay_start, line.stay_end, d.days,
                           d.billable_days, d.free_days, d.combination, d.quantity, d.base_minor, d.surcharge_days,
                           d.surcharge_minor)


def _invoice_views(repo: WarehouseRepository, alliance: Alliance, principal: Principal, warehouse_id: int | None,
                   month: str | None) -> list[InvoiceView]:
    rows = repo.invoices(alliance.id, warehouse_id, month)
    lines = repo.invoice_lines(alliance.id, [r.id for r in rows])
    houses = {w.id: w for w in repo.warehouses(alliance.id)}
    views = []
    for r in rows:
        w = houses[r.warehouse_id]
        manager = _is_manager(principal, w)
        mine = [line for _, line in lines[r.id] if manager or line.member == principal.member]
        if not manager and not mine:
            continue
        totals: dict[str, int] = {}
        for line in mine:
            totals[line.member] = totals.get(line.member, 0) + line.amount_minor
        owner_minor = sum(t for m, t in totals.items() if m != w.owner) if manager else None
        views.append(InvoiceView(
            w.number, r.month, r.reference, title_of(w, r.month), alliance.currency,
            tuple(_line_view(line) for line in mine),
            tuple(sorted(totals.items())), sum(totals.values()), owner_minor, r.charge_id, r.billed_at, r.billed_by))
    return views


def _record_warehouse(uow: UnitOfWork, alliance: Alliance, w: Warehouse, principal: Principal, clock: Clock) -> None:
    ledger.record(uow, alliance.id, alliance.code, events.WAREHOUSE_SAVED, principal.subject, clock.now(),
                  warehouse_fields(w))


def _record_booking(uow: UnitOfWork, alliance: Alliance, w: Warehouse, b: Booking, principal: Principal,
                    clock: Clock) -> None:
    ledger.record(uow, alliance.id, alliance.code, events.WAREHOUSE_BOOKING, principal.subject, clock.now(),
                  booking_fields(w.number, b))
