"""`alliance prospect|dd|pilot`: carry a candidate from screening through due diligence and a pilot."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from alliance.cli.lazy import Deferred
from alliance.cli.output import console, current_actor, fails_cleanly, open_store, parse_day
from alliance.cli.output import alliance_zone, local_day, local_time
from alliance.core.clock import SystemClock
from alliance.core.decimals import parse_decimal
from alliance.core.messages import Message
from alliance.registry.spreadsheets import TableFileError
from alliance.screening.entities import Cadence, Decision
from alliance.screening.pipeline import Area, ItemStatus, KpiDirection, Source, Stage

# The services are imported when a command calls them (cli.lazy.Deferred): --help and the
# light sub-commands start without them.
if TYPE_CHECKING:
    from alliance.screening import service
else:
    service = Deferred("alliance.screening.service")

prospect_app = typer.Typer(help="Prospective partners and their stage.", no_args_is_help=True)
dd_app = typer.Typer(help="Due-diligence checklists.", no_args_is_help=True)
pilot_app = typer.Typer(help="Pilots, their KPIs, the review and the go / no-go decision.", no_args_is_help=True)

AllianceOpt = Annotated[str, typer.Option("--alliance", "-a", help="The alliance's code.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


def _dump(document: Any) -> None:
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n")


# -- prospects ---------------------------------------------------------------------------------------

@prospect_app.command("add")
@fails_cleanly
def prospect_add(
    name: Annotated[str, typer.Argument(help="The company's name.")],
    alliance: AllianceOpt,
    source: Annotated[Source, typer.Option(help="Where the lead came from.")] = Source.OTHER,
    credit_code: Annotated[str | None, typer.Option(help="Unified social credit code, if known.")] = None,
) -> None:
    """Record a prospective partner (stage: screened) with the default due-diligence checklist."""
    p = service.add_prospect(open_store(), alliance, name, source, current_actor(), SystemClock(), credit_code)
    console.print(f"Prospect {p.id}: {p.name} ({p.stage.value}).", highlight=False)


@prospect_app.command("shortlist")
@fails_cleanly
def prospect_shortlist(
    run_id: Annotated[int, typer.Argument(help="A saved screening run.")],
    alliance: AllianceOpt,
    top: Annotated[int, typer.Option(help="How many of the best to add.", min=1)] = 3,
) -> None:
    """Add the best candidates of a saved screening run as prospects."""
    added = service.shortlist(open_store(), alliance, run_id, top, current_actor(), SystemClock())
    for p in added:
        console.print(f"Prospect {p.id}: {p.name} (score {p.score:.4f}).", highlight=False)
    if not added:
        console.print("Nothing added: those candidates are already prospects.", highlight=False)


@prospect_app.command("list")
@fails_cleanly
def prospect_list(alliance: AllianceOpt, stage: Annotated[Stage | None, typer.Option()] = None, as_json: JsonOpt = False) -> None:
    """List prospects, optionally of one stage."""
    found = service.list_prospects(open_store(), alliance, stage)
    if as_json:
        _dump([{"id": p.id, "name": p.name, "stage": p.stage.value, "source": p.source.value, "score": p.score,
                "screening_run": p.screening_run_id} for p in found])
        return
    table = Table("id", "name", "stage", "source", "score", "since", header_style="bold cyan")
    zone = alliance_zone(alliance)  # the business day in the alliance's zone, not the UTC date
    for p in found:
        table.add_row(str(p.id), p.name, p.stage.value, p.source.value, "-" if p.score is None else f"{p.score:.4f}",
                      local_day(p.updated_at, zone))
    console.print(table)


@prospect_app.command("show")
@fails_cleanly
def prospect_show(prospect_id: Annotated[int, typer.Argument()], alliance: AllianceOpt, as_json: JsonOpt = False) -> None:
    """A prospect's file: stage history, due-diligence checklist, pilot."""
    f = service.prospect_file(open_store(), alliance, prospect_id)
    if as_json:
        _dump({
            "id": f.prospect.id, "name": f.prospect.name, "stage": f.prospect.stage.value,
            "events": [{"from": e.from_stage, "to": e.to_stage, "actor": e.actor, "at": e.at.isoformat(), "note": e.note}
                       for e in f.events],
            "checklist": [_item_json(i) for i in f.checklist],
            "pilot": None if f.pilot is None else {"id": f.pilot.id, "name": f.pilot.name,
                                                   "decision": f.pilot.decision},
        })
        return
    console.print(f"[bold]{f.prospect.name}[/]  stage: {f.prospect.stage.value}", highlight=False)
    history = Table("at", "from", "to", "who", "note", title="Stage history", header_style="bold cyan")
    zone = alliance_zone(alliance)
    for e in f.events:
        history.add_row(local_time(e.at, zone), e.from_stage or "", e.to_stage, e.actor, e.note)
    console.print(history)
    _print_items(f.checklist)
    if f.pilot:
        console.print(f"Pilot {f.pilot.id}: {f.pilot.name}, {f.pilot.starts_on} to {f.pilot.ends_on}, "
                      f"decision: {f.pilot.decision or 'pending'}", highlight=False, soft_wrap=True)


