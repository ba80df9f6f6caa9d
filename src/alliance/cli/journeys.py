"""`alliance journey compute|record|verify`: customer-journey metrics of a month, measured from the
shared customer events (docs/journey-metrics.md), recorded as period metrics and checked later."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from alliance.cli.lazy import Deferred
from alliance.cli.output import console, current_actor, fails_cleanly, terminal_language
from alliance.core.clock import SystemClock
from alliance.core.messages import Message

if TYPE_CHECKING:
    from alliance.datashare.journeys import service
else:
    service = Deferred("alliance.datashare.journeys.service")

app = typer.Typer(help="Customer-journey metrics (repurchase, cross-member purchase, referral, user assets) "
                       "from the shared customer events: compute, record as period metrics, verify.",
                  no_args_is_help=True)

AllianceOpt = Annotated[str, typer.Option("--alliance", "-a", help="The alliance's code.")]
PeriodOpt = Annotated[str, typer.Option("--period", "-p", help="The month, YYYY-MM (ended in the alliance's time zone).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the report as JSON.")]


def _print(report: service.JourneyReport) -> None:
    from rich.table import Table

    from alliance.datashare.journeys.metrics import METRICS

    say = terminal_language()
    table = Table(say(Message("member")), *(say(m.title) for m in METRICS.values()), say(Message("buyers")),
                  say(Message("events")), title=say(Message("{alliance} {period}: {events} events counted",
                                                            alliance=report.alliance, period=report.period,
                                                            events=report.events)),
                  header_style="bold cyan")

    def cell(value: object, recorded: object) -> str:
        if recorded is None:
            return f"{value} " + say(Message("(not recorded)"))
        return str(value) if recorded == value else f"{value} " + say(Message("(recorded {value})", value=recorded))

    for m in report.members:
        table.add_row(m.member, *(cell(m.values[n], m.recorded[n]) for n in METRICS), str(m.counts["buyers"]),
                      str(m.counts["events"]))
    counts = report.alliance_counts or {}
    table.add_row(say(Message("the alliance")), *(str(report.alliance_values[n]) for n in METRICS),
                  str(counts.get("buyers", "")), str(report.events))
    console.print(table)


def _show(report: service.JourneyReport, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(service.report_document(report), ensure_ascii=False, indent=2) + "\n")
    else:
        _print(report)


@app.command("compute")
@fails_cleanly
def compute(alliance: AllianceOpt, period: PeriodOpt, as_json: JsonOpt = False) -> None:
    """A month's journey metrics per member and for the alliance; nothing is written."""
    from alliance.cli.orders import opened_stores

    with opened_stores() as stores:
        report = service.compute(stores, alliance, period, SystemClock())
    _show(report, as_json)


@app.command("record")
@fails_cleanly
def record(alliance: AllianceOpt, period: PeriodOpt, as_json: JsonOpt = False) -> None:
    """Record a month's journey metrics as period metrics (never rewritten), with their trace."""
    from alliance.cli.orders import opened_stores

    with opened_stores() as stores:
        report = service.record(stores, alliance, period, current_actor(), SystemClock())
    _show(report, as_json)


@app.command("verify")
@fails_cleanly
def verify(alliance: AllianceOpt, period: PeriodOpt, as_json: JsonOpt = False) -> None:
    """Recount a month and compare with its recorded journey metrics; exit 1 when any differs."""
    from alliance.cli.orders import opened_stores

    with opened_stores() as stores:
        found = service.verify(stores, alliance, period, SystemClock())
    say = terminal_language()
    if as_json:
        sys.stdout.write(json.dumps(service.verification_document(found), ensure_ascii=False, indent=2) + "\n")
    elif found.ok:
        console.print(say(Message("{count} recorded journey metric(s) of {period} agree with a recount of the events",
                                  count=found.checked, period=found.report.period)), highlight=False)
    else:
        for d in found.differences:
            why = (Message("no longer a member in the month") if not d.counted
                   else Message("events changed since recorded") if d.events_changed
                   else Message("its trace does not match the records") if not d.trace_ok
                   else Message("value differs"))
            console.print(say(Message("{member}/{metric}: recorded {recorded}, now {now} ({why})", member=d.member,
                                      metric=d.metric, recorded=str(d.recorded), now=str(d.now), why=say(why))),
                          highlight=False)
    if not found.ok:
        raise typer.Exit(1)
