"""What a dataset kind declares, and the pure checks of one row against it.

A kind (`alliance.datashare.datasets`) is its fields (name, type, required, limits, doc text),
its idempotency key, its fact-store table, the fields a shared view may show (each with its view
`Kind`) and any checks across fields. Rows arrive as text cells (a CSV, a workbook, Parquet or
JSON pushed over the API); every cell is checked here, in pure code, and every bad one is named by
its row and field in the user's language, so that a file with a bad row stores nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field as dc_field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from alliance.core.errors import InvalidInput
from alliance.core.limits import END_INSTANT, FIRST_INSTANT, LINE_LIMIT_MINOR
from alliance.core.messages import Message
from alliance.core.text import check_text


class Kind(StrEnum):
    """How a shared view shows a field, and what it may do with it (`alliance.datashare.views`)."""

    TEXT = "text"
    DAY = "day"
    COUNT = "count"   # a whole number summed in groups
    MONEY = "money"   # minor units summed in groups, shown as decimal strings


class FieldType(StrEnum):
    """How a cell is written in a file, checked, and stored in the fact store."""

    TEXT = "text"            # trimmed text, no control characters
    CHOICE = "choice"        # one of a closed list, lower case
    MEMBER = "member"        # a member code of the alliance
    PSEUDONYM = "pseudonym"  # 64 lowercase hex characters (HMAC-SHA256): never a raw identifier
    DAY = "day"              # YYYY-MM-DD
    INSTANT = "instant"      # ISO 8601 with a UTC offset
    WHOLE = "whole"          # a whole number within limits
    MONEY = "money"          # a decimal amount in the alliance's currency, stored in minor units


# The fact-store column type of each field type (money: minor units, in `<name>_minor`).
STORED_AS: dict[FieldType, str] = {
    FieldType.TEXT: "VARCHAR", FieldType.CHOICE: "VARCHAR", FieldType.MEMBER: "VARCHAR",
    FieldType.PSEUDONYM: "VARCHAR", FieldType.DAY: "DATE", FieldType.INSTANT: "TIMESTAMPTZ",
    FieldType.WHOLE: "BIGINT", FieldType.MONEY: "BIGINT",
}


@dataclass(frozen=True)
class Field:
    name: str
    type: FieldType
    doc: Message                 # what it means, for docs/formats and the upload form
    required: bool = True
    max_length: int = 100        # text, choices, members
    minimum: int | None = None   # whole numbers and money (in whole units of money: 0 = no negatives)
    maximum: int | None = None   # whole numbers
    choices: tuple[str, ...] = ()
    view: Kind | None = None     # how a shared view shows it; None: never in a view
    derived: bool = False        # computed on import (not a column of the file)

    @property
    def column(self) -> str:
        """Its column in the fact store."""
        return f"{self.name}_minor" if self.type is FieldType.MONEY else self.name


@dataclass(frozen=True)
class Context:
    """What a row is checked against: the alliance's members, currency places and time zone."""

    members: frozenset[str]
    digits: int         # the currency's places
    timezone: str


# A kind's checks across the fields of a row already checked field by field: (field, why) each.
RowRule = Callable[[dict[str, Any], Context], list[tuple[str, Message]]]
# A kind's derived values of a checked row (e.g. an event's business day).
Derive = Callable[[dict[str, Any], Context], dict[str, Any]]


@dataclass(frozen=True)
class DatasetKind:
    """One kind of dataset: everything the registry needs to import, store and share it."""

    name: str
    title: Message
    doc: str                               # its format page, docs/formats/...
    fields: tuple[Field, ...]
    key: tuple[str, ...]                   # one row per key per member: re-importing it replaces it
    table: str                             # its fact-store table
    rules: RowRule = lambda row, ctx: []   # checks across fields
    derive: Derive = lambda row, ctx: {}
    importable: bool = True                # False: imported through its own path (sales: order lines)
    hidden_only: frozenset[str] = dc_field(default_factory=frozenset)  # never visible nor aggregate in a view

    @property
    def columns(self) -> tuple[Field, ...]:
        """The fields of a file (derived ones excluded)."""
        return tuple(f for f in self.fields if not f.derived)

    def view_fields(self) -> dict[str, Kind]:
        return {f.name: f.view for f in self.fields if f.view is not None}

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


_WHOLE = re.compile(r"-?[0-9]{1,15}")
_MONEY = re.compile(r"(-?[0-9]{1,15})(?:\.([0-9]{1,4}))?")
_HEX64 = re.compile(r"[0-9a-f]{64}")


def check_cell(f: Field, raw: Any, ctx: Context) -> tuple[Any, Message | None]:
    """A cell's value as stored (None when empty and optional), or why it is refused."""
    text = "" if raw is None else str(raw).strip()
    if not text:
        return None, (Message("required") if f.required else None)
    try:
        return _parse(f, text, ctx), None
    except _Refused as exc:
        return None, exc.reason


class _Refused(Exception):
    def __init__(self, reason: Message) -> None:
        super().__init__(reason)
        self.reason = reason