@prospect_app.command("move")
@fails_cleanly
def prospect_move(
    prospect_id: Annotated[int, typer.Argument()],
    alliance: AllianceOpt,
    to: Annotated[Stage, typer.Option("--to", help="due_diligence or rejected.")],
    note: Annotated[str, typer.Option()] = "",
) -> None:
    """Move a prospect to due diligence, or reject it."""
    p = service.move_prospect(open_store(), alliance, prospect_id, to, current_actor(), SystemClock(), note)
    console.print(f"Prospect {p.id} is now at {p.stage.value}.", highlight=False)


# -- due diligence -----------------------------------------------------------------------------------

def _item_json(i: Any) -> dict[str, Any]:
    return {"id": i.id, "area": i.area.value, "title": i.title, "required": i.required, "owner": i.owner,
            "status": i.status.value, "waiver_reason": i.waiver_reason, "due_on": i.due_on,
            "evidence": None if i.evidence_sha256 is None else {"name": i.evidence_name, "sha256": i.evidence_sha256},
            "updated_at": i.updated_at.isoformat(), "updated_by": i.updated_by}


def _print_items(items: list[Any]) -> None:
    table = Table("id", "area", "item", "required", "status", "owner", "evidence", title="Due diligence",
                  header_style="bold cyan")
    for i in items:
        status = i.status.value + (f" ({i.waiver_reason})" if i.waiver_reason else "")
        evidence = f"{i.evidence_name} sha256:{i.evidence_sha256[:12]}" if i.evidence_sha256 else ""
        table.add_row(str(i.id), i.area.value, i.title, "yes" if i.required else "no", status, i.owner, evidence)
    console.print(table)


@dd_app.command("list")
@fails_cleanly
def dd_list(prospect_id: Annotated[int, typer.Argument()], alliance: AllianceOpt, as_json: JsonOpt = False) -> None:
    """A prospect's due-diligence checklist."""
    items = service.prospect_file(open_store(), alliance, prospect_id).checklist
    if as_json:
        _dump([_item_json(i) for i in items])
    else:
        _print_items(items)


@dd_app.command("add")
@fails_cleanly
def dd_add(
    prospect_id: Annotated[int, typer.Argument()],
    alliance: AllianceOpt,
    area: Annotated[Area, typer.Option()],
    title: Annotated[str, typer.Option()],
    optional: Annotated[bool, typer.Option("--optional", help="Not required for the pilot gate.")] = False,
    owner: Annotated[str, typer.Option()] = "",
    due: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
) -> None:
    """Add an item to a prospect's checklist."""
    item = service.add_item(open_store(), alliance, prospect_id, area, title, not optional, current_actor(),
                            SystemClock(), owner, parse_day(due, "--due") if due else None)
    console.print(f"Item {item.id} added ({item.area.value}: {item.title}).", highlight=False)


@dd_app.command("set")
@fails_cleanly
def dd_set(
    item_id: Annotated[int, typer.Argument()],
    alliance: AllianceOpt,
    status: Annotated[ItemStatus | None, typer.Option(help="open, in_progress, done, failed or waived.")] = None,
    reason: Annotated[str | None, typer.Option(help="Why the item is waived (required to waive).")] = None,
    owner: Annotated[str | None, typer.Option()] = None,
    due: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    evidence: Annotated[Path | None, typer.Option(help="A file to attach; stored with its SHA-256.")] = None,
) -> None:
    """Update an item: status, waiver reason, owner, due date, evidence file."""
    attached = None
    if evidence is not None:
        try:
            attached = (evidence.name, evidence.read_bytes())
        except OSError as exc:
            raise TableFileError(Message("{path}: cannot read ({error})", path=evidence, error=exc.strerror)) from None
    item = service.update_item(open_store(), alliance, item_id, current_actor(), SystemClock(), status=status,
                               waiver_reason=reason, owner=owner, due_on=parse_day(due, "--due") if due else None,
                               evidence=attached)
    extra = f", evidence sha256 {item.evidence_sha256}" if attached else ""
    console.print(f"Item {item.id}: {item.status.value}{extra}.", highlight=False, soft_wrap=True)


@dd_app.command("evidence")
@fails_cleanly
def dd_evidence(
    item_id: Annotated[int, typer.Argument()],
    alliance: AllianceOpt,
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the file.")],
) -> None:
    """Write an item's evidence file out (its SHA-256 is checked on the way)."""
    name, digest, content = service.evidence_of(open_store(), alliance, item_id)
    try:
        output.write_bytes(content)
    except OSError as exc:
        raise TableFileError(Message("{path}: cannot write ({error})", path=output, error=exc.strerror)) from None
    console.print(f"Wrote {name} ({len(content)} bytes, sha256 {digest}) to {output}.", highlight=False, soft_wrap=True)


