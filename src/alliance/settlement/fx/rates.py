"""Rows of exchange rates, pure: checked one by one with every problem reported at once (like the
member and review imports), then merged with the rates already stored.

A rate is `(day, currency, rate, source)`: on business day `day`, one unit of `currency` buys `rate`
units of the alliance's settlement currency, as published by `source` ("PBOC central parity", "ECB
reference"). The file or push is accepted whole or not at all: one bad row refuses it, and so does
one rate that differs from the rate already stored for its day and currency (the register is
append-only; a correction would be a feature of its own). The same rate again is a duplicate, a
no-op.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Context, Decimal, localcontext
from typing import Any

from alliance.core.errors import InvalidInput, Problem
from alliance.core.messages import Message
from alliance.core.money import MoneyError, check_currency
from alliance.core.text import check_text

FIELDS = ("day", "currency", "rate", "source")
# Headers as a finance team writes them, in English or Chinese.
ALIASES: Mapping[str, str] = {
    "day": "day", "date": "day", "日期": "day", "营业日": "day",
    "currency": "currency", "货币": "currency", "币种": "currency",
    "rate": "rate", "汇率": "rate",
    "source": "source", "来源": "source",
}
# Bounds of a rate: enough for any published reference rate (ECB: 5 significant digits, PBOC
# central parity: 4 to 6 decimal places, a rate of a weak currency into a strong one such as IDR
# into USD: 0.0000627), with room to spare, and few enough that a mistyped number stands out.
MAX_SIGNIFICANT = 12
MAX_PLACES = 10
MAX_SOURCE = 200
MAX_ROWS = 100_000
SHOWN_PROBLEMS = 50

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
# ASCII digits only (`\d` alone takes any script's digits: "٧.٥" would be read as 7.5), and not so
# long that Decimal's 28-digit context could round it before the places and digits are counted.
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)", re.ASCII)
MAX_RATE_TEXT = 40


class RatesInvalid(InvalidInput):
    """A file or push of rates with bad rows: nothing of it was stored; `problems` names each row."""

    code = "fx_rates_invalid"
    title = Message("Exchange rates refused")


class RatesConflict(RatesInvalid):
    """Rates that differ from rates already stored (or given twice in one file) for the same day and
    currency: nothing was stored; each problem names both values."""

    code = "fx_rate_conflict"
    title = Message("Exchange rates conflict with stored ones")
    status = 409


@dataclass(frozen=True, slots=True)
class Rate:
    """One day's rate of one currency into the settlement currency."""

    day: date
    currency: str
    rate: Decimal
    source: str

    @property
    def key(self) -> tuple[date, str]:
        return (self.day, self.currency)

    def as_json(self) -> dict[str, str]:
        """As the ledger digests it and the API shows it: every value as text, the rate exactly."""
        return {"day": self.day.isoformat(), "currency": self.currency, "rate": rate_text(self.rate),
                "source": self.source}


@dataclass(frozen=True, slots=True)
class Row:
    """A checked row and where it came from ("row 3", "item 2"), for messages."""

    where: Message
    rate: Rate


@dataclass(frozen=True, slots=True)
class Merged:
    added: list[Rate]   # new (day, currency) pairs, in day then currency order
    duplicates: int     # rows whose rate was stored already (or given before in the same file)


def rate_text(rate: Decimal) -> str:
    """The rate as plain decimal text without trailing zeros: "7.1", "0.0000627", "100"."""
    return format(rate.normalize(), "f")


