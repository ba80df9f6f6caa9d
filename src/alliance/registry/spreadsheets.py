"""Reading and writing member tables as CSV and XLSX files.

CSV is read as UTF-8 (with or without the BOM Excel writes) and, failing that, as GB18030, the
encoding Excel and WPS use for "CSV" on Chinese Windows. Tables are read as a stream
(`open_table`), a row at a time, so a file of any size is read in little memory. CSV is written with a UTF-8 BOM so Excel
shows Chinese correctly. XLSX goes through openpyxl (read-only / write-only modes, so large files
stream). Every failure is a `TableFileError` naming the file and the cause.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, BinaryIO

# openpyxl (with NumPy, a fifth of a second) is imported where a workbook is read or written, so
# that modules naming TableFileError or open_table load quickly.

from alliance.core.cells import defused_row, undefuse
from alliance.core.errors import InvalidInput
from alliance.core.messages import Message

FORMATS = ("csv", "xlsx")


class TableFileError(InvalidInput):
    code = "unreadable_file"
    title = Message("Unreadable file")


@dataclass(frozen=True, slots=True)
class TextTable:
    header: list[str]
    rows: list[list[str]]
    header_row: int = 1  # the header's spreadsheet row number (blank rows above it are skipped)


def format_of(path: Path, declared: str | None = None) -> str:
    """"csv" or "xlsx", from `declared` or the file's suffix."""
    fmt = (declared or path.suffix.lstrip(".")).lower()
    if fmt in ("xlsm",):
        fmt = "xlsx"
    if fmt not in FORMATS:
        raise TableFileError(Message("{path}: unsupported file type {file_type!r}; use .csv or .xlsx",
                                     path=path, file_type=fmt or '(none)'))
    return fmt


def read_table(path: Path, declared_format: str | None = None) -> TextTable:
    """Read the first sheet (or the CSV) as text cells; the first non-empty row is the header.

    The whole table in memory: for files of a known, modest size. `open_table` streams."""
    with open_table(path, declared_format) as table:
        return TextTable(header=table.header, rows=list(table.rows), header_row=table.header_row)


@dataclass(slots=True)
class TableStream:
    """A table being read: its header, and its rows as an iterator (read once, as they come)."""

    header: list[str]
    rows: Iterator[list[str]]
    header_row: int


@contextmanager
def open_table(path: Path, declared_format: str | None = None) -> Iterator[TableStream]:
    """The table of a CSV or of a workbook's first sheet, streamed: memory stays small whatever the
    file's size. A file that turns out unreadable midway raises TableFileError while iterating."""
    fmt = format_of(path, declared_format)
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise TableFileError(Message("{path}: no such file", path=path)) from None
    except IsADirectoryError:
        raise TableFileError(Message("{path}: is a directory, not a file", path=path)) from None
    except OSError as exc:
        raise TableFileError(Message("{path}: cannot read ({reason})", path=path, reason=exc.strerror)) from None
    with handle:
        if fmt == "csv":
            rows = _csv_rows(path, handle)
            closer = None
        else:
            workbook = _workbook(path, handle)
            rows, closer = _xlsx_rows(path, workbook), workbook.close
        try:
            skipped = 0
            for first in rows:
                skipped += 1
                if any(cell.strip() for cell in first):
                    break
            else:
                raise TableFileError(Message("{path}: the file is empty", path=path))
            yield TableStream(header=[c.strip() for c in first], rows=rows, header_row=skipped)
        finally:
            if closer is not None:
                closer()


def _encoding(path: Path, handle: BinaryIO) -> str:
    """UTF-8 (BOM or not) if the whole file decodes as UTF-8, else GB18030: decoded a chunk at a time."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := handle.read(1 << 20):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
        return "utf-8-sig"
    except UnicodeDecodeError:
        return "gb18030"
    finally:
        handle.seek(0)


def _csv_rows(path: Path, handle: BinaryIO) -> Iterator[list[str]]:
    text = io.TextIOWrapper(handle, encoding=_encoding(path, handle), newline="")
    sample = text.read(4096)
    text.seek(0)
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel

    def rows() -> Iterator[list[str]]:
        try:
            for row in csv.reader(text, dialect):
                yield [undefuse(cell) for cell in row]
        except csv.Error as exc:
            raise TableFileError(Message("{path}: not a valid CSV file ({error})", path=path, error=exc)) from None

    return rows()


def _workbook(path: Path, handle: BinaryIO) -> Any:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        return load_workbook(handle, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise TableFileError(Message("{path}: not a valid XLSX workbook", path=path)) from None


def _xlsx_rows(path: Path, workbook: Any) -> Iterator[list[str]]:
    try:
        sheet = workbook.worksheets[0]
    except IndexError:
        raise TableFileError(Message("{path}: the workbook has no sheet", path=path)) from None
    try:
        for row in sheet.iter_rows(values_only=True):
            yield [undefuse(cell_text(v)) for v in row]
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError):
        raise TableFileError(Message("{path}: not a valid XLSX workbook (it breaks off midway)", path=path)) from None


def cell_text(value: object) -> str:
    """A spreadsheet cell as the text a person sees: 5.0 -> "5", 2026-03-01 00:00 -> "2026-03-01".

    Floats become their shortest round-trip decimal text (12.3, not 12.300000000000001).
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value).strip()


def write_table(target: Path | IO[bytes], fmt: str, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """Write a table as CSV (UTF-8 with BOM) or XLSX to a path or a binary stream.

    Every cell, header included, goes through `core.cells.defuse`: text a spreadsheet would take
    for a formula gets a leading apostrophe (and `read_table` removes it again); plain numbers
    ("-12.50") are written as they are.
    """
    if fmt == "csv":
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(defused_row(header))
        writer.writerows(defused_row(row) for row in rows)
        payload = buffer.getvalue().encode("utf-8-sig")
        if isinstance(target, Path):
            target.write_bytes(payload)
        else:
            target.write(payload)
        return
    if fmt != "xlsx":
        raise TableFileError(Message("unsupported format {format!r}; use csv or xlsx", format=fmt))
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("members")
    sheet.append(defused_row(header))
    for row in rows:
        # Explicit text cells throughout: a credit code or a long amount must never become a float,
        # and "=..." must never become a formula (and is defused too, should someone edit the cell
        # or save the sheet as CSV).
        cells = []
        for value in defused_row(row):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)
    workbook.save(target)
