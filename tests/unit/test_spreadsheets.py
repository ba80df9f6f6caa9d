"""Spreadsheet files: formulas are never written as formulas, and text survives the round trip."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from alliance.registry.spreadsheets import read_table, write_table

ROW = ['=HYPERLINK("http://evil","点我")', "-10.50", "@SUM(A1)", "+86 571", "-abc", "普通名称", "91330200MA2H1234K0"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_formula_like_text_round_trips_as_text(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"t.{fmt}"
    write_table(path, fmt, [f"c{i}" for i in range(len(ROW))], [ROW])
    assert read_table(path).rows == [ROW]


def test_csv_cells_that_excel_would_evaluate_are_prefixed(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    write_table(path, "csv", ["a", "b", "c", "d"], [[ROW[0], ROW[1], ROW[2], ROW[4]]])
    line = path.read_text(encoding="utf-8-sig").splitlines()[1]
    assert line.startswith("\"'=HYPERLINK") and ",-10.50," in line and ",'@SUM(A1)," in line and line.endswith(",'-abc")


def test_xlsx_cells_are_text_not_formulas(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    write_table(path, "xlsx", ["a"], [[ROW[0]]])
    cell = load_workbook(path).active["A2"]
    assert cell.data_type == "s" and cell.value == ROW[0]
