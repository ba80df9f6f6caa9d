"""`alliance body|meeting`: an alliance's governing bodies, their meetings, agendas, attendance,
minutes and action items, and a body's calendar as an .ics file.

The command line is the platform's operator (as for `alliance member` and the others): it acts as a
platform admin, named in the records by $ALLIANCE_ACTOR or the system user.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from datetime import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar

import typer
from rich.table import Table

from alliance.access.roles import Principal, Role
from alliance.cli.lazy import Deferred
from alliance.cli.output import console, current_actor, fails_cleanly, local_time, open_store, parse_day
from alliance.core.clock import SystemClock
from alliance.core.errors import InvalidInput
from alliance.core.messages import Message

if TYPE_CHECKING:
    from alliance.governance import service_meetings as service
else:
    service = Deferred("alliance.governance.service_meetings")

body_app = typer.Typer(help="Governing bodies: committees, working groups, arbitration panels.", no_args_is_help=True)
meeting_app = typer.Typer(help="Meetings of a body: agenda, attendance, minutes and action items.",
                          no_args_is_help=True)

AllianceOpt = Annotated[str, typer.Option("--alliance", "-a", help="The alliance's code.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
P = ParamSpec("P")
R = TypeVar("R")


def one_line(command: Callable[P, R]) -> Callable[P, R]:
    """Every problem of a refused input in the one error line (the message holds them all), no table."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except InvalidInput as exc:
            raise InvalidInput(exc.message) from None

    return wrapper


def _operator() -> Principal:
    return Principal(current_actor(), Role.PLATFORM_ADMIN, kind="operator")


def _dump(document: Any) -> None:
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n")


def _seat(text: str) -> tuple[str, str, str | None]:
    """MEMBER:ROLE[:PERSON]."""
    parts = text.split(":")
    if len(parts) not in (2, 3):
        raise InvalidInput(Message("--seat {text!r} is not MEMBER:ROLE or MEMBER:ROLE:PERSON", text=text))
    return parts[0], parts[1], (parts[2] if len(parts) == 3 else None)


def _time(text: str) -> time:
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise InvalidInput(Message("--at {text!r} is not a time of day (HH:MM)", text=text)) from None


