"""The shared warehouse's service on SQLite and PostgreSQL: booking against capacity (the first full
day named, other members' storage suggested), the waitlist and its promotion, check-in and check-out,
isolation between members, every problem of bad input at once with nothing stored, and the monthly
billing: one charge per warehouse and month, billed once, corrections of a billed month in the next."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from alliance.access.roles import Principal, Role
from alliance.core.clock import FrozenClock
from alliance.core.money import Money
from alliance.ledger import service as ledger
from alliance.matching import service as matching
from alliance.matching.model import Declaration, Side
from alliance.operations.charge_service import charges_of
from alliance.operations.warehouse import service
from alliance.operations.warehouse.model import (
    BookingInvalid, BookingNotFound, MonthAlreadyBilled, MonthNotOver, OverCapacity, Status, WarehouseInvalid,
)
from alliance.registry import service as registry
from alliance.store.database import Store
from alliance.store.tables import ledger_entries, warehouse_bookings, warehouses
from tests.support.factories import admin_of, credit_code, make_alliance

NOV_1 = FrozenClock(datetime(2026, 11, 1, 2, tzinfo=UTC))  # 10:00 in Asia/Shanghai
DEC_2 = FrozenClock(datetime(2026, 12, 2, 2, tzinfo=UTC))
JAN_2 = FrozenClock(datetime(2027, 1, 2, 2, tzinfo=UTC))
COORDINATOR = Principal("秘书长", Role.COORDINATOR, "wh")
HOUSE = {"name": "Hangzhou", "owner": "A", "location": "Hangzhou Xiaoshan", "capacity": "10", "unit": "pallet",
         "price_day": "10.00", "price_week": "60.00"}


@pytest.fixture
def world(store: Store) -> None:
    make_alliance(store, NOV_1, code="wh")
    for n, code in enumerate(("A", "B", "C", "D"), start=1):
        registry.add_member(store, "wh", {"code": code, "name": f"{code} 公司", "credit_code": credit_code(n),
                                          "region": "Hangzhou"}, NOV_1)
    service.save_warehouse(store, "wh", admin_of("wh", "A"), HOUSE, NOV_1)


def _count(store: Store, table) -> int:  # type: ignore[no-untyped-def]
    with store.engine.connect() as c:
        return c.execute(select(func.count()).select_from(table)).scalar_one()


def _book(store: Store, member: str, quantity: int, start: str, end: str, **kw: object):  # type: ignore[no-untyped-def]
    return service.book(store, "wh", admin_of("wh", member), 1, member, quantity, date.fromisoformat(start),
                        date.fromisoformat(end), NOV_1, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("operator", [Principal("cli", Role.PLATFORM_ADMIN, None, kind="operator"), COORDINATOR],
                         ids=["platform-operator", "coordinator"])
def test_the_platform_operator_does_not_book_for_a_member(store: Store, world: None, operator: Principal) -> None:
    """House rule: whoever acts for a member is that member's own account: the operator (and the
    coordinator, who holds no member's account either) is refused a booking for B (nothing stored),
    B's admin books, and the operator still reads the bookings."""
    from alliance.access.policy import Forbidden

    before = (_count(store, warehouse_bookings), _count(store, ledger_entries))
    with pytest.raises(Forbidden):
        service.book(store, "wh", operator, 1, "B", 1, date(2026, 11, 5), date(2026, 11, 5), NOV_1)
    assert (_count(store, warehouse_bookings), _count(store, ledger_entries)) == before
    _book(store, "B", 1, "2026-11-05", "2026-11-05")
    assert [v.member for v in service.bookings(store, "wh", operator, 1)] == ["B"]


def test_over_capacity_names_the_first_full_day_and_other_members_space(store: Store, world: None) -> None:
    matching.declare(store, "wh", admin_of("wh", "C"), "C",
                     Declaration(Side.RESOURCE, "warehouse/storage", "50 pallets", Decimal(50), "pallet", "Hangzhou"),
                     NOV_1)
    _book(store, "B", 6, "2026-11-03", "2026-11-10")
    before = (_count(store, warehouse_bookings), _count(store, ledger_entries))
    with pytest.raises(OverCapacity) as caught:
        _book(store, "D", 5, "2026-11-08", "2026-11-12")
    assert caught.value.full_on == date(2026, 11, 8) and caught.value.free == 4
    assert [(s.member, s.kind, s.same_region) for s in caught.value.suggestions] == [("C", "warehouse/storage", True)]
    assert (_count(store, warehouse_bookings), _count(store, ledger_entries)) == before
    assert [s.member for s in service.suggestions(store, "wh", admin_of("wh", "D"), 1)] == ["C"]


