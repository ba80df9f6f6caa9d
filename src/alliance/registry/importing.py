"""Checking a whole member file before anything is written: all rows, all problems, or nothing.

A file is checked as it streams (`check_member_rows`): a 200 MB file is never held in memory, and
its problems are counted, the first `SHOWN_PROBLEMS` kept to be shown (`ProblemLog`).

Row numbers are spreadsheet row numbers: the header is row 1, the first member is row 2, so a user
can go straight to the cell in Excel or WPS.
"""

from __future__ import annotations

import csv
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import IO

from alliance.core.cells import defuse
from alliance.core.errors import InvalidInput, Problem
from alliance.core.messages import Message
from alliance.registry.model import MemberDraft
from alliance.registry.records import (
    MEMBER_COLUMNS,
    Column,
    ParseContext,
    column_for_header,
    parse_member_record,
)

HEADER = Message("header")  # where a problem of the file's first row is
SHOWN_PROBLEMS = 100  # problems a failed import lists; the rest are counted (and written on request)
SPILL_AFTER = 100_000  # codes kept in memory to find repeats; beyond, in a temporary SQLite file


@dataclass(frozen=True, slots=True)
class HeaderMap:
    """Which file column holds which member field, and what the file calls it."""

    positions: dict[str, int]
    labels: dict[str, str]


def map_header(header: Sequence[str]) -> HeaderMap:
    """Match a file's header to member fields; raise InvalidInput listing every header problem."""
    positions: dict[str, int] = {}
    labels: dict[str, str] = {}
    problems: list[Problem] = []
    for index, raw in enumerate(header):
        name = (raw or "").strip()
        if not name:
            continue
        column = column_for_header(name)
        if column is None:
            known = ", ".join(f"{c.key}/{c.zh}" for c in MEMBER_COLUMNS)
            problems.append(Problem(HEADER, name, Message("unknown column (known: {known})", known=known)))
        elif column.key in positions:
            problems.append(Problem(HEADER, name, Message("repeats the column {column!r}",
                                                          column=labels[column.key])))
        else:
            positions[column.key] = index
            labels[column.key] = name
    missing: list[Column] = [c for c in MEMBER_COLUMNS if c.required and c.key not in positions]
    for column in missing:
        problems.append(Problem(HEADER, column.key, Message("required column missing ({english} or {chinese})",
                                                            english=column.key, chinese=column.zh)))
    if problems:
        raise InvalidInput(Message("the file's header is not a member table"), problems)
    return HeaderMap(positions, labels)


def row_label(number: int) -> Message:
    """Where a problem of a spreadsheet row is: "row 7" (the header is row 1)."""
    return Message("row {row}", row=number)


class ProblemLog:
    """The problems of a file, as they are found: the first `shown` kept to be shown, all counted,
    and every one written to `full_list` (a CSV of row, column, problem) when one is given.

    A file of a million bad rows must not become a million problems in memory, nor on a screen:
    the rest is a count (and, on request, a file)."""

    def __init__(self, shown: int | None = SHOWN_PROBLEMS, full_list: IO[str] | None = None) -> None:
        self.limit = shown
        self.shown: list[Problem] = []
        self.count = 0
        self.bad_rows = 0
        self._writer = csv.writer(full_list, lineterminator="\n") if full_list is not None else None
        if self._writer is not None:
            self._writer.writerow(["where", "column", "problem"])

    def add(self, problems: Sequence[Problem]) -> None:
        self.bad_rows += 1
        self.count += len(problems)
        room = len(problems) if self.limit is None else max(0, self.limit - len(self.shown))
        self.shown.extend(problems[:room])
        if self._writer is not None:
            self._writer.writerows([p.where, defuse(p.field), defuse(p.reason)] for p in problems)

    def error(self) -> InvalidInput:
        """The InvalidInput that reports the file: how many rows and problems, the first ones listed."""
        if self.count > len(self.shown):
            message = Message("{bad_rows} bad row(s); nothing was imported (the first {shown} of {count} problems "
                              "are listed)", bad_rows=self.bad_rows, shown=len(self.shown), count=self.count)
        else:
            message = Message("{bad_rows} bad row(s); nothing was imported", bad_rows=self.bad_rows)
        return InvalidInput(message, list(self.shown))


def check_member_rows(
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    ctx: ParseContext,
    existing: dict[str, str],
    log: ProblemLog,
    on_draft: Callable[[MemberDraft], None],
    header_row: int = 1,
) -> int:
    """Parse and check every row in one pass, handing each good row's draft to `on_draft` and each
    bad row's problems to `log`; return how many rows were good.

    A row is bad if a field does not parse, or its code or credit code repeats an earlier row of
    the file or a member already in the alliance (`existing`: credit code -> member code, of
    every member the alliance ever had). Entirely blank rows are skipped. Only the codes seen so
    far are kept, never the rows, and past `SPILL_AFTER` of them on disk (`RowIndex`): memory
    stays bounded whatever the file's size.
    """
    existing_codes = set(existing.values())
    columns = map_header(header)
    items = list(columns.positions.items())
    with RowIndex() as first_row_of_code, RowIndex() as first_row_of_credit:
        return _check_rows(rows, ctx, existing, existing_codes, columns, items, log, on_draft, header_row,
                           first_row_of_code, first_row_of_credit)


