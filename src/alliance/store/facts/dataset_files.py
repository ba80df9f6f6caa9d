"""Dataset files as text cells, row by row: CSV (UTF-8, with or without BOM), XLSX (its first
sheet) and Parquet. The cells are checked by the dataset's kind (`datashare.datasets`), not here."""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alliance.core.errors import InvalidInput
from alliance.core.messages import Message
from alliance.store.facts import files, sql
from alliance.store.order_sheets import xlsx_to_csv

FORMATS = ("csv", "xlsx", "parquet")
Rows = Iterator[tuple[int, dict[str, Any]]]


def format_of(path: Path, declared: str | None, shown: str) -> str:
    fmt = (declared or {"csv": "csv", "xlsx": "xlsx", "xlsm": "xlsx", "parquet": "parquet"}.get(
        path.suffix.lower().lstrip("."), "")).lower()
    if fmt not in FORMATS:
        raise InvalidInput(Message("{file}: unsupported dataset file type; use .csv, .xlsx or .parquet "
                                   "(or name the format)", file=shown))
    return fmt


@contextmanager
def opened(path: Path, fmt: str, shown: str, timezone: str) -> Iterator[tuple[list[str], Rows]]:
    """The file's column names and its rows (numbered as a spreadsheet shows them: the header is
    row 1 of a CSV or workbook; a Parquet file's first row is row 1)."""
    if not path.exists():
        raise InvalidInput(Message("{file}: no such file", file=shown))
    if fmt == "xlsx":
        with tempfile.TemporaryDirectory() as folder:
            sheet = Path(folder) / "sheet.csv"
            xlsx_to_csv(path, sheet, timezone, shown)
            with opened(sheet, "csv", shown, timezone) as found:
                yield found
        return
    if fmt == "csv":
        header, delimiter = files.csv_header(path, shown)
        with path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f, delimiter=delimiter)
            next(reader)

            def rows() -> Rows:
                try:
                    for number, cells in enumerate(reader, start=2):
                        if not any(c.strip() for c in cells):
                            continue  # a blank line (Excel leaves some at the end)
                        if len(cells) > len(header):
                            raise InvalidInput(Message("{file}: row {row} has more cells than the header names",
                                                       file=shown, row=number))
                        yield number, dict(zip(header, cells, strict=False))
                except UnicodeDecodeError:
                    raise InvalidInput(Message('{file}: the file is not UTF-8 text; save it from Excel as '
                                               '"CSV UTF-8"', file=shown)) from None
                except csv.Error as exc:
                    raise InvalidInput(Message("{file}: cannot read as csv: {error}", file=shown,
                                               error=str(exc))) from None

            yield header, rows()
        return
    import duckdb

    db = duckdb.connect()
    try:
        with files.readable(shown, fmt):
            relation = f"read_parquet({sql.literal(str(path))})"
            names = [d[0] for d in db.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()]
            cast = ", ".join(f"CAST({_quoted(n)} AS VARCHAR)" for n in names)
            cursor = db.execute(f"SELECT {cast} FROM {relation}")

        def batches() -> Rows:
            number = 0
            with files.readable(shown, fmt):
                while chunk := cursor.fetchmany(10_000):
                    for values in chunk:
                        number += 1
                        yield number, dict(zip(names, values, strict=True))

        yield names, batches()
    finally:
        db.close()


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
