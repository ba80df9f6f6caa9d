"""The shared warehouse's pure engine: the cheapest combination of price lines (against brute force),
daily accrual that adds back, months that bill a stay exactly once, capacity day by day, the
waitlist's order and the idle rate."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from alliance.core.money import Money, apportion
from alliance.operations.warehouse.accrual import Accrual, month_bounds, next_month, previous_month
from alliance.operations.warehouse.billing import by_member, invoice, member_rate
from alliance.operations.warehouse.capacity import first_shortfall, free_by_day, promotions, waitlist_order
from alliance.operations.warehouse.idle import idle_rate
from alliance.operations.warehouse.model import (
    Booking, Period, PriceLine, Status, Terms, Unit, WarehouseDraft, check_booking, check_terms, check_warehouse,
)
from alliance.operations.warehouse.pricing import CostTable, explain, stay_price

AT = datetime(2026, 11, 1, tzinfo=UTC)
DAY_WEEK = Terms((PriceLine(Period.DAY, 1000), PriceLine(Period.WEEK, 6000)))


def _booking(number: int, quantity: int, start: date, end: date, *, status: Status = Status.BOOKED,
             priority: int = 3, member: str = "M1", **kw: object) -> Booking:
    return Booking(number, number, 1, member, quantity, start, end, priority, status,
                   AT + timedelta(minutes=number), "u", **kw)  # type: ignore[arg-type]


# -- the cheapest combination ---------------------------------------------------------------------

def test_eight_days_are_a_week_and_a_day() -> None:
    price = stay_price(8, 1, DAY_WEEK, CostTable(DAY_WEEK.lines))
    assert price.combination.counts == ((Period.WEEK, 1), (Period.DAY, 1))
    assert price.total_minor == 7000  # vs 8 days at 10.00 = 80.00


def test_a_week_is_cheaper_than_six_days_when_it_costs_less() -> None:
    terms = Terms((PriceLine(Period.DAY, 1100), PriceLine(Period.WEEK, 6000)))
    price = stay_price(6, 1, terms, CostTable(terms.lines))
    assert price.combination.counts == ((Period.WEEK, 1),) and price.total_minor == 6000


def test_the_explanation_names_lines_free_days_and_quantity() -> None:
    terms = Terms(DAY_WEEK.lines, free_days=2)
    price = stay_price(10, 3, terms, CostTable(terms.lines))
    assert explain(price, terms) == "8 d = 1×7 d 60.00 + 1×1 d 10.00; 2 free; × 3 = 210.00"


def _brute_force(n: int, lines: list[PriceLine]) -> int:
    if n == 0:
        return 0
    best = None
    bounds = [range(0, -(-n // line.days) + 1) for line in lines]
    for counts in itertools.product(*bounds):
        if sum(c * line.days for c, line in zip(counts, lines, strict=True)) >= n:
            cost = sum(c * line.price_minor for c, line in zip(counts, lines, strict=True))
            best = cost if best is None else min(best, cost)
    assert best is not None
    return best


@st.composite
def _lines(draw: st.DrawFn) -> list[PriceLine]:
    periods = draw(st.lists(st.sampled_from(list(Period)), min_size=1, max_size=3, unique=True))
    return [PriceLine(p, draw(st.integers(1, 50_000))) for p in periods]


@given(_lines(), st.integers(0, 75))
@settings(max_examples=150, deadline=None)
def test_the_cheapest_combination_is_optimal_against_brute_force(lines: list[PriceLine], n: int) -> None:
    table = CostTable(lines)
    assert table.cost(n) == _brute_force(n, lines)
    combination = table.combination(n)
    assert combination.price_minor == table.cost(n) and combination.days >= n
    prices = {line.period: line.price_minor for line in lines}
    assert sum(prices[p] * c for p, c in combination.counts) == combination.price_minor


# -- daily accrual ----------------------------------------------------------------------------------

@given(_lines(), st.integers(1, 120), st.integers(1, 50), st.integers(0, 10), st.integers(0, 60),
       st.integers(0, 300), st.dates(date(2025, 1, 1), date(2027, 12, 31)))
@settings(max_examples=200, deadline=None)
def test_accrual_adds_back_to_the_stay_and_months_bill_it_exactly(
        lines: list[PriceLine], days: int, quantity: int, free: int, after: int, pct: int, start: date) -> None:
    terms = Terms(tuple(lines), free, after if pct else 0, Decimal(pct) if after else Decimal(0))
    price = stay_price(days, quantity, terms, CostTable(lines))
    accrual = Accrual(start, price)
    daily = accrual.daily()
    assert sum(daily) == price.total_minor
    assert all(d == 0 for d in daily[:min(free, days)])
    # the months the stay touches add up to the total
    month, end = start.strftime("%Y-%m"), start + timedelta(days=days - 1)
    total = 0
    while month_bounds(month)[0] <= end:
        lo, hi = month_bounds(month)
        total += accrual.between(max(lo, start), min(hi, end))
        month = next_month(month)
    assert total == price.total_minor


def test_accrual_is_the_largest_remainder_split_of_core_money() -> None:
    price = stay_price(9, 1, DAY_WEEK, CostTable(DAY_WEEK.lines))   # 9 days = week + 2 days = 80.00 over 9 days
    accrual = Accrual(date(2026, 11, 28), price)
    days = [date(2026, 11, 28) + timedelta(days=i) for i in range(9)]
    expected = apportion(Money(price.total_minor, "CNY"), {d: Fraction(price.total_minor, 9) for d in days})
    assert [accrual.on(d) for d in days] == [expected[d].minor for d in days]


def test_month_helpers() -> None:
    assert month_bounds("2026-02") == (date(2026, 2, 1), date(2026, 2, 28))
    assert next_month("2026-12") == "2027-01" and previous_month("2027-01") == "2026-12"


# -- a month's invoice -------------------------------------------------------------------------------

def test_a_stay_over_two_months_is_billed_its_total_once() -> None:
    terms = Terms(DAY_WEEK.lines, free_days=2)
    b = _booking(1, 3, date(2026, 11, 25), date(2026, 12, 4))  # 10 days, 8 billable: 210.00
    november = invoice("2026-11", [b], terms, {})
    december = invoice("2026-12", [b], terms, {b.id: november.total_minor})
    assert november.total_minor + december.total_minor == 21000
    assert december.lines[0].correction_minor == 0
    assert "8 d = 1×7 d 60.00 + 1×1 d 10.00" in november.lines[0].explanation


def test_a_late_change_is_a_correction_next_month() -> None:
    b = _booking(1, 1, date(2026, 11, 20), date(2026, 12, 10))
    november = invoice("2026-11", [b], DAY_WEEK, {})
    out_early = _booking(1, 1, date(2026, 11, 20), date(2026, 12, 10), status=Status.CHECKED_OUT,
                         checked_in_on=date(2026, 11, 20), checked_out_on=date(2026, 11, 26))
    december = invoice("2026-12", [out_early], DAY_WEEK, {b.id: november.total_minor})
    line = december.lines[0]
    assert line.month_minor == 0 and line.correction_minor == 6000 - november.total_minor
    assert november.total_minor + december.total_minor == 6000  # 7 days = 1 week


def test_a_cancelled_booking_billed_earlier_is_credited() -> None:
    b = _booking(1, 2, date(2026, 11, 1), date(2026, 11, 30), status=Status.CANCELLED)
    december = invoice("2026-12", [b], DAY_WEEK, {b.id: 5000})
    assert december.totals == {"M1": -5000}


def test_a_members_rate_fits_a_statement_line() -> None:
    bookings = [_booking(i, 1, date(2026, 11, 1), date(2026, 11, 30)) for i in range(1, 40)]
    inv = invoice("2026-11", bookings, DAY_WEEK, {})
    rate = member_rate(by_member(inv.lines)["M1"], "warehouse-1/2026-11")
    assert len(rate) <= 200 and "warehouse-1/2026-11" in rate


# -- capacity, waitlist, idle -----------------------------------------------------------------------

def test_the_first_full_day_is_named() -> None:
    held = [_booking(1, 6, date(2026, 12, 1), date(2026, 12, 10)), _booking(2, 3, date(2026, 12, 5), date(2026, 12, 6))]
    short = first_shortfall(held, 10, 2, date(2026, 12, 3), date(2026, 12, 8))
    assert short is not None and short.day == date(2026, 12, 5) and short.free == 1
    assert first_shortfall(held, 10, 1, date(2026, 12, 3), date(2026, 12, 8)) is None
    assert free_by_day(held, 10, date(2026, 12, 4), date(2026, 12, 7)) == [4, 1, 1, 4]


def test_cancelled_and_waitlisted_hold_no_space() -> None:
    held = [_booking(1, 10, date(2026, 12, 1), date(2026, 12, 10), status=Status.CANCELLED),
            _booking(2, 10, date(2026, 12, 1), date(2026, 12, 10), status=Status.WAITLISTED)]
    assert first_shortfall(held, 10, 10, date(2026, 12, 1), date(2026, 12, 10)) is None


def test_the_waitlist_is_offered_by_priority_then_time() -> None:
    every = [_booking(1, 8, date(2026, 12, 1), date(2026, 12, 10)),
             _booking(2, 5, date(2026, 12, 1), date(2026, 12, 10), status=Status.WAITLISTED, priority=3),
             _booking(3, 5, date(2026, 12, 1), date(2026, 12, 10), status=Status.WAITLISTED, priority=1),
             _booking(4, 2, date(2026, 12, 1), date(2026, 12, 10), status=Status.WAITLISTED, priority=3)]
    assert [b.number for b in waitlist_order(every)] == [3, 2, 4]
    every[0] = _booking(1, 8, date(2026, 12, 1), date(2026, 12, 10), status=Status.CANCELLED)
    assert [b.number for b in promotions(every, 10, date(2026, 12, 1))] == [3, 2]
    every.append(_booking(5, 3, date(2026, 12, 1), date(2026, 12, 10)))  # 7 free: 3 fits, then not 2, then 4
    assert [b.number for b in promotions(every, 10, date(2026, 12, 1))] == [3, 4]


def test_idle_rate() -> None:
    held = [_booking(1, 5, date(2026, 12, 1), date(2026, 12, 7))]
    rate = idle_rate(held, 10, date(2026, 12, 1), date(2026, 12, 14))
    assert rate.rate == Fraction(3, 4) and rate.percent == "75.0"


# -- checks -------------------------------------------------------------------------------------------

def test_every_problem_of_a_booking_at_once() -> None:
    problems = check_booking(0, date(2026, 12, 5), date(2026, 12, 1), 9, 10)
    assert {p.field for p in problems} == {"quantity", "ends_on", "priority"}


def test_every_problem_of_a_warehouse_at_once() -> None:
    draft = WarehouseDraft("", "M9", "", 0, Unit.PALLET,
                           Terms((PriceLine(Period.DAY, 0), PriceLine(Period.DAY, 100)), -1, 0, Decimal("5")))
    fields = {p.field for p in check_warehouse(draft, ["M1"])}
    assert {"name", "owner", "capacity", "price", "period", "free_days", "surcharge_after"} <= fields
    assert check_terms(Terms(())) != []


def test_the_warehouse_idle_rate_indicator_per_owner_and_alliance() -> None:
    from alliance.health.kpis.indicators import INDICATORS
    from alliance.health.kpis.indicators.base import IndicatorData, WarehouseDay, Window

    days = [WarehouseDay("A", date(2026, 11, d), 10, 5) for d in range(1, 8)]
    days += [WarehouseDay("B", date(2026, 11, d), 10, 10) for d in range(1, 8)]
    window = Window(date(2026, 11, 1), date(2026, 11, 8), date(2026, 10, 25), date(2026, 11, 8))
    found = INDICATORS["warehouse_idle_rate"].compute(IndicatorData(("A", "B", "C"), warehouse_days=tuple(days)),
                                                     window)
    assert (found["A"].value, found["B"].value, found[None].value) == (Decimal("50.00"), Decimal("0.00"),
                                                                        Decimal("25.00"))
    assert found["C"].value is None  # owns no warehouse


@given(_lines(), st.lists(st.tuples(st.integers(1, 90), st.integers(1, 9), st.integers(-60, 40)), min_size=1,
                          max_size=20),
       st.integers(0, 5), st.integers(0, 40), st.integers(0, 50), st.sampled_from(["2026-02", "2026-11", "2026-12"]))
@settings(max_examples=100, deadline=None)
def test_the_invoice_bills_what_the_daily_accrual_says(lines: list[PriceLine], stays: list[tuple[int, int, int]],
                                                        free: int, after: int, pct: int, month: str) -> None:
    """The invoice's closed form equals `Accrual.between` (the month's days, and what came before), and
    months billed in turn bill each stay exactly its price."""
    terms = Terms(tuple(lines), free, after if pct and after else 0, Decimal(pct) if after else Decimal(0))
    first, last = month_bounds(month)
    bookings = [_booking(i, q, first + timedelta(days=offset), first + timedelta(days=offset + days - 1))
                for i, (days, q, offset) in enumerate(stays, start=1)]
    inv = invoice(month, bookings, terms, {})
    table = CostTable(lines)
    for line in inv.lines:
        b = bookings[line.booking - 1]
        accrual = Accrual(b.starts_on, stay_price((b.ends_on - b.starts_on).days + 1, b.quantity, terms, table))
        assert line.month_minor == accrual.between(max(b.starts_on, first), min(b.ends_on, last))
        assert line.correction_minor == accrual.between(b.starts_on, first - timedelta(days=1))
    # billing every month from the earliest start bills each stay its price exactly
    billed: dict[int, int] = {}
    m = min(b.starts_on for b in bookings).strftime("%Y-%m")
    while month_bounds(m)[0] <= max(b.ends_on for b in bookings):
        for line in invoice(m, bookings, terms, billed).lines:
            billed[bookings[line.booking - 1].id] = billed.get(bookings[line.booking - 1].id, 0) + line.amount_minor
        m = next_month(m)
    for b in bookings:
        price = stay_price((b.ends_on - b.starts_on).days + 1, b.quantity, terms, table)
        assert billed.get(b.id, 0) == price.total_minor
