"""The shared warehouse service's helpers: loading what a request may see, building the views,
offering freed space to the waitlist, suggesting other members' storage, recording to the ledger.
Used by `service` and `service_billing`; the edges use `service`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from alliance.access.policy import Forbidden
from alliance.access.roles import Principal
from alliance.core.clock import Clock, local_today
from alliance.core.errors import InvalidInput, Problem
from alliance.core.messages import Message
from alliance.core.money import minor_digits
from alliance.ledger import events
from alliance.ledger import service as ledger
from alliance.operations.warehouse import capacity as cap
from alliance.operations.warehouse.billing import InvoiceLine
from alliance.operations.warehouse.digests import booking_fields, warehouse_fields
from alliance.operations.warehouse.model import (
    Booking, BookingNotFound, Status, Terms, Warehouse, WarehouseNotFound,
)
from alliance.operations.warehouse.pricing import CostTable, explain, stay_price
from alliance.operations.warehouse.views import (
    BookingView, InvoiceLineView, InvoiceView, PriceLineView, Suggestion, WarehouseView,
)
from alliance.registry.model import Alliance
from alliance.store.unit_of_work import UnitOfWork
from alliance.store.warehouse_repository import WarehouseRepository


MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
STORAGE_GROUP = "warehouse"  # matching.taxonomy's group of storage and logistics kinds


def reference_of(w: Warehouse, month: str) -> str:
    return f"warehouse-{w.number}/{month}"


def title_of(w: Warehouse, month: str) -> str:
    """The charge's title, without words of any language (the statement says 云仓 / shared warehouse
    beside it): "#3 杭州仓 2026-11", the name as the user typed it."""
    name = w.name if len(w.name) <= 150 else w.name[:149] + "…"
    return f"#{w.number} {name} {month}"


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
    tables: dict[Terms, CostTable] = {}
    positions = {b.id: i for i, b in enumerate(cap.waitlist_order(every), start=1)}
    digits = minor_digits(currency)
    views = []
    for b in every:
        start, end = b.stay
        terms = b.terms_under(w)
        table = tables.get(terms) or tables.setdefault(terms, CostTable(terms.lines))
        price = stay_price((end - start).days + 1, b.billed_quantity, terms, table)
        views.append(BookingView(
            b.number, w.number, b.member, b.quantity, b.starts_on, b.ends_on, b.priority, b.status, b.checked_in_on,
            b.checked_out_on, b.actual_quantity, b.note, b.created_at, b.created_by, positions.get(b.id),
            0 if b.status is Status.CANCELLED else price.total_minor, explain(price, terms, digits), currency,
            price, terms))
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


def _line_view(line: InvoiceLine, terms: Terms | None = None) -> InvoiceLineView:
    d = line.detail
    if d is None:
        return InvoiceLineView(line.booking, line.member, line.month_minor, line.correction_minor, line.amount_minor,
                               line.days_in_month, line.explanation)
    return InvoiceLineView(line.booking, line.member, line.month_minor, line.correction_minor, line.amount_minor,
                           line.days_in_month, line.explanation, line.stay_start, line.stay_end, d.days,
                           d.billable_days, d.free_days, d.combination, d.quantity, d.base_minor, d.surcharge_days,
                           d.surcharge_minor, terms)


def _invoice_views(repo: WarehouseRepository, alliance: Alliance, principal: Principal, warehouse_id: int | None,
                   month: str | None) -> list[InvoiceView]:
    rows = repo.invoices(alliance.id, warehouse_id, month)
    lines = repo.invoice_lines(alliance.id, [r.id for r in rows])
    houses = {w.id: w for w in repo.warehouses(alliance.id)}
    terms = repo.booking_terms(alliance.id, {booking_id for r in rows for booking_id, _ in lines[r.id]})
    views = []
    for r in rows:
        w = houses[r.warehouse_id]
        manager = _is_manager(principal, w)
        mine = [(terms.get(booking_id) or w.terms, line) for booking_id, line in lines[r.id]
                if manager or line.member == principal.member]
        if not manager and not mine:
            continue
        totals: dict[str, int] = {}
        for _, line in mine:
            totals[line.member] = totals.get(line.member, 0) + line.amount_minor
        owner_minor = sum(t for m, t in totals.items() if m != w.owner) if manager else None
        views.append(InvoiceView(
            w.number, r.month, r.reference, title_of(w, r.month), alliance.currency,
            tuple(_line_view(line, own) for own, line in mine),
            tuple(sorted(totals.items())), sum(totals.values()), owner_minor, r.charge_id, r.billed_at, r.billed_by))
    return views


def _record_warehouse(uow: UnitOfWork, alliance: Alliance, w: Warehouse, principal: Principal, clock: Clock) -> None:
    ledger.record(uow, alliance.id, alliance.code, events.WAREHOUSE_SAVED, principal.subject, clock.now(),
                  warehouse_fields(w))


def _record_booking(uow: UnitOfWork, alliance: Alliance, w: Warehouse, b: Booking, principal: Principal,
                    clock: Clock) -> None:
    ledger.record(uow, alliance.id, alliance.code, events.WAREHOUSE_BOOKING, principal.subject, clock.now(),
                  booking_fields(w.number, b))

