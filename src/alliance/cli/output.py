"""How the CLI talks: tables, JSON and CSV on stdout, one-line errors on stderr, exit codes.

Exit codes: 0 success; 1 the operation failed (unknown alliance, database unreachable...);
2 bad input (invalid rows or values, bad options; also Click's usage errors).
"""

from __future__ import annotations

import csv
import functools
import io
import os
import json
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo
from enum import StrEnum
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import click
import typer
from rich.console import Console
from rich.markup import escape
from rich.segment import Segment
from rich.table import Table

from alliance.core.cells import defused_row
from alliance.core.errors import AllianceError, InvalidInput, StoreUnavailable
from alliance.core.settings import get_settings
from alliance.core.messages import Message
from alliance.store.database import Store

P = ParamSpec("P")
R = TypeVar("R")

# A minus sign before nothing but zeros ("-0", "-0.000"; not "-0.001", "2026-01", "L-0"): what a
# tiny negative number rounds to, shown as the zero it is.
_NEGATIVE_ZERO = re.compile(r"(?<![\w.])-(0+(?:\.0+)?)(?![\w.])")


def unsigned_zero(text: str) -> str:
    """`text` with every negative zero ("-0.000", "-0.00 CNY") printed as zero."""
    return _NEGATIVE_ZERO.sub(r"\1", text) if "-0" in text else text


def fixed(value: float | Decimal | int, places: int) -> str:
    """A number with `places` decimals, never a negative zero (-1e-9 is "0.000", not "-0.000")."""
    return unsigned_zero(f"{value:.{places}f}")


class _Console(Console):
    """Rich's console, printing no negative zero: every command's text and tables pass through it,
    whichever module formatted the number (one place for the rule, not one per format string).

    Text is cleaned before it is laid out; what reaches the screen otherwise (a table's cells,
    measured before this sees them) keeps its width, the minus sign turned into a space."""

    def print(self, *objects: Any, **kwargs: Any) -> None:  # type: ignore[override]
        super().print(*(unsigned_zero(o) if isinstance(o, str) else o for o in objects), **kwargs)

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        return super()._render_buffer(Segment(_NEGATIVE_ZERO.sub(r" \1", s.text) if "-0" in s.text else s.text,
                                              s.style, s.control) for s in buffer)


console = _Console()
err_console = _Console(stderr=True)


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


def current_actor() -> str:
    """Who is acting, for the records: $ALLIANCE_ACTOR, else the operating-system user."""
    import getpass

    return os.environ.get("ALLIANCE_ACTOR") or getpass.getuser()


class NoDataDirectory(StoreUnavailable):
    """The data directory named by ALLIANCE_HOME does not exist, and the command would only read or
    change data already there: a misspelled ALLIANCE_HOME must not quietly make a new, empty database."""

    code = "no_data_directory"
    title = Message("No data directory")

    def __init__(self, home: Path) -> None:
        super().__init__(Message("no data directory at {home} (ALLIANCE_HOME): check the name, or create one "
                                 "with `alliance demo` or `alliance alliance create`", home=home.resolve()))


def open_store(*, create: bool = False) -> Store:
    """The configured store. Without `create` (only the commands that start a platform pass it), a
    default SQLite store whose data directory does not exist is refused: nothing was ever kept there."""
    settings = get_settings()
    if not create and not settings.database_url and not settings.home.exists():
        raise NoDataDirectory(settings.home)
    return Store.open(settings.resolved_database_url())


def fails_cleanly(command: Callable[P, R]) -> Callable[P, R]:
    """Turn domain errors into one clear line (or a table of problems) and a non-zero exit."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except AllianceError as exc:
            report_error(exc)
            raise typer.Exit(exc.exit_code) from None
        except (typer.Exit, typer.Abort, click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except Exception as exc:
            # A defect, not a user error: one line, the traceback only when asked for.
            if os.environ.get("ALLIANCE_DEBUG") == "1":
                raise
            err_console.print(
                f"[bold red]internal error:[/] {escape(f'{type(exc).__name__}: {exc}')} (set ALLIANCE_DEBUG=1 for the traceback)",
                highlight=False, soft_wrap=True, markup=True,
            )
            raise typer.Exit(1) from None

    return wrapper


SINGLE_RECORD = frozenset({"member", "alliance"})


def report_error(exc: AllianceError) -> None:
    """The error on stderr in the terminal's language (LANGUAGE, LC_ALL, LC_MESSAGES, LANG: Chinese
    for a zh locale, English otherwise), a file's problems as a table."""
    say = terminal_language()
    err_console.print(f"[bold red]{say(Message('error:'))}[/] {escape(say(exc.message))}", highlight=False,
                      soft_wrap=True)
    if exc.hint:
        err_console.print(f"{say(Message('hint:'))} {escape(say(exc.hint))}", highlight=False, soft_wrap=True)
    # Problems of a single record are already in the message; a file's rows get a table.
    if isinstance(exc, InvalidInput) and any(p.where not in SINGLE_RECORD for p in exc.problems):
        table = Table(say(Message("where")), say(Message("field")), say(Message("problem")), header_style="bold",
                      box=None, pad_edge=False)
        for p in exc.problems:
            table.add_row(say(p.where), p.field, say(p.reason))
        err_console.print(table)


