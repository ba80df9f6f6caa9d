"""`alliance settle` and `alliance statement`: close a business day, read a member's statement."""

from __future__ import annotations

import json
import sys
from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from alliance.cli.lazy import Deferred
from alliance.cli.orders import open_facts, opened_stores
from alliance.cli.output import (console, current_actor, fails_cleanly, open_store, parse_day, read_text_file, say,
                                  write_rows)
from alliance.core.clock import SystemClock
from alliance.core.errors import InvalidInput
from alliance.core.messages import Message
from alliance.settlement.unshared import UnsharedDay

# The services are imported when a command calls them (cli.lazy.Deferred): --help and the
# light sub-commands start without them.
if TYPE_CHECKING:
    from alliance.settlement import service
else:
    service = Deferred("alliance.settlement.service")

AllianceOpt = Annotated[str, typer.Option("--alliance", "-a", help="The alliance's code.")]


def _day(text: str | None, option: str = "--day") -> date | None:
    return None if text is None else parse_day(text, option)


# `alliance settle [-a CODE --day D | --through D]` settles; `alliance settle corrections -a CODE` lists
# the rulings' corrections. One group: its callback settles when no sub-command is named.
settle = typer.Typer(help="Settle a business day under the agreements in force, and close it. Days close in order.")


@settle.callback(invoke_without_command=True)
def settle_day(
    ctx: typer.Context,
    alliance: Annotated[str | None, typer.Option("--alliance", "-a", help="The alliance's code.")] = None,
    day: Annotated[str | None, typer.Option(help="Business day YYYY-MM-DD; default yesterday (T+1).")] = None,
    through: Annotated[str | None, typer.Option(
        help="Settle every open day, in order, through this day YYYY-MM-DD (catching up).")] = None,
    allow_unshared: Annotated[bool, typer.Option(
        "--allow-unshared", help="Confirm that a day with order lines but no agreement in force closes for good "
        "with nothing shared (without it such a day is refused and stays open).")] = False,
) -> None:
    """Settle a business day under the agreements in force, and close it. Days close in order."""
    if ctx.invoked_subcommand is not None:
        return
    if alliance is None:  # a usage error, as a missing required option is (exit 2)
        raise typer.BadParameter("missing: name the alliance to settle", ctx=ctx, param_hint="'--alliance' / '-a'")
    _settle(alliance, day, through, allow_unshared)


@fails_cleanly
def _settle(alliance: str, day: str | None, through: str | None, allow_unshared: bool) -> None:
    if day is not None and through is not None:
        raise InvalidInput(Message("give --day or --through, not both"))
    from alliance.store.stores import Stores

    # Not `opened_stores`: a bad --through is refused before the store is opened, as it always was.
    facts = open_facts()
    try:
        if through is None:
            _report(alliance, service.settle(Stores(open_store(), facts), alliance, _day(day), current_actor(),
                                             SystemClock(), allow_unshared=allow_unshared), net=True)
        else:
            last = _day(through, "--through")
            assert last is not None
            settled = 0
            for result in service.settle_through(Stores(open_store(), facts), alliance, last, current_actor(),
                                                 SystemClock(), allow_unshared=allow_unshared):
                _report(alliance, result, net=False)
                settled += 1
            if not settled:
                console.print(f"Nothing to settle: {alliance} is closed through {last}.", highlight=False)
    except UnsharedDay as exc:
        # The service asks; the CLI names its way to answer (the days before it, if any, stay closed).
        raise UnsharedDay(exc.alliance, exc.day, exc.lines, Message("run again with --allow-unshared")) from None
    finally:
        facts.close()


