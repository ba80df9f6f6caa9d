"""`alliance resource|need ...` and `alliance directory ...`: declaring resources and needs, the
alliance's resource kinds and its directory of outside holders (matching.service). `resource` and
`need` are one set of commands made twice, for each side. The command line acts as a platform admin,
as the governance commands do; changes name the OS user (or ALLIANCE_ACTOR). A member's resources and needs
are its own to declare: add, edit, remove and import name the user account acting with --as USER, an admin
of that member (cli.member_accounts); without --as only directory entries' are changed."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from alliance.cli.governance import _operator
from alliance.cli.lazy import Deferred
from alliance.cli.member_accounts import OptionalUserOpt, account_or
from alliance.cli.output import OutputFormat, console, emit, fails_cleanly, open_store
from alliance.core.clock import SystemClock
from alliance.core.messages import Message
from alliance.matching import model
from alliance.matching.model import Side

if TYPE_CHECKING:
    from alliance.matching import entries, importing, service, service_imports
else:
    entries = Deferred("alliance.matching.entries")
    importing = Deferred("alliance.matching.importing")
    service = Deferred("alliance.matching.service")
    service_imports = Deferred("alliance.matching.service_imports")

resource_app = typer.Typer(help="Resources members and outside companies offer: declare, edit, list, import; "
                                "the resource kinds.", no_args_is_help=True)
need_app = typer.Typer(help="Needs (gaps) members and outside companies want filled: declare, edit, list.",
                       no_args_is_help=True)
directory_app = typer.Typer(help="The directory of outside companies matching also considers: add, list, remove, "
                                 "import.", no_args_is_help=True)

AllianceOpt = Annotated[str, typer.Option("--alliance", "-a", help="The alliance's code.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
HolderArg = Annotated[str, typer.Argument(help="A member's code or a directory entry's code.")]
NumberArg = Annotated[int, typer.Argument(help="The declaration's number (as `list` shows it).")]
FormatOpt = Annotated[str | None, typer.Option("--format", help="csv or xlsx (default: from the file's suffix).")]
# The options of a declaration: (option, field, help). None = not given; on `edit`, "" clears a field.
FIELDS = (("kind", "kind", "The kind: a group (warehouse) or group/sub (warehouse/cold_chain)."),
          ("description", "description", "Free text, Chinese or English."),
          ("capacity", "capacity", "How much (a need: how much it requires); blank if not stated."),
          ("unit", "unit", "The capacity's unit (m2, stores, people...)."),
          ("region", "region", "Where (blank: anywhere)."),
          ("starts", "starts_on", "Available (a need: needed) from, YYYY-MM-DD."),
          ("ends", "ends_on", "Until, YYYY-MM-DD."),
          ("priority", "priority", "1 (highest) to 5; default 3."))


def _fields(kind: str | None, description: str | None, capacity: str | None, unit: str | None, region: str | None,
            starts: str | None, ends: str | None, priority: str | None) -> dict[str, str]:
    given = dict(zip((f[1] for f in FIELDS), (kind, description, capacity, unit, region, starts, ends, priority),
                     strict=True))
    return {k: v for k, v in given.items() if v is not None}


Kind = Annotated[str | None, typer.Option("--kind", "-k", help=FIELDS[0][2])]
Description = Annotated[str | None, typer.Option("--description", "-d", help=FIELDS[1][2])]
Capacity = Annotated[str | None, typer.Option(help=FIELDS[2][2])]
Unit = Annotated[str | None, typer.Option(help=FIELDS[3][2])]
Region = Annotated[str | None, typer.Option(help=FIELDS[4][2])]
Starts = Annotated[str | None, typer.Option("--from", help=FIELDS[5][2])]
Ends = Annotated[str | None, typer.Option("--to", help=FIELDS[6][2])]
Priority = Annotated[str | None, typer.Option(help=FIELDS[7][2])]


def _print(stored: Any, verb: str) -> None:
    d = stored.declaration
    capacity = "" if d.capacity is None else f" {entries.declaration_json(stored)['capacity']} {d.unit}".rstrip()
    console.print(f"{verb} {d.side.value} {stored.id} of {stored.holder}: {d.kind}{capacity}.", highlight=False)


def _dump(document: Any) -> None:
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n")


def _declaration_commands(app: typer.Typer, side: Side) -> None:
    """add / edit / remove / list for one side: the same code for `resource` and `need`."""

    @app.command("add")
    @fails_cleanly
    def add(holder: HolderArg, alliance: AllianceOpt, kind: Kind = None, description: Description = None,
            capacity: Capacity = None, unit: Unit = None, region: Region = None, starts: Starts = None,
            ends: Ends = None, priority: Priority = None, as_user: OptionalUserOpt = None) -> None:
        store = open_store()
        values = _fields(kind, description, capacity, unit, region, starts, ends, priority)
        tax = service.taxonomy(store, alliance, _operator())
        declaration, problems = importing.parse_declaration(values, tax, str(Message("command line")), side=side)
        if declaration is None:
            raise model.DeclarationInvalid(Message("The resource or need is not valid"), problems)
        acting = account_or(store, as_user, alliance, _operator())
        _print(service.declare(store, alliance, acting, holder, declaration, SystemClock()), "Added")

    @app.command("edit")
    @fails_cleanly
    def edit(holder: HolderArg, number: NumberArg, alliance: AllianceOpt, kind: Kind = None,
             description: Description = None, capacity: Capacity = None, unit: Unit = None, region: Region = None,
             starts: Starts = None, ends: Ends = None, priority: Priority = None,
             as_user: OptionalUserOpt = None) -> None:
        changes, problems = importing.parse_changes(
            _fields(kind, description, capacity, unit, region, starts, ends, priority), str(Message("command line")))
        if problems:
            raise model.DeclarationInvalid(Message("The resource or need is not valid"), problems)
        store = open_store()
        acting = account_or(store, as_user, alliance, _operator())
        _print(service.edit_declaration(store, alliance, acting, holder, number, changes, SystemClock()), "Changed")

    @app.command("remove")
    @fails_cleanly
    def remove(holder: HolderArg, number: NumberArg, alliance: AllianceOpt, as_user: OptionalUserOpt = None) -> None:
        store = open_store()
        service.remove_declaration(store, alliance, account_or(store, as_user, alliance, _operator()), holder, number,
                                   SystemClock())
        console.print(f"Removed {number} of {holder}.", highlight=False)

    @app.command("list")
    @fails_cleanly
    def list_(alliance: AllianceOpt, holder: Annotated[str | None, typer.Argument(help="Only this holder's.")] = None,
              output: Annotated[OutputFormat, typer.Option("--output", "-o")] = OutputFormat.TABLE,
              as_json: JsonOpt = False) -> None:
        found = service.declarations(open_store(), alliance, _operator(), holder, side)
        records = [entries.declaration_json(s) for s in found]
        fmt = OutputFormat.JSON if as_json else output
        header = ["number", "holder", "kind", "description", "capacity", "unit", "region", "from", "to", "priority"]
        rows = [[r["id"], r["holder"], r["kind"], r["description"], r["capacity"] or "", r["unit"], r["region"],
                 r["starts_on"] or "", r["ends_on"] or "", r["priority"]] for r in records]
        emit(fmt, header, rows, records, title="Resources" if side is Side.RESOURCE else "Needs")

    add.__doc__ = f"Declare a {side.value} of a member or a directory entry."
    edit.__doc__ = f"Change fields of a {side.value} (an empty value clears a capacity, a date or a region)."
    remove.__doc__ = f"Remove a {side.value}."
    list_.__doc__ = f"List the {side.value}s (of one holder, if given)."


_declaration_commands(resource_app, Side.RESOURCE)
_declaration_commands(need_app, Side.NEED)


@resource_app.command("import")
@fails_cleanly
def resource_import(path: Annotated[Path, typer.Argument(help="A CSV or XLSX file of resources and needs.")],
                    alliance: AllianceOpt, fmt: FormatOpt = None, as_user: OptionalUserOpt = None) -> None:
    """Import resources and needs from a file, all or nothing (docs/matching.md shows the columns)."""
    store = open_store()
    added = service_imports.import_declarations(store, alliance, account_or(store, as_user, alliance, _operator()),
                                                path, SystemClock(), fmt)
    console.print(f"Imported {added} resources and needs.", highlight=False)


@resource_app.command("kinds")
@fails_cleanly
def resource_kinds(alliance: AllianceOpt, as_json: JsonOpt = False) -> None:
    """The resource kinds the alliance may use: the groups, the default sub-kinds and its own."""
    found = list(service.taxonomy(open_store(), alliance, _operator()))
    records = [{"key": k.key, "name_en": k.name_en, "name_zh": k.name_zh, "own": not k.builtin} for k in found]
    emit(OutputFormat.JSON if as_json else OutputFormat.TABLE, ["key", "English", "中文", "own"],
         [[r["key"], r["name_en"], r["name_zh"], "yes" if r["own"] else ""] for r in records], records,
         title="Resource kinds")


@resource_app.command("add-kind")
@fails_cleanly
def resource_add_kind(key: Annotated[str, typer.Argument(help="group/name, e.g. warehouse/bonded.")],
                      alliance: AllianceOpt,
                      name_en: Annotated[str, typer.Option("--en", help="The kind's name in English.")],
                      name_zh: Annotated[str, typer.Option("--zh", help="The kind's name in Chinese.")]) -> None:
    """Add a resource kind of the alliance's own under one of the groups."""
    kind = service.add_kind(open_store(), alliance, _operator(), key, name_en, name_zh, SystemClock())
    console.print(f"Added the kind {kind.key} ({kind.name_en} / {kind.name_zh}).", highlight=False)


