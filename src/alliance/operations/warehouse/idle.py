"""The idle rate of a warehouse over a span of days: 1 − used unit-days / capacity unit-days. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from alliance.operations.warehouse.capacity import used_by_day
from alliance.operations.warehouse.model import Booking


@dataclass(frozen=True, slots=True)
class IdleRate:
    start: date
    end: date
    capacity_unit_days: int
    used_unit_days: int

    @property
    def rate(self) -> Fraction:
        if self.capacity_unit_days == 0:
            return Fraction(0)
        return 1 - Fraction(min(self.used_unit_days, self.capacity_unit_days), self.capacity_unit_days)

    @property
    def percent(self) -> str:
        """The rate as a percentage with one decimal ("37.5")."""
        tenths = self.rate * 1000
        whole = tenths.numerator // tenths.denominator
        if tenths - whole >= Fraction(1, 2):
            whole += 1
        return f"{whole // 10}.{whole % 10}"


def idle_rate(bookings: Iterable[Booking], capacity: int, start: date, end: date) -> IdleRate:
    days = (end - start).days + 1
    used = sum(min(capacity, u) for u in used_by_day(bookings, start, end))
    return IdleRate(start, end, capacity * max(days, 0), used)


def weeks(end: date, count: int) -> list[tuple[date, date]]:
    """The `count` weeks (7-day spans) ending on `end`, oldest first."""
    return [(end - timedelta(days=7 * (count - i) - 1), end - timedelta(days=7 * (count - i - 1)))
            for i in range(count)]
