"""`alliance health scorecard|dashboard`, `alliance kpi list|edit|enter|history`, `alliance pledge
add|deliver|list`: the KPI scorecard on the command line (health.kpis). The command line acts as a
platform admin, as the governance commands do; entries name the OS user (or ALLIANCE_ACTOR)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from alliance.cli.governance import AllianceOpt, JsonOpt, _dump, _operator, one_line
from alliance.cli.lazy import Deferred
from alliance.cli.output import console, fails_cleanly, open_store, parse_day
from alliance.core.clock import SystemClock

if TYPE_CHECKING:
    from alliance.health.kpis import documents, records, service
else:
    documents = Deferred("alliance.health.kpis.documents")
    records = Deferred("alliance.health.kpis.records")
    service = Deferred("alliance.health.kpis.service")

health_app = typer.Typer(help="The alliance's health: the scorecard of 12 indicators, per member or alliance-wide.",
                         no_args_is_help=True)
kpi_app = typer.Typer(help="The KPI catalogue and the values entered for it.", no_args_is_help=True)
pledge_app = typer.Typer(help="Members' pledges of resources and their deliveries.", no_args_is_help=True)
PeriodOpt = Annotated[str | None, typer.Option("--period", "-p", help="2026Q4, 2026-11, 2026-W48 or "
                                                                      "2026-10-01..2027-01-01 (default: this quarter).")]


def _print_card(card: Any) -> None:
    doc = documents.scorecard(card)
    who = card.member or "the alliance"
    console.print(f"Scorecard of {who}, {doc['period']} (catalogue version {doc['catalogue_version']}, as of "
                  f"{doc['as_of']}): overall {doc['overall'] or '-'}; "
                  + ", ".join(f"{d} {s or '-'}" for d, s in doc["dimensions"].items()), highlight=False)
    rows = Table("kpi", "dimension", "value", "unit", "band", "score", "target", "weight")
    for r in doc["kpis"]:
        rows.add_row(r["code"], r["dimension"], r["value"] or "-", r["unit"], r["band"] or "-", r["score"] or "-",
                     r["target"], r["weight"])
    console.print(rows)
    console.print("Trend: " + ", ".join(f"{t['period']} {t['overall'] or '-'}" for t in doc["trend"]), highlight=False)


@health_app.command("scorecard")
@fails_cleanly
@one_line
def scorecard(alliance: AllianceOpt, period: PeriodOpt = None,
              member: Annotated[str | None, typer.Option("--member", "-m", help="A member's scorecard "
                                                                               "(default: the alliance's).")] = None,
              as_json: JsonOpt = False) -> None:
    """One scorecard: each KPI's value, band and score, the dimension and overall scores, the trend."""
    card = service.scorecard(open_store(), alliance, _operator(), SystemClock(), period=period, member=member)
    if as_json:
        _dump(documents.scorecard(card))
        return
    _print_card(card)


@health_app.command("dashboard")
@fails_cleanly
@one_line
def dashboard(alliance: AllianceOpt, period: PeriodOpt = None, as_json: JsonOpt = False) -> None:
    """Every member's scores and the alliance's for a period, one line each."""
    chosen, catalogue, found = service.member_scorecards(open_store(), alliance, _operator(), SystemClock(),
                                                         period=period)
    if as_json:
        _dump({"period": chosen.label, "catalogue_version": catalogue.version,
               "scores": {m or "": documents.scores(s) for m, s in found.items()}})
        return
    console.print(f"{alliance} {chosen.label} (catalogue version {catalogue.version}):", highlight=False)
    rows = Table("member", "overall", "process", "output", "strategic", "red KPIs")
    for member, s in sorted(found.items(), key=lambda x: (x[0] is not None, x[0] or "")):
        doc = documents.scores(s)
        reds = [r["code"] for r in doc["kpis"] if r["band"] == "red"]
        rows.add_row(member or "(alliance)", doc["overall"] or "-", *(doc["dimensions"][d] or "-"
                                                                      for d in ("process", "output", "strategic")),
                     ", ".join(reds))
    console.print(rows)


@kpi_app.command("list")
@fails_cleanly
def kpi_list(alliance: AllianceOpt, as_json: JsonOpt = False) -> None:
    """The current catalogue."""
    found = records.catalogue(open_store(), alliance, _operator())
    if as_json:
        _dump(documents.catalogue(found))
        return
    console.print(f"Catalogue version {found.version}:", highlight=False)
    rows = Table("code", "name", "dimension", "source", "direction", "target", "amber", "green", "weight", "unit")
    for d in found.definitions:
        rows.add_row(d.code, f"{d.name_zh} / {d.name_en}", d.dimension.value, d.source, d.direction.value,
                     str(d.target), str(d.amber), str(d.green), str(d.weight), d.unit)
    console.print(rows)


@kpi_app.command("edit")
@fails_cleanly
@one_line
def kpi_edit(
    code: Annotated[str, typer.Argument(help="The KPI's code (a new code adds a KPI: give every field).")],
    alliance: AllianceOpt,
    set_: Annotated[list[str], typer.Option("--set", help="FIELD=VALUE, repeatable: name_zh, name_en, dimension, "
                                                          "definition_zh, definition_en, unit, direction, source, "
                                                          "target, amber, green, weight.")],
    note: Annotated[str, typer.Option(help="Why (kept with the new version).")] = "",
) -> None:
    """Change a KPI's definition: a new catalogue version (bands must order for the direction)."""
    from alliance.core.errors import InvalidInput
    from alliance.core.messages import Message

    changes: dict[str, str] = {}
    for text in set_:
        field, sep, value = text.partition("=")
        if not sep:
            raise InvalidInput(Message("--set {text!r} is not FIELD=VALUE", text=text))
        changes[field.strip()] = value.strip()
    found = records.edit_kpi(open_store(), alliance, _operator(), code, changes, SystemClock(), note=note)
    console.print(f"Catalogue of {alliance} is now version {found.version}.", highlight=False)