# -- the directory ------------------------------------------------------------------------------------------

@directory_app.command("add")
@fails_cleanly
def directory_add(code: Annotated[str, typer.Argument(help="A code for the company, unique in the alliance.")],
                  name: Annotated[str, typer.Argument(help="The company's name.")],
                  alliance: AllianceOpt,
                  credit_code: Annotated[str | None, typer.Option(help="Unified social credit code.")] = None,
                  region: Annotated[str, typer.Option()] = "",
                  industry: Annotated[str, typer.Option()] = "",
                  contact: Annotated[str, typer.Option()] = "",
                  note: Annotated[str, typer.Option()] = "",
                  prospect: Annotated[int | None, typer.Option(help="The prospect whose resource profile this is.")]
                  = None) -> None:
    """Add an outside company (a candidate, or a prospect's profile with --prospect) to the directory."""
    draft = entries.EntryDraft(code, name, credit_code, region, industry, contact, note, "manual", prospect)
    made = service.add_entry(open_store(), alliance, _operator(), draft, SystemClock())
    console.print(f"Added {made.code}: {made.name} ({made.holder_kind.value}).", highlight=False)


@directory_app.command("list")
@fails_cleanly
def directory_list(alliance: AllianceOpt, as_json: JsonOpt = False) -> None:
    """The outside companies in the directory."""
    records = [entries.entry_json(e) for e in service.directory(open_store(), alliance, _operator())]
    emit(OutputFormat.JSON if as_json else OutputFormat.TABLE,
         ["code", "name", "kind", "region", "industry", "prospect"],
         [[r["code"], r["name"], r["kind"], r["region"], r["industry"], r["prospect"] or ""] for r in records],
         records, title="Directory")


@directory_app.command("remove")
@fails_cleanly
def directory_remove(code: Annotated[str, typer.Argument()], alliance: AllianceOpt) -> None:
    """Remove an outside company and its resources and needs (a prospect stays in the pipeline)."""
    service.remove_entry(open_store(), alliance, _operator(), code)
    console.print(f"Removed {code} from the directory.", highlight=False)


@directory_app.command("import")
@fails_cleanly
def directory_import(path: Annotated[Path, typer.Argument(help="A CSV or XLSX file of outside companies.")],
                     alliance: AllianceOpt, fmt: FormatOpt = None) -> None:
    """Import outside companies with their resources and needs, all or nothing."""
    made, declared = service_imports.import_directory(open_store(), alliance, _operator(), path, SystemClock(), fmt)
    console.print(f"Imported {made} companies with {declared} resources and needs.", highlight=False)
