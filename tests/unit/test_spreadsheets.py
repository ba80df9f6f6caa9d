"""Spreadsheet files: formulas are never written as formulas, and text survives the round trip."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from alliance.registry.spreadsheets import read_table, write_table

ROW = ['=HYPERLINK("http://evil","点我")', "-10.50", "@SUM(A1)", "+86 571", "-abc", "普通名称", "91330200MA2H1234K0",
       "'=typed with an apostrophe", "\t=1+1"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_formula_like_text_round_trips_as_text(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"t.{fmt}"
    write_table(path, fmt, ["=criterion", *(f"c{i}" for i in range(1, len(ROW)))], [ROW])
    table = read_table(path)
    assert table.rows == [ROW] and table.header[0] == "=criterion"


def test_csv_cells_that_excel_would_evaluate_are_prefixed(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    write_table(path, "csv", ["a", "b", "c", "d"], [[ROW[0], ROW[1], ROW[2], ROW[4]]])
    line = path.read_text(encoding="utf-8-sig").splitlines()[1]
    assert line.startswith("\"'=HYPERLINK") and ",-10.50," in line and ",'@SUM(A1)," in line and line.endswith(",'-abc")


def test_csv_headers_are_defused_too(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"  # e.g. a screening export, whose columns are the criteria's names
    write_table(path, "csv", ["name", "=1+1"], [["x", "-0.25"]])
    assert path.read_text(encoding="utf-8-sig").splitlines() == ["name,'=1+1", "x,-0.25"]


def test_xlsx_cells_are_defused_text_and_amounts_are_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    write_table(path, "xlsx", ["@a", "amount"], [[ROW[0], "-10.50"]])
    sheet = load_workbook(path).active
    formula, amount = sheet["A2"], sheet["B2"]
    # Text cells, never formulas; the apostrophe keeps a cell that someone edits, or a sheet saved
    # as CSV, from turning into a formula. Amounts are plain text without it ("-10.50").
    assert formula.data_type == "s" and formula.value == "'" + ROW[0] and sheet["A1"].value == "'@a"
    assert amount.data_type == "s" and amount.value == "-10.50"


@pytest.mark.parametrize("content", [b"", b"not a workbook", b"PK\x03\x04broken"])
def test_a_bad_workbook_is_refused_naming_the_file(tmp_path: Path, content: bytes) -> None:
    from alliance.registry.spreadsheets import TableFileError, open_table

    path = tmp_path / "members.xlsx"
    path.write_bytes(content)
    with pytest.raises(TableFileError, match=r"members\.xlsx: not a valid XLSX workbook"):
        with open_table(path):
            pass


def test_a_table_streams_and_a_csv_broken_midway_is_refused(tmp_path: Path) -> None:
    from alliance.registry.spreadsheets import TableFileError, open_table

    path = tmp_path / "m.csv"
    path.write_text("code,name\nM1,甲\n", encoding="utf-8")
    with open_table(path) as table:
        assert table.header == ["code", "name"] and next(table.rows) == ["M1", "甲"]
        assert list(table.rows) == []
    path.write_bytes(b'code,name\nM1,"' + b"x" * 200_000 + b'"\n')  # a cell beyond the csv module's limit
    with pytest.raises(TableFileError, match="not a valid CSV file"), open_table(path) as table:
        list(table.rows)
    empty = tmp_path / "empty.csv"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(TableFileError, match="the file is empty"), open_table(empty):
        pass