def _rules(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    import yaml

    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InvalidInput(Message("{path} cannot be read as YAML or JSON: {reason}", path=str(path),
                                   reason=str(exc).splitlines()[0])) from None
    return document or {}


# -- bodies ----------------------------------------------------------------------------------------------

@body_app.command("create")
@fails_cleanly
@one_line
def body_create(
    name: Annotated[str, typer.Argument(help="The body's name, e.g. 联合管理委员会.")],
    alliance: AllianceOpt,
    term_from: Annotated[str, typer.Option("--from", help="First day of the term, YYYY-MM-DD.")],
    kind: Annotated[str, typer.Option(help="joint_committee, working_group or arbitration_panel.")] = "joint_committee",
    term_to: Annotated[str | None, typer.Option("--to", help="Last day of the term, YYYY-MM-DD.")] = None,
    cadence: Annotated[str, typer.Option(help="weekly, biweekly, monthly, quarterly, half_yearly, yearly.")] = "quarterly",
    at: Annotated[str, typer.Option(help="Meeting time, HH:MM in the alliance's time zone.")] = "10:00",
    duration: Annotated[int, typer.Option(help="Meeting length in minutes.")] = 120,
    seat: Annotated[list[str] | None, typer.Option(help="MEMBER:ROLE[:PERSON], repeatable; role: chair, "
                                                        "secretary, member, observer.")] = None,
    rules: Annotated[Path | None, typer.Option(help="YAML/JSON: proposal type -> {rule, params}.")] = None,
) -> None:
    """Set up a body of the alliance with its seats, cadence and decision rules."""
    body = service.create_body(open_store(), alliance, _operator(), name=name, kind=kind,
                               term_from=parse_day(term_from, "--from"),
                               term_to=parse_day(term_to, "--to") if term_to else None, cadence=cadence,
                               meeting_time=_time(at), duration_minutes=duration,
                               seats=[_seat(s) for s in seat or []], rules=_rules(rules), clock=SystemClock())
    console.print(f"Body {body.id}: {body.name} ({body.kind.value}, {body.cadence}, {len(body.seats)} seats).",
                  highlight=False)


@body_app.command("list")
@fails_cleanly
def body_list(alliance: AllianceOpt, as_json: JsonOpt = False) -> None:
    """The alliance's bodies and their seats."""
    bodies = service.list_bodies(open_store(), alliance, _operator())
    if as_json:
        _dump([{"id": b.id, "name": b.name, "kind": b.kind.value, "cadence": b.cadence,
                "term_from": b.term_from, "term_to": b.term_to,
                "seats": [{"member": s.member, "role": s.role.value, "person": s.person} for s in b.seats]}
               for b in bodies])
        return
    table = Table("id", "name", "kind", "cadence", "term", "seats")
    for b in bodies:
        table.add_row(str(b.id), b.name, b.kind.value, b.cadence, f"{b.term_from} – {b.term_to or ''}",
                      ", ".join(f"{s.member} ({s.role.value})" for s in b.seats))
    console.print(table)


@body_app.command("seats")
@fails_cleanly
@one_line
def body_seats(
    body_id: Annotated[int, typer.Argument()],
    alliance: AllianceOpt,
    seat: Annotated[list[str], typer.Option(help="MEMBER:ROLE[:PERSON], repeatable: the whole new list.")],
) -> None:
    """Replace a body's seats."""
    body = service.set_seats(open_store(), alliance, _operator(), body_id, [_seat(s) for s in seat])
    console.print(f"Body {body.id} now has {len(body.seats)} seats.", highlight=False)


@body_app.command("rules")
@fails_cleanly
@one_line
def body_rules(body_id: Annotated[int, typer.Argument()], alliance: AllianceOpt,
               file: Annotated[Path, typer.Argument(help="YAML/JSON: proposal type -> {rule, params}.")]) -> None:
    """Replace a body's decision rules per proposal type."""
    body = service.set_rules(open_store(), alliance, _operator(), body_id, _rules(file))
    console.print(f"Body {body.id}: rules for {', '.join(sorted(body.rules)) or 'no proposal type'}.", highlight=False)


@body_app.command("schedule")
@fails_cleanly
@one_line
def body_schedule(
    body_id: Annotated[int, typer.Argument()],
    alliance: AllianceOpt,
    first: Annotated[str, typer.Option(help="The first meeting's day, YYYY-MM-DD (not in the past).")],
    count: Annotated[int, typer.Option(help="How many meetings.")] = 4,
    location: Annotated[str, typer.Option(help="Where they are held.")] = "",
) -> None:
    """Schedule a body's next meetings from its cadence, at its meeting time."""
    store = open_store()
    made = service.schedule(store, alliance, _operator(), body_id, parse_day(first, "--first"), count, SystemClock(),
                            location=location)
    zone = _zone(alliance)
    for m in made:
        console.print(f"Meeting {m.id}: {local_time(m.starts_at, zone)}", highlight=False)


@body_app.command("calendar")
@fails_cleanly
def body_calendar(body_id: Annotated[int, typer.Argument()], alliance: AllianceOpt,
                  out: Annotated[Path | None, typer.Option(help="Write the .ics here (default: standard output).")] = None
                  ) -> None:
    """A body's upcoming meetings and open action items as iCalendar (.ics)."""
    _, content = service.calendar_file(open_store(), alliance, _operator(), body_id, SystemClock())
    if out is None:
        sys.stdout.buffer.write(content)
        return
    out.write_bytes(content)
    console.print(f"Wrote {out}.", highlight=False)


def _zone(alliance: str) -> str:
    from alliance.cli.output import alliance_zone

    return alliance_zone(alliance)


# -- meetings --------------------------------------------------------------------------------------------

@meeting_app.command("add")
@fails_cleanly
@one_line
def meeting_add(
    body_id: Annotated[int, typer.Argument()],
    alliance: AllianceOpt,
    on: Annotated[str, typer.Option(help="YYYY-MM-DD")],
    at: Annotated[str, typer.Option(help="HH:MM in the alliance's time zone.")] = "10:00",
    title: Annotated[str, typer.Option()] = "",
    location: Annotated[str, typer.Option()] = "",
) -> None:
    """Schedule one meeting by hand (an extraordinary meeting)."""
    m = service.add_meeting(open_store(), alliance, _operator(), body_id, parse_day(on, "--on"), _time(at),
                            SystemClock(), title=title, location=location)
    console.print(f"Meeting {m.id}: {m.title}, {local_time(m.starts_at, _zone(alliance))}.", highlight=False)


@meeting_app.command("show")
@fails_cleanly
def meeting_show(meeting_id: Annotated[int, typer.Argument()], alliance: AllianceOpt, as_json: JsonOpt = False) -> None:
    """A meeting: agenda with minutes, attendance and action items."""
    r = service.meeting_record(open_store(), alliance, _operator(), meeting_id)
    document = {
        "id": r.meeting.id, "body": r.body.name, "title": r.meeting.title,
        "starts": local_time(r.meeting.starts_at, r.timezone),
        "agenda": [{"id": i.id, "title": i.title, "time_box": i.time_box, "owner": i.owner, "proposal": i.proposal,
                    "minutes": i.minutes} for i in r.agenda],
        "attendance": {a.member: {"presence": a.presence.value, "proxy": a.proxy} for a in r.attendance.values()},
        "actions": [{"id": a.id, "title": a.title, "owner": a.owner, "due_on": a.due_on, "status": a.status.value}
                    for a in r.actions],
    }
    if as_json:
        _dump(document)
        return
    console.print(f"{r.meeting.title} · {r.body.name} · {document['starts']}", highlight=False)
    for i in r.agenda:
        console.print(f"  {i.position}. {i.title} ({i.time_box} min){' — ' + i.minutes if i.minutes else ''}",
                      highlight=False, soft_wrap=True)
    for a in r.attendance.values():
        console.print(f"  {a.member}: {a.presence.value}{' → ' + a.proxy if a.proxy else ''}", highlight=False)
    for act in r.actions:
        console.print(f"  [{act.status.value}] {act.title} · {act.owner} · due {act.due_on}", highlight=False)


@meeting_app.command("agenda")
@fails_cleanly
@one_line
def meeting_agenda(
    meeting_id: Annotated[int, typer.Argument()],
    alliance: AllianceOpt,
    title: Annotated[str, typer.Option()],
    time_box: Annotated[int, typer.Option(help="Minutes.")] = 15,
    owner: Annotated[str, typer.Option(help="A member of the body.")] = "",
    proposal: Annotated[str | None, typer.Option(help="The linked proposal's id.")] = None,
) -> None:
    """Add an item to a meeting's agenda."""
    item = service.add_agenda_item(open_store(), alliance, _operator(), meeting_id, title=title, time_box=time_box,
                                   owner=owner, proposal=proposal)
    console.print(f"Agenda item {item.id}: {item.position}. {item.title}.", highlight=False)


@meeting_app.command("attend")
@fails_cleanly
@one_line
def meeting_attend(
    meeting_id: Annotated[int, typer.Argument()],
    alliance: AllianceOpt,
    entry: Annotated[list[str], typer.Option(help="MEMBER:present, MEMBER:absent or MEMBER:proxy:HOLDER; repeatable.")],
) -> None:
    """Record attendance (checked as a whole sheet: a proxy holder must be present)."""
    changes = []
    for text in entry:
        parts = text.split(":")
        if len(parts) not in (2, 3):
            raise InvalidInput(Message("--entry {text!r} is not MEMBER:PRESENCE or MEMBER:proxy:HOLDER", text=text))
        changes.append((parts[0], parts[1], parts[2] if len(parts) == 3 else None))
    sheet = service.record_attendance(open_store(), alliance, _operator(), meeting_id, changes)
    console.print(", ".join(f"{a.member}: {a.presence.value}" for a in sheet.values()), highlight=False)


@meeting_app.command("minutes")
@fails_cleanly
@one_line
def meeting_minutes(meeting_id: Annotated[int, typer.Argument()], item_id: Annotated[int, typer.Argument()],
                    alliance: AllianceOpt, text: Annotated[str, typer.Option(help="The minutes of the item.")]) -> None:
    """Write the minutes of one agenda item."""
    service.write_minutes(open_store(), alliance, _operator(), meeting_id, item_id, text)
    console.print(f"Minutes of item {item_id} saved.", highlight=False)


@meeting_app.command("action")
@fails_cleanly
@one_line
def meeting_action(
    meeting_id: Annotated[int, typer.Argument()],
    alliance: AllianceOpt,
    title: Annotated[str, typer.Option()],
    owner: Annotated[str, typer.Option(help="A member of the body.")],
    due: Annotated[str, typer.Option(help="YYYY-MM-DD, on or after the meeting.")],
    item: Annotated[int | None, typer.Option(help="The agenda item it comes from.")] = None,
    decision: Annotated[str | None, typer.Option(help="The decision (proposal id) that created it.")] = None,
) -> None:
    """Add an action item decided at a meeting."""
    a = service.add_action(open_store(), alliance, _operator(), meeting_id, title=title, owner=owner,
                           due_on=parse_day(due, "--due"), clock=SystemClock(), agenda_item_id=item, decision=decision)
    console.print(f"Action item {a.id}: {a.title}, {a.owner}, due {a.due_on}.", highlight=False)


@meeting_app.command("actions")
@fails_cleanly
def meeting_actions(alliance: AllianceOpt, body: Annotated[int | None, typer.Option()] = None,
                    member: Annotated[str | None, typer.Option()] = None, as_json: JsonOpt = False) -> None:
    """Open action items (overdue marked), per body or owner."""
    actions, today = service.open_actions(open_store(), alliance, _operator(), SystemClock(), body_id=body,
                                          member=member)
    if as_json:
        _dump([{"id": a.id, "body": a.body_id, "meeting": a.meeting_id, "title": a.title, "owner": a.owner,
                "due_on": a.due_on, "overdue": a.overdue(today)} for a in actions])
        return
    table = Table("id", "due", "title", "owner", "body", "overdue")
    for a in actions:
        table.add_row(str(a.id), str(a.due_on), a.title, a.owner, str(a.body_id), "yes" if a.overdue(today) else "")
    console.print(table)


@meeting_app.command("close-action")
@fails_cleanly
@one_line
def meeting_close_action(action_id: Annotated[int, typer.Argument()], alliance: AllianceOpt,
                         status: Annotated[str, typer.Option(help="done, cancelled (or open again).")] = "done") -> None:
    """Mark an action item done or cancelled."""
    a = service.set_action_status(open_store(), alliance, _operator(), action_id, status, SystemClock())
    console.print(f"Action item {a.id}: {a.status.value}.", highlight=False)


# `alliance body weights` lives in its own module and registers itself on `body_app`.
from alliance.cli import weights as _weights  # noqa: E402,F401
# -- minutes sign-off ---------------------------------------------------------------------------------------

@meeting_app.command("sign")
@fails_cleanly
@one_line
def meeting_sign(
    alliance: AllianceOpt,
    meeting_id: Annotated[int, typer.Option("--meeting", help="The meeting whose minutes are signed.")],
    as_user: Annotated[str, typer.Option("--as", help="The user account signing: an admin of a member with a "
                                                      "voting seat in the body (the seat's named person, if any).")],
    member: Annotated[str | None, typer.Option(help="The member signing (default: the account's own).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Sign off a held meeting's minutes and attendance for your member (recorded in the ledger)."""
    from alliance.access.accounts import user_principal

    store, clock = open_store(), SystemClock()
    principal = user_principal(store, as_user, alliance, clock)
    made = service.sign_minutes(store, alliance, principal, meeting_id, clock, member=member)
    if as_json:
        _dump({"id": made.id, "meeting": made.meeting_id, "member": made.member, "sha256": made.sha256,
               "account": made.account, "signed_at": made.signed_at.isoformat()})
        return
    console.print(f"{made.member} signed the minutes of meeting {made.meeting_id} (SHA-256 {made.sha256}).",
                  highlight=False)


@meeting_app.command("signoffs")
@fails_cleanly
def meeting_signoffs(meeting_id: Annotated[int, typer.Argument()], alliance: AllianceOpt,
                     as_json: JsonOpt = False) -> None:
    """The sign-offs of a meeting's minutes, each current or of an earlier version."""
    sha256, found = service.minutes_signoffs(open_store(), alliance, _operator(), meeting_id)
    if as_json:
        _dump({"meeting": meeting_id, "sha256": sha256, "signoffs": [
            {"member": s.signoff.member, "sha256": s.signoff.sha256, "account": s.signoff.account,
             "signed_at": s.signoff.signed_at.isoformat(), "current": s.current} for s in found]})
        return
    console.print(f"Minutes of meeting {meeting_id}: SHA-256 {sha256}", highlight=False)
    for s in found:
        mark = "" if s.current else " (signed an earlier version)"
        console.print(f"  {s.signoff.member} · {s.signoff.account} · {s.signoff.signed_at:%Y-%m-%d %H:%M} UTC{mark}",
                      highlight=False)