# -- pilots ------------------------------------------------------------------------------------------

@pilot_app.command("start")
@fails_cleanly
def pilot_start(
    prospect_id: Annotated[int, typer.Argument()],
    alliance: AllianceOpt,
    name: Annotated[str, typer.Option()],
    starts: Annotated[str, typer.Option(help="YYYY-MM-DD")],
    ends: Annotated[str, typer.Option(help="YYYY-MM-DD")],
    cadence: Annotated[Cadence, typer.Option(help="Meeting cadence.")] = Cadence.BIWEEKLY,
) -> None:
    """Start a prospect's pilot (every required due-diligence item must be done or waived)."""
    pilot = service.start_pilot(open_store(), alliance, prospect_id, name, parse_day(starts, "--starts"),
                                parse_day(ends, "--ends"), cadence, current_actor(), SystemClock())
    console.print(f"Pilot {pilot.id} started: {pilot.name}.", highlight=False)


@pilot_app.command("kpi")
@fails_cleanly
def pilot_kpi(
    pilot_id: Annotated[int, typer.Argument()],
    alliance: AllianceOpt,
    name: Annotated[str, typer.Option()],
    target: Annotated[str, typer.Option()],
    direction: Annotated[KpiDirection, typer.Option(help="higher or lower is better.")] = KpiDirection.HIGHER,
    unit: Annotated[str, typer.Option()] = "",
) -> None:
    """Add a KPI with its target to a pilot."""
    kpi = service.add_kpi(open_store(), alliance, pilot_id, name, unit, direction, parse_decimal(target, "--target"))
    console.print(f"KPI {kpi.id}: {kpi.name}, target {kpi.target} {kpi.unit} ({kpi.direction.value} is better).",
                  highlight=False, soft_wrap=True)


@pilot_app.command("measure")
@fails_cleanly
def pilot_measure(
    kpi_id: Annotated[int, typer.Argument()],
    alliance: AllianceOpt,
    value: Annotated[str, typer.Option()],
    on: Annotated[str, typer.Option(help="YYYY-MM-DD")],
    note: Annotated[str, typer.Option()] = "",
) -> None:
    """Record a KPI's actual value on a date."""
    m = service.record_measurement(open_store(), alliance, kpi_id, parse_day(on, "--on"), parse_decimal(value, "--value"),
                                   SystemClock(), note)
    console.print(f"Recorded {m.value} on {m.measured_on}.", highlight=False)


def _review_json(review: service.PilotReview) -> dict[str, Any]:
    return {
        "pilot": review.pilot.id, "name": review.pilot.name, "prospect": review.prospect.name,
        "stage": review.prospect.stage.value, "decision": review.pilot.decision,
        "decision_note": review.pilot.decision_note, "all_met": review.all_met,
        "meetings": [d.isoformat() for d in review.meetings],
        "kpis": [{"name": k.name, "unit": k.unit, "direction": k.direction.value, "target": str(k.target),
                  "actual": None if k.actual is None else str(k.actual),
                  "attainment": None if k.attainment is None else str(k.attainment), "met": k.met}
                 for k in review.kpis],
    }


def _print_review(review: service.PilotReview) -> None:
    table = Table("KPI", "target", "actual", "attainment", "met", title=f"Pilot {review.pilot.id}: {review.pilot.name}",
                  header_style="bold cyan")
    for k in review.kpis:
        table.add_row(f"{k.name} ({k.direction.value} is better)", f"{k.target} {k.unit}".strip(),
                      "-" if k.actual is None else f"{k.actual} {k.unit}".strip(),
                      "-" if k.attainment is None else f"{k.attainment * 100:.2f}%", "yes" if k.met else "no")
    console.print(table)
    decision = review.pilot.decision.value if review.pilot.decision else "pending"
    console.print(f"All KPIs met: {'yes' if review.all_met else 'no'}. Decision: {decision}. "
                  f"Meetings: {len(review.meetings)} ({review.pilot.cadence.value}).", highlight=False, soft_wrap=True)


@pilot_app.command("review")
@fails_cleanly
def pilot_review(
    pilot_id: Annotated[int, typer.Argument()],
    alliance: AllianceOpt,
    decide: Annotated[Decision | None, typer.Option(help="Record the decision: go or no_go.")] = None,
    note: Annotated[str, typer.Option(help="Why (required for no_go).")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Review a pilot's KPI attainment; with --decide, record go (partner) or no_go (rejected)."""
    store = open_store()
    if decide is None:
        review = service.review_pilot(store, alliance, pilot_id)
    else:
        review = service.decide_pilot(store, alliance, pilot_id, decide, note, current_actor(), SystemClock())
    if as_json:
        _dump(_review_json(review))
    else:
        _print_review(review)
