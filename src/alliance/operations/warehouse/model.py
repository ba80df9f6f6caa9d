"""What the shared warehouse keeps, as immutable values, and the checks of what a user enters. Pure.

Every check collects every problem at once (`Problem`s) so that an edge shows them all and nothing
is stored when anything is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import IntEnum, StrEnum
from typing import Any

from alliance.core.errors import Conflict, InvalidInput, NotFound, Problem
from alliance.core.messages import Message

NAME_LIMIT = 200
LOCATION_LIMIT = 200
CAPACITY_LIMIT = 10**9  # units of capacity of one warehouse
PRICE_LIMIT = 10**10  # minor units per unit of capacity and period
FREE_DAYS_LIMIT = 3650
STAY_LIMIT = 3660  # days of one booking (ten years)
SURCHARGE_LIMIT = Decimal(1000)  # percent


class Unit(StrEnum):
    """What a warehouse's capacity is counted and billed in."""

    PALLET = "pallet"  # 托盘位
    M3 = "m3"
    M2 = "m2"


UNIT_WORDS = {Unit.PALLET: Message("pallet positions"), Unit.M3: Message("m³"), Unit.M2: Message("m²")}


class Period(StrEnum):
    """A price line's period and how many days it covers."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"

    @property
    def days(self) -> int:
        return PERIOD_DAYS[self]


PERIOD_DAYS = {Period.DAY: 1, Period.WEEK: 7, Period.MONTH: 30}


class Status(StrEnum):
    BOOKED = "booked"
    WAITLISTED = "waitlisted"
    CHECKED_IN = "checked_in"
    CHECKED_OUT = "checked_out"
    CANCELLED = "cancelled"


OCCUPYING = frozenset({Status.BOOKED, Status.CHECKED_IN, Status.CHECKED_OUT})


class Priority(IntEnum):
    HIGH = 1
    LOW = 5


@dataclass(frozen=True, slots=True)
class PriceLine:
    period: Period
    price_minor: int  # per unit of capacity and period

    @property
    def days(self) -> int:
        return self.period.days


@dataclass(frozen=True, slots=True)
class Terms:
    """How a warehouse bills: its price lines, the free days at the start of each stay, and the
    long-storage surcharge (+surcharge_percent % on the days of a stay beyond surcharge_after days;
    0 % means none)."""

    lines: tuple[PriceLine, ...]
    free_days: int = 0
    surcharge_after: int = 0
    surcharge_percent: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class WarehouseDraft:
    """What a user enters for a warehouse (its number is given when it is stored)."""

    name: str
    owner: str  # member code
    location: str
    capacity: int
    unit: Unit
    terms: Terms
    active: bool = True


@dataclass(frozen=True, slots=True)
class Warehouse:
    id: int
    number: int
    name: str
    owner: str
    location: str
    capacity: int
    unit: Unit
    terms: Terms
    active: bool
    created_at: datetime
    created_by: str

    @property
    def label(self) -> str:
        """"#3 杭州仓": how charges and lists name it, in no language's words."""
        return f"#{self.number} {self.name}"


@dataclass(frozen=True, slots=True)
class Booking:
    """A member's booking. `checked_in_on`/`checked_out_on`/`actual_quantity` record actual use."""

    id: int
    number: int
    warehouse_id: int
    member: str
    quantity: int
    starts_on: date
    ends_on: date  # inclusive
    priority: int
    status: Status
    created_at: datetime
    created_by: str
    checked_in_on: date | None = None
    checked_out_on: date | None = None
    actual_quantity: int | None = None
    note: str = ""
    # The terms in force when the booking was made: a later price change applies to new bookings only,
    # never to a stay already agreed (None: a booking made before terms were kept with bookings, billed
    # by its warehouse's terms as they are).
    terms: Terms | None = None

    @property
    def occupies(self) -> tuple[date, date] | None:
        """The days the booking holds space (inclusive), or None (waitlisted or cancelled)."""
        if self.status not in OCCUPYING:
            return None
        return self.stay

    @property
    def stay(self) -> tuple[date, date]:
        """The days billed: actual days once checked in (and out), else the booked span."""
        start = self.checked_in_on or self.starts_on
        end = self.checked_out_on or max(self.ends_on, start)
        return start, end

    @property
    def billed_quantity(self) -> int:
        return self.actual_quantity if self.actual_quantity is not None else self.quantity

    def terms_under(self, w: Warehouse) -> Terms:
        """The terms the booking is billed by: its own, or its warehouse's (an older booking)."""
        return self.terms if self.terms is not None else w.terms


def terms_json(t: Terms) -> dict[str, object]:
    """Terms as stored with a booking (and digested by the ledger)."""
    return {"lines": [[line.period.value, line.price_minor] for line in t.lines], "free_days": t.free_days,
            "surcharge_after": t.surcharge_after, "surcharge_percent": str(t.surcharge_percent)}


