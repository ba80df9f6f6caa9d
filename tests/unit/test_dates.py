"""The one reader of dates in files (core.dates): the forms Excel and WPS write, the same in Python
and in the DuckDB expression the order-line checks use."""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import pytest

from alliance.core.dates import DateError, iso_date_sql, parse_date


@pytest.mark.parametrize("written", ["2026-11-05", "2026-11-5", "2026/11/05", "2026/11/5", "2026年11月5日",
                                     "2026年 11 月 5 日", " 2026/11/5 ", "2026/11/5 10:30", "2026-11-05T10:30:00",
                                     "2026/11/5 9:05:07.25"])
def test_every_accepted_form(written: str) -> None:
    assert parse_date(written) == date(2026, 11, 5)


def test_date_cells() -> None:
    assert parse_date(date(2026, 11, 5)) == date(2026, 11, 5)
    assert parse_date(datetime(2026, 11, 5, 13, 45)) == date(2026, 11, 5)
    with pytest.raises(DateError, match="'1999-12-31' is outside the years 2000 to 2099"):
        parse_date(date(1999, 12, 31))


@pytest.mark.parametrize(("written", "why"), [
    ("2026/2/29", "2026 has no day 29 of month 2"), ("2026-02-30", "no day 30 of month 2"),
    ("2026年2月30日", "no day 30"), ("2026/13/01", "month 13"), ("2026/0/1", "month 0"), ("2026/1/0", "no day 0"),
    ("1999/12/31", "outside the years 2000 to 2099"), ("2100-01-01", "outside the years 2000 to 2099"),
    ("5/11/2026", "is not a date"), ("11/05/2026", "is not a date"), ("46331", "is not a date"),
    ("2026.11.5", "is not a date"), ("2026/11/5 25:00:00x", "is not a date"), ("", "is not a date"),
    ("２０２６/11/5", "is not a date")])
def test_impossible_and_ambiguous_dates_are_refused(written: str, why: str) -> None:
    with pytest.raises(DateError, match=why):
        parse_date(written)
    assert parse_date("2028/2/29") == date(2028, 2, 29)  # a leap year


@pytest.mark.parametrize("written", ["2026/11/5", "2026/11/05", "2026年11月5日", "2026-1-5", "2026-11-05",
                                     "2026/2/30", "5/11/2026", "x"])
def test_duckdb_reads_the_date_part_as_python_does(written: str) -> None:
    rewritten = duckdb.connect().execute(f"SELECT {iso_date_sql('v')} FROM (SELECT ?::VARCHAR AS v)",
                                         [written + " 10:00+08:00"]).fetchone()[0]
    try:
        expected = parse_date(written).isoformat() + " 10:00:00+08:00"
    except DateError:
        expected = None
    if written == "2026-11-05":  # ISO already: left exactly as written (the cast reads it)
        assert rewritten == written + " 10:00+08:00"
    elif expected is not None:
        assert rewritten == expected
    else:  # left as written (the cast then refuses it), or rewritten to an ISO day that does not exist
        assert rewritten in (written + " 10:00+08:00", "2026-02-30 10:00:00+08:00")


@pytest.mark.parametrize(("written", "month"), [
    ("2026-11", "2026-11"), ("2026/11", "2026-11"), ("2026/1", "2026-01"), ("2026年1月", "2026-01"),
    ("2026-11-01", "2026-11"), ("2026/11/1", "2026-11"),
    ("2026-11-05", "2026-11-05"), ("2026/13", "2026/13"), ("1999/12", "1999/12"), ("Nov 2026", "Nov 2026")])
def test_months_as_spreadsheets_write_them(written: str, month: str) -> None:
    from alliance.core.dates import month_text

    assert month_text(written) == month  # what is not a month is left for the importer to refuse, by row