def test_the_waitlist_is_promoted_when_space_frees(store: Store, world: None) -> None:
    b = _book(store, "B", 6, "2026-11-03", "2026-11-10").booking
    low = _book(store, "C", 5, "2026-11-05", "2026-11-06", waitlist=True, priority=5)
    high = _book(store, "D", 5, "2026-11-08", "2026-11-12", waitlist=True, priority=1)
    assert (low.booking.status, low.full_on, high.booking.status) == (Status.WAITLISTED, date(2026, 11, 5),
                                                                     Status.WAITLISTED)
    assert [v.number for v in service.waitlist(store, "wh", COORDINATOR, 1)] == [high.booking.number,
                                                                                 low.booking.number]
    # a member sees its own place on the waitlist only
    assert [(v.member, v.waitlist_position) for v in service.waitlist(store, "wh", admin_of("wh", "C"), 1)] == [
        ("C", 2)]
    outcome = service.cancel(store, "wh", admin_of("wh", "B"), b.number, NOV_1)
    assert outcome.booking.status is Status.CANCELLED
    assert outcome.promoted == ()  # B's account sees no one else's booking, even promoted ones
    statuses = {v.member: v.status for v in service.bookings(store, "wh", COORDINATOR, 1)}
    assert statuses == {"B": Status.CANCELLED, "C": Status.BOOKED, "D": Status.BOOKED}


def test_a_member_sees_its_own_bookings_and_free_capacity_not_others(store: Store, world: None) -> None:
    mine = _book(store, "B", 3, "2026-11-03", "2026-11-04").booking
    theirs = _book(store, "D", 4, "2026-11-03", "2026-11-04").booking
    assert [v.member for v in service.bookings(store, "wh", admin_of("wh", "B"))] == ["B"]
    assert {v.member for v in service.bookings(store, "wh", admin_of("wh", "A"))} == {"B", "D"}  # the owner
    with pytest.raises(BookingNotFound):
        service.booking(store, "wh", admin_of("wh", "B"), theirs.number)
    with pytest.raises(BookingNotFound):
        service.cancel(store, "wh", admin_of("wh", "B"), theirs.number, NOV_1)
    free = service.availability(store, "wh", admin_of("wh", "B"), 1, date(2026, 11, 2), date(2026, 11, 4))
    assert [d.free for d in free.days] == [10, 3, 3]
    assert service.booking(store, "wh", admin_of("wh", "B"), mine.number).estimate_minor == 2 * 3 * 1000
    with pytest.raises(Exception) as refused:  # a member books for itself only
        service.book(store, "wh", admin_of("wh", "B"), 1, "D", 1, date(2026, 11, 5), date(2026, 11, 5), NOV_1)
    assert refused.value.status == 404  # type: ignore[attr-defined]
    with pytest.raises(Exception) as refused:  # only the owner or the coordinator checks in
        service.check_in(store, "wh", admin_of("wh", "B"), mine.number, date(2026, 11, 1), NOV_1)
    assert refused.value.status == 403  # type: ignore[attr-defined]


def test_bad_input_names_every_problem_and_stores_nothing(store: Store, world: None) -> None:
    before = (_count(store, warehouse_bookings), _count(store, warehouses), _count(store, ledger_entries))
    with pytest.raises(BookingInvalid) as caught:
        _book(store, "B", 0, "2026-11-10", "2026-11-03", priority=9)
    assert {p.field for p in caught.value.problems} == {"quantity", "ends_on", "priority"}
    with pytest.raises(BookingInvalid) as caught:
        _book(store, "B", 11, "2026-10-30", "2026-11-03")
    assert {p.field for p in caught.value.problems} == {"quantity", "starts_on"}
    with pytest.raises(WarehouseInvalid) as caught:
        service.save_warehouse(store, "wh", COORDINATOR, {**HOUSE, "unit": "crate", "capacity": "0",
                                                          "price_day": "1.001"}, NOV_1)
    assert {p.field for p in caught.value.problems} == {"unit", "price_day", "capacity"}
    with pytest.raises(WarehouseInvalid) as caught:
        service.save_warehouse(store, "wh", COORDINATOR, {**HOUSE, "capacity": "0", "owner": "Z", "price_day": "",
                                                          "price_week": ""}, NOV_1)
    assert {p.field for p in caught.value.problems} == {"capacity", "owner", "price_lines"}
    assert (_count(store, warehouse_bookings), _count(store, warehouses), _count(store, ledger_entries)) == before


