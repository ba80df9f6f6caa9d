"""`alliance member add|list|show|import|export --alliance CODE`."""

from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import Progress, TextColumn, TimeElapsedColumn

from alliance.cli.lazy import Deferred
from alliance.cli.output import (
    OutputFormat,
    console,
    emit,
    err_console,
    fails_cleanly,
    open_store,
    parse_day,
    report_error,
    write_output,
    write_rows,
)
from alliance.core.clock import SystemClock
from alliance.core.errors import InvalidInput
from alliance.core.messages import Message
from alliance.registry.importing import ProblemLog
from alliance.registry.model import Member
from alliance.registry.records import MEMBER_COLUMNS, decimal_text, member_record, resource_record
from alliance.registry.spreadsheets import TableFileError, open_table

# The services are imported when a command calls them (cli.lazy.Deferred): --help and the
# light sub-commands start without them.
if TYPE_CHECKING:
    from alliance.registry import service
else:
    service = Deferred("alliance.registry.service")

app = typer.Typer(help="Add, list, import and export an alliance's member companies.", no_args_is_help=True)

AllianceOpt = Annotated[str, typer.Option("--alliance", "-a", help="The alliance's code.")]
FormatOpt = Annotated[OutputFormat, typer.Option("--format", "-f", help="table, json or csv.")]

LIST_HEADER = ["code", "name", "credit_code", "industry", "region", "size", "role", "joined_on"]
# Show progress (rows checked so far) for files larger than this.
PROGRESS_BYTES = 1 << 20


def _json(m: Member) -> dict[str, Any]:
    record: dict[str, Any] = {"alliance": m.alliance_code, **member_record(m)}
    record["left_on"] = m.left_on.isoformat() if m.left_on else None
    record["resources"] = [resource_record(r) for r in m.resources]
    return record


@app.command("add")
@fails_cleanly
def add(
    alliance: AllianceOpt,
    code: Annotated[str, typer.Option(help="Short code unique in the alliance.")],
    name: Annotated[str, typer.Option(help="Legal name (名称).")],
    credit_code: Annotated[str, typer.Option(help="Unified social credit code (统一社会信用代码).")],
    industry: Annotated[str, typer.Option()] = "",
    region: Annotated[str, typer.Option()] = "",
    size: Annotated[str, typer.Option(help="micro, small, medium or large.")] = "",
    role: Annotated[str, typer.Option(help="hub, member or observer.")] = "",
    joined_on: Annotated[str, typer.Option(help="YYYY-MM-DD; default today.")] = "",
    contact_name: Annotated[str, typer.Option()] = "",
    contact_phone: Annotated[str, typer.Option()] = "",
    contact_email: Annotated[str, typer.Option()] = "",
    revenue: Annotated[str, typer.Option(help="Annual revenue in the alliance currency.")] = "",
    profit: Annotated[str, typer.Option()] = "",
    cash_flow: Annotated[str, typer.Option()] = "",
    debt_ratio: Annotated[str, typer.Option(help="0.45 or 45%.")] = "",
    reputation: Annotated[str, typer.Option(help="0-10.")] = "",
    compliance_records: Annotated[str, typer.Option(help="Count of compliance incidents.")] = "",
    patent_count: Annotated[str, typer.Option()] = "",
    api_count: Annotated[str, typer.Option()] = "",
) -> None:
    """Add one member company to an alliance."""
    values = {k: v for k, v in locals().items() if k != "alliance"}
    member = service.add_member(open_store(), alliance, values, SystemClock())
    console.print(f"Added [bold]{member.code}[/] ({member.legal_name}) to {alliance}.", highlight=False)


