"""Periods of a granularity: weeks start on Monday, months on the 1st, quarters on Jan/Apr/Jul/Oct 1st (pure)."""

from __future__ import annotations

from datetime import date, timedelta


def start_of(day: date, granularity: str) -> date:
    """The start of the period that contains `day`."""
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    if granularity == "month":
        return day.replace(day=1)
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def shift(start: date, granularity: str, n: int) -> date:
    """The start of the period `n` periods after (before, if negative) the one starting at `start`."""
    if granularity == "week":
        return start + timedelta(weeks=n)
    months = 1 if granularity == "month" else 3
    index = start.year * 12 + start.month - 1 + n * months
    return date(index // 12, index % 12 + 1, 1)


def latest_completed(today: date, granularity: str) -> date:
    """The start of the last period that has ended by `today` (the one before today's)."""
    return shift(start_of(today, granularity), granularity, -1)


def between(first: date, last: date, granularity: str) -> list[date]:
    """Period starts from `first` to `last`, both included."""
    found, at = [], first
    while at <= last:
        found.append(at)
        at = shift(at, granularity, 1)
    return found
