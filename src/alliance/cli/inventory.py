"""`alliance inventory board|turnover`: the inventory board (operations.inventory.service) on the command
line: stock by SKU × region of the members that publish an inventory view, slow-moving rows, transfer
suggestions, and turnover days per month. The command line acts as a platform admin (as the other
operations commands do), so it sees the whole board. Amounts are in the alliance's currency."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from alliance.cli.governance import _operator
from alliance.cli.lazy import Deferred
from alliance.cli.output import console, fails_cleanly
from alliance.core.clock import SystemClock

if TYPE_CHECKING:
    from alliance.core.money import Money
    from alliance.operations.inventory import service
else:
    service = Deferred("alliance.operations.inventory.service")

app = typer.Typer(help="The inventory board: stock by SKU and region, slow-moving stock, transfer suggestions, "
                       "turnover days.", no_args_is_help=True)

AllianceOpt = Annotated[str, typer.Option("--alliance", "-a", help="The alliance's code.")]
AsOfOpt = Annotated[str | None, typer.Option("--as-of", help="The day, YYYY-MM-DD (default today).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the answer as the API gives it (JSON).")]


def _dump(document: object) -> None:
    from alliance.operations.inventory.records import as_json

    sys.stdout.write(json.dumps(as_json(document), ensure_ascii=False, indent=2) + "\n")


def _amount(value: Money | None) -> str:
    """An amount, or "—" for a cost the member does not share."""
    return "—" if value is None else value.amount_text()


@app.command("board")
@fails_cleanly
def board(alliance: AllianceOpt, as_of: AsOfOpt = None,
          slow_after: Annotated[str | None, typer.Option("--slow-after",
                                                         help="Slow-moving above this age in days (default 90).")] = None,
          limit: Annotated[str | None, typer.Option("--limit", help="Rows shown (1 to 1000, default 200).")] = None,
          offset: Annotated[str | None, typer.Option("--offset", help="Rows skipped.")] = None,
          as_json: JsonOpt = False) -> None:
    """The board as of a day: each member's latest snapshot on or before it, slow-moving rows first, and the transfer suggestions."""
    from alliance.cli.orders import opened_stores

    with opened_stores() as stores:
        found = service.board(stores, alliance, _operator(), SystemClock(), as_of=as_of, slow_after_days=slow_after,
                              offset=offset, limit=limit)
    if as_json:
        _dump(found)
        return
    t = found.totals
    console.print(f"{found.alliance} as of {found.as_of}: {t.quantity} units, {_amount(t.value)} {found.currency}; "
                  f"slow-moving (older than {found.slow_after_days} days) {t.slow_quantity} units, "
                  f"{_amount(t.slow_value)} {found.currency}. On the board: {', '.join(found.participants) or '-'}")
    if found.cost_withheld:
        console.print(f"Cost values leave out {len(found.cost_withheld)} member(s) that do not share unit cost: "
                      f"{', '.join(found.cost_withheld)}")
    if found.age_withheld:
        console.print(f"Never slow-moving, never a suggestion's source (stock age not shared): "
                      f"{', '.join(found.age_withheld)}")
    if found.region_withheld:
        console.print(f"Region not shared (stock counted under no region): {', '.join(found.region_withheld)}")
    table = Table(header_style="bold cyan")
    for name in ("member", "SKU", "region", "snapshot", "units", "oldest (days)", "value", "slow units", "slow value", ""):
        table.add_column(name)
    for r in found.rows:
        table.add_row(r.member, r.sku, r.region or "-", r.snapshot_day.isoformat(), str(r.quantity),
                      "—" if r.oldest_age_days is None else str(r.oldest_age_days), _amount(r.value),
                      str(r.slow_quantity), _amount(r.slow_value), "slow" if r.slow else "")
    console.print(table)
    if found.rows_page.has_more:
        console.print(f"rows {found.rows_page.offset + 1}-{found.rows_page.offset + len(found.rows)} of "
                      f"{found.rows_page.total}: --offset for more")
    if found.suggestions:
        moves = Table(title="Transfer suggestions", header_style="bold cyan")
        for name in ("from", "to", "SKU", "units"):
            moves.add_column(name)
        for s in found.suggestions:
            moves.add_row(s.source, s.target, s.sku, str(s.quantity))
        console.print(moves)


@app.command("turnover")
@fails_cleanly
def turnover(alliance: AllianceOpt, as_of: AsOfOpt = None,
             months: Annotated[str | None, typer.Option("--months", help="Months back (1 to 60, default 12).")] = None,
             as_json: JsonOpt = False) -> None:
    """Turnover days per member and for the alliance, per month: average stock units × days / units sold."""
    from alliance.cli.orders import opened_stores

    with opened_stores() as stores:
        found = service.turnover(stores, alliance, _operator(), SystemClock(), as_of=as_of, months=months)
    if as_json:
        _dump(found)
        return
    table = Table(title=f"Turnover days, {found.alliance}", header_style="bold cyan")
    table.add_column("")
    for month in found.months:
        table.add_column(month.strftime("%Y-%m"))
    series = [*found.members, *([found.alliance_series] if found.alliance_series else [])]
    for s in series:
        table.add_row(s.member or "alliance", *("—" if m.turnover_days is None else str(m.turnover_days)
                                                for m in s.months))
    console.print(table)