def _report(alliance: str, result: service.SettlementResult, *, net: bool) -> None:
    applied = ", ".join(f"{a['agreement']} v{a['version']}" for a in result.agreements) or "no agreement in force"
    console.print(f"Settled {alliance} {result.day}: {result.lines} line(s), {result.late_lines} late line(s); {applied}.",
                  highlight=False, soft_wrap=True)
    if result.unshared_reason:
        console.print(f"[yellow]Nothing was shared:[/yellow] {result.day} closed for good with its {result.lines} "
                      "order line(s) shared with nobody (no agreement in force), as confirmed with --allow-unshared.",
                      highlight=False, soft_wrap=True)
    for correction, named in result.corrections:
        console.print(f"Booked correction {correction} ({named}) on {result.day}.", highlight=False, soft_wrap=True)
    for gone in result.departed:
        console.print(f"[yellow]Warning:[/yellow] {gone.agreement_code} v{gone.version} still allocates to "
                      f"{gone.member_code}, which left on {gone.left_on}; propose a version without it.",
                      highlight=False, soft_wrap=True)
    if not net:
        return
    table = Table("account", "net", title="Net for the day (+ receives, - pays)", header_style="bold cyan")
    for account, amount in result.net.items():
        table.add_row(account, amount.amount_text())
    console.print(table)


@fails_cleanly
def statement(
    alliance: AllianceOpt,
    member: Annotated[str, typer.Option(help="The member's (or account's) code.")],
    day: Annotated[str, typer.Option(help="The settled business day, YYYY-MM-DD.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, json, csv or xlsx (with --output).")] = "table",
    output: Annotated[str | None, typer.Option("--output", "-o")] = None,
) -> None:
    """A member's statement for a settled day: each line's rule, base, rate and amount."""
    if fmt not in ("table", "json", "csv", "xlsx"):
        raise InvalidInput(Message("--format must be table, json, csv or xlsx, not {format!r}", format=fmt))
    parsed = _day(day)
    assert parsed is not None
    s = service.statement(open_store(), alliance, member, parsed)
    document = service.statement_document(alliance, member, s)
    rows, header = service.statement_rows(document), service.STATEMENT_HEADER
    if fmt == "json":
        sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    elif fmt in ("csv", "xlsx"):
        from pathlib import Path

        if fmt == "xlsx" and output is None:
            raise InvalidInput(Message("XLSX is binary: give --output FILE.xlsx"))
        write_rows(Path(output) if output else None, fmt, header, rows)
    else:
        table = Table(*header, title=f"{member} — {alliance} — {s.day} ({s.currency})", header_style="bold cyan")
        for r in rows:
            table.add_row(*r)
        console.print(table)
        console.print(f"Total: {s.total.amount_text()} {s.currency}", highlight=False)
        if document["conversions"]:  # sales in other currencies, as sold and as counted (settlement.fx)
            sold = Table("day", "currency", "lines", "original", "rate", "source", f"converted ({s.currency})",
                         "adjustment", title=say(Message("Sales in other currencies")), header_style="bold cyan")
            for c in document["conversions"]:
                sold.add_row(c["day"], c["currency"], str(c["lines"]), c["original"], c["rate"], c["source"],
                             c["converted"], "yes" if c["adjustment"] else "")
            console.print(sold)


@settle.command("corrections")
@fails_cleanly
def corrections(
    alliance: AllianceOpt,
    as_json: Annotated[bool, typer.Option("--json", help="The corrections as JSON (as the API gives them).")] = False,
) -> None:
    """Rulings' corrections of an alliance: pending, or booked on the day shown."""
    from alliance.settlement.service_corrections import list_corrections

    found = list_corrections(open_store(), alliance, None)
    if as_json:
        sys.stdout.write(json.dumps({"corrections": [c.as_json() for c in found]}, ensure_ascii=False, indent=2) + "\n")
        return
    if not found:
        console.print(f"{alliance} has no ruling's correction.", highlight=False)
        return
    table = Table("id", "ruling", "status", "booked on", "payer", "payee", "amount",
                  title=f"{alliance}: rulings' corrections", header_style="bold cyan")
    for c in found:
        for n, t in enumerate(c.transfers):
            first = n == 0
            table.add_row(str(c.id) if first else "", c.reference if first else "", c.status if first else "",
                          (c.booked_on.isoformat() if c.booked_on else "-") if first else "",
                          t.payer, t.payee, f"{t.amount.amount_text()} {t.amount.currency}")
    console.print(table)


