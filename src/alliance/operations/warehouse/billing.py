"""A warehouse month's invoice: one line per booking that accrues in the month or whose earlier
months changed after they were billed (a correction), and the totals per member. Pure.

For a booking, `target(through)` is what its stay accrues up to a day (`accrual.Accrual`) by the
data as it is now (actual days and quantity once checked in; nothing once cancelled). The month's
line bills the days of the month; the correction bills target(the day before the month) minus what
earlier invoices billed for the booking. So closed months are never rewritten, and over all months a
booking is billed exactly its stay's price.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from alliance.operations.warehouse.accrual import Accrual, month_bounds
from alliance.operations.warehouse.model import Booking, Status, Terms
from alliance.operations.warehouse.pricing import CostTable, StayPrice, explain, money_text, stay_price

RATE_LIMIT = 200


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    """One booking's part of a month's invoice. `amount_minor` = month + correction."""

    booking: int  # booking number
    member: str
    month_minor: int
    correction_minor: int
    days_in_month: int
    explanation: str

    @property
    def amount_minor(self) -> int:
        return self.month_minor + self.correction_minor


@dataclass(frozen=True, slots=True)
class Invoice:
    month: str
    lines: tuple[InvoiceLine, ...]
    totals: dict[str, int] = field(default_factory=dict)  # member -> amount (minor), members with lines

    @property
    def total_minor(self) -> int:
        return sum(self.totals.values())


def invoice(month: str, bookings: Iterable[Booking], terms: Terms,
            billed_before: Mapping[int, int], *, digits: int = 2, table: CostTable | None = None) -> Invoice:
    """The month's invoice. `billed_before` maps a booking's id to what earlier months billed for it."""
    first, last = month_bounds(month)
    table = table or CostTable(terms.lines)
    lines: list[InvoiceLine] = []
    priced: dict[tuple[int, int], tuple[StayPrice, str]] = {}  # (days, quantity) -> price and words
    for b in bookings:
        before = billed_before.get(b.id, 0)
        if b.status in (Status.CANCELLED, Status.WAITLISTED):
            if before:
                lines.append(InvoiceLine(b.number, b.member, 0, -before, 0,
                                         f"#{b.number} ✕; Δ {money_text(-before, digits)}"))
            continue
        start, end = b.stay
        if start > last and not before:
            continue
        key = ((end - start).days + 1, b.billed_quantity)
        found = priced.get(key)
        if found is None:
            price = stay_price(key[0], key[1], terms, table)
            found = priced[key] = (price, explain(price, terms, digits))
        price, words = found
        accrual = Accrual(start, price)
        lo, hi = max(start, first), min(end, last)
        in_month = accrual.between(lo, hi) if lo <= hi else 0
        target_before = accrual.between(start, first - timedelta(days=1)) if start < first else 0
        correction = target_before - before
        if lo > hi and not correction:
            continue
        days = max(0, (hi - lo).days + 1)
        text = (f"#{b.number} {start.isoformat()}–{end.isoformat()}: {words}; "
                f"{month}: {days} d {money_text(in_month, digits)}")
        if correction:
            text += f"; Δ {money_text(correction, digits)}"
        lines.append(InvoiceLine(b.number, b.member, in_month, correction, days, text))
    totals: dict[str, int] = {}
    for line in lines:
        totals[line.member] = totals.get(line.member, 0) + line.amount_minor
    return Invoice(month, tuple(lines), totals)


def by_member(lines: Iterable[InvoiceLine]) -> dict[str, list[InvoiceLine]]:
    found: dict[str, list[InvoiceLine]] = {}
    for line in lines:
        found.setdefault(line.member, []).append(line)
    return found


def member_rate(mine: Sequence[InvoiceLine], reference: str) -> str:
    """The words on a member's statement line (<= 200 characters) for its lines `mine`: the one
    booking's explanation, or the bookings' numbers and the invoice to read."""
    if len(mine) == 1 and len(mine[0].explanation) <= RATE_LIMIT:
        return mine[0].explanation
    numbers = " + ".join(f"#{line.booking}" for line in mine)
    text = f"{numbers} ({reference})"
    if len(text) > RATE_LIMIT:
        text = f"{len(mine)} × # ({reference})"
    return text[:RATE_LIMIT]
