"""`alliance alliance create|list|show|edit|status|history`."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from alliance.cli.lazy import Deferred
from alliance.cli.output import OutputFormat, console, current_actor, emit, err_console, fails_cleanly, open_store
from alliance.core.clock import SystemClock
from alliance.core.errors import InvalidInput
from alliance.core.messages import Message
from alliance.registry.model import (
    DEFAULT_TIMEZONE,
    Alliance,
    AllianceKind,
    AllianceSpec,
    AllianceStatus,
    AllianceStructure,
)

# The services are imported when a command calls them (cli.lazy.Deferred): --help and the
# light sub-commands start without them.
if TYPE_CHECKING:
    from alliance.registry import service
else:
    service = Deferred("alliance.registry.service")

app = typer.Typer(help="Found and inspect alliances.", no_args_is_help=True)

HEADER = ["code", "name", "kind", "structure", "status", "parent", "members", "currency", "timezone"]


def _row(a: Alliance) -> list[Any]:
    return [a.code, a.name, a.kind.value, a.structure.value, a.status.value, a.parent_code or "",
            a.member_count, a.currency, a.timezone]


def _record(a: Alliance) -> dict[str, Any]:
    return {
        "code": a.code, "name": a.name, "kind": a.kind.value, "structure": a.structure.value,
        "status": a.status.value, "parent": a.parent_code, "sub_alliances": list(a.sub_alliance_codes),
        "member_count": a.member_count, "currency": a.currency, "timezone": a.timezone,
        "charter": a.charter, "created_at": a.created_at.isoformat(),
        "planned_end": a.planned_end.isoformat() if a.planned_end else None,
    }


@app.command("create")
@fails_cleanly
def create(
    code: Annotated[str, typer.Argument(help="Short unique code, e.g. nb-precision.")],
    name: Annotated[str, typer.Option("--name", help="Display name, e.g. 宁波精密零部件企业联盟.")],
    kind: Annotated[AllianceKind, typer.Option(help="market, rnd, strategic or sme.")] = AllianceKind.SME,
    structure: Annotated[AllianceStructure, typer.Option(help="star, mesh or umbrella.")] = AllianceStructure.MESH,
    parent: Annotated[str | None, typer.Option(help="Code of the alliance this one is a member of.")] = None,
    currency: Annotated[str, typer.Option(help="ISO 4217 settlement currency.")] = "CNY",
    timezone: Annotated[str, typer.Option(help="IANA time zone of the business day.")] = DEFAULT_TIMEZONE,
    charter_file: Annotated[Path | None, typer.Option("--charter-file", help="UTF-8 text file with the charter.")] = None,
    status: Annotated[AllianceStatus, typer.Option(help="forming or active (an alliance is founded in one of them).")] = AllianceStatus.ACTIVE,
    planned_end: Annotated[str | None, typer.Option(
        "--planned-end", help="A task / project alliance's planned end, YYYY-MM-DD (today or later).")] = None,
    coordinator: Annotated[str | None, typer.Option(
        "--coordinator", help="An existing user account to be its coordinator.")] = None,
    new_coordinator: Annotated[str | None, typer.Option(
        "--new-coordinator", help="Create this user account as its coordinator (a one-time code is printed "
                                  "with which the person sets a password).")] = None,
    coordinator_name: Annotated[str, typer.Option("--coordinator-name", help="The new coordinator's display name.")] = "",
) -> None:
    """Found a new alliance, with its coordinator (or grant one later: alliance user grant)."""
    charter = _read_charter(charter_file) if charter_file is not None else ""
    spec = AllianceSpec(
        code=code, name=name, kind=kind, structure=structure, currency=currency, timezone=timezone,
        charter=charter, parent_code=parent, status=status, planned_end=_day(planned_end, "--planned-end"),
    )
    if coordinator is not None and new_coordinator is not None:
        raise InvalidInput(Message("name --coordinator (an existing account) or --new-coordinator (a new one), not "
                                   "both"))
    from alliance.access import people  # here, not at the top: `alliance list` need not import access

    store, clock = open_store(create=True), SystemClock()
    choice = None
    if coordinator is not None or new_coordinator is not None:
        choice = people.CoordinatorChoice(new_coordinator or coordinator or "", new=new_coordinator is not None,
                                          display_name=coordinator_name)
        choice.check(store)
    issued: list[people.OneTimeCode] = []
    from alliance.health.warnings.service import with_standard_rules

    created = service.create_alliance(store, spec, clock, then=with_standard_rules(people.appoint_coordinator(
        choice, current_actor(), clock, issued) if choice is not None else None, current_actor(), clock))
    console.print(f"Created alliance [bold]{created.code}[/] ({created.name}).", highlight=False)
    if choice is None:
        console.print("It has no coordinator yet: alliance user grant USER --role coordinator "
                      f"--alliance {created.code}", highlight=False)
    elif not issued:
        console.print(f"{choice.username} is its coordinator.", highlight=False)
    for code in issued:
        sys.stdout.write(code.code + "\n")
        err_console.print(f"{code.username} is its coordinator. One-time code (above) for {code.username}, "
                          f"valid until {code.expires_at:%Y-%m-%d %H:%M} UTC: they enter it at /reset-password "
                          "and choose a password. It works once.", highlight=False, soft_wrap=True)


def _day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(Message("{option}: {value!r} is not a date (YYYY-MM-DD)", option=option,
                                   value=text)) from None


def _read_charter(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(Message("{path}: cannot read charter ({error})", path=path, error=exc)) from None


@app.command("list")
@fails_cleanly
def list_(fmt: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.TABLE) -> None:
    """List all alliances."""
    found = service.list_alliances(open_store())
    rows = [_row(a) for a in found]
    if fmt is OutputFormat.TABLE:  # a terminal is narrow: currency and time zone are in `show`
        emit(fmt, HEADER[:7], [r[:7] for r in rows], None, title="Alliances")
    else:
        emit(fmt, HEADER, rows, [_record(a) for a in found])


@app.command("show")
@fails_cleanly
def show(
    code: Annotated[str, typer.Argument(help="The alliance's code.")],
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.TABLE,
) -> None:
    """Show one alliance."""
    a = service.get_alliance(open_store(), code)
    record = _record(a)
    if fmt is OutputFormat.TABLE:
        pairs = [[k, ", ".join(v) if isinstance(v, list) else v] for k, v in record.items()]
        emit(fmt, ["field", "value"], pairs, record, title=a.name)
    else:
        emit(fmt, list(record), [[", ".join(v) if isinstance(v, list) else v for v in record.values()]], record)


@app.command("edit")
@fails_cleanly
def edit(
    code: Annotated[str, typer.Argument(help="The alliance's code.")],
    name: Annotated[str | None, typer.Option("--name", help="Its new display name.")] = None,
    charter_file: Annotated[Path | None, typer.Option("--charter-file", help="UTF-8 text file with the new charter.")] = None,
    planned_end: Annotated[str | None, typer.Option(
        "--planned-end", help="Its planned end, YYYY-MM-DD (today or later): a task / project alliance.")] = None,
    no_planned_end: Annotated[bool, typer.Option(
        "--no-planned-end", help="Remove the planned end (no longer a project alliance).")] = False,
) -> None:
    """Change an alliance's details after founding; each change is logged (alliance history) and
    recorded in its ledger."""
    edit_values = service.AllianceEdit(
        name=name, charter=_read_charter(charter_file) if charter_file is not None else None,
        planned_end=_day(planned_end, "--planned-end"), clear_planned_end=no_planned_end)
    store, clock = open_store(), SystemClock()
    before = service.get_alliance(store, code)
    after = service.edit_alliance(store, code, edit_values, current_actor(), clock)
    changed = [f for f in ("name", "charter", "planned_end") if getattr(before, f) != getattr(after, f)]
    if changed:
        console.print(f"Changed {', '.join(changed)} of [bold]{after.code}[/].", highlight=False)
    else:
        console.print(f"Nothing to change: {after.code} already says that.", highlight=False)


@app.command("status")
@fails_cleanly
def status_command(
    code: Annotated[str, typer.Argument(help="The alliance's code.")],
    state: Annotated[str, typer.Argument(help="forming, active, suspended, dissolving or dissolved.")],
    decided_by: Annotated[str | None, typer.Option(
        "--decided-by", help="The decision that made the change, e.g. 'proposal 12' (every change but "
                             "forming -> active is decided by the alliance).")] = None,
    reason: Annotated[str, typer.Option("--reason", help="Why, in a sentence (kept in the history).")] = "",
) -> None:
    """Move an alliance along its lifecycle: forming -> active -> suspended -> dissolving -> dissolved.
    A dissolved alliance accepts no more writes; its records stay readable."""
    store = open_store()
    before = service.get_alliance(store, code)
    after = service.change_status(store, code, state, current_actor(), SystemClock(), decided_by=decided_by,
                                  reason=reason)
    console.print(f"[bold]{after.code}[/] is now {after.status.value} (was {before.status.value}).", highlight=False)


@app.command("history")
@fails_cleanly
def history(
    code: Annotated[str, typer.Argument(help="The alliance's code.")],
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.TABLE,
) -> None:
    """Every change of the alliance's details and status, the latest first."""
    changes = service.alliance_history(open_store(), code)
    header = ["changed_at", "actor", "field", "old", "new", "decided_by", "reason"]
    rows = [[c.changed_at.strftime("%Y-%m-%d %H:%M"), c.actor, c.field,
             _shown(c.field, c.old_value), _shown(c.field, c.new_value), c.decided_by or "", c.reason]
            for c in changes]
    records = [{"changed_at": c.changed_at.isoformat(), "actor": c.actor, "field": c.field, "old": c.old_value,
                "new": c.new_value, "decided_by": c.decided_by, "reason": c.reason} for c in changes]
    emit(fmt, header, rows, records, title=f"{code}: history")


def _shown(field: str, value: str | None) -> str:
    """A value for a table cell: a charter is long, so its first line only."""
    if value is None:
        return ""
    if field == "charter":
        first = value.strip().splitlines()[0] if value.strip() else ""
        return first[:40] + ("…" if len(first) > 40 or "\n" in value.strip() else "")
    return value