def _check_rows(rows: Iterable[Sequence[str]], ctx: ParseContext, existing: dict[str, str], existing_codes: set[str],
                columns: HeaderMap, items: list[tuple[str, int]], log: ProblemLog,
                on_draft: Callable[[MemberDraft], None], header_row: int,
                first_row_of_code: RowIndex, first_row_of_credit: RowIndex) -> int:
    good = 0
    for number, row in enumerate(rows, start=header_row + 1):
        if not any((cell or "").strip() for cell in row):
            continue
        where = f"row {number}"
        width = len(row)
        values = {key: row[pos] if pos < width else "" for key, pos in items}
        draft, row_problems = parse_member_record(values, ctx, where, columns.labels)
        if draft is not None:
            row_problems = _duplicates(
                draft, number, where, columns.labels,
                existing_codes, existing, first_row_of_code, first_row_of_credit,
            )
        if row_problems:
            # Said as "row N" in the user's language: built for bad rows only (a file has millions).
            at = row_label(number)
            log.add([replace(p, where=at) for p in row_problems])
        else:
            assert draft is not None
            good += 1
            on_draft(draft)
    return good


def plan_member_import(
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    ctx: ParseContext,
    existing: dict[str, str],
    header_row: int = 1,
) -> list[MemberDraft]:
    """Every row's draft, or InvalidInput listing every problem of every bad row (for files small
    enough to hold: a preview, a single record)."""
    drafts: list[MemberDraft] = []
    log = ProblemLog(shown=None)
    check_member_rows(header, rows, ctx, existing, log, drafts.append, header_row)
    if log.count:
        raise log.error()
    return drafts


def _duplicates(
    draft: MemberDraft,
    number: int,
    where: str,
    labels: dict[str, str],
    existing_codes: set[str],
    existing_credit_codes: dict[str, str],
    first_row_of_code: RowIndex,
    first_row_of_credit: RowIndex,
) -> list[Problem]:
    problems: list[Problem] = []
    if draft.code in existing_codes:
        clash = Message("{code!r} is already the code of a member of this alliance", code=draft.code)
        problems.append(Problem(where, labels.get("code", "code"), clash))
    if draft.credit_code in existing_credit_codes:
        clash = Message("{credit_code!r} is already registered as member {member!r}",
                        credit_code=draft.credit_code, member=existing_credit_codes[draft.credit_code])
        problems.append(Problem(where, labels.get("credit_code", "credit_code"), clash))
    checks = (
        ("code", draft.code, existing_codes, first_row_of_code),
        ("credit_code", draft.credit_code, existing_credit_codes, first_row_of_credit),
    )
    for key, value, existing, seen in checks:
        if value in existing:
            continue
        earlier = seen.get(value)
        if earlier is not None:
            problems.append(Problem(where, labels.get(key, key), Message("{value!r} repeats row {earlier}",
                                                                         value=value, earlier=earlier)))
        else:
            seen.add(value, number)
    return problems


class RowIndex:
    """The first row of each value seen (a code, a credit code): in memory up to `spill` values,
    then in a temporary SQLite file, so that a file of millions of rows keeps its memory bounded
    (two dictionaries of 1.4 million short strings are ~350 MB) while every repeat is still found
    exactly and named by its row."""

    def __init__(self, spill: int = SPILL_AFTER) -> None:
        self._memory: dict[str, int] = {}
        self._spill = spill
        self._db: sqlite3.Connection | None = None

    def __enter__(self) -> RowIndex:
        return self

    def __exit__(self, *_: object) -> None:
        if self._db is not None:
            self._db.close()  # a temporary database: its file goes with it

    def get(self, value: str) -> int | None:
        if self._db is None:
            return self._memory.get(value)
        found = self._db.execute("SELECT r FROM seen WHERE v = ?", (value,)).fetchone()
        return None if found is None else int(found[0])

    def add(self, value: str, row: int) -> None:
        if self._db is not None:
            self._db.execute("INSERT INTO seen VALUES (?, ?)", (value, row))
            return
        self._memory[value] = row
        if len(self._memory) >= self._spill:
            self._db = sqlite3.connect("")  # "": a private temporary file, deleted when closed
            self._db.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; "
                                   "CREATE TABLE seen (v TEXT PRIMARY KEY, r INTEGER NOT NULL) WITHOUT ROWID;")
            self._db.executemany("INSERT INTO seen VALUES (?, ?)", self._memory.items())
            self._memory = {}