def _rate(text: str) -> tuple[Decimal | None, Message | None]:
    cleaned = text.strip()
    if len(cleaned) > MAX_RATE_TEXT or not _NUMBER.fullmatch(cleaned):
        return None, Message("{value!r} is not a decimal number (write it as 7.1234, with a point and no exponent)",
                             value=text)
    value = Decimal(cleaned)
    if value <= 0:
        return None, Message("{value} is not a rate: a rate is greater than zero", value=cleaned)
    # Counted on the exact value: normalize() rounds to the context's 28 digits, and a rate of 29
    # significant digits would be stored rounded instead of refused.
    with localcontext(Context(prec=MAX_RATE_TEXT + 10)):
        normal = value.normalize()
    exponent = int(normal.as_tuple().exponent)
    places = max(0, -exponent)
    significant = len(normal.as_tuple().digits) + max(0, exponent)
    if places > MAX_PLACES:
        return None, Message("{value} has {places} decimal places; at most {limit}", value=cleaned, places=places,
                             limit=MAX_PLACES)
    if significant > MAX_SIGNIFICANT:
        return None, Message("{value} has {digits} significant digits; at most {limit}", value=cleaned,
                             digits=significant, limit=MAX_SIGNIFICANT)
    return Decimal(rate_text(value)), None


def check_row(where: Message, cells: Mapping[str, Any], settlement_currency: str) -> tuple[Rate | None, list[Problem]]:
    """One row's rate, or the problems of its fields (each naming the row and the field)."""
    problems: list[Problem] = []
    text = {name: ("" if cells.get(name) is None else str(cells.get(name))).strip() for name in FIELDS}
    day: date | None = None
    if not _DAY.fullmatch(text["day"]):
        problems.append(Problem(where, "day", Message("{value!r} is not a date (YYYY-MM-DD)", value=text["day"])))
    else:
        try:
            day = date.fromisoformat(text["day"])
        except ValueError:
            problems.append(Problem(where, "day", Message("{value!r} is not a day of the calendar", value=text["day"])))
    currency = ""
    try:
        if not text["currency"]:
            raise MoneyError(Message("the currency is missing"))
        currency = check_currency(text["currency"])
        if currency == settlement_currency:
            problems.append(Problem(where, "currency", Message(
                "{currency} is the alliance's settlement currency: it needs no rate", currency=currency)))
    except MoneyError as exc:
        problems.append(Problem(where, "currency", exc.message))
    rate, why = _rate(text["rate"]) if text["rate"] else (None, Message("the rate is missing"))
    if why is not None:
        problems.append(Problem(where, "rate", why))
    if not text["source"]:
        problems.append(Problem(where, "source", Message("name where the rate comes from (e.g. PBOC central parity)")))
    elif len(text["source"]) > MAX_SOURCE:
        problems.append(Problem(where, "source", Message("longer than {limit} characters", limit=MAX_SOURCE)))
    else:
        try:  # no NUL (PostgreSQL refuses it), control or text-direction characters shown to every member
            check_text(text["source"], Message("the source"), MAX_SOURCE)
        except InvalidInput as exc:
            problems.append(Problem(where, "source", exc.message))
    if problems or day is None or rate is None:
        return None, problems
    return Rate(day, currency, rate, text["source"]), []


def check_rows(rows: Iterable[tuple[Message, Mapping[str, Any]]], settlement_currency: str) -> list[Row]:
    """Every row checked; RatesInvalid listing each bad one (nothing to store), else the rows.

    Rows given twice in one file with the same rate count once (the second is a duplicate when
    merged); with different rates they are a conflict, naming both rows."""
    problems: list[Problem] = []
    found: list[Row] = []
    first: dict[tuple[date, str], Row] = {}
    conflicts: list[Problem] = []
    for count, (where, cells) in enumerate(rows, start=1):
        if count > MAX_ROWS:
            problems.append(Problem(Message("file"), "", Message("more than {limit} rates in one import: split the file",
                                                                 limit=MAX_ROWS)))
            break
        rate, row_problems = check_row(where, cells, settlement_currency)
        problems.extend(row_problems)
        if rate is None:
            continue
        earlier = first.setdefault(rate.key, Row(where, rate))
        if earlier.rate.rate != rate.rate:
            conflicts.append(Problem(where, "rate", Message(
                "{currency} on {day}: {rate} here, {other} in {earlier} of the same import",
                currency=rate.currency, day=rate.day.isoformat(), rate=rate_text(rate.rate),
                other=rate_text(earlier.rate.rate), earlier=earlier.where)))
        found.append(Row(where, rate))
    if not problems and not conflicts and not found:
        problems.append(Problem(Message("file"), "", Message("there are no rates in it")))
    _refuse(problems, conflicts)
    return found


