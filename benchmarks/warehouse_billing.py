"""Warehouse billing speed: a month of 100,000 bookings billed, beside a plain Python loop.

Run: PYTHONPATH=src .venv/bin/python benchmarks/warehouse_billing.py [--bookings 100000] [--repeat 3]

Target (issue 25), on the 2-core reference machine: billing a month of 100,000 warehouse bookings in
at most 2 s. "Billing" is what `operations.warehouse.service.bill_month` computes for a warehouse
month (`billing.invoice`): per booking its stay's cheapest combination of price lines (a cost table
per warehouse: it depends only on the number of billable days), free days, the long-storage
surcharge, the month's days of the daily accrual, the correction against what earlier months billed,
the self-explaining line; then the members' totals and the charge's lines (`service.charge_lines`).

Two baselines run in the same process on the same bookings: the **reference loop**, the same
billing written plainly booking by booking (each stay's cheapest combination solved afresh, its
accrual summed day by day: it must give the engine's totals to the cent, checked before timing),
and the **floor loop**, the least a Python loop must do to bill a month (quantity × days in the
month × the day price, no combination, free days, surcharge, correction or words).

The bookings: 2,000 members; stays of 1 to 120 days starting from 2026-08 to 2026-11 (all touching
November), 1 to 40 pallets; 5% checked out early, 3% cancelled; half of them billed in October
already (so corrections are computed), with a tenth of those billed a different amount.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from alliance.operations.warehouse.accrual import Accrual, month_bounds  # noqa: E402
from alliance.operations.warehouse.billing import invoice  # noqa: E402
from alliance.operations.warehouse.model import Booking, Period, PriceLine, Status, Terms  # noqa: E402
from alliance.operations.warehouse.pricing import CostTable, stay_price  # noqa: E402

MONTH = "2026-11"
TARGET = 2.0
TERMS = Terms((PriceLine(Period.DAY, 1000), PriceLine(Period.WEEK, 6000), PriceLine(Period.MONTH, 22000)),
              free_days=2, surcharge_after=60, surcharge_percent=Decimal("10"))
AT = datetime(2026, 8, 1, tzinfo=UTC)


def bookings(count: int, seed: int = 25) -> tuple[list[Booking], dict[int, int]]:
    rng = random.Random(seed)
    first, last = month_bounds(MONTH)
    found, billed = [], {}
    for i in range(1, count + 1):
        days = rng.randint(1, 120)
        end = first + timedelta(days=rng.randint(0, 29) + rng.randint(0, 60))
        start = max(end - timedelta(days=days - 1), date(2026, 8, 1))
        if end < first:
            end = first
        status, out = Status.BOOKED, None
        roll = rng.random()
        if roll < 0.05:
            status, out = Status.CHECKED_OUT, max(start, end - timedelta(days=rng.randint(1, 10)))
        elif roll < 0.08:
            status = Status.CANCELLED
        b = Booking(i, i, 1, f"M{rng.randint(1, 2000):04d}", rng.randint(1, 40), start, end, 3, status, AT, "bench",
                    checked_in_on=start if out else None, checked_out_on=out)
        found.append(b)
        if start < first and rng.random() < 0.5:
            billed[b.id] = rng.randint(0, 500_000)
    return found, billed


def plain_loop(every: list[Booking]) -> dict[str, int]:
    """The baseline: quantity × days in the month × the day price, per member."""
    first, last = month_bounds(MONTH)
    day_price = TERMS.lines[0].price_minor
    totals: dict[str, int] = {}
    for b in every:
        if b.status is Status.CANCELLED:
            continue
        start, end = b.stay
        lo, hi = max(start, first), min(end, last)
        if lo > hi:
            continue
        totals[b.member] = totals.get(b.member, 0) + b.billed_quantity * ((hi - lo).days + 1) * day_price
    return totals


def reference_loop(every: list[Booking], billed: dict[int, int]) -> dict[str, int]:
    """The same billing written plainly, booking by booking: the stay's cheapest combination solved
    afresh (its own cost table), its daily accrual summed day by day over the month and over the days
    before it (`accrual.Accrual`, the specification the engine's closed form is tested against), less
    what earlier months billed. Gives the engine's totals to the cent (checked before timing)."""
    first, last = month_bounds(MONTH)
    totals: dict[str, int] = {}
    for b in every:
        accrued = 0  # what the booking has accrued up to the month's last day (a cancelled one: nothing)
        start, end = b.stay
        if b.status is not Status.CANCELLED and start <= last:
            price = stay_price((end - start).days + 1, b.billed_quantity, TERMS, CostTable(TERMS.lines))
            accrued = Accrual(start, price).between(start, min(end, last))
        amount = accrued - billed.get(b.id, 0)  # the month's days, and the correction of the months before
        if amount:
            totals[b.member] = totals.get(b.member, 0) + amount
    return totals


def engine(every: list[Booking], billed: dict[int, int]) -> tuple[int, int]:
    from alliance.operations.warehouse.service import charge_lines

    inv = invoice(MONTH, every, TERMS, billed, table=CostTable(TERMS.lines))
    lines = charge_lines(inv, "OWNER", "warehouse-1/2026-11")
    return len(inv.lines), len(lines)


def best(work, repeat: int) -> tuple[object, float]:  # noqa: ANN001 (a benchmark helper)
    times, out = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        out = work()
        times.append(time.perf_counter() - started)
    return out, min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bookings", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    every, billed = bookings(args.bookings)
    (lines, charge), seconds = best(lambda: engine(every, billed), args.repeat)  # type: ignore[misc]
    _, plain = best(lambda: plain_loop(every), args.repeat)
    expected = {m: v for m, v in invoice(MONTH, every, TERMS, billed).totals.items() if v}
    reference, spelled = best(lambda: reference_loop(every, billed), 1)
    if reference != expected:  # the baseline must bill exactly what the engine bills
        raise SystemExit(f"the reference loop disagrees with the engine on {len(set(reference.items()) ^ set(expected.items()))} totals")
    print(f"bookings: {len(every):,}; billed before: {len(billed):,}; month {MONTH}")
    print(f"{'what':<44} {'seconds':>8}")
    print(f"{'engine (invoice lines + charge), best of ' + str(args.repeat):<44} {seconds:8.3f}  "
          f"{lines:,} invoice lines, {charge:,} charge lines  {'ok' if seconds <= TARGET else 'OVER'} (target {TARGET} s)")
    print(f"{'reference loop (same totals, booking by booking)':<44} {spelled:8.3f}  "
          f"reference / engine = {spelled / seconds:.1f}×")
    print(f"{'floor loop (qty × days × day price)':<44} {plain:8.3f}  engine / floor = {seconds / plain:.1f}×")


if __name__ == "__main__":
    main()
