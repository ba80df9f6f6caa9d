"""`alliance facts export|import`: the fact store's order lines to and from hive-partitioned Parquet.

The Parquet layout (`alliance=<code>/business_day=<day>/*.parquet`) is what the Spark engine reads
(docs/settlement.md, "Settlement on Apache Spark"): export makes or repairs its copy, import brings
a copy back into a DuckDB fact store (a fresh home, or moving back from Spark).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from alliance.cli.lazy import Deferred
from alliance.cli.orders import open_facts
from alliance.cli.output import console, fails_cleanly
from alliance.core.errors import InvalidInput
from alliance.core.messages import Message

if TYPE_CHECKING:
    from alliance.store.facts import copies
else:
    copies = Deferred("alliance.store.facts.copies")

app = typer.Typer(help="The fact store's order lines to and from Parquet (the Spark engine's copy).",
                  no_args_is_help=True)
Location = Annotated[str, typer.Argument(help="A directory (the Spark engine's: ALLIANCE_FACTS_PARQUET).")]


def directory(location: str) -> Path:
    """A directory named on the command line; an object-store URL is refused (nothing writes one yet)."""
    if "://" in location:
        raise InvalidInput(Message("{location}: name a directory (on storage the Spark workers share); object-store "
                                   "URLs are not supported yet", location=location))
    return Path(location)


@app.command("export")
@fails_cleanly
def export(
    target: Location,
    alliance: Annotated[str | None, typer.Option("--alliance", "-a", help="Only this alliance's lines.")] = None,
) -> None:
    """Write the order lines as hive-partitioned Parquet, with each batch's marker, for the Spark
    engine: into a new or empty directory, or this store's earlier export (its lines replaced)."""
    facts = open_facts()
    try:
        with console.status("Exporting ...") as status:
            done = copies.export_copy(facts, directory(target), alliance,
                                      progress=lambda code: status.update(f"Exporting the lines of {code} ..."))
    finally:
        facts.close()
    _summary(done, "exported to", target)


@app.command("import")
@fails_cleanly
def import_(source: Location) -> None:
    """Read order lines from hive-partitioned Parquet into the fact store: all or nothing; a line
    already stored with other content stops the import."""
    facts = open_facts()
    try:
        with console.status("Importing ..."):
            done = copies.import_copy(facts, directory(source))
    finally:
        facts.close()
    _summary(done, "imported from", source)


def _summary(done: list[copies.Copied], what: str, where: str) -> None:
    table = Table("alliance", "order lines", "batches", header_style="bold cyan")
    for c in done:
        table.add_row(c.alliance, f"{c.lines:,}", f"{c.batches:,}")
    console.print(table)
    console.print(f"{sum(c.lines for c in done):,} order lines of {len(done)} alliance(s) {what} {where}.",
                  highlight=False, soft_wrap=True)
