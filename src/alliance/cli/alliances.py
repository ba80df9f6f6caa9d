"""`alliance alliance create|list|show`."""

from __future__ import annotations

import sys
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
    status: Annotated[AllianceStatus, typer.Option(help="forming, active, dissolving or dissolved.")] = AllianceStatus.ACTIVE,
    coordinator: Annotated[str | None, typer.Option(
        "--coordinator", help="An existing user account to be its coordinator.")] = None,
    new_coordinator: Annotated[str | None, typer.Option(
        "--new-coordinator", help="Create this user account as its coordinator (a one-time code is printed "
                                  "with which the person sets a password).")] = None,
    coordinator_name: Annotated[str, typer.Option("--coordinator-name", help="The new coordinator's display name.")] = "",
) -> None:
    """Found a new alliance, with its coordinator (or grant one later: alliance user grant)."""
    charter = ""
    if charter_file is not None:
        try:
            charter = charter_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(Message("{path}: cannot read charter ({error})", path=charter_file, error=exc)) from None
    spec = AllianceSpec(
        code=code, name=name, kind=kind, structure=structure, currency=currency, timezone=timezone,
        charter=charter, parent_code=parent, status=status,
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
    created = service.create_alliance(store, spec, clock, then=people.appoint_coordinator(
        choice, current_actor(), clock, issued) if choice is not None else None)
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
