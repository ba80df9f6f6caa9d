"""What the computed indicators read, and what they give. Pure.

The service's loader fills `IndicatorData` with plain rows for a window and the window before it
(instants already turned into days of the alliance's time zone), so every indicator is a pure
function `compute(data, window) -> {member or None: Reading}`: one pass over the rows for every
member at once (None is the alliance as a whole), whatever the number of members.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Protocol

from alliance.health.kpis.pledges import Pledge

PLACES = Decimal("0.01")


def rounded(value: Decimal) -> Decimal:
    """Indicator values carry two decimal places (half-even), as the store keeps them."""
    return value.quantize(PLACES, rounding=ROUND_HALF_EVEN)


def percent(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    return None if not whole else rounded(Decimal(part) * 100 / Decimal(whole))


@dataclass(frozen=True, slots=True)
class Window:
    start: date
    end: date            # exclusive
    previous_start: date  # [previous_start, start) is the period before (growth compares with it)
    as_of: date          # what is known: min(end, today)
    weeks: Decimal = Decimal(0)

    def holds(self, day: date) -> bool:
        return self.start <= day < self.end

    def before(self, day: date) -> bool:
        return self.previous_start <= day < self.start


@dataclass(frozen=True, slots=True)
class MeetingRow:
    id: int
    title: str
    on: date                 # the day it started, in the alliance's time zone


@dataclass(frozen=True, slots=True)
class AttendanceRow:
    meeting_id: int
    member: str
    presence: str            # present | proxy | absent


@dataclass(frozen=True, slots=True)
class AgendaRow:
    id: int
    meeting_id: int
    title: str
    owner: str
    proposal: str | None
    has_minutes: bool


@dataclass(frozen=True, slots=True)
class ActionRow:
    id: int
    meeting_id: int
    agenda_item_id: int | None
    owner: str
    due_on: date
    status: str              # open | done | cancelled
    closed_on: date | None


@dataclass(frozen=True, slots=True)
class ProposalRow:
    number: int
    author_member: str | None
    status: str
    submitted_on: date | None
    decided_on: date | None    # implemented, or else closed
    decided_days: Decimal | None  # days from submission to implementation (or closing), exact to the second


@dataclass(frozen=True, slots=True)
class BallotRow:
    voter: str
    on: date


@dataclass(frozen=True, slots=True)
class ViewRow:
    id: int
    member: str
    created_on: date
    revoked_on: date | None


@dataclass(frozen=True, slots=True)
class AccessRow:
    view_id: int
    on: date


@dataclass(frozen=True, slots=True)
class DisputeRow:
    number: int
    parties: tuple[str, ...]
    opened_on: date


@dataclass(frozen=True, slots=True)
class PatentRow:
    """A foreground patent that is joint now (the IP register): the day it became joint, its holders."""

    asset: int
    joint_on: date
    holders: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AccountDay:
    day: date
    account: str
    net_minor: int
    lines: int


@dataclass(frozen=True, slots=True)
class WarehouseDay:
    """One shared warehouse's day (operations.warehouse): its owner, capacity and the units booked or in use."""

    owner: str
    day: date
    capacity: int
    used: int


@dataclass(frozen=True, slots=True)
class StockDay:
    """A member's total units on one of its inventory snapshot days (a member on the inventory board)."""

    member: str
    day: date
    quantity: int


@dataclass(frozen=True, slots=True)
class SoldDay:
    """A member's units sold on one business day (order lines as seller, refunds negative), for a member
    that shares its sales (a live sales view)."""

    member: str
    day: date
    units: int


@dataclass(frozen=True, slots=True)
class IndicatorData:
    members: tuple[str, ...]                       # the members scored (active in the window)
    meetings: tuple[MeetingRow, ...] = ()
    attendance: tuple[AttendanceRow, ...] = ()
    agenda: tuple[AgendaRow, ...] = ()
    actions: tuple[ActionRow, ...] = ()
    proposals: tuple[ProposalRow, ...] = ()
    ballots: tuple[BallotRow, ...] = ()
    views: tuple[ViewRow, ...] = ()
    accesses: tuple[AccessRow, ...] = ()
    disputes: tuple[DisputeRow, ...] = ()
    settled_lines: Mapping[date, int] = field(default_factory=dict)  # closed day -> order lines settled
    accounts: tuple[AccountDay, ...] = ()
    pledges: tuple[Pledge, ...] = ()
    patents: tuple[PatentRow, ...] = ()
    warehouse_days: tuple[WarehouseDay, ...] = ()
    stock_days: tuple[StockDay, ...] = ()          # the inventory board's members (operations.inventory)
    sold_days: tuple[SoldDay, ...] = ()
    sales_shared: frozenset[str] = frozenset()      # the board's members whose sales are read


@dataclass(frozen=True, slots=True)
class Reading:
    value: Decimal | None
    details: Mapping[str, Decimal | int] = field(default_factory=dict)


Readings = dict[str | None, Reading]


class Indicator(Protocol):
    """One module under `indicators/`: its code, what it counts (for the docs) and its computation."""

    CODE: str
    SUMMARY: str

    def compute(self, data: IndicatorData, window: Window) -> Readings: ...


def empty(data: IndicatorData) -> Readings:
    return {None: Reading(None), **{m: Reading(None) for m in data.members}}
