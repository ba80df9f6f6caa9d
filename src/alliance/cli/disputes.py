"""`alliance dispute ...`: open a dispute for a member, answer it, withdraw it, read it and its
neutral data report. The acts are a party's own: `--as` names one of its user accounts."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
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
    from alliance.governance import disputes
else:
    disputes = Deferred("alliance.governance.disputes")

app = typer.Typer(help="Disputes between members: the claim, the neutral data report, the escalation ladder.",
                  no_args_is_help=True)
AllianceOpt = Annotated[str, typer.Option("--alliance", "-a", help="The alliance's code.")]
ActAsOpt = Annotated[str, typer.Option("--as", help="The user account acting: an admin of the member it acts for.")]
ReadAsOpt = Annotated[str | None, typer.Option(
    "--as", help="Read as this user account (its role in --alliance). Default: the operator, as platform admin.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _principal(store: object, as_user: str | None, alliance: str, clock: SystemClock) -> Principal:
    from alliance.access.accounts import user_principal

    if as_user is None:
        return Principal(current_actor(), Role.PLATFORM_ADMIN, kind="operator")
    return user_principal(store, as_user, alliance, clock)  # type: ignore[arg-type]


def _evidence(paths: list[Path]) -> list[tuple[str, bytes]]:
    found = []
    for path in paths:
        if not path.is_file():
            raise InvalidInput(Message("{path}: no such evidence file", path=path))
        if path.stat().st_size > disputes.MAX_EVIDENCE_BYTES:  # refused before it is read whole
            raise InvalidInput(Message("evidence file {name!r} is {size} bytes; the limit is {limit}",
                                       name=path.name, size=path.stat().st_size, limit=disputes.MAX_EVIDENCE_BYTES))
        found.append((path.name, path.read_bytes()))
    return found


def _print(view: disputes.DisputeView, as_json: bool) -> None:
    if as_json:
        print(json.dumps(view.as_json(), ensure_ascii=False, indent=2))
        return
    s, where = view.stored, view.position
    due = local_time(where.due, view.timezone) if where.due is not None else "-"
    console.print(f"Dispute {s.number}: {s.claimant} against {', '.join(s.respondents)}, {view.amount} "
                  f"({s.agreement} v{s.version}, rule {s.rule_id}, days {', '.join(s.days)}): {s.status}",
                  highlight=False, soft_wrap=True)
    console.print(f"Level {where.level + 1} of {len(view.ladder.levels)}: {view.level.name}, since "
                  f"{local_time(where.since, view.timezone)}, moves up {due}", highlight=False, soft_wrap=True)
    console.print(f"Answer due {local_time(s.response_due, view.timezone)}; ruling due "
                  f"{local_time(s.ruling_due, view.timezone)}; neutral report SHA-256 {s.report_sha256}",
                  highlight=False, soft_wrap=True)


@app.command("open")
@fails_cleanly
def open_(
    alliance: AllianceOpt,
    claimant: Annotated[str, typer.Option(help="The member you claim for (one you act for).")],
    against: Annotated[list[str], typer.Option("--against", help="A respondent member (repeat for several).")],
    agreement: Annotated[str, typer.Option(help="The agreement's code.")],
    version: Annotated[int, typer.Option(help="The agreement version concerned.")],
    rule: Annotated[str, typer.Option(help="The rule id concerned.")],
    day: Annotated[list[str], typer.Option("--day", help="A settled day concerned, YYYY-MM-DD (repeat).")],
    amount: Annotated[str, typer.Option(help="The amount claimed, in the alliance's currency (e.g. 1200.50).")],
    statement: Annotated[str, typer.Option(help="What the claim is.")],
    as_user: ActAsOpt,
    evidence: Annotated[list[Path] | None, typer.Option("--evidence", help="An evidence file (repeat).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Open a dispute for a member; the neutral data report is built and kept at once."""
    days = []
    for text in day:
        try:
            days.append(date.fromisoformat(text))
        except ValueError:
            raise InvalidInput(Message("--day {day!r} is not a date (YYYY-MM-DD)", day=text)) from None
    from alliance.cli.orders import opened_stores

    store, clock = open_store(), SystemClock()
    principal = _principal(store, as_user, alliance, clock)
    claim = disputes.Claim(claimant=claimant, respondents=against, agreement=agreement, version=version, rule=rule,
                           days=days, amount=amount, statement=statement, evidence=_evidence(evidence or []))
    with opened_stores(store) as stores:
        view = disputes.open_dispute(stores, alliance, claim, principal, clock)
    _print(view, as_json)


