"""No accepted order line can block settlement: times, offsets, amounts and refunds are bounded at import.

Each finding of issue 16 ("No input can block settlement for good") as a test: what was accepted
and then failed every later run of the alliance is now refused at import, with the line named,
and the extremes that are accepted settle. On SQLite and PostgreSQL (the statement columns).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from pathlib import Path

import duckdb
import pytest

from alliance.core.clock import FrozenClock
from alliance.core.errors import InvalidInput
from alliance.core.limits import DAY_LIMIT_MINOR, LINE_LIMIT_MINOR
from alliance.settlement import service
from alliance.store.database import Store
from alliance.settlement.facts import IngestReport
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from tests.support.factories import hardware_split

HEADER = "line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,cost,refund_of,currency"
DAY = date(2026, 12, 5)
SETUP = FrozenClock(datetime(2026, 11, 22, 2, tzinfo=UTC))
AFTER = FrozenClock(datetime(2026, 12, 6, 2, tzinfo=UTC))  # 10:00 on the 6th in Shanghai
LARGEST = "1000000000000.00"  # LINE_LIMIT_MINOR in CNY


@pytest.fixture
def facts(tmp_path: Path) -> Iterator[FactStore]:
    f = FactStore(tmp_path / "facts.duckdb")
    yield f
    f.close()


@pytest.fixture
def alliance(store: Store) -> str:
    hardware_split(store, SETUP)  # cloud-hw: SW and HW, SW gets 30% of HW's lines from 2026-12-01
    return "cloud-hw"


def line(line_id: str, amount: str = "10.00", *, at: str = "2026-12-05T10:00:00+08:00", seller: str = "HW",
         cost: str = "", refund_of: str = "") -> str:
    return f"{line_id},O-{line_id},{at},{seller},HW,store,HW-1,1,{amount},{cost},{refund_of},CNY"


def send(stores: Stores, tmp_path: Path, rows: list[str], *, partial: bool = False) -> IngestReport:
    path = tmp_path / f"lines-{len(list(tmp_path.iterdir()))}.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return service.import_order_lines(stores, "cloud-hw", path, None, AFTER, all_or_nothing=not partial)


def reasons(report: IngestReport) -> dict[str, str]:
    return {r.line_id: r.reason for r in report.rejected}


# -- times --------------------------------------------------------------------------------------------
def test_a_time_outside_2000_to_2099_is_refused_and_the_next_run_settles(stores: Stores,
                                                                        alliance: str, tmp_path: Path) -> None:
    rows = [line("YEAR1", at="0001-01-01T00:00:00+14:00"), line("Y1999", at="1999-12-31T23:59:59Z"),
            line("Y2100", at="2100-01-01T00:00:00Z"), line("Y9999", at="9999-12-31T23:59:59-12:00"), line("GOOD")]
    report = send(stores, tmp_path, rows, partial=True)
    assert report.inserted == 1 and set(reasons(report)) == {"YEAR1", "Y1999", "Y2100", "Y9999"}
    assert reasons(report)["YEAR1"] == "occurred_at '0001-01-01T00:00:00+14:00' is outside the years 2000 to 2099"
    # Before: the year-1 line was stored, and every later run of the alliance failed (a TypeError).
    assert service.settle(stores, "cloud-hw", DAY, "财务", AFTER).lines == 1


def test_an_offset_no_clock_shows_is_refused(stores: Stores, alliance: str, tmp_path: Path) -> None:
    rows = [line("P25", at="2026-12-05T10:00:00+25:00"), line("P1401", at="2026-12-05T10:00:00+14:01"),
            line("M1430", at="2026-12-05T10:00:00-14:30"), line("M99", at="2026-12-05T10:00:00-99"),
            line("P0160", at="2026-12-05T10:00:00+01:60"),
            line("P14", at="2026-12-05T10:00:00+14:00"), line("M12", at="2026-12-05T10:00:00-12:00"),
            line("P0530", at="2026-12-05T10:00:00+0530"), line("Z", at="2026-12-05T02:00:00Z"),
            line("P08", at="2026-12-05T10:00:00+08"), line("Y2000", at="2000-01-01T00:00:00Z")]
    report = send(stores, tmp_path, rows, partial=True)
    assert set(reasons(report)) == {"P25", "P1401", "M1430", "M99", "P0160"}
    assert reasons(report)["P25"] == "occurred_at '2026-12-05T10:00:00+25:00' has an offset beyond 14:00, which no clock shows"
    assert report.inserted == 6


# -- amounts --------------------------------------------------------------------------------------------
def test_the_largest_day_is_accepted_and_settles_and_one_cent_more_is_refused(store: Store, stores: Stores,
                                                                              alliance: str, tmp_path: Path) -> None:
    assert DAY_LIMIT_MINOR == 10 * LINE_LIMIT_MINOR
    # Before: 923 lines of 99,999,999,999,999.99 were accepted and the day's statement overflowed
    # its 64-bit columns on every run. Now the line is refused, naming the limit.
    former = send(stores, tmp_path, [line("FORMER", "99999999999999.99")])
    assert reasons(former)["FORMER"] == "amount '99999999999999.99' is more than 1000000000000.00, the most a line may carry"
    half = send(stores, tmp_path, [line(f"A{n}", LARGEST) for n in range(5)])
    assert half.inserted == 5
    # The day holds 5 x 10^14 minor units: five more largest lines fill it exactly, the next cent
    # (and only the lines from it on, in file order) is over.
    rest = [line(f"B{n}", LARGEST) for n in range(5)] + [line("CENT", "0.01"), line("OTHER-DAY", "0.01", at="2026-12-06T09:00:00+08:00")]
    over = send(stores, tmp_path, rest)
    assert over.kept is False and over.inserted == 0 and set(reasons(over)) == {"CENT"}
    assert reasons(over)["CENT"].startswith("business day 2026-12-05 would carry more than 10000000000000.00 CNY")
    assert "500000000000000 minor units stored before" in reasons(over)["CENT"]
    kept = send(stores, tmp_path, rest, partial=True)
    assert kept.inserted == 6 and set(reasons(kept)) == {"CENT"}
    # A refund counts too (its size, whatever its sign), and so does a cost.
    assert set(reasons(send(stores, tmp_path, [line("R", "-0.01", refund_of="A0")]))) == {"R"}
    assert set(reasons(send(stores, tmp_path, [line("C", "0.00", cost="0.01")]))) == {"C"}

    result = service.settle(stores, "cloud-hw", DAY, "财务", AFTER)
    assert result.lines == 10
    assert result.net["SW"].minor == 3 * DAY_LIMIT_MINOR // 10 and result.net["HW"].minor == -3 * DAY_LIMIT_MINOR // 10
    sw = service.statement(store, "cloud-hw", "SW", DAY)
    assert [l.base_minor for l in sw.lines] == [DAY_LIMIT_MINOR]


def test_a_cost_has_the_same_bound_as_an_amount(stores: Stores, alliance: str, tmp_path: Path) -> None:
    report = send(stores, tmp_path, [line("BIG-COST", "1.00", cost="1000000000000.01")])
    assert reasons(report)["BIG-COST"] == "cost '1000000000000.01' is more than 1000000000000.00, the most a line may carry"


# -- refunds --------------------------------------------------------------------------------------------
def test_a_refund_reverses_a_sale_of_its_seller_in_the_file_or_stored(stores: Stores, facts: FactStore, alliance: str,
                                                                     tmp_path: Path) -> None:
    # In the same file, before or after its sale; a later file refunds what is left.
    first = send(stores, tmp_path, [line("R1", "-30.00", refund_of="S1"), line("S1", "100.00"),
                                          line("S2", "50.00"), line("R2", "-50.00", refund_of="S2")])
    assert first.kept and first.inserted == 4
    assert send(stores, tmp_path, [line("R3", "-70.00", refund_of="S1")]).inserted == 1
    rows = [
        line("UNKNOWN", "-1.00", refund_of="NOPE"),  # no such sale
        line("TOO-MUCH", "-0.01", refund_of="S1"),  # S1 is fully refunded (30 + 70)
        line("OF-REFUND", "-1.00", refund_of="R1"),  # a refund of a refund
        line("SW-SALE", "10.00", seller="SW"),
        line("WRONG-SELLER", "-1.00", refund_of="SW-SALE"),  # HW refunds what SW sold
    ]
    report = send(stores, tmp_path, rows)
    assert report.kept is False and set(reasons(report)) == {"UNKNOWN", "TOO-MUCH", "OF-REFUND", "WRONG-SELLER"}
    found = reasons(report)
    assert found["UNKNOWN"] == ("refund_of 'NOPE' names no sale of the alliance, stored or in this file "
                                "(send a refund with or after its sale)")
    assert found["TOO-MUCH"] == "refunds of 'S1' would exceed the sale (10000 minor units, 10000 refunded before this file)"
    assert found["OF-REFUND"] == "refund_of 'R1' is itself a refund, not a sale"
    assert found["WRONG-SELLER"] == "refund_of 'SW-SALE' was sold by SW, not HW"
    assert facts.count("cloud-hw") == 5


def test_two_partial_refunds_that_exceed_their_sale_together_are_refused(stores: Stores, alliance: str,
                                                                        tmp_path: Path) -> None:
    send(stores, tmp_path, [line("S", "100.00")])
    rows = [line("R1", "-60.00", refund_of="S"), line("R2", "-60.00", refund_of="S")]
    both = send(stores, tmp_path, rows)
    assert both.kept is False and set(reasons(both)) == {"R2"}  # the later one in file order
    kept = send(stores, tmp_path, rows, partial=True)
    assert kept.inserted == 1 and set(reasons(kept)) == {"R2"}
    # Sent again, R1 is a duplicate, R2 still too much; within the sale, it is accepted.
    again = send(stores, tmp_path, rows, partial=True)
    assert (again.inserted, again.duplicates, set(reasons(again))) == (0, 1, {"R2"})
    assert send(stores, tmp_path, [line("R2", "-40.00", refund_of="S")]).inserted == 1
    # A refund whose sale is refused (here: its amount) is refused with it, even when partial.
    orphan = send(stores, tmp_path, [line("BAD", "1.001"), line("R-BAD", "-1.00", refund_of="BAD")], partial=True)
    assert set(reasons(orphan)) == {"BAD", "R-BAD"} and orphan.inserted == 0


# -- a store written before import bounded its lines: the failure is shown, and the way out -----------
def stored_before_the_bounds(path: Path, rows: list[tuple[str, str, int]]) -> None:
    """Lines (line_id, occurred_at, amount in minor units) written as an older version could store them."""
    db = duckdb.connect(str(path))
    try:
        for line_id, occurred, minor in rows:
            db.execute("""INSERT INTO order_lines VALUES ('cloud-hw', ?, 'O', CAST(? AS TIMESTAMPTZ),
                          CAST(CAST(? AS TIMESTAMPTZ) AT TIME ZONE 'Asia/Shanghai' AS DATE), 'HW', 'HW', 'store',
                          'HW-1', 1, ?, NULL, 'CNY', '', NULL, TIMESTAMPTZ '2026-12-05 12:00:00+00', NULL, NULL)""",
                       [line_id, occurred, occurred, minor])
    finally:
        db.close()


@pytest.mark.parametrize(("rows", "says"), [
    ([("YEAR1", "0001-01-01T00:00:00+14:00", 100)], "outside the years 2000 to 2099"),
    ([(f"HUGE{n}", "2026-12-05T11:00:00+08:00", 9999999999999999) for n in range(923)],
     "beyond what a statement holds"),
])
def test_lines_stored_before_the_bounds_fail_the_day_visibly_and_can_be_set_aside(
        store: Store, alliance: str, tmp_path: Path, rows: list[tuple[str, str, int]], says: str) -> None:
    path = tmp_path / "old.duckdb"
    facts = FactStore(path)
    send(Stores(store, facts), tmp_path, [line("GOOD", "10.00"), line("NEXT-DAY", "10.00", at="2026-12-06T09:00:00+08:00")])
    facts.close()
    stored_before_the_bounds(path, rows)
    facts = FactStore(path)
    stores = Stores(store, facts)
    try:
        with pytest.raises(service.DayUnsettleable) as failed:
            service.settle(stores, "cloud-hw", DAY, "财务", AFTER)
        assert says in failed.value.message and "alliance orders check" in failed.value.message
        # The calendar shows the day failed, with the reason (before: a TypeError or a database
        # overflow, on every run, and nothing recorded).
        assert says in service.period_totals(store, "cloud-hw", DAY, DAY).failures[DAY].reason
        listed = service.unsettleable_lines(stores, "cloud-hw")
        # Every line of a day over the limit is listed (the first 200): setting aside enough of them will do.
        assert listed and {l for l, _day, _why in listed} <= {"GOOD"} | {r[0] for r in rows}
        with pytest.raises(InvalidInput) as refused:  # a line that settles is never set aside
            service.set_aside_order_lines(stores, "cloud-hw", ["NEXT-DAY", rows[0][0]], "typo", "秘书长", AFTER)
        assert "settles as it is" in str(refused.value.problems)
        moved = service.set_aside_order_lines(stores, "cloud-hw", [r[0] for r in rows], "feed bug", "秘书长", AFTER)
        assert moved == len(rows) and service.unsettleable_lines(stores, "cloud-hw") == []
        assert service.settle(stores, "cloud-hw", DAY, "财务", AFTER).net["SW"].minor == 300
    finally:
        facts.close()


def test_a_line_of_year_one_stored_before_does_not_stop_scheduled_or_catch_up_runs(store: Store, alliance: str,
                                                                                    tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    FactStore(path).close()
    stored_before_the_bounds(path, [("YEAR1", "0001-01-01T00:00:00+14:00", 100)])
    facts = FactStore(path)
    stores = Stores(store, facts)
    try:
        with pytest.raises(service.DayUnsettleable):
            list(service.settle_through(stores, "cloud-hw", DAY, "财务", AFTER))
        runs = service.settle_due(stores, time(1, 0), "scheduler", AFTER)
        (failed,) = [r for r in runs if r.alliance == "cloud-hw"]
        assert failed.result is None and "outside the years 2000 to 2099" in (failed.error or "")
        assert DAY in service.period_totals(store, "cloud-hw", DAY, DAY).failures
    finally:
        facts.close()