journal_app = typer.Typer(help="The settlement journal of closed days.", no_args_is_help=True)


@journal_app.command("export")
@fails_cleanly
def journal_export(
    alliance: AllianceOpt,
    first: Annotated[str, typer.Option("--from", help="First business day, YYYY-MM-DD.")],
    last: Annotated[str, typer.Option("--to", help="Last business day, YYYY-MM-DD.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="beancount or csv.")] = "beancount",
    output: Annotated[str | None, typer.Option("--output", "-o", help="File to write; default stdout.")] = None,
) -> None:
    """Export the double-entry journal of the closed days in a range (Beancount or CSV)."""
    from pathlib import Path

    from alliance.cli.output import write_output
    from alliance.settlement.journal import beancount, to_csv

    if fmt not in ("beancount", "csv"):
        raise InvalidInput(Message("--format must be beancount or csv, not {format!r}", format=fmt))
    start, end = _day(first, "--from"), _day(last, "--to")
    assert start is not None and end is not None
    currency, entries = service.journal(open_store(), alliance, start, end)
    text = beancount(alliance, currency, entries) if fmt == "beancount" else to_csv(entries)
    write_output(Path(output) if output else None, text.encode("utf-8"))


@fails_cleanly
def simulate(
    alliance: AllianceOpt,
    agreement: Annotated[list[str], typer.Option("--agreement", help="A candidate agreement YAML (repeatable).")],
    first: Annotated[str, typer.Option("--from", help="First business day, YYYY-MM-DD.")],
    last: Annotated[str, typer.Option("--to", help="Last business day, YYYY-MM-DD.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Sandbox (沙盘推演): replay stored lines under candidate agreements; nothing is written."""
    from pathlib import Path

    documents = [(name, read_text_file(Path(name))) for name in agreement]
    start, end = _day(first, "--from"), _day(last, "--to")
    assert start is not None and end is not None
    with opened_stores() as stores:
        scenarios = service.simulate(stores, alliance, documents, start, end)
    if as_json:
        sys.stdout.write(json.dumps([{
            "file": s.name, "agreement": s.agreement, "totals": {k: v.amount_text() for k, v in s.totals.items()},
            "expectations": {k: v.amount_text() for k, v in s.expectations.items()}, "flagged": s.flagged,
        } for s in scenarios], ensure_ascii=False, indent=2) + "\n")
        return
    accounts = sorted({a for s in scenarios for a in s.totals})
    table = Table("account", *(Path(s.name).name for s in scenarios), title=f"{alliance}: {start} to {end}",
                  header_style="bold cyan")
    for account in accounts:
        cells = []
        for s in scenarios:
            money = s.totals.get(account)
            text = money.amount_text() if money else "-"
            cells.append(f"{text} ⚠" if account in s.flagged else text)
        table.add_row(account, *cells)
    console.print(table)
    for s in scenarios:
        for party, why in s.flagged.items():
            console.print(f"{Path(s.name).name}: {party} {why}", highlight=False, soft_wrap=True)


metrics_app = typer.Typer(help="Period metrics rules weigh by (user assets, repurchase rate...).", no_args_is_help=True)


@metrics_app.command("import")
@fails_cleanly
def metrics_import(
    file: Annotated[str, typer.Argument(help="CSV or XLSX with columns period (YYYY-MM), metric, member, value.")],
    alliance: AllianceOpt,
) -> None:
    """Record period metrics: every row or none; recorded values are never changed."""
    from pathlib import Path

    from alliance.core.dates import month_text
    from alliance.registry.spreadsheets import read_table

    table = read_table(Path(file))
    # A file's months as spreadsheets write them (2026/11, 2026年11月, a date cell on the 1st): YYYY-MM.
    names = [h.strip().lower() for h in table.header]
    rows = table.rows
    if "period" in names:
        at = names.index("period")
        rows = [[month_text(c) if i == at else c for i, c in enumerate(row)] for row in rows]
    count = service.record_metrics(open_store(), alliance, table.header, rows, SystemClock(), table.header_row)
    console.print(f"Recorded {count} metric value(s) for {alliance}.", highlight=False)
