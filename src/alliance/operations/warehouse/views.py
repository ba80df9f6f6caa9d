"""What the edges show of the shared warehouse (the service's answers), as immutable values. Pure.

Amounts are integer minor units of the alliance's currency (`currency` says which); the edges format
them. A member reading sees its own bookings, invoice lines and amounts only, and the warehouse's
free capacity; the coordinator and the warehouse's owner see everything of the warehouse.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from alliance.operations.warehouse.model import Booking, Period, Status, Terms, Unit
from alliance.operations.warehouse.pricing import StayPrice

# Carried for the pages, which say a price in the reader's words, and kept out of the JSON documents
# (records.as_json): the API's bodies give the figures and the engine's text instead.
NOT_IN_JSON = {"json": False}


@dataclass(frozen=True, slots=True)
class PriceLineView:
    period: Period
    days: int  # 1, 7, 30
    price_minor: int  # per unit of capacity and period


@dataclass(frozen=True, slots=True)
class WarehouseView:
    """A warehouse as listed: everyone of the alliance sees these (no member's bookings)."""

    number: int
    name: str
    owner: str  # member code
    location: str
    capacity: int
    unit: Unit
    currency: str
    price_lines: tuple[PriceLineView, ...]
    free_days: int
    surcharge_after: int  # days; 0 with no surcharge
    surcharge_percent: Decimal
    active: bool
    free_today: int  # capacity units free today
    label: str  # "#3 杭州仓"
    may_manage: bool  # the reader is the coordinator or the owner's account: bookings of all, check-in/out


@dataclass(frozen=True, slots=True)
class BookingView:
    """A booking as its member, the owner and the coordinator see it."""

    number: int
    warehouse: int  # warehouse number
    member: str
    quantity: int
    starts_on: date
    ends_on: date
    priority: int  # 1 high … 5 low
    status: Status
    checked_in_on: date | None
    checked_out_on: date | None
    actual_quantity: int | None
    note: str
    created_at: datetime
    created_by: str
    waitlist_position: int | None  # 1-based place on the warehouse's waitlist, when waitlisted
    estimate_minor: int  # the stay's price by the data as it is now (cheapest combination)
    estimate_text: str  # "8 d = 1×7 d 60.00 + 1×1 d 10.00; 2 free; × 3 = 210.00"
    currency: str = ""  # of estimate_minor
    price: StayPrice | None = field(default=None, metadata=NOT_IN_JSON)  # the estimate, as computed
    terms: Terms | None = field(default=None, metadata=NOT_IN_JSON)  # the terms the booking is billed by


@dataclass(frozen=True, slots=True)
class DayFree:
    day: date
    free: int


@dataclass(frozen=True, slots=True)
class Availability:
    """Free capacity per day of a span (no member's bookings shown)."""

    warehouse: int
    capacity: int
    unit: Unit
    days: tuple[DayFree, ...]

    @property
    def least_free(self) -> int:
        return min((d.free for d in self.days), default=self.capacity)


@dataclass(frozen=True, slots=True)
class Quote:
    """The price of a stay before booking it (nothing stored)."""

    warehouse: int
    quantity: int
    starts_on: date
    ends_on: date
    days: int
    billable_days: int
    free_days: int
    combination: tuple[tuple[Period, int], ...]  # (period, count), longest first
    base_minor: int
    surcharge_minor: int
    total_minor: int
    currency: str
    text: str  # the explanation, as invoice lines say it
    fits: bool  # the quantity fits on every day
    full_on: date | None  # the first full day when it does not fit
    price: StayPrice | None = field(default=None, metadata=NOT_IN_JSON)


@dataclass(frozen=True, slots=True)
class Suggestion:
    """Another member's declared storage space (matching's resource map), for an overflow."""

    member: str
    member_name: str
    kind: str  # e.g. "warehouse/storage"
    description: str
    capacity: Decimal | None
    unit: str
    region: str
    same_region: bool


@dataclass(frozen=True, slots=True)
class BookingOutcome:
    """What booking, cancelling or checking out did: the booking, and the waitlisted bookings promoted
    because space freed (only those the reader may see), and for a refusal turned waitlist, why."""

    booking: BookingView
    promoted: tuple[BookingView, ...] = ()
    full_on: date | None = None  # set when the booking was waitlisted because this day was full
    suggestions: tuple[Suggestion, ...] = ()


@dataclass(frozen=True, slots=True)
class InvoiceLineView:
    booking: int
    member: str
    month_minor: int
    correction_minor: int
    amount_minor: int
    days_in_month: int
    explanation: str
    # The stay as billed (None for a cancelled booking's credit): its days, the billable and free ones,
    # the combination of price lines ((period, count), longest first), quantity, base and surcharge.
    stay_start: date | None = None
    stay_end: date | None = None
    stay_days: int | None = None
    billable_days: int | None = None
    free_days: int | None = None
    combination: tuple[tuple[str, int], ...] = ()
    quantity: int | None = None
    base_minor: int | None = None
    surcharge_days: int | None = None
    surcharge_minor: int | None = None
    terms: Terms | None = field(default=None, metadata=NOT_IN_JSON)  # the booking's terms (the words)


@dataclass(frozen=True, slots=True)
class InvoiceView:
    """A billed warehouse month. A member sees only its own lines and total; `total_minor` is then its
    own, and `owner_minor` is None."""

    warehouse: int
    month: str  # "2026-11"
    reference: str  # "warehouse-3/2026-11": the charge's reference and the statement line's rule id
    title: str  # "#3 杭州仓 2026-11"
    currency: str
    lines: tuple[InvoiceLineView, ...]
    totals: tuple[tuple[str, int], ...]  # (member, amount) the reader may see
    total_minor: int
    owner_minor: int | None  # what the owner receives (the sum), for the owner and the coordinator
    charge_id: int | None  # the scheduled charge (None when nothing was owed)
    billed_at: datetime
    billed_by: str


@dataclass(frozen=True, slots=True)
class IdleView:
    warehouse: int
    start: date
    end: date
    capacity_unit_days: int
    used_unit_days: int
    rate: Decimal  # 0 … 1, 4 decimals
    percent: str  # "37.5"
    above_threshold: bool  # above 15 % (the health rule "idle above 15 % two weeks")


def is_mine(booking: Booking, member: str | None) -> bool:
    return member is None or booking.member == member
