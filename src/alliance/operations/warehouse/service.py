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

from collections.abc import Sequence
from datetime import date

from alliance.access.roles import Principal
from alliance.core.clock import Clock
from alliance.operations.warehouse.model import Status, WarehouseDraft
from alliance.operations.warehouse.views import (
    Availability, BookingOutcome, BookingView, IdleView, InvoiceView, Quote, Suggestion, WarehouseView,
)
from alliance.store.database import Store

DEFAULT_PRIORITY = 3
IDLE_THRESHOLD_PERCENT = 15


# -- reading --------------------------------------------------------------------------------------

def warehouses(store: Store, alliance_code: str, principal: Principal, clock: Clock, *,
               active_only: bool = False) -> list[WarehouseView]:
    """Every warehouse of the alliance, by number (READ_WAREHOUSE)."""
    raise NotImplementedError


def warehouse(store: Store, alliance_code: str, principal: Principal, number: int, clock: Clock) -> WarehouseView:
    """One warehouse (WarehouseNotFound)."""
    raise NotImplementedError


def bookings(store: Store, alliance_code: str, principal: Principal, number: int | None = None, *,
             member: str | None = None, status: Status | None = None) -> list[BookingView]:
    """Bookings the reader may see: of one warehouse (number) or all, of one member, of one status.
    A member's account sees only its own member's; the owner's sees all of its warehouses'; the
    coordinator and auditor all. Newest first; waitlisted ones carry their waitlist position."""
    raise NotImplementedError


def booking(store: Store, alliance_code: str, principal: Principal, booking_number: int) -> BookingView:
    """One booking (BookingNotFound, also for another member's booking when the reader may not see it)."""
    raise NotImplementedError


def waitlist(store: Store, alliance_code: str, principal: Principal, number: int) -> list[BookingView]:
    """The warehouse's waitlist in the order space is offered (priority, then who asked first); a
    member's account sees its own entries only (with their positions)."""
    raise NotImplementedError


def availability(store: Store, alliance_code: str, principal: Principal, number: int, starts_on: date,
                 ends_on: date) -> Availability:
    """Free capacity on each day of starts_on … ends_on (at most 400 days; InvalidInput otherwise)."""
    raise NotImplementedError


def quote(store: Store, alliance_code: str, principal: Principal, number: int, quantity: int, starts_on: date,
          ends_on: date) -> Quote:
    """The price of a stay (cheapest combination, free days, surcharge) and whether it fits; nothing
    stored. Bad input: BookingInvalid with every problem."""
    raise NotImplementedError


def suggestions(store: Store, alliance_code: str, principal: Principal, number: int) -> list[Suggestion]:
    """Other members' declared storage space (resource map kinds of the `warehouse` group, except
    the warehouse's owner), same region first: where to go when the warehouse is full."""
    raise NotImplementedError


def invoices(store: Store, alliance_code: str, principal: Principal, number: int | None = None, *,
             month: str | None = None) -> list[InvoiceView]:
    """Billed months (of one warehouse or all; of one month), newest first, as the reader may see
    them: a member its own lines and total only; the owner and coordinator everything."""
    raise NotImplementedError


def idle_rates(store: Store, alliance_code: str, principal: Principal, number: int, clock: Clock, *,
               weeks: int = 4) -> list[IdleView]:
    """The idle rate of each of the last `weeks` weeks up to yesterday (alliance's zone), oldest first."""
    raise NotImplementedError


# -- writing --------------------------------------------------------------------------------------

def create_warehouse(store: Store, alliance_code: str, principal: Principal, draft: WarehouseDraft,
                     clock: Clock) -> WarehouseView:
    """A new warehouse, numbered 1, 2, … per alliance (WarehouseInvalid with every problem)."""
    raise NotImplementedError


def update_warehouse(store: Store, alliance_code: str, principal: Principal, number: int, draft: WarehouseDraft,
                     clock: Clock) -> WarehouseView:
    """Change a warehouse (name, location, capacity, unit, price lines, free days, surcharge, active).
    The owner stays (a changed owner: WarehouseInvalid). A capacity below what is booked on some day:
    OverCapacity naming the day. New terms bill months not yet billed (and corrections)."""
    raise NotImplementedError


def book(store: Store, alliance_code: str, principal: Principal, number: int, member: str, quantity: int,
         starts_on: date, ends_on: date, clock: Clock, *, priority: int = DEFAULT_PRIORITY,
         waitlist: bool = False, note: str = "") -> BookingOutcome:
    """Book `quantity` units for `member` on starts_on … ends_on (inclusive). Bad input: BookingInvalid
    with every problem. When it does not fit: OverCapacity naming the first full day (with
    `suggestions` from the resource map), or, with waitlist=True, the booking is stored waitlisted
    (outcome.full_on says why). A starts_on before today is refused."""
    raise NotImplementedError


def cancel(store: Store, alliance_code: str, principal: Principal, booking_number: int,
           clock: Clock) -> BookingOutcome:
    """Cancel a booked or waitlisted booking (not one checked in); the waitlist is offered the space
    freed (outcome.promoted). A billed month's part is credited as a correction next month."""
    raise NotImplementedError


def check_in(store: Store, alliance_code: str, principal: Principal, booking_number: int, on: date,
             clock: Clock, *, quantity: int | None = None) -> BookingView:
    """Record the actual arrival (date, and the actual quantity if it differs; at most the booked
    quantity unless it fits). Only a booked booking; `on` not after today."""
    raise NotImplementedError


def check_out(store: Store, alliance_code: str, principal: Principal, booking_number: int, on: date,
              clock: Clock) -> BookingOutcome:
    """Record the actual departure (not before check-in, not after today); an early departure frees
    space, offered to the waitlist (outcome.promoted). Billing then uses the actual days."""
    raise NotImplementedError


def bill_month(store: Store, alliance_code: str, principal: Principal, month: str, clock: Clock, *,
               number: int | None = None) -> list[InvoiceView]:
    """Bill `month` ("2026-11", over: MonthNotOver otherwise) for one warehouse or every active one not
    yet billed for it: per booking an invoice line (the month's days, and corrections of earlier
    months), and ONE charge per warehouse and month (members −, the owner +) scheduled for the next
    settlement run. A warehouse billed for the month already: MonthAlreadyBilled (number given; with
    all warehouses those billed are skipped)."""
    raise NotImplementedError


def bill_due_months(store: Store, clock: Clock) -> int:
    """The scheduler's job: bill, for every alliance, each warehouse's last month once it is over
    (not yet billed). Returns how many warehouse months were billed."""
    raise NotImplementedError


def uses_of(uow: object, alliance_id: int, member: str) -> Sequence[object]:
    """`matching.service.USES` source: the member's warehouse bookings (not cancelled), as
    `WarehouseUse` values."""
    raise NotImplementedError