@app.command("list")
@fails_cleanly
def list_(alliance: AllianceOpt, fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """List an alliance's current members."""
    found = service.list_members(open_store(), alliance)
    rows = [[r[k] for k in LIST_HEADER] for r in map(member_record, found)]
    emit(fmt, LIST_HEADER, rows, [_json(m) for m in found], title=f"Members of {alliance}")


@app.command("show")
@fails_cleanly
def show(
    code: Annotated[str, typer.Argument(help="The member's code.")],
    alliance: AllianceOpt,
    fmt: FormatOpt = OutputFormat.TABLE,
) -> None:
    """Show one member, with its profile and declared resources and needs."""
    member = service.get_member(open_store(), alliance, code)
    record = member_record(member)
    if fmt is OutputFormat.JSON:
        emit(fmt, [], [], _json(member))
    elif fmt is OutputFormat.CSV:
        emit(fmt, list(record), [list(record.values())], None)
    else:
        emit(fmt, ["field", "value"], [[k, v] for k, v in record.items()], None, title=member.legal_name)
        if member.resources:
            rows = [[r.direction.value, str(r.category), r.description,
                     "" if r.capacity is None else f"{decimal_text(r.capacity)} {r.unit}".strip(), r.priority]
                    for r in member.resources]
            emit(fmt, ["offer/need", "category", "description", "capacity", "priority"], rows, None,
                 title="Resources and needs")


@app.command("leave")
@fails_cleanly
def leave(
    code: Annotated[str, typer.Argument(help="The member's code.")],
    alliance: AllianceOpt,
    on: Annotated[str | None, typer.Option(help="YYYY-MM-DD; default today in the alliance's time zone.")] = None,
) -> None:
    """Record that a member left the alliance (its record and history stay)."""
    day = parse_day(on, "--on") if on is not None else None
    member = service.end_membership(open_store(), alliance, code, day, SystemClock())
    console.print(f"{member.code} ({member.legal_name}) left {alliance} on {member.left_on}.", highlight=False)


@app.command("import")
@fails_cleanly
def import_(
    file: Annotated[Path, typer.Argument(help="A .csv or .xlsx file, English or Chinese headers.")],
    alliance: AllianceOpt,
    file_format: Annotated[str | None, typer.Option("--file-format", help="csv or xlsx; default from the suffix.")] = None,
    problems_file: Annotated[Path | None, typer.Option(
        "--problems-file", help="Write every problem of a refused file here (CSV: where, column, problem).")] = None,
) -> None:
    """Import members from a file: every row is added, or none (bad rows are listed, exit 2).

    The file is read as it streams; at most the first 100 problems are printed, with how many
    there are (--problems-file writes them all)."""
    store = open_store()
    service.get_alliance(store, alliance)  # fail fast on an unknown alliance, before any progress bar
    with ExitStack() as stack:
        table = stack.enter_context(open_table(file, file_format))
        full_list = None
        if problems_file is not None:
            try:
                full_list = stack.enter_context(problems_file.open("w", encoding="utf-8-sig", newline=""))
            except OSError as exc:
                raise TableFileError(Message("--problems-file {path}: cannot write ({error})",
                                             path=problems_file, error=exc.strerror)) from None
        log = ProblemLog(full_list=full_list)
        rows = table.rows
        if file.stat().st_size > PROGRESS_BYTES:
            progress = stack.enter_context(Progress(
                TextColumn("[progress.description]{task.description}"), TextColumn("{task.completed:,} rows"),
                TimeElapsedColumn(), console=err_console, transient=True))
            rows = progress.track(rows, description="Checking rows")
        try:
            result = service.import_members(store, alliance, table.header, rows, SystemClock(),
                                            header_row=table.header_row, problems=log)
        except InvalidInput as exc:
            report_error(exc)
            if log.count > len(log.shown):
                where = (f"all {log.count:,} are in {problems_file}" if problems_file is not None else
                         f"pass --problems-file PATH to write all {log.count:,} to a file")
                err_console.print(f"... and {log.count - len(log.shown):,} more problem(s): {where}.",
                                  highlight=False, soft_wrap=True)
            elif problems_file is not None:
                err_console.print(f"The problems are also in {problems_file}.", highlight=False, soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None
    console.print(f"Imported {result.added} member(s) into {alliance}.", highlight=False)


@app.command("export")
@fails_cleanly
def export(
    alliance: AllianceOpt,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write; default stdout (CSV/JSON).")] = None,
    fmt: Annotated[str | None, typer.Option("--format", "-f", help="csv, xlsx or json; default from --output's suffix, else csv.")] = None,
    headers: Annotated[str, typer.Option(help="Header language: en or zh.")] = "en",
) -> None:
    """Export an alliance's members in the same layout `member import` reads."""
    if headers not in ("en", "zh"):
        raise TableFileError(Message("--headers must be en or zh, not {headers!r}", headers=headers))
    suffix = output.suffix.lstrip(".") if output is not None and output.suffix else "csv"
    chosen = (fmt or suffix).lower()
    if chosen not in ("csv", "xlsx", "json"):
        raise TableFileError(Message("unsupported export format {format!r}; use csv, xlsx or json", format=chosen))
    if chosen == "xlsx" and output is None:
        raise TableFileError(Message("XLSX is binary: give --output FILE.xlsx"))
    found = service.list_members(open_store(), alliance)
    if chosen == "json":
        text = json.dumps([_json(m) for m in found], ensure_ascii=False, indent=2) + "\n"
        write_output(output, text.encode("utf-8"))
        return
    header = [c.key if headers == "en" else c.zh for c in MEMBER_COLUMNS]
    rows = [[member_record(m)[c.key] for c in MEMBER_COLUMNS] for m in found]
    write_rows(output, chosen, header, rows)
    if output is not None:
        console.print(f"Exported {len(rows)} member(s) of {alliance} to {output}.", highlight=False)

