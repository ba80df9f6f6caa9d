"""Use of a warehouse day by day, the first day a booking would not fit, and the waitlist's order. Pure.

A booking holds space on the days it occupies (`Booking.occupies`: booked, checked in or checked
out; actual days and quantity once checked in). A new booking fits when on every day of its span the
quantities held plus its own stay within the capacity.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from alliance.operations.warehouse.model import Booking, Status


@dataclass(frozen=True, slots=True)
class Shortfall:
    """The first day a booking would not fit, and what was free that day."""

    day: date
    free: int


def _deltas(bookings: Iterable[Booking], start: date, end: date, skip: int | None) -> dict[date, int]:
    deltas: dict[date, int] = {}
    for b in bookings:
        span = b.occupies
        if span is None or b.id == skip or span[1] < start or span[0] > end:
            continue
        lo = max(span[0], start)
        deltas[lo] = deltas.get(lo, 0) + b.billed_quantity
        after = span[1] + timedelta(days=1)
        deltas[after] = deltas.get(after, 0) - b.billed_quantity
    return deltas


def used_by_day(bookings: Iterable[Booking], start: date, end: date, skip: int | None = None) -> list[int]:
    """Units held on each day start … end (inclusive); `skip` leaves one booking out (its own change)."""
    deltas = _deltas(bookings, start, end, skip)
    used, level = [], 0
    day = start
    while day <= end:
        level += deltas.get(day, 0)
        used.append(level)
        day += timedelta(days=1)
    return used


def first_shortfall(bookings: Iterable[Booking], capacity: int, quantity: int, start: date, end: date,
                    skip: int | None = None) -> Shortfall | None:
    """The first day of start … end on which `quantity` more units do not fit, or None if they fit."""
    for offset, used in enumerate(used_by_day(bookings, start, end, skip)):
        if used + quantity > capacity:
            return Shortfall(start + timedelta(days=offset), max(0, capacity - used))
    return None


def free_by_day(bookings: Iterable[Booking], capacity: int, start: date, end: date) -> list[int]:
    """Free units on each day start … end."""
    return [max(0, capacity - u) for u in used_by_day(bookings, start, end)]


def waitlist_order(bookings: Iterable[Booking]) -> list[Booking]:
    """Waitlisted bookings in the order they are offered space: priority (1 first), then who asked first."""
    waiting = [b for b in bookings if b.status is Status.WAITLISTED]
    return sorted(waiting, key=lambda b: (b.priority, b.created_at, b.number))


def promotions(bookings: Sequence[Booking], capacity: int, today: date) -> list[Booking]:
    """The waitlisted bookings that now fit, offered in waitlist order, each counted in before the next
    is tried (a later, smaller one may fit when an earlier one does not). Those ending before today
    are past and skipped."""
    held = [b for b in bookings if b.occupies is not None]
    promoted: list[Booking] = []
    for b in waitlist_order(bookings):
        if b.ends_on < today:
            continue
        if first_shortfall(held, capacity, b.quantity, b.starts_on, b.ends_on) is None:
            moved = replace(b, status=Status.BOOKED)
            held.append(moved)
            promoted.append(moved)
    return promoted