def test_a_month_is_billed_once_as_one_charge_and_late_changes_are_next_months_corrections(
        store: Store, world: None) -> None:
    b = _book(store, "B", 2, "2026-11-25", "2026-12-04").booking  # 10 days = week + 3 days = 90.00 a pallet
    d = _book(store, "D", 1, "2026-11-03", "2026-11-10").booking  # 8 days = week + day = 70.00
    with pytest.raises(MonthNotOver):
        service.bill_month(store, "wh", COORDINATOR, "2026-11", NOV_1)
    (nov,) = service.bill_month(store, "wh", COORDINATOR, "2026-11", DEC_2)
    by_member = dict(nov.totals)
    assert by_member == {"B": 18000 * 6 // 10, "D": 7000}  # B: 6 of 10 days of 180.00
    assert nov.owner_minor == by_member["B"] + by_member["D"]
    assert "8 d = 1×7 d 60.00 + 1×1 d 10.00" in next(line.explanation for line in nov.lines
                                                         if line.booking == d.number)
    with store.unit_of_work() as uow:
        (charge,) = charges_of(uow, uow.alliances.require("wh").id, source="warehouse")
    assert (charge.reference, charge.title) == ("warehouse-1/2026-11", "#1 Hangzhou 2026-11")
    assert {line.account: line.amount_minor for line in charge.lines} == {
        "B": -by_member["B"], "D": -7000, "A": by_member["B"] + 7000}
    with pytest.raises(MonthAlreadyBilled):
        service.bill_month(store, "wh", COORDINATOR, "2026-11", DEC_2, number=1)
    assert service.bill_month(store, "wh", COORDINATOR, "2026-11", DEC_2) == []  # all: those billed are skipped

    # B arrived on 25 November and left on 30 November: 6 days = 60.00 a pallet, all in November
    service.check_in(store, "wh", admin_of("wh", "A"), b.number, date(2026, 11, 25), DEC_2)
    service.check_out(store, "wh", admin_of("wh", "A"), b.number, date(2026, 11, 30), DEC_2)
    (dec,) = service.bill_month(store, "wh", COORDINATOR, "2026-12", JAN_2)
    (line,) = dec.lines
    assert (line.member, line.month_minor, line.correction_minor) == ("B", 0, 12000 - by_member["B"])
    assert line.explanation.endswith(f"2026-12: 0 d 0.00; Δ {Money(12000 - by_member['B'], 'CNY').amount_text()}")
    assert (line.stay_start, line.stay_days, line.billable_days, line.combination, line.quantity, line.base_minor) == (
        date(2026, 11, 25), 6, 6, (("week", 1),), 2, 12000)  # the stay as billed, in structure
    # what B sees: its own lines only, not the owner's total
    seen = service.invoices(store, "wh", admin_of("wh", "B"), 1)
    assert [v.month for v in seen] == ["2026-12", "2026-11"]
    assert all(line.member == "B" for v in seen for line in v.lines) and seen[1].owner_minor is None
    report = ledger.verify_store(store, "wh")
    assert report.ok, report.first_mismatch


def test_idle_rate_per_week(store: Store, world: None) -> None:
    _book(store, "B", 5, "2026-11-01", "2026-11-07")
    rates = service.idle_rates(store, "wh", admin_of("wh", "C"), 1, FrozenClock(datetime(2026, 11, 15, 2, tzinfo=UTC)),
                               weeks=3)
    assert [(r.start, r.capacity_unit_days, r.percent, r.above_threshold) for r in rates] == [
        (date(2026, 10, 25), 0, "0.0", False),  # before the warehouse was added: not idle
        (date(2026, 11, 1), 70, "50.0", True), (date(2026, 11, 8), 70, "100.0", True)]


def test_uses_feed_the_resource_map(store: Store, world: None) -> None:
    _book(store, "B", 5, "2026-11-01", "2026-11-07")
    beside = matching.beside(store, "wh", admin_of("wh", "B"), "B")
    assert [(u.kind, u.reference, u.quantity) for u in beside.uses] == [("warehouse", "warehouse-1/booking-1", 5)]


def test_the_idle_rate_feeds_the_resource_idle_rate_kpi(store: Store, world: None) -> None:
    """The health seam: the coordinator gives `resource_idle_rate` the computed source
    `warehouse_idle_rate`; the owner's scorecard then reads its warehouses' idle rate."""
    from alliance.health.kpis import records, service as health

    _book(store, "B", 5, "2026-11-01", "2026-11-07")
    records.edit_kpi(store, "wh", COORDINATOR, "resource_idle_rate", {"source": "warehouse_idle_rate"}, NOV_1)
    later = FrozenClock(datetime(2026, 11, 15, 2, tzinfo=UTC))
    card = health.scorecard(store, "wh", COORDINATOR, later, period="2026-W46", member="A")
    (row,) = [r for r in card.scores.rows if r.kpi.code == "resource_idle_rate"]
    assert row.value == Decimal("100.00")  # week 46 (9–15 November): nothing booked
    card = health.scorecard(store, "wh", COORDINATOR, later, period="2026-W45", member="A")
    (row,) = [r for r in card.scores.rows if r.kpi.code == "resource_idle_rate"]
    assert row.value == Decimal("57.14")  # week 45 (2–8 November): 5 of 10 on 2–7 November, 30 of 70 used


def test_the_scheduler_bills_last_month_once(store: Store, world: None) -> None:
    _book(store, "B", 2, "2026-11-20", "2026-11-21")
    assert service.bill_due_months(store, DEC_2) == 1
    assert service.bill_due_months(store, DEC_2) == 0
    (nov,) = service.invoices(store, "wh", COORDINATOR, 1)
    assert (nov.month, nov.billed_by, dict(nov.totals)) == ("2026-11", "scheduler", {"B": 4000})


def test_a_price_change_applies_to_new_bookings_never_to_stays_already_agreed(store: Store, world: None) -> None:
    """A booking keeps the terms in force when it was made: the owner raising its prices afterwards
    neither re-prices the booking's estimate nor bills its months (billed or not) at the new price."""
    early = _book(store, "B", 1, "2026-11-20", "2026-12-05").booking  # 16 days = 2 weeks + 2 days = 140.00
    assert early.estimate_minor == 14000
    (nov,) = service.bill_month(store, "wh", COORDINATOR, "2026-11", DEC_2)
    dearer = {**HOUSE, "price_day": "20.00", "price_week": "120.00"}
    service.save_warehouse(store, "wh", admin_of("wh", "A"), dearer, DEC_2, number=1)
    late = service.book(store, "wh", admin_of("wh", "C"), 1, "C", 1, date(2026, 12, 10), date(2026, 12, 25),
                        DEC_2).booking
    assert late.estimate_minor == 28000  # the new prices, for a booking made under them
    (again,) = [v for v in service.bookings(store, "wh", admin_of("wh", "B"), 1) if v.number == early.number]
    assert again.estimate_minor == 14000 and again.terms is not None and again.terms.lines[0].price_minor == 1000
    (dec,) = service.bill_month(store, "wh", COORDINATOR, "2026-12", JAN_2)
    billed = {line.booking: line for line in dec.lines}
    assert billed[early.number].correction_minor == 0  # November is not re-priced
    assert dict(nov.totals)["B"] + billed[early.number].month_minor == 14000  # the stay, billed at its price
    assert billed[late.number].amount_minor == 28000
    report = ledger.verify_store(store, "wh")
    assert report.ok, report.first_mismatch


def test_a_price_rewritten_in_a_stored_booking_is_caught(store: Store, world: None) -> None:
    b = _book(store, "B", 1, "2026-11-20", "2026-11-26").booking
    with store.engine.begin() as c:
        c.execute(warehouse_bookings.update().where(warehouse_bookings.c.number == b.number).values(
            terms={"lines": [["day", 1], ["week", 1]], "free_days": 0, "surcharge_after": 0,
                   "surcharge_percent": "0"}))
    report = ledger.verify_store(store, "wh")
    assert not report.ok and "warehouse booking 1 differs" in str(report.first_mismatch)
