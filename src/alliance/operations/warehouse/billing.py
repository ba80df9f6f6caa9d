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
from datetime import date
from typing import NamedTuple

from alliance.operations.warehouse.accrual import month_bounds
from alliance.operations.warehouse.model import Booking, Status, Terms
from alliance.operations.warehouse.pricing import CostTable, explain, money_text, stay_price

RATE_LIMIT = 200


class StayDetail(NamedTuple):
    """What a stay's price was made of when a month was billed (the words of a line, as data)."""

    days: int
    billable_days: int
    free_days: int
    combination: tuple[tuple[str, int], ...]  # (period, count), longest first
    quantity: int
    base_minor: int
    surcharge_days: int
    surcharge_minor: int


class InvoiceLine(NamedTuple):
    """One booking's part of a month's invoice. `amount_minor` = month + correction. (A named tuple:
    a month of 100,000 bookings makes as many.)"""

    booking: int  # booking number
    member: str
    month_minor: int
    correction_minor: int
    days_in_month: int
    explanation: str
    stay_start: date | None = None  # the stay billed (None: a cancelled booking's credit)
    stay_end: date | None = None
    detail: StayDetail | None = None

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
    """The month's invoice. `billed_before` maps a booking's id to what earlier months billed for it.
    Each booking is priced by the terms it was made under (`Booking.terms`), `terms` (the warehouse's)
    for a booking stored without them.

    What a stay accrues on a run of its days is `accrual.Accrual.between`, written out here on day
    numbers with each stay length's price worked out once (a month of 100,000 bookings is billed
    in about a second; benchmarks/warehouse_billing.py); tests hold the two equal."""
    first, last = month_bounds(month)
    first_o, last_o = first.toordinal(), last.toordinal()
    tables = {terms: table or CostTable(terms.lines)}
    lines: list[InvoiceLine] = []
    # (days, quantity, terms) -> the words, free days, billed days, base per day and left over, first surcharged
    # day, surcharged days, surcharge per day and left over, the stay's detail
    priced: dict[tuple[int, int, Terms], tuple[str, int, int, int, int, int, int, int, int, StayDetail]] = {}
    iso: dict[int, str] = {}
    cancelled = (Status.CANCELLED, Status.WAITLISTED)
    scale = 10**digits

    def amount(minor: int) -> str:  # pricing.money_text, quicker for the usual case
        if minor < 0 or not digits:
            return money_text(minor, digits)
        return f"{minor // scale}.{minor % scale:0{digits}d}"

    def spread(each: int, left: int, count: int, lo: int, hi: int) -> int:
        # accrual._spread, with conditionals for the builtins (this runs twice a booking)
        if lo < 0:
            lo = 0
        if hi > count:
            hi = count
        if hi <= lo:
            return 0
        extra = (hi if hi < left else left) - lo
        return (hi - lo) * each + (extra if extra > 0 else 0)

    for b in bookings:
        before = billed_before.get(b.id, 0)
        if b.status in cancelled:
            if before:
                lines.append(InvoiceLine(b.number, b.member, 0, -before, 0,
                                         f"#{b.number} ✕; Δ {money_text(-before, digits)}"))
            continue
        start = b.checked_in_on or b.starts_on  # Booking.stay, written out
        end = b.checked_out_on or (b.ends_on if b.ends_on > start else start)
        start_o, end_o = start.toordinal(), end.toordinal()
        if start_o > last_o and not before:
            continue
        own = terms if b.terms is None else b.terms
        key = (end_o - start_o + 1, b.quantity if b.actual_quantity is None else b.actual_quantity, own)
        found = priced.get(key)
        if found is None:
            table_of = tables.get(own) or tables.setdefault(own, CostTable(own.lines))
            price = stay_price(key[0], key[1], own, table_of)
            base_each, base_left = divmod(price.base_minor, price.billable) if price.billable else (0, 0)
            s_each, s_left = divmod(price.surcharge_minor, price.surcharge_days) if price.surcharge_days else (0, 0)
            detail = StayDetail(price.days, price.billable, price.free_days,
                                tuple((p.value, c) for p, c in price.combination.counts), price.quantity,
                                price.base_minor, price.surcharge_days, price.surcharge_minor)
            found = priced[key] = (explain(price, own, digits), price.days - price.billable, price.billable,
                                   base_each, base_left, price.days - price.surcharge_days, price.surcharge_days,
                                   s_each, s_left, detail)
        words, free, billable, base_each, base_left, first_s, s_days, s_each, s_left, detail = found
        lo_o = start_o if start_o > first_o else first_o
        hi_o = end_o if end_o < last_o else last_o
        in_month = 0
        if lo_o <= hi_o:
            lo, hi = lo_o - start_o, hi_o - start_o + 1
            in_month = spread(base_each, base_left, billable, lo - free, hi - free)
            if s_days:
                in_month += spread(s_each, s_left, s_days, lo - first_s, hi - first_s)
        target_before = 0
        if start_o < first_o:
            hi = first_o - start_o
            target_before = spread(base_each, base_left, billable, -free, hi - free)
            if s_days:
                target_before += spread(s_each, s_left, s_days, -first_s, hi - first_s)
        correction = target_before - before
        if lo_o > hi_o and not correction:
            continue
        days = hi_o - lo_o + 1 if hi_o >= lo_o else 0
        a = iso.get(start_o) or iso.setdefault(start_o, start.isoformat())
        z = iso.get(end_o) or iso.setdefault(end_o, end.isoformat())
        text = f"#{b.number} {a}–{z}: {words}; {month}: {days} d {amount(in_month)}"
        if correction:
            text += f"; Δ {amount(correction)}"
        lines.append(InvoiceLine(b.number, b.member, in_month, correction, days, text, start, end, detail))
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
