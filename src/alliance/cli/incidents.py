"""`alliance incident ...`: report an incident, run it (acknowledge, update, tick, assign, resolve,
review, close), read it, edit the SOP checklists and response clocks, and escalate late incidents
once (what the scheduler does every minute). Without `--as` the operator acts as platform admin."""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from alliance.access.roles import Principal, Role
from alliance.cli.lazy import Deferred
from alliance.cli.output import console, current_actor, fails_cleanly, local_time, open_store
from alliance.core.clock import SystemClock
from alliance.core.errors import InvalidInput
from alliance.core.messages import Message

if TYPE_CHECKING:
    from alliance.health.incidents import service as incidents
else:
    incidents = Deferred("alliance.health.incidents.service")

app = typer.Typer(help="Incidents: priority by kind, SOP checklists, response clocks, timeline and closing review.",
                  no_args_is_help=True)
AllianceOpt = Annotated[str, typer.Option("--alliance", "-a", help="The alliance's code.")]
AsOpt = Annotated[str | None, typer.Option(
    "--as", help="Act as this user account (its role in --alliance). Default: the operator, as platform admin.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
NumberArg = Annotated[int, typer.Argument(help="The incident's number.")]


def _principal(store: object, as_user: str | None, alliance: str, clock: SystemClock) -> Principal:
    from alliance.access.accounts import user_principal

    if as_user is None:
        return Principal(current_actor(), Role.PLATFORM_ADMIN, kind="operator")
    return user_principal(store, as_user, alliance, clock)  # type: ignore[arg-type]


def _print(view: incidents.IncidentView, as_json: bool) -> None:
    if as_json:
        print(json.dumps(view.as_json(), ensure_ascii=False, indent=2))
        return
    s, zone = view.stored, view.timezone
    console.print(f"Incident {s.number}: {s.title} (P{s.priority} {s.kind}, {s.severity}): {s.status}",
                  highlight=False, soft_wrap=True)
    console.print(f"Lead {s.lead or '-'}, scribe {s.scribe or '-'}; members {', '.join(s.members) or '-'}; "
                  f"acknowledge by {local_time(s.acknowledge_due, zone)}, resolve by {local_time(s.resolve_due, zone)}"
                  + (f"; late: {', '.join(sorted(x.value for x in view.late))}" if view.late else ""),
                  highlight=False, soft_wrap=True)
    for n, step in enumerate(s.checklist, start=1):
        console.print(f"  [{'x' if step.get('done_at') else ' '}] {n}. {step['en']} / {step['zh']}",
                      highlight=False, soft_wrap=True, markup=False)
    for e in view.events:
        console.print(f"  {local_time(e.at, zone)} {e.actor}: {e.text}", highlight=False, soft_wrap=True,
                      markup=False)


def _run(alliance: str, as_user: str | None, as_json: bool, work):  # type: ignore[no-untyped-def]
    store, clock = open_store(), SystemClock()
    _print(work(store, _principal(store, as_user, alliance, clock), clock), as_json)


@app.command("open")
@fails_cleanly
def open_(
    alliance: AllianceOpt,
    title: Annotated[str, typer.Option(help="What happened, in a line.")],
    kind: Annotated[str, typer.Option(help="user_complaint, system_failure, contract_dispute, supplier_risk, other.")],
    severity: Annotated[str, typer.Option(help="SEV1 (worst), SEV2 or SEV3.")] = "SEV2",
    member: Annotated[list[str] | None, typer.Option("--member", help="A member concerned (repeat).")] = None,
    lead: Annotated[str | None, typer.Option(help="The incident lead: an account of the alliance.")] = None,
    scribe: Annotated[str | None, typer.Option(help="The scribe: an account of the alliance.")] = None,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Report an incident; the coordinator and the members concerned hear of it."""
    _run(alliance, as_user, as_json, lambda store, who, clock: incidents.open_incident(
        store, alliance, who, clock, title=title, kind=kind, severity=severity, members=member or [], lead=lead,
        scribe=scribe))


def _move(target: str):  # type: ignore[no-untyped-def]
    def command(number: NumberArg, alliance: AllianceOpt,
                note: Annotated[str, typer.Option(help="A note for the timeline.")] = "",
                as_user: AsOpt = None, as_json: JsonOpt = False) -> None:
        _run(alliance, as_user, as_json,
             lambda store, who, clock: incidents.move(store, alliance, number, target, who, clock, note=note))
    return command


app.command("ack", help="Acknowledge an incident (its acknowledge clock stops; without a lead, you lead it).")(
    fails_cleanly(_move("acknowledged")))
app.command("mitigate", help="Mark an incident mitigated (the harm is contained, the cause not yet fixed).")(
    fails_cleanly(_move("mitigated")))
app.command("resolve", help="Mark an incident resolved; the closing review comes next.")(
    fails_cleanly(_move("resolved")))
app.command("close", help="Close a resolved incident whose closing review is written.")(fails_cleanly(_move("closed")))
app.command("reopen", help="Reopen a resolved incident (back to acknowledged).")(fails_cleanly(_move("acknowledged")))


@app.command("update")
@fails_cleanly
def update(number: NumberArg, alliance: AllianceOpt, text: Annotated[str, typer.Option(help="The status update.")],
           as_user: AsOpt = None, as_json: JsonOpt = False) -> None:
    """Post a status update, published to everyone who sees the incident."""
    _run(alliance, as_user, as_json,
         lambda store, who, clock: incidents.post_update(store, alliance, number, text, who, clock))


@app.command("comment")
@fails_cleanly
def comment(number: NumberArg, alliance: AllianceOpt, text: Annotated[str, typer.Option(help="The comment.")],
            as_user: AsOpt = None, as_json: JsonOpt = False) -> None:
    """Comment on the timeline (a responder, or an admin of a member concerned)."""
    _run(alliance, as_user, as_json, lambda store, who, clock: incidents.comment(store, alliance, number, text, who,
                                                                                 clock))


@app.command("tick")
@fails_cleanly
def tick(number: NumberArg, alliance: AllianceOpt, step: Annotated[int, typer.Option(help="The step, from 1.")],
         undo: Annotated[bool, typer.Option("--undo", help="Mark the step not done.")] = False,
         as_user: AsOpt = None, as_json: JsonOpt = False) -> None:
    """Tick a step of the incident's checklist."""
    _run(alliance, as_user, as_json,
         lambda store, who, clock: incidents.tick(store, alliance, number, step, not undo, who, clock))


@app.command("assign")
@fails_cleanly
def assign(number: NumberArg, alliance: AllianceOpt, role: Annotated[str, typer.Option(help="lead or scribe.")],
           person: Annotated[str, typer.Option(help="An account of the alliance; empty: nobody.")] = "",
           as_user: AsOpt = None, as_json: JsonOpt = False) -> None:
    """Name the incident lead or the scribe."""
    _run(alliance, as_user, as_json,
         lambda store, who, clock: incidents.assign(store, alliance, number, role, person, who, clock))


def _actions(texts: list[str]) -> list[tuple[str, str, date]]:
    found = []
    for text in texts:
        parts = text.split("|")
        try:
            found.append((parts[0], parts[1], date.fromisoformat(parts[2].strip())))
        except (IndexError, ValueError):
            raise InvalidInput(Message("--action {value!r} is not TITLE|OWNER|YYYY-MM-DD", value=text)) from None
    return found


@app.command("review")
@fails_cleanly
def review(
    number: NumberArg,
    alliance: AllianceOpt,
    summary: Annotated[str, typer.Option(help="What happened.")],
    causes: Annotated[str, typer.Option(help="Why it happened.")],
    went_well: Annotated[str, typer.Option(help="What went well.")] = "",
    went_badly: Annotated[str, typer.Option(help="What went badly.")] = "",
    action: Annotated[list[str] | None, typer.Option(
        "--action", help="An action item TITLE|OWNER|YYYY-MM-DD, the owner a member code (repeat).")] = None,
    meeting: Annotated[int | None, typer.Option(help="Make the action items this meeting's governance action items.")]
    = None,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write the closing review of a resolved incident."""
    actions = _actions(action or [])
    _run(alliance, as_user, as_json, lambda store, who, clock: incidents.review(
        store, alliance, number, who, clock, summary=summary, causes=causes, went_well=went_well,
        went_badly=went_badly, actions=actions, meeting_id=meeting))


@app.command("list")
@fails_cleanly
def list_(alliance: AllianceOpt, status: Annotated[str | None, typer.Option(help="Only this status.")] = None,
          as_user: AsOpt = None, as_json: JsonOpt = False) -> None:
    """The incidents you may see, most urgent first."""
    store, clock = open_store(), SystemClock()
    found = incidents.list_incidents(store, alliance, _principal(store, as_user, alliance, clock), clock,
                                     status=status)
    if as_json:
        print(json.dumps([v.as_json() for v in found], ensure_ascii=False, indent=2))
        return
    table = Table("No.", "P", "Severity", "Kind", "Status", "Title", "Lead", "Next deadline")
    for v in found:
        due = "-" if v.countdown.due is None else (
            local_time(v.countdown.due, v.timezone) + (" (late)" if v.countdown.overdue else ""))
        table.add_row(str(v.number), f"P{v.stored.priority}", v.stored.severity, v.stored.kind, v.stored.status,
                      v.stored.title, v.stored.lead or "-", due)
    console.print(table)


@app.command("show")
@fails_cleanly
def show(number: NumberArg, alliance: AllianceOpt, as_user: AsOpt = None, as_json: JsonOpt = False) -> None:
    """One incident: its facts, checklist and timeline."""
    _run(alliance, as_user, as_json, lambda store, who, clock: incidents.show(store, alliance, number, who, clock))


@app.command("escalate")
@fails_cleanly
def escalate() -> None:
    """Escalate every late incident once (what the scheduler does every minute): idempotent."""
    done = incidents.escalate_late(open_store(), SystemClock())
    for item in done:
        where = f"agenda item {item.agenda_item}" if item.agenda_item else "no committee meeting ahead"
        console.print(f"{item.alliance} incident {item.number}: late to {item.late}; {where}", highlight=False)
    console.print(f"{len(done)} escalated", highlight=False)


@app.command("sop")
@fails_cleanly
def sop(
    alliance: AllianceOpt,
    kind: Annotated[str | None, typer.Option(help="The kind whose checklist to set.")] = None,
    step: Annotated[list[str] | None, typer.Option(
        "--step", help="A step ENGLISH|中文 (repeat, in order): saved as the kind's new SOP version.")] = None,
    priority: Annotated[int | None, typer.Option(help="The priority whose response clock to set.")] = None,
    acknowledge_minutes: Annotated[int | None, typer.Option(help="Minutes to acknowledge.")] = None,
    resolve_minutes: Annotated[int | None, typer.Option(help="Minutes to resolve.")] = None,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show the SOP checklists and response clocks; with --kind and --step set a kind's checklist (a new
    version), with --priority, --acknowledge-minutes and --resolve-minutes set a clock."""
    store, clock = open_store(), SystemClock()
    principal = _principal(store, as_user, alliance, clock)
    if step:
        if kind is None:
            raise InvalidInput(Message("--step needs --kind"))
        steps = [dict(zip(("en", "zh"), (part.strip() for part in (s.split("|", 1) + [""])[:2]))) for s in step]
        version = incidents.set_sop(store, alliance, kind, steps, principal, clock)
        console.print(f"{kind}: SOP version {version}", highlight=False)
    if priority is not None:
        if acknowledge_minutes is None or resolve_minutes is None:
            raise InvalidInput(Message("--priority needs --acknowledge-minutes and --resolve-minutes"))
        incidents.set_clock(store, alliance, priority, acknowledge_minutes, resolve_minutes, principal, clock)
    found = incidents.settings(store, alliance, principal)
    if as_json:
        print(json.dumps({"sops": {k: {"version": v, "steps": [s.as_json() for s in steps]}
                                   for k, (v, steps) in found.sops.items()},
                          "clocks": {f"P{p}": c.as_json() for p, c in sorted(found.clocks.items())}},
                         ensure_ascii=False, indent=2))
        return
    for p, c in sorted(found.clocks.items()):
        console.print(f"P{p}: acknowledge within {c.acknowledge_minutes} min, resolve within {c.resolve_minutes} min",
                      highlight=False)
    for key, (version, steps) in found.sops.items():
        console.print(f"{key} (version {version or 'default'}):", highlight=False)
        for n, s in enumerate(steps, start=1):
            console.print(f"  {n}. {s.en} / {s.zh}", highlight=False, markup=False)
