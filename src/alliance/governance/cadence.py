"""How often a body meets, and the dates and instants of its next meetings (pure: no I/O).

A cadence is one row of `CADENCES`: a step of whole days (weekly, every two weeks) or of whole
months (monthly, quarterly, half-yearly, yearly). Adding one is one row. The n-th meeting is
computed from the first one, never from the one before, so a first meeting on the 31st is on the
last day of each shorter month and back on the 31st after (no drift to the 28th).

A meeting is held at a local time of day in the alliance's time zone: in a zone with daylight
saving the UTC instant moves with the clocks and the local time stays. A local time that does not
exist (skipped when the clocks go forward) is read with the offset before the gap, so it lands that
much later (as RFC 5545 reads such a DTSTART); one that happens twice is the first of the two.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

MAX_OCCURRENCES = 60  # five years of monthly meetings at once


class Step(Protocol):
    def nth(self, first: date, n: int) -> date:
        """The date of the n-th meeting (0: `first` itself)."""


@dataclass(frozen=True, slots=True)
class Days:
    days: int

    def nth(self, first: date, n: int) -> date:
        return first + timedelta(days=self.days * n)


@dataclass(frozen=True, slots=True)
class Months:
    months: int

    def nth(self, first: date, n: int) -> date:
        index = first.month - 1 + self.months * n
        year, month = first.year + index // 12, index % 12 + 1
        return date(year, month, min(first.day, calendar.monthrange(year, month)[1]))


CADENCES: dict[str, Step] = {
    "weekly": Days(7),
    "biweekly": Days(14),
    "monthly": Months(1),
    "quarterly": Months(3),
    "half_yearly": Months(6),
    "yearly": Months(12),
}


def local_instant(day: date, at: time, zone: str) -> datetime:
    """The UTC instant of local time `at` on `day` in `zone` (see the module docstring for gaps and folds)."""
    local = datetime.combine(day, at.replace(tzinfo=None, fold=0), tzinfo=ZoneInfo(zone))
    # Round-tripping through UTC normalises a time in a gap: fold=0 reads it with the offset before.
    return local.astimezone(UTC)


def occurrences(cadence: str, first: date, at: time, zone: str, count: int) -> list[datetime]:
    """The UTC instants of `count` meetings from `first` on, every `cadence`, at local `at` in `zone`."""
    step = CADENCES[cadence]
    return [local_instant(step.nth(first, n), at, zone) for n in range(count)]

