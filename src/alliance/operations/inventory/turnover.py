"""Turnover days (库存周转天数), the one place the formula is written. Pure.

For a member and a period of `days` days (a calendar month; the month holding the as-of day D
counts its days up to D):

    turnover days = average stock units / (units sold in the period / days)
                  = average stock units × days / units sold

where the average stock is the mean, over the member's snapshot days in the period, of its total
units on that day, and units sold is the sum of the quantities of its order lines as seller with
refunds negative. No snapshot in the period, sales not shared, or nothing sold (0 or fewer units):
no figure (None, shown "—"). For the alliance, the members with a figure are summed: Σ average stock
× days / Σ units sold. Lower is better: stock sells in fewer days. One decimal place, half-even.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

PLACE = Decimal("0.1")


def months_back(as_of: date, count: int) -> list[date]:
    """The first days of the `count` months ending with the month of `as_of`, oldest first."""
    months, year, month = [], as_of.year, as_of.month
    for _ in range(count):
        months.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def month_end(first: date, as_of: date) -> date:
    """The month's last day counted: its last calendar day, or `as_of` in the month holding it."""
    last = date(first.year, first.month, calendar.monthrange(first.year, first.month)[1])
    return min(last, as_of)


def average(day_totals: Iterable[int]) -> Fraction | None:
    """The mean of the snapshot days' totals (exact), None without a snapshot day."""
    totals = list(day_totals)
    return Fraction(sum(totals), len(totals)) if totals else None


def turnover_days(average_units: Fraction | None, sold: int | None, days: int) -> Decimal | None:
    """average stock × days / units sold, one place; None when there is no stock figure or nothing sold."""
    if average_units is None or sold is None or sold <= 0:
        return None
    return decimal(average_units * days / sold)


def decimal(value: Fraction, place: Decimal = PLACE) -> Decimal:
    """An exact fraction rounded half-even to `place`."""
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(place, rounding=ROUND_HALF_EVEN)


def alliance_days(figures: Sequence[tuple[Fraction, int]], days: int) -> tuple[Fraction | None, int | None, Decimal | None]:
    """The alliance's (average stock, units sold, turnover days) from the members that have a figure
    (each their average stock and units sold > 0)."""
    if not figures:
        return None, None, None
    stock = sum((a for a, _ in figures), Fraction(0))
    sold = sum(s for _, s in figures)
    return stock, sold, turnover_days(stock, sold, days)


def by_month(rows: Iterable[tuple[str, date, int]], months: Sequence[date], as_of: date) -> dict[tuple[str, date], list[int]]:
    """(member, day, value) rows grouped by (member, first day of the month), within the months up to `as_of`."""
    wanted = set(months)
    grouped: dict[tuple[str, date], list[int]] = {}
    for member, day, value in rows:
        first = date(day.year, day.month, 1)
        if first in wanted and day <= as_of:
            grouped.setdefault((member, first), []).append(value)
    return grouped


def totals(grouped: Mapping[tuple[str, date], list[int]]) -> dict[tuple[str, date], int]:
    return {key: sum(values) for key, values in grouped.items()}