def _refuse(problems: list[Problem], conflicts: list[Problem]) -> None:
    if problems or conflicts:
        every = problems + conflicts
        kind = RatesInvalid if problems else RatesConflict
        raise kind(Message("no rate was imported: {count} problems; the first: {first}", count=len(every),
                           first=every[0].text()), every[:SHOWN_PROBLEMS])


def merge(stored: Mapping[tuple[date, str], Decimal], rows: Sequence[Row]) -> Merged:
    """The rates `rows` add to `stored` (day, currency -> rate), and how many were there already;
    RatesConflict naming each row whose rate differs from the stored one (nothing to store)."""
    conflicts: list[Problem] = []
    added: dict[tuple[date, str], Rate] = {}
    duplicates = 0
    for row in rows:
        key = row.rate.key
        known = stored.get(key)
        if known is not None and known != row.rate.rate:
            conflicts.append(Problem(row.where, "rate", Message(
                "{currency} on {day}: {rate} in this import, but {stored} is stored (a stored rate is never changed)",
                currency=row.rate.currency, day=key[0].isoformat(), rate=rate_text(row.rate.rate),
                stored=rate_text(known))))
        elif known is not None or key in added:
            duplicates += 1
        else:
            added[key] = row.rate
    _refuse([], conflicts)
    return Merged(sorted(added.values(), key=lambda r: (r.day, r.currency)), duplicates)


# -- reading --------------------------------------------------------------------------------------

def read_csv(data: bytes) -> list[tuple[Message, dict[str, str]]]:
    """The rows of a CSV file (UTF-8, with or without BOM; comma-separated; a header naming the
    columns day, currency, rate, source in any order, or 日期, 货币, 汇率, 来源), numbered as a
    spreadsheet shows them (the header is row 1). RatesInvalid for an unreadable file or header."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RatesInvalid(Message("the file is not UTF-8 text"), [Problem(
            Message("file"), "", Message("byte {position} is not UTF-8: save the file as CSV UTF-8",
                                         position=exc.start))]) from None
    try:
        lines = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise RatesInvalid(Message("the file is not CSV"), [Problem(Message("file"), "", Message(
            "not CSV: {reason}", reason=str(exc)))]) from None
    numbered = [(n, cells) for n, cells in enumerate(lines, start=1) if any(c.strip() for c in cells)]
    if not numbered:
        raise RatesInvalid(Message("the file is empty"), [Problem(Message("file"), "", Message("there are no rates in it"))])
    header_row, header = numbered[0]
    columns = _columns(header, header_row)
    return [(Message("row {row}", row=n), {name: (cells[i] if i < len(cells) else "") for name, i in columns.items()})
            for n, cells in numbered[1:]]


def _columns(header: Sequence[str], row: int) -> dict[str, int]:
    found: dict[str, int] = {}
    problems: list[Problem] = []
    where = Message("header (row {row})", row=row)
    for index, cell in enumerate(header):
        name = ALIASES.get(cell.strip().lower())
        if name is None:
            problems.append(Problem(where, cell.strip(), Message("unknown column (the columns are {known})",
                                                                 known=", ".join(FIELDS))))
        elif name in found:
            problems.append(Problem(where, cell.strip(), Message("the column is given twice")))
        else:
            found[name] = index
    for name in FIELDS:
        if name not in found:
            problems.append(Problem(where, name, Message("the column is missing")))
    if problems:
        raise RatesInvalid(Message("no rate was imported: the header is wrong; the first problem: {first}",
                                   first=problems[0].text()), problems)
    return found


def read_items(items: Sequence[Mapping[str, Any]]) -> list[tuple[Message, Mapping[str, Any]]]:
    """The rows of an API push (a list of objects with the same fields), numbered from 1."""
    return [(Message("item {item}", item=n), item) for n, item in enumerate(items, start=1)]
