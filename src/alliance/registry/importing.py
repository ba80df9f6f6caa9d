"""Checking a whole member file before anything is written: all rows, all problems, or nothing.

Row numbers are spreadsheet row numbers: the header is row 1, the first member is row 2, so a user
can go straight to the cell in Excel or WPS.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from alliance.core.errors import InvalidInput, Problem
from alliance.registry.model import MemberDraft
from alliance.registry.records import (
    MEMBER_COLUMNS,
    Column,
    ParseContext,
    column_for_header,
    parse_member_record,
)


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
            problems.append(Problem("header", name, f"unknown column (known: {known})"))
        elif column.key in positions:
            problems.append(Problem("header", name, f"repeats the column {labels[column.key]!r}"))
        else:
            positions[column.key] = index
            labels[column.key] = name
    missing: list[Column] = [c for c in MEMBER_COLUMNS if c.required and c.key not in positions]
    for column in missing:
        problems.append(Problem("header", column.key, f"required column missing ({column.key} or {column.zh})"))
    if problems:
        raise InvalidInput("the file's header is not a member table", problems)
    return HeaderMap(positions, labels)


def plan_member_import(
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    ctx: ParseContext,
    existing: dict[str, str],
    header_row: int = 1,
) -> list[MemberDraft]:
    """Parse and check every row; return the drafts, or raise InvalidInput with every bad row.

    A row is bad if a field does not parse, or its code or credit code repeats an earlier row of
    the file or a member already in the alliance (`existing`: credit code -> member code, of
    every member the alliance ever had). Entirely blank rows are skipped.
    """
    existing_codes = set(existing.values())
    columns = map_header(header)
    drafts: list[MemberDraft] = []
    problems: list[Problem] = []
    first_row_of_code: dict[str, int] = {}
    first_row_of_credit: dict[str, int] = {}
    for number, row in enumerate(rows, start=header_row + 1):
        if not any((cell or "").strip() for cell in row):
            continue
        where = f"row {number}"
        values = {key: row[pos] if pos < len(row) else "" for key, pos in columns.positions.items()}
        draft, row_problems = parse_member_record(values, ctx, where, columns.labels)
        if draft is not None:
            row_problems = _duplicates(
                draft, number, where, columns.labels,
                existing_codes, existing, first_row_of_code, first_row_of_credit,
            )
        if row_problems:
            problems.extend(row_problems)
        else:
            assert draft is not None
            drafts.append(draft)
    if problems:
        bad_rows = len({p.where for p in problems})
        raise InvalidInput(f"{bad_rows} bad row(s); nothing was imported", problems)
    return drafts


def _duplicates(
    draft: MemberDraft,
    number: int,
    where: str,
    labels: dict[str, str],
    existing_codes: set[str],
    existing_credit_codes: dict[str, str],
    first_row_of_code: dict[str, int],
    first_row_of_credit: dict[str, int],
) -> list[Problem]:
    problems: list[Problem] = []
    if draft.code in existing_codes:
        clash = f"{draft.code!r} is already the code of a member of this alliance"
        problems.append(Problem(where, labels.get("code", "code"), clash))
    if draft.credit_code in existing_credit_codes:
        clash = f"{draft.credit_code!r} is already registered as member {existing_credit_codes[draft.credit_code]!r}"
        problems.append(Problem(where, labels.get("credit_code", "credit_code"), clash))
    checks = (
        ("code", draft.code, existing_codes, first_row_of_code),
        ("credit_code", draft.credit_code, existing_credit_codes, first_row_of_credit),
    )
    for key, value, existing, seen in checks:
        if value in existing:
            continue
        if value in seen:
            problems.append(Problem(where, labels.get(key, key), f"{value!r} repeats row {seen[value]}"))
        else:
            seen[value] = number
    return problems