def terms_from_json(data: dict[str, object]) -> Terms:
    lines = data["lines"]
    assert isinstance(lines, list)
    return Terms(tuple(PriceLine(Period(period), int(price)) for period, price in lines),
                 int(str(data["free_days"])), int(str(data["surcharge_after"])), Decimal(str(data["surcharge_percent"])))


# -- errors ---------------------------------------------------------------------------------------

class WarehouseInvalid(InvalidInput):
    code = "warehouse_invalid"
    title = Message("Warehouse not valid")


class BookingInvalid(InvalidInput):
    code = "warehouse_booking_invalid"
    title = Message("Booking not valid")


class WarehouseNotFound(NotFound):
    code = "warehouse_not_found"
    title = Message("No such warehouse")

    def __init__(self, number: int) -> None:
        super().__init__(Message("no warehouse {number} in this alliance", number=number))


class BookingNotFound(NotFound):
    code = "warehouse_booking_not_found"
    title = Message("No such booking")

    def __init__(self, number: int) -> None:
        super().__init__(Message("no booking {number} in this alliance", number=number))


class OverCapacity(Conflict):
    """A booking does not fit: `full_on` is the first day it would exceed the capacity."""

    code = "warehouse_over_capacity"
    title = Message("Warehouse full")

    def __init__(self, warehouse: int, full_on: date, free: int, wanted: int,
                 suggestions: Sequence[object] = ()) -> None:
        super().__init__(Message(
            "warehouse {warehouse} is full on {day}: {free} free, {wanted} wanted; book another span, "
            "join the waitlist or use another member's space", warehouse=warehouse, day=full_on.isoformat(),
            free=free, wanted=wanted))
        self.full_on = full_on
        self.free = free
        self.suggestions = tuple(suggestions)


class BookingStateConflict(Conflict):
    code = "warehouse_booking_state"
    title = Message("Not possible in the booking's state")


class MonthAlreadyBilled(Conflict):
    code = "warehouse_month_billed"
    title = Message("Month already billed")

    def __init__(self, warehouse: int, month: str) -> None:
        super().__init__(Message("warehouse {warehouse} is already billed for {month}; later changes are "
                                 "billed as corrections in the next month", warehouse=warehouse, month=month))


class MonthNotOver(Conflict):
    code = "warehouse_month_not_over"
    title = Message("Month not over")

    def __init__(self, month: str) -> None:
        super().__init__(Message("{month} is not over yet; a month is billed after its last day", month=month))


# -- checks ---------------------------------------------------------------------------------------

def check_terms(terms: Terms, where: str = "warehouse") -> list[Problem]:
    problems: list[Problem] = []
    if not terms.lines:
        problems.append(Problem(where, "price_lines", Message("at least one price line (day, week or month)")))
    seen: set[Period] = set()
    for i, line in enumerate(terms.lines, start=1):
        at = f"{where}: price line {i}"
        if not isinstance(line.period, Period):
            problems.append(Problem(at, "period", Message("the period is day, week or month")))
            continue
        if line.period in seen:
            problems.append(Problem(at, "period", Message("a second {period} price line", period=line.period.value)))
        seen.add(line.period)
        if type(line.price_minor) is not int or not 0 < line.price_minor <= PRICE_LIMIT:
            problems.append(Problem(at, "price", Message("a price above 0 and at most {limit} minor units",
                                                         limit=PRICE_LIMIT)))
    if not 0 <= terms.free_days <= FREE_DAYS_LIMIT:
        problems.append(Problem(where, "free_days", Message("from 0 to {limit} days", limit=FREE_DAYS_LIMIT)))
    if not 0 <= terms.surcharge_after <= STAY_LIMIT:
        problems.append(Problem(where, "surcharge_after", Message("from 0 to {limit} days", limit=STAY_LIMIT)))
    pct = terms.surcharge_percent
    if not isinstance(pct, Decimal) or not pct.is_finite() or not 0 <= pct <= SURCHARGE_LIMIT \
            or pct.as_tuple().exponent < -2:  # type: ignore[operator]
        problems.append(Problem(where, "surcharge_percent",
                                Message("a percentage from 0 to {limit} with at most 2 decimals",
                                        limit=SURCHARGE_LIMIT)))
    elif pct > 0 and terms.surcharge_after == 0:
        problems.append(Problem(where, "surcharge_after",
                                Message("a surcharge needs the number of days after which it applies")))
    return problems