@app.command("list")
@fails_cleanly
def list_(alliance: AllianceOpt, as_user: ReadAsOpt = None, as_json: JsonOpt = False) -> None:
    """The disputes you may read, with where each stands."""
    store, clock = open_store(), SystemClock()
    found = disputes.list_disputes(store, alliance, _principal(store, as_user, alliance, clock), clock)
    if as_json:
        print(json.dumps([d.as_json() for d in found], ensure_ascii=False, indent=2))
        return
    table = Table("No.", "Claimant", "Respondents", "Amount", "Status", "Level", "Moves up")
    for d in found:
        due = local_time(d.position.due, d.timezone) if d.position.due is not None else "-"
        table.add_row(str(d.number), d.stored.claimant, ", ".join(d.stored.respondents), str(d.amount),
                      d.stored.status, d.level.name, due)
    console.print(table)


@app.command("show")
@fails_cleanly
def show(number: Annotated[int, typer.Argument(help="The dispute's number.")], alliance: AllianceOpt,
         as_user: ReadAsOpt = None, as_json: JsonOpt = False) -> None:
    """One dispute: the claim, its status, its ladder level and deadlines."""
    store, clock = open_store(), SystemClock()
    _print(disputes.show(store, alliance, number, _principal(store, as_user, alliance, clock), clock), as_json)


@app.command("report")
@fails_cleanly
def report(number: Annotated[int, typer.Argument(help="The dispute's number.")], alliance: AllianceOpt,
           as_user: ReadAsOpt = None) -> None:
    """The neutral data report exactly as kept (canonical JSON; its SHA-256 is in the ledger)."""
    store, clock = open_store(), SystemClock()
    view = disputes.show(store, alliance, number, _principal(store, as_user, alliance, clock), clock)
    sys.stdout.write(view.stored.report + "\n")


@app.command("answer")
@fails_cleanly
def answer(
    number: Annotated[int, typer.Argument(help="The dispute's number.")],
    alliance: AllianceOpt,
    respondent: Annotated[str, typer.Option(help="The respondent member you answer for.")],
    text: Annotated[str, typer.Option("--text", help="The answer.")],
    as_user: ActAsOpt,
    evidence: Annotated[list[Path] | None, typer.Option("--evidence", help="An evidence file (repeat).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """A respondent's answer to a dispute."""
    store, clock = open_store(), SystemClock()
    view = disputes.answer(store, alliance, number, respondent, text, _principal(store, as_user, alliance, clock),
                           clock, evidence=_evidence(evidence or []))
    _print(view, as_json)


@app.command("withdraw")
@fails_cleanly
def withdraw(number: Annotated[int, typer.Argument(help="The dispute's number.")], alliance: AllianceOpt,
             as_user: ActAsOpt, as_json: JsonOpt = False) -> None:
    """The claimant withdraws its dispute."""
    store, clock = open_store(), SystemClock()
    _print(disputes.withdraw(store, alliance, number, _principal(store, as_user, alliance, clock), clock), as_json)


@app.command("ladder")
@fails_cleanly
def ladder(
    alliance: AllianceOpt,
    set_from: Annotated[Path | None, typer.Option(
        "--set", help="A JSON file {levels: [{key, name, days}], response_days, ruling_days} to make the ladder "
                      "(the coordinator; open disputes keep theirs).")] = None,
    as_user: ReadAsOpt = None,
) -> None:
    """The alliance's escalation ladder (the default until the coordinator sets one)."""
    store, clock = open_store(), SystemClock()
    if set_from is not None:
        from alliance.cli.output import read_text_file

        try:
            data = json.loads(read_text_file(set_from))
        except json.JSONDecodeError as exc:
            raise InvalidInput(Message("{path}: not JSON ({reason})", path=set_from, reason=str(exc))) from None
        if not isinstance(data, dict):
            raise InvalidInput(Message("{path}: a ladder is a JSON object", path=set_from))
        found = disputes.set_ladder(store, alliance, data, _principal(store, as_user, alliance, clock), clock)
    else:
        found = disputes.ladder_of(store, alliance)
    print(json.dumps(found.as_json(), ensure_ascii=False, indent=2))


@app.command("appeal")
@fails_cleanly
def appeal(number: Annotated[int, typer.Argument(help="The dispute's number.")], alliance: AllianceOpt,
           member: Annotated[str, typer.Option(help="The party appealing (one you act for).")],
           reason: Annotated[str, typer.Option(help="Why the ruling is appealed.")], as_user: ActAsOpt,
           as_json: JsonOpt = False) -> None:
    """Appeal a ruling within its appeal window: the dispute goes up one level of its ladder."""
    store, clock = open_store(), SystemClock()
    _print(disputes.appeal(store, alliance, number, member, reason, _principal(store, as_user, alliance, clock), clock),
           as_json)
