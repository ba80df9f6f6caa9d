"""Order-line files as the fact store reads them: their format, their header, their read errors."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alliance.core.errors import InvalidInput, Problem
from alliance.core.messages import Message

COLUMNS = ("line_id", "order_id", "occurred_at", "seller", "product_owner", "channel", "sku", "quantity",
           "amount", "cost", "attributed_to", "refund_of", "currency")
REQUIRED = ("line_id", "order_id", "occurred_at", "seller", "product_owner", "channel", "sku", "quantity",
            "amount", "currency")
FORMATS = ("csv", "parquet", "jsonl", "xlsx")


def format_of(path: Path, declared: str | None, shown: str | None = None) -> str:
    fmt = (declared or {"csv": "csv", "parquet": "parquet", "jsonl": "jsonl", "ndjson": "jsonl", "xlsx": "xlsx",
                        "xlsm": "xlsx"}.get(path.suffix.lower().lstrip("."), "")).lower()
    if fmt not in FORMATS:
        raise InvalidInput(Message("{file}: unsupported order-line file type; use .csv, .xlsx, .parquet or .jsonl "
                                   "(or name the format)", file=shown or str(path)))
    return fmt


def csv_header(path: Path, shown: str) -> tuple[list[str], str]:
    """The names of a CSV file's first line and its delimiter (comma, semicolon, tab or bar)."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            first = f.readline(1 << 16).rstrip("\r\n")
    except UnicodeDecodeError:
        raise InvalidInput(Message('{file}: the file is not UTF-8 text; save it from Excel as "CSV UTF-8"',
                                   file=shown)) from None
    if not first.strip():
        raise InvalidInput(Message("{file}: the file is empty or its first line is blank; it starts with the "
                                   "column names", file=shown))
    delimiter = max(",;\t|", key=first.count)
    names = [name.strip() for name in next(csv.reader([first], delimiter=delimiter))]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated or "" in names:
        raise InvalidInput(Message("{file}: the first line names columns twice or leaves one unnamed", file=shown),
                           [Problem("header", n or "(blank)", Message("named twice") if n else Message("no name"))
                            for n in duplicated or [""]])
    return names, delimiter


@contextmanager
def readable(shown: str, fmt: str) -> Iterator[None]:
    """DuckDB's errors about the file itself (bad encoding, a row with extra cells, JSON lines that
    are not objects, values of two types) as a clear InvalidInput naming the file, never a 500."""
    import duckdb

    try:
        yield
    except (duckdb.IOException, duckdb.InvalidInputException, duckdb.ConversionException,
            duckdb.BinderException) as exc:
        first = str(exc).splitlines()[0]
        for prefix in ("Invalid Input Error: ", "Conversion Error: ", "Binder Error: ", "IO Error: "):
            first = first.removeprefix(prefix)
        if fmt == "csv" and "unicode" in first.lower():
            raise InvalidInput(Message('{file}: cannot read as {format}: {error} (is it UTF-8? save it from Excel as '
                                       '"CSV UTF-8")', file=shown, format=fmt, error=first)) from None
        raise InvalidInput(Message("{file}: cannot read as {format}: {error}",
                                   file=shown, format=fmt, error=first)) from None

