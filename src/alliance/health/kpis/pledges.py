"""Pledges of resources and their deliveries. Pure.

A member pledges an amount of one kind of resource by a due date; deliveries are recorded against
the pledge. Money is kept in integer minor units of the alliance's currency (core.money); the other
kinds as exact decimals of their unit (people-days, square metres, channels, licences...). As of a
day, a pledge is:

- on_time: delivered in full by its due date;
- late: delivered in full, but only after its due date;
- short: its due date has passed and it is not (yet) delivered in full;
- open: not delivered in full, and not due yet.

Late and short pledges are what the scorecard's on-time contribution counts against, and what
the warning rules call "key resource contributions keep arriving late".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from alliance.core.money import Money


class PledgeKind(StrEnum):
    MONEY = "money"
    PEOPLE_DAYS = "people_days"
    WAREHOUSE_SPACE = "warehouse_space"
    CHANNELS = "channels"
    TECHNOLOGY = "technology"


DEFAULT_UNITS = {PledgeKind.PEOPLE_DAYS: "people-days", PledgeKind.WAREHOUSE_SPACE: "m2",
                 PledgeKind.CHANNELS: "channels", PledgeKind.TECHNOLOGY: "licences"}


class PledgeStatus(StrEnum):
    OPEN = "open"
    ON_TIME = "on_time"
    LATE = "late"
    SHORT = "short"


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    pledge_number: int
    amount: Decimal          # in the pledge's unit (money: its currency's units, exact)
    delivered_on: date
    recorded_by: str
    recorded_at: datetime
    note: str = ""


@dataclass(frozen=True, slots=True)
class Pledge:
    number: int
    member: str
    kind: PledgeKind
    amount: Decimal          # exact; for money the amount of `unit` (a currency code)
    unit: str
    due_on: date
    description: str
    pledged_by: str
    pledged_at: datetime
    deliveries: tuple[Delivery, ...] = ()

    @property
    def money(self) -> Money | None:
        return Money.parse(str(self.amount), self.unit) if self.kind is PledgeKind.MONEY else None

    def delivered(self, through: date | None = None) -> Decimal:
        return sum((d.amount for d in self.deliveries if through is None or d.delivered_on <= through), Decimal(0))

    def completed_on(self) -> date | None:
        """The day the deliveries first added up to the amount, if they did."""
        total = Decimal(0)
        for d in sorted(self.deliveries, key=lambda d: (d.delivered_on, d.id)):
            total += d.amount
            if total >= self.amount:
                return d.delivered_on
        return None

    def status(self, as_of: date) -> PledgeStatus:
        done = self.completed_on()
        if done is not None and done <= as_of:
            return PledgeStatus.ON_TIME if done <= self.due_on else PledgeStatus.LATE
        return PledgeStatus.SHORT if self.due_on < as_of else PledgeStatus.OPEN


def on_time_share(pledges: Sequence[Pledge], start: date, end: date, as_of: date) -> tuple[Decimal | None, int, int]:
    """Of the pledges due in [start, end) whose due date has passed by `as_of`: the percentage
    delivered on time and in full (None when none was due), how many were, and how many were due."""
    due = [p for p in pledges if start <= p.due_on < end and p.due_on < as_of]
    if not due:
        return None, 0, 0
    kept = sum(1 for p in due if p.status(as_of) is PledgeStatus.ON_TIME)
    return Decimal(kept * 100) / Decimal(len(due)), kept, len(due)
