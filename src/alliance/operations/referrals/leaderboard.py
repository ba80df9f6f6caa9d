"""The referral leaderboard of a period (a month or a quarter): per referrer, the referrals made,
accepted and converted in it, and the commission booked for them. Counts and commission are alliance
information; the leads' names and contacts never enter it. Pure."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from alliance.core.errors import InvalidInput, Problem
from alliance.core.messages import Message
from alliance.operations.referrals.model import Referral, State

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


@dataclass(frozen=True, slots=True)
class Period:
    key: str      # "2026-11" or "2026-Q4"
    first: date
    last: date


@dataclass(frozen=True, slots=True)
class Row:
    rank: int
    member: str
    made: int
    accepted: int
    converted: int
    commission_minor: int

    @property
    def conversion_rate(self) -> float | None:  # for display only; money never uses it
        return None if not self.made else self.converted / self.made


def period(key: str) -> Period:
    """A month `YYYY-MM` or a quarter `YYYY-Qn` (InvalidInput otherwise)."""
    key = key.strip().upper()
    if found := _MONTH.match(key):
        year, month = int(found[1]), int(found[2])
        first = date(year, month, 1)
        last = date(year + (month == 12), month % 12 + 1, 1).toordinal() - 1
        return Period(key, first, date.fromordinal(last))
    if found := _QUARTER.match(key):
        year, quarter = int(found[1]), int(found[2])
        first = date(year, 3 * quarter - 2, 1)
        end = date(year + (quarter == 4), (3 * quarter) % 12 + 1, 1)
        return Period(key, first, date.fromordinal(end.toordinal() - 1))
    raise InvalidInput(Message("the period is not valid"), [Problem("leaderboard", "period", Message(
        "a month as YYYY-MM (2026-11) or a quarter as YYYY-Qn (2026-Q4)"))])


def period_of(day: date, quarter: bool = False) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}" if quarter else f"{day.year}-{day.month:02d}"


def leaderboard(referrals: Iterable[Referral], within: Period) -> list[Row]:
    """Referrers of referrals submitted in the period, by commission, then converted, then made; ties
    share a rank (1, 1, 3)."""
    counts: dict[str, list[int]] = {}
    for r in referrals:
        if not within.first <= r.submitted_on <= within.last:
            continue
        c = counts.setdefault(r.from_member, [0, 0, 0, 0])
        c[0] += 1
        c[1] += r.state in (State.ACCEPTED, State.CONVERTED, State.LOST)
        c[2] += r.state is State.CONVERTED
        c[3] += r.booked_minor
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1][3], -kv[1][2], -kv[1][0], kv[0]))
    rows: list[Row] = []
    for i, (member, (made, accepted, converted, booked)) in enumerate(ordered):
        key = (booked, converted, made)
        rank = rows[-1].rank if rows and (rows[-1].commission_minor, rows[-1].converted, rows[-1].made) == key else i + 1
        rows.append(Row(rank, member, made, accepted, converted, booked))
    return rows