def terminal_language() -> Callable[[str], str]:
    """Say a Message in the terminal's language; English needs no catalogue (a Message is English)."""
    from alliance.language import environment_locale, say

    locale = environment_locale(os.environ)
    if locale == "en":
        return str
    return lambda text: str(say(text, locale))


def _unsigned(value: Any) -> Any:
    """A record with no negative zero in it: -0.0 is 0.0, "-0.000" is "0.000" (JSON and CSV)."""
    if isinstance(value, float | Decimal) and value == 0:
        return abs(value)
    if isinstance(value, str):
        return unsigned_zero(value)
    if isinstance(value, dict):
        return {k: _unsigned(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_unsigned(v) for v in value]
    return value


def emit(fmt: OutputFormat, header: Sequence[str], rows: Sequence[Sequence[Any]], records: Any, title: str = "") -> None:
    """Print rows as a Rich table, `records` as JSON, or rows as CSV (never a negative zero)."""
    if fmt is OutputFormat.JSON:
        sys.stdout.write(json.dumps(_unsigned(records), ensure_ascii=False, indent=2, default=str) + "\n")
    elif fmt is OutputFormat.CSV:
        # Every cell defused (core.cells): a member named "=HYPERLINK(...)" is text in a spreadsheet.
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(defused_row(header))
        writer.writerows(defused_row(_unsigned(list(row))) for row in rows)
    else:
        table = Table(title=title or None, header_style="bold cyan")
        for name in header:
            # Wrap rather than cut: a truncated credit code or amount is worse than a tall table.
            table.add_column(name, overflow="fold")
        for row in rows:
            table.add_row(*("" if v is None else str(v) for v in row))
        console.print(table)


def alliance_zone(alliance_code: str) -> str:
    """The alliance's time zone (IANA name), in which the CLI shows its dates and times."""
    from alliance.registry import service as registry

    return registry.get_alliance(open_store(), alliance_code).timezone


def local_time(moment: datetime, zone: str) -> str:
    """An instant in the alliance's time zone, with its offset: "2026-11-22 10:00 +08:00" (Asia/Shanghai)."""
    local = moment.astimezone(ZoneInfo(zone))
    offset = f"{local:%z}"
    return f"{local:%Y-%m-%d %H:%M} {offset[:3]}:{offset[3:5]}"


def local_day(moment: datetime, zone: str) -> str:
    """The business day an instant falls on in the alliance's time zone (not the UTC date)."""
    return moment.astimezone(ZoneInfo(zone)).date().isoformat()


def parse_day(text: str, option: str) -> date:
    """A YYYY-MM-DD option value, or one clear error naming the option."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(Message("{option} {text!r} is not a date (YYYY-MM-DD)", option=option, text=text)) from None


def read_text_file(path: Path) -> str:
    """A UTF-8 text file (a BOM is fine), or one clear error naming the file."""
    from alliance.registry.spreadsheets import TableFileError  # openpyxl: only when a file is read or written
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise TableFileError(Message("{path}: no such file", path=path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TableFileError(Message("{path}: cannot read ({error})", path=path, error=exc)) from None


def write_output(output: Path | None, payload: bytes) -> None:
    """Write bytes to a file, or to stdout when `output` is None; a write failure is one clear line."""
    from alliance.registry.spreadsheets import TableFileError  # openpyxl: only when a file is read or written
    if output is None:
        sys.stdout.buffer.write(payload)
        sys.stdout.buffer.flush()
        return
    try:
        output.write_bytes(payload)
    except OSError as exc:
        raise TableFileError(Message("{path}: cannot write ({error})", path=output, error=exc.strerror)) from None


def write_rows(output: Path | None, fmt: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """A table as CSV or XLSX, to a file or (CSV) to stdout."""
    from alliance.registry.spreadsheets import write_table  # openpyxl: only when a file is read or written
    buffer = io.BytesIO()
    write_table(buffer, fmt, header, rows)
    write_output(output, buffer.getvalue())