def _parse(f: Field, text: str, ctx: Context) -> Any:
    return PARSERS[f.type](f, text, ctx)


def _text(f: Field, text: str, ctx: Context) -> str:
    try:
        return check_text(text, f.name, f.max_length)
    except InvalidInput as exc:
        raise _Refused(exc.message) from None


def _choice(f: Field, text: str, ctx: Context) -> str:
    text = _text(f, text, ctx).lower()
    if text not in f.choices:
        raise _Refused(Message("{value!r} is not one of {choices}", value=text[:40], choices=", ".join(f.choices)))
    return text


def _member(f: Field, text: str, ctx: Context) -> str:
    text = _text(f, text, ctx)
    if text not in ctx.members:
        raise _Refused(Message("{value!r} is not a member of the alliance", value=text[:40]))
    return text


def _pseudonym(f: Field, text: str, ctx: Context) -> str:
    if not _HEX64.fullmatch(text):
        # Never echo the value: it may be the raw phone number or e-mail address sent by mistake.
        raise _Refused(Message("not a pseudonymous key (64 lowercase hex characters): derive it with "
                               "`alliance dataset pseudonymise`; the value is not shown"))
    return text


def _day(f: Field, text: str, ctx: Context) -> date:
    try:
        if len(text) != 10:
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError:
        raise _Refused(Message("{value!r} is not a date (YYYY-MM-DD)", value=text[:40])) from None
    if not FIRST_INSTANT.year <= day.year < END_INSTANT.year:
        raise _Refused(Message("{value} is outside the years {first} to {last}", value=text,
                               first=FIRST_INSTANT.year, last=END_INSTANT.year - 1))
    return day


def _instant(f: Field, text: str, ctx: Context) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace(" ", "T", 1) if len(text) > 10 else "x")
    except ValueError:
        raise _Refused(Message("{value!r} is not a time (ISO 8601 with its UTC offset, e.g. "
                               "2026-03-01T09:30:00+08:00)", value=text[:40])) from None
    if moment.tzinfo is None:
        raise _Refused(Message("{value!r} has no UTC offset (write +08:00 or Z)", value=text[:40]))
    if not FIRST_INSTANT <= moment < END_INSTANT:
        raise _Refused(Message("{value} is outside the years {first} to {last}", value=text,
                               first=FIRST_INSTANT.year, last=END_INSTANT.year - 1))
    return moment


def _whole(f: Field, text: str, ctx: Context) -> int:
    if not _WHOLE.fullmatch(text):
        raise _Refused(Message("{value!r} is not a whole number", value=text[:40]))
    number = int(text)
    if f.minimum is not None and number < f.minimum:
        raise _Refused(Message("{value} is less than {minimum}", value=number, minimum=f.minimum))
    if f.maximum is not None and number > f.maximum:
        raise _Refused(Message("{value} is more than {maximum}", value=number, maximum=f.maximum))
    return number


def _money(f: Field, text: str, ctx: Context) -> int:
    """Exact, in minor units of the alliance's currency, never through a float."""
    found = _MONEY.fullmatch(text)
    if not found:
        raise _Refused(Message("{value!r} is not an amount (digits, a point and at most the currency's places)",
                               value=text[:40]))
    whole, places = found.group(1), found.group(2) or ""
    if len(places) > ctx.digits:
        raise _Refused(Message("{value} has more places than the currency's {digits}", value=text,
                               digits=ctx.digits))
    minor = int(whole + places.ljust(ctx.digits, "0")) if not whole.startswith("-") else \
        -int(whole[1:] + places.ljust(ctx.digits, "0"))
    if f.minimum is not None and minor < f.minimum:
        raise _Refused(Message("{value} is negative", value=text))
    if abs(minor) > LINE_LIMIT_MINOR:
        raise _Refused(Message("{value} is over the limit of an amount", value=text))
    return minor


# How each field type reads a cell (a test holds one parser per type, as STORED_AS has one column type).
PARSERS: dict[FieldType, Callable[[Field, str, Context], Any]] = {
    FieldType.TEXT: _text, FieldType.CHOICE: _choice, FieldType.MEMBER: _member, FieldType.PSEUDONYM: _pseudonym,
    FieldType.DAY: _day, FieldType.INSTANT: _instant, FieldType.WHOLE: _whole, FieldType.MONEY: _money,
}


def check_row(kind: DatasetKind, cells: Mapping[str, Any], ctx: Context) -> tuple[dict[str, Any], list[tuple[str, Message]]]:
    """A row's stored values (derived ones included), and every (field, why) wrong with it."""
    values: dict[str, Any] = {}
    wrong: list[tuple[str, Message]] = []
    for f in kind.columns:
        value, why = check_cell(f, cells.get(f.name), ctx)
        if why is not None:
            wrong.append((f.name, why))
        values[f.name] = value
    if not wrong:
        wrong += kind.rules(values, ctx)
    if not wrong:
        values.update(kind.derive(values, ctx))
    return values, wrong
