"""The review import, pure: a table of user reviews (member, date, stars 1-5, optional reviewer and
comment; English or Chinese headers) checked row by row, every problem at once with its spreadsheet
row number, like the member import. The service stores all rows or none."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from alliance.core.errors import InvalidInput, Problem
from alliance.core.messages import Message

COLUMNS: Mapping[str, tuple[str, ...]] = {
    "member": ("member", "成员", "成员代码"),
    "date": ("date", "日期"),
    "stars": ("stars", "星级", "评分"),
    "reviewer": ("reviewer", "评价人"),
    "comment": ("comment", "评语", "备注"),
}
REQUIRED = ("member", "date", "stars")
MAX_TEXT = 2000
SHOWN_PROBLEMS = 50


class ReviewImportInvalid(InvalidInput):
    code = "review_import_invalid"
    title = Message("Review import refused")


def _columns(header: Sequence[str]) -> tuple[dict[str, int], list[Problem]]:
    found: dict[str, int] = {}
    problems: list[Problem] = []
    names = {alias.lower(): field for field, aliases in COLUMNS.items() for alias in aliases}
    for index, cell in enumerate(header):
        field = names.get(cell.strip().lower())
        if field is None:
            problems.append(Problem(Message("header"), cell, Message("unknown column (known: {known})",
                                                                     known=", ".join(COLUMNS))))
        elif field in found:
            problems.append(Problem(Message("header"), cell, Message("the column is given twice")))
        else:
            found[field] = index
    for field in REQUIRED:
        if field not in found:
            problems.append(Problem(Message("header"), field, Message("the column is missing")))
    return found, problems


def check_reviews(header: Sequence[str], rows: Iterable[Sequence[str]], members: set[str], today: date,
                  header_row: int = 1) -> list[dict[str, Any]]:
    """The rows as values to store, or ReviewImportInvalid listing every bad row (nothing to store)."""
    columns, problems = _columns(header)
    found: list[dict[str, Any]] = []
    if not problems:
        for number, row in enumerate(rows, start=header_row + 1):
            cells = {f: (row[i].strip() if i < len(row) else "") for f, i in columns.items()}
            if not any(cells.values()):
                continue
            where = Message("row {row}", row=number)
            row_problems: list[Problem] = []
            if cells["member"] not in members:
                row_problems.append(Problem(where, "member", Message("{member!r} is not a member of the alliance",
                                                                     member=cells["member"])))
            try:
                day = date.fromisoformat(cells["date"])
            except ValueError:
                day = None
                row_problems.append(Problem(where, "date", Message("{value!r} is not a date (YYYY-MM-DD)",
                                                                   value=cells["date"])))
            if day is not None and day > today:
                row_problems.append(Problem(where, "date", Message("{day} is a day still ahead", day=day)))
            stars = cells["stars"]
            if stars not in {"1", "2", "3", "4", "5"}:
                row_problems.append(Problem(where, "stars", Message("{value!r} is not a whole number of stars from 1 "
                                                                    "to 5", value=stars)))
            for field in ("reviewer", "comment"):
                if len(cells.get(field, "")) > MAX_TEXT:
                    row_problems.append(Problem(where, field, Message("longer than {limit} characters",
                                                                      limit=MAX_TEXT)))
            if row_problems:
                problems.extend(row_problems)
                continue
            found.append({"member_code": cells["member"], "day": day, "stars": int(stars),
                          "reviewer": cells.get("reviewer") or None, "comment": cells.get("comment") or None})
    if not problems and not found:
        problems.append(Problem(Message("file"), "", Message("the file has no reviews")))
    if problems:
        raise ReviewImportInvalid(Message("no review was imported: {count} problems; the first: {first}",
                                          count=len(problems), first=problems[0].text()), problems[:SHOWN_PROBLEMS])
    return found