@kpi_app.command("enter")
@fails_cleanly
@one_line
def kpi_enter(
    code: Annotated[str, typer.Argument(help="An entered KPI's code, e.g. joint_patents.")],
    value: Annotated[str, typer.Argument(help="The value, an exact decimal.")],
    alliance: AllianceOpt,
    period: Annotated[str, typer.Option("--period", "-p", help="2026Q4, 2026-11, 2026-W48 ...")],
    member: Annotated[str | None, typer.Option("--member", "-m", help="Default: the alliance as a whole.")] = None,
    evidence: Annotated[str, typer.Option(help="What it rests on: text or a link.")] = "",
) -> None:
    """Record an entered KPI's value (append-only: a later entry for the same period corrects it)."""
    stored = records.enter_value(open_store(), alliance, _operator(), code, period, value, SystemClock(),
                                 member=member, evidence=evidence)
    console.print(f"Recorded {stored.kpi} = {stored.value} for {stored.member or 'the alliance'}, {stored.period}.",
                  highlight=False)


@kpi_app.command("history")
@fails_cleanly
def kpi_history(alliance: AllianceOpt,
                code: Annotated[str | None, typer.Option("--kpi", help="Only this KPI.")] = None,
                versions: Annotated[bool, typer.Option("--versions", help="The catalogue's versions instead.")] = False,
                as_json: JsonOpt = False) -> None:
    """Every entered value (the latest first), or with --versions every catalogue version."""
    store = open_store()
    if versions:
        found = records.catalogue_history(store, alliance, _operator())
        if as_json:
            _dump([{"version": v.version, "note": v.note, "changed_by": v.changed_by, "changed_at": v.changed_at}
                   for v in found])
            return
        rows = Table("version", "changed at", "by", "note")
        for v in found:
            rows.add_row(str(v.version), str(v.changed_at or "(default)"), v.changed_by, v.note)
        console.print(rows)
        return
    values = records.value_history(store, alliance, _operator(), kpi=code)
    if as_json:
        _dump([documents.value(v) for v in values])
        return
    rows = Table("entered at", "kpi", "period", "member", "value", "by", "evidence")
    for v in values:
        rows.add_row(str(v.entered_at), v.kpi, v.period, v.member or "(alliance)", str(v.value), v.entered_by,
                     v.evidence)
    console.print(rows)


@pledge_app.command("add")
@fails_cleanly
@one_line
def pledge_add(
    alliance: AllianceOpt,
    member: Annotated[str, typer.Option("--member", "-m")],
    kind: Annotated[str, typer.Option(help="money, people_days, warehouse_space, channels or technology.")],
    amount: Annotated[str, typer.Option(help="Exact; money in the alliance currency (e.g. 5000.00).")],
    due: Annotated[str, typer.Option(help="The due date, YYYY-MM-DD.")],
    unit: Annotated[str, typer.Option(help="The unit of a kind other than money.")] = "",
    description: Annotated[str, typer.Option()] = "",
) -> None:
    """Record a member's pledge of resources."""
    made = records.add_pledge(open_store(), alliance, _operator(), member=member, kind=kind, amount=amount,
                              due_on=parse_day(due, "--due"), clock=SystemClock(), unit=unit, description=description)
    console.print(f"Pledge {made.number}: {made.member} pledges {made.amount} {made.unit} by {made.due_on}.",
                  highlight=False)


@pledge_app.command("deliver")
@fails_cleanly
@one_line
def pledge_deliver(
    number: Annotated[int, typer.Argument(help="The pledge's number.")],
    alliance: AllianceOpt,
    amount: Annotated[str, typer.Option(help="What was delivered, in the pledge's unit.")],
    on: Annotated[str, typer.Option(help="The delivery date, YYYY-MM-DD.")],
    note: Annotated[str, typer.Option()] = "",
) -> None:
    """Record a delivery against a pledge."""
    clock = SystemClock()
    store = open_store()
    made = records.deliver(store, alliance, _operator(), number, amount=amount, delivered_on=parse_day(on, "--on"),
                           clock=clock, note=note)
    status = made.status(records.alliance_today(store, alliance, clock)).value
    console.print(f"Pledge {made.number}: {made.delivered()} of {made.amount} {made.unit} delivered ({status}).",
                  highlight=False)


@pledge_app.command("list")
@fails_cleanly
def pledge_list(alliance: AllianceOpt,
                member: Annotated[str | None, typer.Option("--member", "-m")] = None,
                as_json: JsonOpt = False) -> None:
    """Pledges with what was delivered and their status (open, on_time, late, short) as of today."""
    store = open_store()
    clock = SystemClock()
    today = records.alliance_today(store, alliance, clock)
    found = records.list_pledges(store, alliance, _operator(), member=member)
    if as_json:
        _dump([documents.pledge(p, today) for p in found])
        return
    rows = Table("#", "member", "kind", "amount", "delivered", "due", "status", "description")
    for p in found:
        rows.add_row(str(p.number), p.member, p.kind.value, f"{p.amount} {p.unit}", str(p.delivered()),
                     str(p.due_on), p.status(today).value, p.description)
    console.print(rows)
