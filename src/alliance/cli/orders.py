"""`alliance orders import|count|check|set-aside`: order lines into the fact store."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from alliance.cli.lazy import Deferred
from alliance.cli.output import console, current_actor, err_console, fails_cleanly, open_store
from alliance.core.clock import SystemClock
from alliance.core.settings import get_settings

# The services are imported when a command calls them (cli.lazy.Deferred): --help and the
# light sub-commands start without them.
if TYPE_CHECKING:
    from alliance.settlement import service
    from alliance.store.database import Store
    from alliance.store.facts import FactStore
    from alliance.store.stores import Stores
    from alliance.registry import service as registry
else:
    service = Deferred("alliance.settlement.service")
    registry = Deferred("alliance.registry.service")

app = typer.Typer(help="Order lines: import them into the fact store.", no_args_is_help=True)
AllianceOpt = Annotated[str, typer.Option("--alliance", "-a", help="The alliance's code.")]


def open_facts() -> FactStore:
    """The fact store, with the totals engine the settings choose (store.facts.engines)."""
    from alliance.store.facts.engines import open_facts as opened

    return opened(get_settings())


@contextmanager
def opened_stores(store: Store | None = None) -> Iterator[Stores]:
    """Both stores for one command: the fact store opened first and closed at the end of the block,
    even when opening the configured store (unless `store` is given) fails."""
    from alliance.store.stores import Stores

    facts = open_facts()
    try:
        yield Stores(open_store() if store is None else store, facts)
    finally:
        facts.close()


@app.command("import")
@fails_cleanly
def import_(
    file: Annotated[Path, typer.Argument(help="CSV, XLSX, Parquet or JSON Lines (docs/formats/order-lines.md).")],
    alliance: AllianceOpt,
    file_format: Annotated[str | None, typer.Option("--format", help="csv, xlsx, parquet or jsonl; default from the suffix.")] = None,
    all_or_nothing: Annotated[bool, typer.Option("--all-or-nothing/--partial",
                                                 help="With bad lines, store none (default) or the good ones.")] = True,
) -> None:
    """Import order lines: new ones are stored, repeats are no-ops, bad and conflicting ones listed."""
    with opened_stores() as stores:
        report = service.import_order_lines(stores, alliance, file, file_format, SystemClock(),
                                            all_or_nothing=all_or_nothing, actor=current_actor())
    summary = Table("inserted", "duplicates (no-op)", "rejected", "conflicts", header_style="bold cyan")
    summary.add_row(str(report.inserted), str(report.duplicates), str(report.rejected_count), str(report.conflict_count))
    console.print(summary)
    if report.rejected:
        table = Table("row", "line_id", "problem", title="Rejected lines", header_style="bold red")
        for r in report.rejected:
            table.add_row(str(r.row), r.line_id, r.reason)
        err_console.print(table)
        if report.rejected_count > len(report.rejected):
            err_console.print(f"... and {report.rejected_count - len(report.rejected)} more.", highlight=False)
    if report.conflicts:
        table = Table("line_id", "stored", "in this file", title="Known line_id, different content", expand=True,
                      header_style="bold red")
        for c in report.conflicts:
            table.add_row(c.line_id, _describe(c.stored), _describe(c.incoming))
        err_console.print(table)
    if not report.kept:
        err_console.print("[bold red]error:[/] nothing was imported (all or nothing); fix the lines above, or pass "
                          "--partial to keep the good ones", highlight=False, soft_wrap=True)
    if report.rejected_count or report.conflict_count:
        raise typer.Exit(2)


def _describe(values: dict[str, object]) -> str:
    return ", ".join(f"{k}={v}" for k, v in values.items())


@app.command("count")
@fails_cleanly
def count(alliance: AllianceOpt) -> None:
    """How many order lines the fact store holds for an alliance."""
    registry.get_alliance(open_store(), alliance)
    facts = open_facts()
    try:
        console.print(str(facts.count(alliance)))
    finally:
        facts.close()


@app.command("check")
@fails_cleanly
def check(alliance: AllianceOpt) -> None:
    """List stored lines no run can settle (stored before import bounded them); exit 2 if any."""
    with opened_stores() as stores:
        found = service.unsettleable_lines(stores, alliance)
    if not found:
        console.print("Every stored line is within the import bounds.")
        return
    table = Table("line_id", "business day", "why", title="Lines no run can settle", header_style="bold red")
    for line_id, day, why in found:
        table.add_row(line_id, day, why)
    err_console.print(table)
    err_console.print("Set them aside with `alliance orders set-aside --alliance "
                      f"{alliance} --reason ... LINE_ID...` (docs/settlement.md).", highlight=False)
    raise typer.Exit(2)


@app.command("set-aside")
@fails_cleanly
def set_aside(
    line_ids: Annotated[list[str], typer.Argument(help="The line_ids, as `alliance orders check` lists them.")],
    alliance: AllianceOpt,
    reason: Annotated[str, typer.Option("--reason", help="Why, for the ledger.")],
) -> None:
    """Move lines that break the import bounds out of settlement (kept aside; the ledger records it)."""
    with opened_stores() as stores:
        moved = service.set_aside_order_lines(stores, alliance, line_ids, reason, current_actor(), SystemClock())
    console.print(f"{moved} line(s) set aside.")
