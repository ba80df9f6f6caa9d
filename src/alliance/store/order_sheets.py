"""Order lines from an XLSX workbook: its first sheet, turned into the CSV the fact store checks.

The checks of docs/formats/order-lines.md are SQL over a CSV (`FactStore.ingest`); a workbook is
streamed (openpyxl's read-only mode) into a temporary CSV of the same rows, so every check, row
number and all-or-nothing rule is exactly the CSV path's. Row 1 of the sheet is the header, as
the first line of a CSV is; a sheet's row N is the CSV's row N.

Cells are written as the text a person sees: a number cell `100.5` as `100.5` (its shortest
decimal form; the amount checks then apply to that text), a text cell as it is. A date cell has no
offset, so one in `occurred_at` is a time in the alliance's own time zone (its business day is the
date the sheet shows); written as text, `occurred_at` needs its offset, as in a CSV.
"""

from __future__ import annotations

import csv
import zipfile
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from alliance.core.cells import undefuse
from alliance.core.errors import InvalidInput
from alliance.core.messages import Message
from alliance.registry.spreadsheets import cell_text


def xlsx_to_csv(source: Path, target: Path, timezone: str, shown: str) -> None:
    """Write the first sheet of `source` to `target` as UTF-8 CSV; InvalidInput if it is no workbook."""
    from openpyxl import load_workbook  # here: importing openpyxl (and NumPy) costs a fifth of a second
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(source, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise InvalidInput(Message("{file}: not a valid XLSX workbook (save it from Excel or WPS as .xlsx)",
                                   file=shown)) from None
    zone = ZoneInfo(timezone)
    try:
        sheets = workbook.worksheets
        if not sheets:
            raise InvalidInput(Message("{file}: the workbook has no sheet", file=shown))
        with target.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out, lineterminator="\n")
            header: list[str] | None = None
            occurred = -1
            blank_run = 0
            try:
                for values in sheets[0].iter_rows(values_only=True):
                    if header is None:
                        header = [cell_text(v) for v in values]
                        while header and not header[-1]:
                            header.pop()  # formatted but empty cells right of the table
                        if not any(header):
                            raise InvalidInput(Message("{file}: the sheet's first row is blank; it holds the "
                                                       "column names", file=shown))
                        occurred = header.index("occurred_at") if "occurred_at" in header else -1
                        writer.writerow(header)
                        continue
                    row = [_cell(v, i == occurred, zone) for i, v in enumerate(values[: len(header)])]
                    if not any(row):
                        blank_run += 1  # kept only if a line follows: Excel leaves empty rows below a table
                        continue
                    for _ in range(blank_run):
                        writer.writerow([""] * len(header))
                    blank_run = 0
                    writer.writerow(row + [""] * (len(header) - len(row)))
            except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError) as exc:
                raise InvalidInput(Message("{file}: the workbook cannot be read ({error})",
                                           file=shown, error=type(exc).__name__)) from None
            if header is None:
                raise InvalidInput(Message("{file}: the sheet is empty; its first row holds the column names",
                                           file=shown))
    finally:
        workbook.close()


def _cell(value: object, occurred_at: bool, zone: ZoneInfo) -> str:
    if occurred_at and isinstance(value, (datetime, date)):
        moment = value if isinstance(value, datetime) else datetime.combine(value, time(0))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone)
        return moment.isoformat()
    return undefuse(cell_text(value))

