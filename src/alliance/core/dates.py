"""Dates as spreadsheets write them: the one reader of a date cell in any imported file.

Excel and WPS on Chinese Windows write a date cell to CSV as `2026/11/5` (or `2026/11/05`, with a
custom format `2026年11月5日`), not `2026-11-05`; an XLSX date cell arrives as a real date. Every
file import accepts the same forms (docs/formats/members.md lists them):

    2026-11-05   2026-11-5   2026/11/05   2026/11/5   2026年11月5日   (a date cell of an XLSX sheet)

optionally followed by a time of day (` 10:30`, `T10:30:00`), which a date column ignores. A day
that does not exist (`2026/2/30`) is refused, and so is a year outside 2000-2099 (core.limits: no
business fact of the platform's happened before 2000, and a stray year 1 or 9999 is a typo).

The command line and the API stay strict ISO 8601 (`--day 2026-11-05`): a program should write
what it means, and an ambiguous form there is a bug, not a spreadsheet habit.

Order lines are checked in DuckDB, not row by row in Python: `iso_date_sql` is the same reading as
SQL (the same pattern), rewriting the date part of a text to ISO before the check casts it.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from alliance.core.limits import END_INSTANT, FIRST_INSTANT
from alliance.core.messages import Message

FIRST_YEAR = FIRST_INSTANT.year  # 2000
LAST_YEAR = END_INSTANT.year - 1  # 2099
ACCEPTED = "2026-11-05, 2026/11/5, 2026/11/05 or 2026年11月5日"

# Year, month, day: ISO or slashes (one or two digits each), or the Chinese form. One pattern, used
# here and (as RE2 syntax, which this is too) in DuckDB.
DATE_PART = r"([0-9]{4})(?:[-/]([0-9]{1,2})[-/]([0-9]{1,2})|年 *([0-9]{1,2}) *月 *([0-9]{1,2}) *日)"
_TIME_OF_DAY = r"(?:[ T]+[0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?"
_DATE = re.compile(rf"\s*{DATE_PART}{_TIME_OF_DAY}\s*")


class DateError(ValueError):
    """Not a date this platform reads; `message` says why, for the user (the caller names the row),
    in any language (a Message: `str(exc)` is its English only)."""

    def __init__(self, message: Message) -> None:
        super().__init__(message)
        self.message = message


def parse_date(value: object) -> date:
    """A date cell (text in any accepted form, or a spreadsheet's date) as a date, or DateError."""
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    else:
        text = str(value)
        match = _DATE.fullmatch(text)
        if match is None:
            raise DateError(Message("{text!r} is not a date (write it as {accepted})", text=text, accepted=ACCEPTED))
        year, month, dd = int(match[1]), int(match[2] or match[4]), int(match[3] or match[5])
        try:
            day = date(year, month, dd)
        except ValueError:
            raise DateError(Message("{text!r} is not a date: {year} has no day {day} of month {month}",
                                    text=text, year=year, day=dd, month=month)) from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise DateError(Message("{value!r} is outside the years {first_year} to {last_year}",
                                value=_shown(value), first_year=FIRST_YEAR, last_year=LAST_YEAR))
    return day


def _shown(value: object) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def iso_date_sql(column: str) -> str:
    """A DuckDB expression: `column` with a leading date in a spreadsheet form rewritten to ISO
    (`2026/11/5 10:00+08:00` -> `2026-11-05 10:00+08:00`), any other text as it is.

    Only the date part changes; what follows it (the time and its offset) is kept, and the
    existing checks then cast and bound the whole. An impossible day (`2026/2/30`) becomes an
    impossible ISO day, which the cast refuses. ISO text skips the rewrite (a cheap test first:
    millions of lines)."""
    pattern = f"'^ *{DATE_PART}(.*)$'"

    def part(group: int) -> str:
        return f"regexp_extract({column}, {pattern}, {group})"

    month = f"lpad(coalesce(nullif({part(2)}, ''), {part(4)}), 2, '0')"
    day = f"lpad(coalesce(nullif({part(3)}, ''), {part(5)}), 2, '0')"
    # Spreadsheets write `10:00` or `9:05` where ISO wants `10:00:00`: the time is padded too.
    rest = part(6)
    clock = "'^[ T]+([0-9]{1,2}):([0-9]{2})(:[0-9]{2}(?:[.][0-9]+)?)?(.*)$'"

    def time_part(group: int) -> str:
        return f"regexp_extract({rest}, {clock}, {group})"

    timed = (f"' ' || lpad({time_part(1)}, 2, '0') || ':' || {time_part(2)} || "
             f"coalesce(nullif({time_part(3)}, ''), ':00') || {time_part(4)}")
    rest = f"CASE WHEN regexp_matches({rest}, {clock}) THEN {timed} ELSE {rest} END"
    rewritten = f"{part(1)} || '-' || {month} || '-' || {day} || {rest}"
    return (f"CASE WHEN substr({column}, 5, 1) = '-' AND substr({column}, 8, 1) = '-' THEN {column} "
            f"WHEN regexp_matches({column}, {pattern}) THEN {rewritten} ELSE {column} END")


_MONTH = re.compile(r"\s*([0-9]{4})(?:[-/]([0-9]{1,2})|年 *([0-9]{1,2}) *月)\s*")


def month_text(value: str) -> str:
    """A month written in a spreadsheet (`2026-11`, `2026/11`, `2026年11月`, or the date Excel makes
    of `2026-11` in a date cell: its 1st, `2026-11-01`) as `YYYY-MM`; anything else as it is, for
    the caller's own check to refuse with its row."""
    match = _MONTH.fullmatch(value)
    if match is not None:
        month = int(match[2] or match[3])
        year = int(match[1])
        return f"{year:04d}-{month:02d}" if 1 <= month <= 12 and FIRST_YEAR <= year <= LAST_YEAR else value
    try:
        day = parse_date(value)
    except DateError:
        return value
    return f"{day.year:04d}-{day.month:02d}" if day.day == 1 else value
