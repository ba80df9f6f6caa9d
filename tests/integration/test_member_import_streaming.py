"""Member files as spreadsheets write them, and large ones (issue 17): dates in Excel/WPS forms, a
file streamed a row at a time, at most 100 problems listed with a count of the rest, all of them in
a file on request, and nothing stored when any row is bad, even after batches were written."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from alliance.core.clock import FrozenClock
from alliance.core.errors import InvalidInput
from alliance.registry import service
from alliance.registry.importing import SHOWN_PROBLEMS, ProblemLog
from alliance.registry.spreadsheets import open_table
from alliance.store.database import Store
from tests.support.factories import credit_code, make_alliance

HEADER = ["code", "name", "credit_code", "joined_on"]


def row(n: int, joined: str = "2025-03-01") -> list[str]:
    return [f"M{n:05d}", f"企业{n}", credit_code(n), joined]


@pytest.fixture
def alliance(store: Store, clock: FrozenClock) -> str:
    make_alliance(store, clock, code="nb")
    return "nb"


@pytest.mark.parametrize("written", ["2026/11/5", "2026/11/05", "2026年11月5日", "2026-11-05", "2026/11/5 0:00",
                                     "2026-11-05T00:00:00"])
def test_dates_written_as_excel_and_wps_write_them(store: Store, clock: FrozenClock, alliance: str,
                                                   written: str) -> None:
    service.import_members(store, alliance, HEADER, [row(1, written)], clock)
    assert service.get_member(store, alliance, "M00001").joined_on == date(2026, 11, 5)


@pytest.mark.parametrize(("written", "why"), [
    ("2026/2/30", "2026 has no day 30 of month 2"), ("2026/02/30", "no day 30"), ("2026年2月30日", "no day 30"),
    ("2026-02-30", "no day 30"), ("2026/13/1", "month 13"), ("1999/12/31", "outside the years 2000 to 2099"),
    ("2100年1月1日", "outside the years 2000 to 2099"), ("5/11/2026", "is not a date"), ("46331", "is not a date")])
def test_impossible_dates_and_years_out_of_range_are_refused_with_the_row(store: Store, clock: FrozenClock,
                                                                         alliance: str, written: str, why: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        service.import_members(store, alliance, HEADER, [row(1), row(2, written)], clock)
    (problem,) = caught.value.problems
    assert (problem.where, problem.field) == ("row 3", "joined_on") and why in problem.reason
    assert service.list_members(store, alliance) == []


def test_date_cells_of_a_workbook_are_dates(store: Store, clock: FrozenClock, alliance: str, tmp_path: Path) -> None:
    book = Workbook()
    book.active.append(HEADER)
    book.active.append([*row(1)[:3], datetime(2026, 11, 5)])
    book.active.append([*row(2)[:3], date(2026, 11, 6)])
    book.active.append([*row(3)[:3], date(1999, 1, 1)])
    book.save(tmp_path / "members.xlsx")
    with open_table(tmp_path / "members.xlsx") as table, pytest.raises(InvalidInput) as caught:
        service.import_members(store, alliance, table.header, table.rows, clock, header_row=table.header_row)
    assert [(p.where, p.reason) for p in caught.value.problems] == [
        ("row 4", "'1999-01-01' is outside the years 2000 to 2099")]
    book.active.delete_rows(4)
    book.save(tmp_path / "members.xlsx")
    with open_table(tmp_path / "members.xlsx") as table:
        service.import_members(store, alliance, table.header, table.rows, clock, header_row=table.header_row)
    assert [m.joined_on for m in service.list_members(store, alliance)] == [date(2026, 11, 5), date(2026, 11, 6)]


def test_a_file_with_many_bad_rows_lists_the_first_100_counts_the_rest_and_writes_all_on_request(
        store: Store, clock: FrozenClock, alliance: str) -> None:
    rows = [row(n) if n % 2 else [f"M{n:05d}", f"企业{n}", "not a code", "2026/2/30"] for n in range(1, 601)]
    full = io.StringIO()
    log = ProblemLog(full_list=full)
    with pytest.raises(InvalidInput) as caught:
        service.import_members(store, alliance, HEADER, rows, clock, problems=log)
    assert len(caught.value.problems) == SHOWN_PROBLEMS == 100
    assert (log.bad_rows, log.count) == (300, 600)
    assert caught.value.message == "300 bad row(s); nothing was imported (the first 100 of 600 problems are listed)"
    written = list(csv.reader(io.StringIO(full.getvalue())))
    assert written[0] == ["where", "column", "problem"] and len(written) == 601
    assert written[1][:2] == ["row 3", "credit_code"] and written[-1][:2] == ["row 601", "joined_on"]
    assert service.list_members(store, alliance) == []


def test_rows_are_consumed_as_they_come_and_a_late_bad_row_undoes_the_batches_written(
        store: Store, clock: FrozenClock, alliance: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "IMPORT_BATCH", 3)
    seen: list[int] = []

    def rows() -> Iterator[list[str]]:
        for n in range(1, 11):
            seen.append(n)
            yield row(n, "2026/2/29" if n == 10 else "2026/2/28")  # 2026 is no leap year

    with pytest.raises(InvalidInput) as caught:
        service.import_members(store, alliance, HEADER, rows(), clock)
    assert [p.where for p in caught.value.problems] == ["row 11"] and seen == list(range(1, 11))
    assert service.list_members(store, alliance) == []
    result = service.import_members(store, alliance, HEADER, (row(n) for n in range(1, 11)), clock)
    assert result.added == 10 and len(service.list_members(store, alliance)) == 10


def test_a_streamed_csv_keeps_its_encoding_and_row_numbers(store: Store, clock: FrozenClock, alliance: str,
                                                          tmp_path: Path) -> None:
    path = tmp_path / "members.csv"
    lines = ["", ",".join(["编码", "名称", "统一社会信用代码", "加入日期"]), ",".join(row(1, "2026年11月5日")),
             ",".join(row(2, "2026年11月31日"))]
    path.write_bytes("\r\n".join(lines).encode("gb18030"))  # WPS on Chinese Windows
    with open_table(path) as table, pytest.raises(InvalidInput) as caught:
        assert table.header_row == 2
        service.import_members(store, alliance, table.header, table.rows, clock, header_row=table.header_row)
    (problem,) = caught.value.problems
    assert (problem.where, problem.field) == ("row 4", "加入日期") and "no day 31 of month 11" in problem.reason
