"""The shared warehouse's use cases: the one entry point of the CLI, the API and the pages.

Who may do what (access.policy):
- READ_WAREHOUSE (every role of the alliance): the warehouses, their price lines, free capacity per
  day, quotes, idle rates; a member's accounts see their own member's bookings and invoice lines
  only; the coordinator (and auditor) and the warehouse owner's accounts see all of the warehouse.
- BOOK_WAREHOUSE (member admins for their own member, 404 for another's): book, join the waitlist,
  cancel one's own booking. Booking is a member's own step: neither the coordinator nor the platform
  operator, who hold no member's account, books for one (policy.authorize_member_step), unless the
  member gave it its `operate` power of attorney (sharing.attorneys); the coordinator still cancels as
  a manager.
- MANAGE_WAREHOUSE: create a warehouse (a member admin as its owner, the coordinator for any
  member), change it, check bookings in and out, cancel any booking of it (the owner's accounts or
  the coordinator).
- MANAGE_ALLIANCE (the coordinator): bill a month (the scheduler bills due months by itself).

Every write checks everything first and stores nothing when anything is wrong (InvalidInput with
every Problem); it records its ledger event in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from alliance.access.policy import Action, Forbidden, authorize
from alliance.access.roles import Principal
from alliance.core.clock import Clock, local_today
from alliance.core.errors import InvalidInput, Problem
from alliance.core.messages import Message
from alliance.core.limits import LINE_LIMIT_MINOR
from alliance.core.money import Money, minor_digits
from alliance.operations.warehouse import capacity as cap
from alliance.sharing import attorneys
from alliance.operations.warehouse.idle import IdleRate, idle_rate, weeks as week_spans
from alliance.operations.warehouse.model import (
    STAY_LIMIT, BookingInvalid, BookingStateConflict, OverCapacity,
    Status, Terms, Warehouse, WarehouseDraft, WarehouseInvalid, check_booking, check_span,
    check_warehouse, parse_draft,
)
from alliance.operations.warehouse.pricing import CostTable, explain, stay_price
from alliance.operations.warehouse.views import (
    Availability, BookingOutcome, BookingView, DayFree, IdleView, InvoiceView, Quote,
    Suggestion, WarehouseView,
)
from alliance.store.database import Store
from alliance.store.unit_of_work import UnitOfWork
from alliance.store.warehouse_repository import WarehouseRepository
from alliance.operations.warehouse.service_billing import (  # noqa: F401 (the service's own)
    SOURCE, bill_due_months, bill_month, charge_lines,
)
from alliance.operations.warehouse.service_support import (  # noqa: F401 (reference_of, title_of: the service's own)
    reference_of, title_of,
    _check_month, _active_members, _warehouse, _require_booking, _may_see, _check_manager, _booking,
    _booking_views, _view_of, _warehouse_view, _promote, _suggestions, _invoice_views, _record_warehouse,
    _record_booking,
)

DEFAULT_PRIORITY = 3
IDLE_THRESHOLD_PERCENT = 15
AVAILABILITY_LIMIT = 400  # days shown at once


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
                     short is None, None if short is None else short.day, price)


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
    OverCapacity naming the day. New terms apply to bookings made from now on: a booking keeps the
    terms in force when it was made (model.Booking.terms)."""
    authorize(principal, Action.MANAGE_WAREHOUSE, alliance_code)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        uow.alliances.lock(alliance.id)  # as a booking does: a lower capacity is checked against what is stored
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
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        # its own account, or one holding its `operate` power of attorney (looked up here: a revoked one fails)
        attorneys.authorize_operating(uow, alliance, principal, Action.BOOK_WAREHOUSE, member, clock)
        uow.alliances.lock(alliance.id)  # one booking at a time: capacity is checked against what is stored
        repo = WarehouseRepository(uow.connection)
        w = _warehouse(repo, alliance, number)
        # under a power: not in a warehouse the attorney's own member owns (the member would pay it)
        attorneys.refuse_self_dealing(principal, member, {w.owner}, Message("warehouse {number}", number=number))
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
        if not problems:
            problems += _cost_problems(w, quantity, (ends_on - starts_on).days + 1, "booking", alliance.currency)
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
                                          note.strip(), clock.now(), principal.subject, w.terms)
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
        elif on <= b.ends_on:
            stay = (b.ends_on - min(on, b.starts_on)).days + 1
            if stay > STAY_LIMIT:
                problems.append(Problem("check-in", "on", Message("at most {limit} days", limit=STAY_LIMIT)))
            else:
                problems += _cost_problems(w, quantity if quantity is not None else b.quantity, stay, "check-in",
                                           alliance.currency, b.terms_under(w))
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


def _cost_problems(w: Warehouse, quantity: int, days: int, where: str, currency: str,
                   terms: Terms | None = None) -> list[Problem]:
    """A stay whose price is more than one statement line may move could never be billed: every month of
    the warehouse would fail to bill (and, billed by the scheduler, its other warehouses with it). Refused
    when entered, with the figure, instead."""
    terms = terms or w.terms
    total = stay_price(days, quantity, terms, CostTable(terms.lines)).total_minor
    if total <= LINE_LIMIT_MINOR:
        return []
    return [Problem(where, "quantity", Message(
        "the stay would cost {amount}, more than one statement line may move ({limit})",
        amount=Money(total, currency).amount_text(), limit=Money(LINE_LIMIT_MINOR, currency).amount_text()))]


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