def check_warehouse(draft: WarehouseDraft, members: Sequence[str]) -> list[Problem]:
    """Every problem of a warehouse as entered."""
    where = "warehouse"
    problems: list[Problem] = []
    if not draft.name.strip() or len(draft.name) > NAME_LIMIT:
        problems.append(Problem(where, "name", Message("a name of 1 to {limit} characters", limit=NAME_LIMIT)))
    if len(draft.location) > LOCATION_LIMIT:
        problems.append(Problem(where, "location", Message("at most {limit} characters", limit=LOCATION_LIMIT)))
    if draft.owner not in members:
        problems.append(Problem(where, "owner", Message("{owner} is not an active member", owner=draft.owner)))
    if not isinstance(draft.unit, Unit):
        problems.append(Problem(where, "unit", Message("the unit is pallet, m3 or m2")))
    if type(draft.capacity) is not int or not 0 < draft.capacity <= CAPACITY_LIMIT:
        problems.append(Problem(where, "capacity", Message("a whole number above 0 and at most {limit}",
                                                           limit=CAPACITY_LIMIT)))
    return problems + check_terms(draft.terms)


def check_span(starts_on: date, ends_on: date, where: str = "booking", field: str = "ends_on") -> list[Problem]:
    if ends_on < starts_on:
        return [Problem(where, field, Message("ends on {end}, before it starts on {start}",
                                              end=ends_on.isoformat(), start=starts_on.isoformat()))]
    if (ends_on - starts_on).days + 1 > STAY_LIMIT:
        return [Problem(where, field, Message("at most {limit} days", limit=STAY_LIMIT))]
    return []


def check_booking(quantity: int, starts_on: date, ends_on: date, priority: int, capacity: int) -> list[Problem]:
    """Every problem of a booking as entered (capacity over the days is checked separately)."""
    where = "booking"
    problems: list[Problem] = []
    if type(quantity) is not int or quantity <= 0:
        problems.append(Problem(where, "quantity", Message("a whole number above 0")))
    elif quantity > capacity:
        problems.append(Problem(where, "quantity", Message("more than the warehouse's capacity of {capacity}",
                                                           capacity=capacity)))
    problems += check_span(starts_on, ends_on)
    if type(priority) is not int or not Priority.HIGH <= priority <= Priority.LOW:
        problems.append(Problem(where, "priority", Message("from 1 (high) to 5 (low)")))
    return problems


# -- parsing what a form, the API or the command line sends -----------------------------------------

PRICE_FIELDS = {Period.DAY: "price_day", Period.WEEK: "price_week", Period.MONTH: "price_month"}


def _whole(raw: Mapping[str, Any], field: str, default: int | None, problems: list[Problem]) -> int:
    value = raw.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        if default is None:
            problems.append(Problem("warehouse", field, Message("required")))
            return 0
        return default
    try:
        if isinstance(value, bool) or (isinstance(value, float)):
            raise ValueError
        return int(str(value).strip())
    except ValueError:
        problems.append(Problem("warehouse", field, Message("{value!r} is not a whole number", value=value)))
        return 0


def parse_draft(raw: Mapping[str, Any], currency: str, members: Sequence[str] | None = None) -> WarehouseDraft:
    """A warehouse draft from text fields (a form, JSON, CLI options): name, owner, location, capacity,
    unit, price_day / price_week / price_month (amounts such as "10.00", blank for none), free_days,
    surcharge_after, surcharge_percent, active. Every problem at once: WarehouseInvalid, with (when
    `members` is given) the draft's own checks (`check_warehouse`) of the fields that did parse."""
    from alliance.core.money import Money, MoneyError

    problems: list[Problem] = []
    unit_text = str(raw.get("unit") or "").strip()
    try:
        unit = Unit(unit_text)
    except ValueError:
        problems.append(Problem("warehouse", "unit", Message("{unit!r} is not a unit: pallet, m3 or m2",
                                                             unit=unit_text)))
        unit = Unit.PALLET
    lines = []
    for period, field in PRICE_FIELDS.items():
        text = raw.get(field)
        if text is None or not str(text).strip():
            continue
        try:
            lines.append(PriceLine(period, Money.parse(str(text), currency).minor))
        except MoneyError as exc:
            problems.append(Problem("warehouse", field, exc.message))
    pct_text = str(raw.get("surcharge_percent") or "0").strip()
    try:
        pct = Decimal(pct_text)
        if not pct.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        problems.append(Problem("warehouse", "surcharge_percent", Message("{value!r} is not a number",
                                                                          value=pct_text)))
        pct = Decimal(0)
    draft = WarehouseDraft(
        name=str(raw.get("name") or ""), owner=str(raw.get("owner") or "").strip(),
        location=str(raw.get("location") or ""), capacity=_whole(raw, "capacity", None, problems), unit=unit,
        terms=Terms(tuple(lines), _whole(raw, "free_days", 0, problems), _whole(raw, "surcharge_after", 0, problems),
                    pct),
        active=raw.get("active", True) not in (False, "false", "0", "off", "no"))
    if problems and members is not None:
        failed = {p.field for p in problems}
        if failed & set(PRICE_FIELDS.values()):
            failed.add("price_lines")
        problems += [p for p in check_warehouse(draft, members) if p.field not in failed]
    if problems:
        raise WarehouseInvalid(Message("the warehouse has {count} problem(s); nothing was stored",
                                       count=len(problems)), problems)
    return draft
