"""Order lines as spreadsheets write them: dates in Excel/WPS forms, and XLSX workbooks (issue 17)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from alliance.core.clock import FrozenClock
from alliance.core.errors import InvalidInput
from alliance.registry import service as registry
from alliance.settlement.service import import_order_lines
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from tests.support.factories import make_alliance, member_values

COLUMNS = ["line_id", "order_id", "occurred_at", "seller", "product_owner", "channel", "sku", "quantity", "amount",
           "currency"]
HEADER = ",".join(COLUMNS)


@pytest.fixture
def facts(tmp_path: Path) -> FactStore:
    store = FactStore(tmp_path / "facts.duckdb")
    yield store  # type: ignore[misc]
    store.close()


@pytest.fixture
def alliance(store: Store, clock: FrozenClock) -> str:
    make_alliance(store, clock, code="nb")
    for n in (1, 2):
        registry.add_member(store, "nb", member_values(n), clock)
    return "nb"


def csv_file(tmp_path: Path, lines: list[str], name: str = "lines.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def workbook(tmp_path: Path, rows: list[list[object]], name: str = "lines.xlsx") -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(COLUMNS)
    for row in rows:
        sheet.append(row)
    path = tmp_path / name
    book.save(path)
    return path


def instants(facts: FactStore, alliance: str) -> dict[str, datetime]:
    return {line.line_id: line.occurred_at for line in facts.lines(alliance, "CNY", date(2027, 1, 1), date(2027, 12, 31))}


def test_spreadsheet_dates_in_a_csv_are_read_as_iso(facts: FactStore, stores: Stores, clock: FrozenClock,
                                                    alliance: str, tmp_path: Path) -> None:
    lines = ["L1,O1,2027/1/15 9:05+08:00,M0001,M0002,store,S1,1,10.00,CNY",
             "L2,O2,2027/01/15 23:30:00+08:00,M0001,M0002,store,S1,1,10.00,CNY",
             "L3,O3,2027年1月15日 10:00:00Z,M0001,M0002,store,S1,1,10.00,CNY",
             "L4,O4,2027-01-15T10:00:00+08:00,M0001,M0002,store,S1,1,10.00,CNY"]
    report = import_order_lines(stores, alliance, csv_file(tmp_path, lines), None, clock)
    assert (report.inserted, report.rejected_count) == (4, 0), report.rejected
    assert instants(facts, alliance) == {
        "L1": datetime(2027, 1, 15, 1, 5, tzinfo=UTC), "L2": datetime(2027, 1, 15, 15, 30, tzinfo=UTC),
        "L3": datetime(2027, 1, 15, 10, 0, tzinfo=UTC), "L4": datetime(2027, 1, 15, 2, 0, tzinfo=UTC)}


@pytest.mark.parametrize("written", ["2027/2/30 10:00+08:00", "2027/02/30 10:00:00+08:00", "2027年2月30日 10:00+08:00",
                                     "2027-02-30T10:00:00+08:00", "1999/12/31 10:00+08:00", "2027/1/15 10:00"])
def test_impossible_days_out_of_range_years_and_missing_offsets_are_refused_with_their_row(
        facts: FactStore, stores: Stores, clock: FrozenClock, alliance: str, tmp_path: Path, written: str) -> None:
    lines = ["L1,O1,2027-01-15T10:00:00+08:00,M0001,M0002,store,S1,1,10.00,CNY",
             f"L2,O2,{written},M0001,M0002,store,S1,1,10.00,CNY"]
    report = import_order_lines(stores, alliance, csv_file(tmp_path, lines), None, clock)
    assert (report.inserted, report.rejected_count, report.kept) == (0, 1, False)
    (rejected,) = report.rejected
    assert rejected.row == 3 and rejected.line_id == "L2" and f"occurred_at '{written}'" in rejected.reason
    if "/30" in written or "30日" in written or "-30" in written:  # the day named as written, and why
        assert rejected.reason == f"occurred_at '{written}' is not a date and time (no such day or hour)"
    assert facts.count(alliance) == 0


def test_an_xlsx_workbook_is_checked_and_stored_like_a_csv(facts: FactStore, stores: Stores, clock: FrozenClock,
                                                          alliance: str, tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["L1", "O1", "2027/1/15 10:00+08:00", "M0001", "M0002", "store", "S1", 2, 100.5, "CNY"],
        # A date cell has no offset: it is a time in the alliance's zone (Asia/Shanghai).
        ["L2", "O2", datetime(2027, 1, 15, 23, 30), "M0001", "M0002", "store", "S1", 1, "99.90", "CNY"],
        ["L3", "O3", date(2027, 1, 16), "M0002", "M0001", "store", "S1", 1, 7, "CNY"],
        [None] * 10,  # formatted but empty rows below the table are not lines
    ]
    report = import_order_lines(stores, alliance, workbook(tmp_path, rows), None, clock)
    assert (report.inserted, report.rejected_count, report.kept) == (3, 0, True), report.rejected
    assert instants(facts, alliance) == {"L1": datetime(2027, 1, 15, 2, tzinfo=UTC),
                                         "L2": datetime(2027, 1, 15, 15, 30, tzinfo=UTC),
                                         "L3": datetime(2027, 1, 15, 16, tzinfo=UTC)}
    stored = {line.line_id: line for line in facts.lines(alliance, "CNY", date(2027, 1, 15), date(2027, 1, 16))}
    assert stored["L1"].amount.minor == 10050 and stored["L1"].quantity == 2 and stored["L3"].amount.minor == 700
    # The same lines as a CSV are duplicates: one reading of a line, whatever the file.
    same = ["L1,O1,2027-01-15T02:00:00Z,M0001,M0002,store,S1,2,100.50,CNY"]
    again = import_order_lines(stores, alliance, csv_file(tmp_path, same), None, clock)
    assert (again.inserted, again.duplicates) == (0, 1)


def test_a_bad_line_in_a_workbook_stores_nothing_and_names_the_sheet_row(
        facts: FactStore, stores: Stores, clock: FrozenClock, alliance: str, tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["L1", "O1", "2027-01-15T10:00:00+08:00", "M0001", "M0002", "store", "S1", 1, "10.00", "CNY"],
        [None] * 10,
        ["L2", "O2", "2027/2/30 10:00+08:00", "M0001", "XX", "store", "S1", 1.5, "10.001", "CNY"],
    ]
    report = import_order_lines(stores, alliance, workbook(tmp_path, rows), None, clock)
    assert (report.inserted, report.kept) == (0, False)
    by_row = {r.row: r.reason for r in report.rejected}
    assert set(by_row) == {3, 4}  # the blank row between lines is reported, as in a CSV
    assert "occurred_at" in by_row[4] and "product_owner 'XX'" in by_row[4] and "quantity '1.5'" in by_row[4]
    assert "amount '10.001'" in by_row[4]
    assert facts.count(alliance) == 0


@pytest.mark.parametrize("content", [b"", b"not a workbook", b"PK\x03\x04broken zip"])
def test_a_file_that_is_no_workbook_is_refused_whole(stores: Stores, facts: FactStore, clock: FrozenClock,
                                                     alliance: str, tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "lines.xlsx"
    path.write_bytes(content)
    with pytest.raises(InvalidInput, match="not a valid XLSX workbook"):
        import_order_lines(stores, alliance, path, None, clock, shown_as="upload.xlsx")
    assert facts.count(alliance) == 0


def test_a_workbook_without_the_order_line_columns_is_refused(stores: Stores, clock: FrozenClock,
                                                               alliance: str, tmp_path: Path) -> None:
    book = Workbook()
    book.active.append(["code", "name"])
    book.active.append(["M1", "x"])
    book.save(tmp_path / "members.xlsx")
    with pytest.raises(InvalidInput, match="not those of order lines"):
        import_order_lines(stores, alliance, tmp_path / "members.xlsx", None, clock)
    empty = Workbook()
    empty.save(tmp_path / "empty.xlsx")
    with pytest.raises(InvalidInput, match="empty"):
        import_order_lines(stores, alliance, tmp_path / "empty.xlsx", None, clock)
