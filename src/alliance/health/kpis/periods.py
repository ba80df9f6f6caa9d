"""Periods a scorecard or a value is for: a quarter, a month, an ISO week, or any [start, end). Pure.

Text forms (`parse_period`): `2026Q4` (or `2026-Q4`), `2026-11`, `2026-W48`, `2026` (a year) and
`2026-10-01..2027-01-01` (start inclusive, end exclusive). Each period knows the one before it of
the same kind (growth compares with it): the previous quarter, month or week; for a free range,
the range of the same length just before it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from alliance.core.errors import Problem
from alliance.core.messages import Message
from alliance.health.kpis.errors import PeriodInvalid

LONGEST = timedelta(days=3660)  # a free range of at most ten years


class Granularity(StrEnum):
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    RANGE = "range"


@dataclass(frozen=True, slots=True, order=True)
class Period:
    start: date
    end: date                    # exclusive
    granularity: Granularity

    @property
    def label(self) -> str:
        s = self.start
        if self.granularity is Granularity.QUARTER:
            return f"{s.year}Q{(s.month - 1) // 3 + 1}"
        if self.granularity is Granularity.MONTH:
            return f"{s.year}-{s.month:02d}"
        if self.granularity is Granularity.WEEK:
            year, week, _ = s.isocalendar()
            return f"{year}-W{week:02d}"
        if self.granularity is Granularity.YEAR:
            return f"{s.year}"
        return f"{s.isoformat()}..{self.end.isoformat()}"

    @property
    def weeks(self) -> Decimal:
        return Decimal((self.end - self.start).days) / 7

    def previous(self) -> Period:
        if self.granularity is Granularity.RANGE:
            return Period(self.start - (self.end - self.start), self.start, Granularity.RANGE)
        return containing(self.granularity, self.start - timedelta(days=1))

    def following(self) -> Period:
        if self.granularity is Granularity.RANGE:
            return Period(self.end, self.end + (self.end - self.start), Granularity.RANGE)
        return containing(self.granularity, self.end)

    def __str__(self) -> str:
        return self.label


def _month_start(year: int, month: int) -> date:
    return date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def containing(granularity: Granularity | str, day: date) -> Period:
    """The period of `granularity` (week, month, quarter, year) that holds `day`."""
    g = Granularity(granularity)
    if g is Granularity.WEEK:
        start = day - timedelta(days=day.weekday())
        return Period(start, start + timedelta(days=7), g)
    if g is Granularity.MONTH:
        return Period(date(day.year, day.month, 1), _month_start(day.year, day.month + 1), g)
    if g is Granularity.QUARTER:
        first = (day.month - 1) // 3 * 3 + 1
        return Period(date(day.year, first, 1), _month_start(day.year, first + 3), g)
    if g is Granularity.YEAR:
        return Period(date(day.year, 1, 1), date(day.year + 1, 1, 1), g)
    raise PeriodInvalid(Message("{granularity!r} is not week, month, quarter or year", granularity=str(granularity)))


def between(granularity: Granularity | str, since: date, until: date) -> list[Period]:
    """Every period of `granularity` from the one holding `since` while it starts before `until`."""
    try:
        g = Granularity(granularity)
    except ValueError:
        raise PeriodInvalid(Message("{granularity!r} is not week, month or quarter",
                                    granularity=str(granularity))) from None
    if g is Granularity.RANGE:
        raise PeriodInvalid(Message("{granularity!r} is not week, month or quarter", granularity=g.value))
    out: list[Period] = []
    if until <= since:
        return out
    period = containing(g, since)
    while period.start < until:
        out.append(period)
        period = period.following()
    return out


_QUARTER = re.compile(r"^(\d{4})-?[Qq]([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_WEEK = re.compile(r"^(\d{4})-?[Ww](\d{1,2})$")
_YEAR = re.compile(r"^(\d{4})$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\s*\.\.\s*(\d{4}-\d{2}-\d{2})$")


def parse_period(text: object) -> Period:
    """A period from its text form (see the module docstring), or PeriodInvalid saying what was given."""
    raw = str(text or "").strip()

    def refuse() -> PeriodInvalid:
        reason = Message("{text!r} is not a period: write 2026Q4, 2026-11, 2026-W48, 2026 or "
                         "2026-10-01..2027-01-01", text=raw[:40])
        return PeriodInvalid(reason, [Problem(Message("period"), "period", reason)])

    try:
        if m := _QUARTER.match(raw):
            return containing(Granularity.QUARTER, date(int(m[1]), (int(m[2]) - 1) * 3 + 1, 1))
        if m := _MONTH.match(raw):
            return containing(Granularity.MONTH, date(int(m[1]), int(m[2]), 1))
        if m := _WEEK.match(raw):
            return containing(Granularity.WEEK, date.fromisocalendar(int(m[1]), int(m[2]), 1))
        if m := _YEAR.match(raw):
            return containing(Granularity.YEAR, date(int(m[1]), 1, 1))
        if m := _RANGE.match(raw):
            start, end = date.fromisoformat(m[1]), date.fromisoformat(m[2])
            if start < end and end - start <= LONGEST:
                return Period(start, end, Granularity.RANGE)
    except ValueError:
        pass
    raise refuse()
