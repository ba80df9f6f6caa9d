"""`alliance dataset import|pseudonymise|key new`: datasets beyond sales into the fact store.

`pseudonymise` and `key new` run on the member's side and never speak to the platform: the
alliance key stays with the members, and only pseudonymous customer keys leave their machines."""

from __future__ import annotations

import csv
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from alliance.cli.lazy import Deferred
from alliance.cli.output import console, err_console, fails_cleanly
from alliance.core.clock import SystemClock
from alliance.core.errors import InvalidInput, Problem
from alliance.core.messages import Message

if TYPE_CHECKING:
    from alliance.datashare.datasets import service
else:
    service = Deferred("alliance.datashare.datasets.service")

app = typer.Typer(help="Datasets beyond sales (inventory, customer events, catalogue): import, pseudonymise.",
                  no_args_is_help=True)
key_app = typer.Typer(help="The alliance key the members share to derive customer pseudonyms.", no_args_is_help=True)
app.add_typer(key_app, name="key")


@app.command("import")
@fails_cleanly
def import_(
    kind: Annotated[str, typer.Argument(help="inventory, customer_events or catalogue (docs/formats/).")],
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8), XLSX or Parquet.")],
    alliance: Annotated[str, typer.Option("--alliance", "-a", help="The alliance's code.")],
    member: Annotated[str, typer.Option("--member", "-m", help="The member whose data it is.")],
    file_format: Annotated[str | None, typer.Option("--format", help="csv, xlsx or parquet; default from the suffix.")] = None,
) -> None:
    """Import a dataset file: every row checked, all stored or (with a bad row) none."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from alliance.cli.orders import opened_stores

    with opened_stores() as stores, Progress(SpinnerColumn(), TextColumn("{task.description}"),
                                             TextColumn("{task.completed:,} rows checked"), TimeElapsedColumn(),
                                             console=err_console, transient=True) as progress:
        task = progress.add_task(file.name)
        report = service.import_file(stores, alliance, member, kind, file, file_format, SystemClock(),
                                     progress=lambda n: progress.advance(task, n))
    summary = Table("dataset", "new", "replaced", "unchanged (no-op)", header_style="bold cyan")
    summary.add_row(report.kind, str(report.new), str(report.replaced), str(report.unchanged))
    console.print(summary)


def pseudonymise_csv(source: Path, target: Path, column: str, kind: str, secret: bytes, *,
                     renamed: str | None = "customer_key") -> int:
    """Rewrite `source` into `target` with each cell of `column` replaced by its pseudonymous key
    (the column named `renamed`, unless None); every identifier that cannot be normalised is named
    and nothing is written. Rows written."""
    from alliance.datashare.datasets.pseudonyms import Malformed, pseudonym
    from alliance.privacy.normalise import kind_of

    identifier_kind = kind_of(kind)
    with source.open(encoding="utf-8-sig", newline="") as f:
        sample = f.readline()
        f.seek(0)
        delimiter = max(",;\t|", key=sample.count)
        reader = csv.reader(f, delimiter=delimiter)
        header = next(reader, None)
        if header is None or column not in header:
            raise InvalidInput(Message("{file}: no column {column!r}", file=source.name, column=column))
        at = header.index(column)
        rows, problems = [], []
        for number, cells in enumerate(reader, start=2):
            if at < len(cells) and cells[at].strip():
                try:
                    cells[at] = pseudonym(secret, identifier_kind, cells[at])
                except Malformed as exc:
                    problems.append(Problem(Message("row {row}", row=number), column, exc.reason))
            rows.append(cells)
    if problems:
        raise InvalidInput(Message("{n} identifiers cannot be normalised as {kind}; nothing was written",
                                   n=len(problems), kind=kind), problems[:200])
    with target.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([renamed if renamed and i == at else name for i, name in enumerate(header)])
        writer.writerows(rows)
    return len(rows)


@app.command("pseudonymise")
@fails_cleanly
def pseudonymise(
    file: Annotated[Path, typer.Argument(help="A CSV file (UTF-8) with a column of customer identifiers.")],
    column: Annotated[str, typer.Option("--column", "-c", help="The column of identifiers, e.g. 手机.")],
    kind: Annotated[str, typer.Option("--kind", "-k", help="phone, email, credit_code or name (how it is normalised).")],
    key_file: Annotated[Path, typer.Option("--key-file", help="The alliance key (alliance dataset key new).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the pseudonymised CSV.")],
    keep_name: Annotated[bool, typer.Option("--keep-name", help="Keep the column's name (default: customer_key).")] = False,
) -> None:
    """Replace a column of customer identifiers by their pseudonymous keys, on your own machine."""
    from alliance.datashare.datasets.pseudonyms import read_key

    secret = read_key(key_file.read_text(encoding="utf-8"))
    written = pseudonymise_csv(file, out, column, kind, secret, renamed=None if keep_name else "customer_key")
    console.print(str(Message("{rows} rows written to {out}; column {column} holds pseudonymous keys",
                              rows=written, out=out, column=column if keep_name else "customer_key")), highlight=False)


@key_app.command("new")
@fails_cleanly
def key_new(
    out: Annotated[Path, typer.Option("--out", "-o", help="The key file to write (never overwritten).")] = Path("alliance.key"),
) -> None:
    """Make a new 32-byte alliance key: share it among the members only, never upload it."""
    from alliance.datashare.datasets.pseudonyms import key_file_text, new_key

    if out.exists():
        raise InvalidInput(Message("{file} exists: a key is never overwritten (every pseudonym made with it would "
                                   "stop matching)", file=out))
    descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as f:
        f.write(key_file_text(new_key(secrets.token_bytes)))
    console.print(str(Message("new alliance key written to {file}: give it to the other members yourselves; "
                              "never upload it", file=out)), highlight=False)
