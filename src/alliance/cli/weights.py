"""`alliance body weights`: the alliance's voting weights: the explicit table (shown, or set as a
whole with --set), and what each source of weights gives today (--source for one of them).

Registered on `alliance body` by cli/governance.py. The command line acts as a platform admin, as
the other governance commands do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from alliance.cli.governance import AllianceOpt, JsonOpt, _dump, _operator, body_app, one_line
from alliance.cli.lazy import Deferred
from alliance.cli.output import console, fails_cleanly, local_time, open_store, parse_day
from alliance.core.clock import SystemClock

if TYPE_CHECKING:
    from alliance.governance import service_weights as service
    from alliance.governance import weight_table
else:
    service = Deferred("alliance.governance.service_weights")
    weight_table = Deferred("alliance.governance.weight_table")


def _percent(share: Any) -> str:
    from alliance.governance.numbers import as_percent

    return f"{as_percent(share)}%"


@body_app.command("weights")
@fails_cleanly
@one_line
def body_weights(
    alliance: AllianceOpt,
    assign: Annotated[list[str] | None, typer.Option(
        "--set", help="MEMBER=WEIGHT, repeatable: the whole new table (e.g. --set M1=45 --set M2=30); weights are "
                      "exact decimals, at most 4 places.")] = None,
    source: Annotated[str | None, typer.Option(help="Show only what this source gives: table, settled or equal.")] = None,
    on: Annotated[str | None, typer.Option(help="With --source: the day a vote would open, YYYY-MM-DD (default "
                                                 "today in the alliance's time zone).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The alliance's voting weights: show the explicit table and each source's weights, or set the table."""
    store = open_store()
    clock = SystemClock()
    if assign:
        table = service.set_weight_table(store, alliance, _operator(), service.parse_assignments(assign), clock)
        console.print(f"Weight table of {alliance}: " + ", ".join(f"{w.member} {w.weight}" for w in table) + ".",
                      highlight=False)
        return
    if source is not None:
        found = service.source_weights(store, alliance, _operator(), source, clock,
                                       on=parse_day(on, "--on") if on else None)
        total = sum(found.values())
        if as_json:
            _dump({"source": source, "weights": {m: weight_table.exact_text(w) for m, w in sorted(found.items())}})
            return
        rows = Table("member", "weight", "share")
        for member, weight in sorted(found.items()):
            rows.add_row(member, weight_table.exact_text(weight), _percent(weight / total) if total else "-")
        console.print(rows)
        return
    view = service.weights_view(store, alliance, _operator(), clock)
    if as_json:
        _dump({"today": view.today, "table": [{"member": w.member, "weight": w.weight, "set_by": w.set_by,
                                               "set_at": w.set_at} for w in view.table],
               "sources": {s.source.key: ({m: weight_table.exact_text(w) for m, w in sorted(s.weights.items())}
                                          if s.weights is not None else {"unavailable": str(s.unavailable)})
                           for s in view.sources}})
        return
    if view.table:
        latest = view.table[0]
        console.print(f"Explicit table, set by {latest.set_by} at {local_time(latest.set_at, view.timezone)}:",
                      highlight=False)
    else:
        console.print("No explicit table is set (alliance body weights -a CODE --set MEMBER=WEIGHT ...).",
                      highlight=False)
    keys = [s.source.key for s in view.sources]
    rows = Table("member", *keys)
    for member in sorted(set(view.members) | {w.member for w in view.table}):
        cells = []
        for s in view.sources:
            weight = (s.weights or {}).get(member)
            cells.append("-" if weight is None else f"{weight_table.exact_text(weight)} ({_percent(s.shares[member])})")
        rows.add_row(member, *cells)
    console.print(f"Weights on {view.today} (each as a share of its source's total):", highlight=False)
    console.print(rows)
    for s in view.sources:
        if s.weights is None:
            console.print(f"{s.source.key}: {s.unavailable}", highlight=False)
