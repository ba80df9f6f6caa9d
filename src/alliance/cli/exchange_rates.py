"""`alliance rates import|list`: the alliance's exchange rates into its settlement currency
(docs/formats/exchange-rates.md). Without `--as` the operator acts as platform admin."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from alliance.access.roles import Principal, Role
from alliance.cli.lazy import Deferred
from alliance.cli.output import OutputFormat, console, current_actor, emit, err_console, fails_cleanly, open_store
from alliance.core.clock import SystemClock
from alliance.core.errors import InvalidInput
from alliance.core.messages import Message

if TYPE_CHECKING:
    from alliance.settlement.fx import service as fx
else:
    fx = Deferred("alliance.settlement.fx.service")

app = typer.Typer(help="Exchange rates into the settlement currency: import them (all or nothing), list them.",
                  no_args_is_help=True)
AllianceOpt = Annotated[str, typer.Option("--alliance", "-a", help="The alliance's code.")]
AsOpt = Annotated[str | None, typer.Option(
    "--as", help="Act as this user account (its role in --alliance). Default: the operator, as platform admin.")]


def _principal(store: object, as_user: str | None, alliance: str, clock: SystemClock) -> Principal:
    from alliance.access.accounts import user_principal

    if as_user is None:
        return Principal(current_actor(), Role.PLATFORM_ADMIN, kind="operator")
    return user_principal(store, as_user, alliance, clock)  # type: ignore[arg-type]


@app.command("import")
@fails_cleanly
def import_(
    file: Annotated[Path, typer.Argument(help="A CSV file: day,currency,rate,source (UTF-8, with or without BOM).")],
    alliance: AllianceOpt,
    as_user: AsOpt = None,
) -> None:
    """Import rates: every new one or none; the same rate again is a duplicate, a different rate for a
    stored day and currency refuses the file (exit 2, each problem listed)."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise InvalidInput(Message("{path}: cannot read ({error})", path=str(file),
                                   error=exc.strerror or type(exc).__name__)) from None
    store, clock = open_store(), SystemClock()
    with err_console.status(f"Checking and storing the rates of {file.name}…"):
        report = fx.import_csv(store, alliance, _principal(store, as_user, alliance, clock), data, clock,
                               shown_as=file.name)
    summary = Table("import", "added", "duplicates (no-op)", "currencies", "days", header_style="bold cyan")
    days = sorted({r.day for r in report.added})
    summary.add_row(str(report.number or "-"), str(len(report.added)), str(report.duplicates),
                    ", ".join(sorted({r.currency for r in report.added})) or "-",
                    f"{days[0]} .. {days[-1]}" if days else "-")
    console.print(summary)
    if not report.added:
        console.print(f"Nothing new: all {report.duplicates} rates were stored already.", highlight=False)


@app.command("list")
@fails_cleanly
def list_(
    alliance: AllianceOpt,
    currency: Annotated[str | None, typer.Option("--currency", "-c", help="Only this currency (e.g. USD).")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000, help="At most this many (1,000 a page), newest first.")] = 100,
    offset: Annotated[int, typer.Option("--offset", min=0, help="Skip this many.")] = 0,
    fmt: Annotated[OutputFormat, typer.Option("--format", help="table, json or csv.")] = OutputFormat.TABLE,
    as_user: AsOpt = None,
) -> None:
    """The rates into the settlement currency, newest day first."""
    store, clock = open_store(), SystemClock()
    register = fx.list_rates(store, alliance, _principal(store, as_user, alliance, clock), currency=currency,
                             limit=limit, offset=offset)
    records = [{**s.rate.as_json(), "import": s.import_number} for s in register.page.items]
    emit(fmt, ["day", "currency", f"rate (in {register.settlement_currency})", "source", "import"],
         [[r["day"], r["currency"], r["rate"], r["source"], r["import"]] for r in records],
         {"settlement_currency": register.settlement_currency, **register.page.as_json(records)},
         title=f"{register.page.total} rates into {register.settlement_currency}")
