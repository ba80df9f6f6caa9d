"""`alliance proposal ...` and `alliance vote ...`: draft, submit, follow and decide proposals;
cast ballots and give proxies. A vote is a member's own act: `--as` names one of its user accounts
(a coordinator or the operator never votes for a member). Times are read in the alliance's time
zone unless they carry an offset ("2027-01-20 18:00" or "2027-01-20T18:00+08:00")."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from alliance.access.roles import Principal, Role
from alliance.cli.lazy import Deferred
from alliance.cli.output import console, current_actor, fails_cleanly, local_time, open_store
from alliance.core.clock import SystemClock
from alliance.core.errors import InvalidInput
from alliance.core.messages import Message

if TYPE_CHECKING:
    from alliance.governance import proposal_json
    from alliance.governance import service_proposals as proposals
else:
    proposals = Deferred("alliance.governance.service_proposals")
    proposal_json = Deferred("alliance.governance.proposal_json")

proposal_app = typer.Typer(help="Proposals a body decides: draft, submit, discuss, vote, close, implement.",
                           no_args_is_help=True)
vote_app = typer.Typer(help="Vote on a proposal, or give your vote to another member (a proxy).", no_args_is_help=True)
AllianceOpt = Annotated[str, typer.Option("--alliance", "-a", help="The alliance's code.")]
NumberArg = Annotated[int, typer.Argument(help="The proposal's number.")]
AsOpt = Annotated[str | None, typer.Option(
    "--as", help="Act as this user account (its role in --alliance). Default: the operator, as platform admin.")]
VoterOpt = Annotated[str, typer.Option("--as", help="The user account voting: an admin of the member it votes for.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _principal(store: object, as_user: str | None, alliance: str, clock: SystemClock) -> Principal:
    from alliance.access.accounts import user_principal

    if as_user is None:
        return Principal(current_actor(), Role.PLATFORM_ADMIN, kind="operator")
    return user_principal(store, as_user, alliance, clock)  # type: ignore[arg-type]


def _moment(text: str | None, zone: str, option: str) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(Message("{option} {value!r} is not a date and time (YYYY-MM-DD HH:MM)", option=option,
                                   value=text)) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=ZoneInfo(zone))


def _zone(store: Any, alliance: str) -> str:
    from alliance.registry import service as registry

    return registry.get_alliance(store, alliance).timezone


def _params(pairs: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise InvalidInput(Message("--param {pair!r} is not NAME=VALUE", pair=pair))
        found[name.strip()] = value.strip()
    return found


def _print(view: Any, as_json: bool) -> None:
    if as_json:
        print(json.dumps(proposal_json.view_json(view), ensure_ascii=False, indent=2))
        return
    p, zone = view.proposal, view.alliance.timezone
    console.print(f"Proposal {p.number} ({p.type}) to {view.body.name}: {p.title} — {p.status.value}, "
                  f"secrecy {p.secrecy.value}", highlight=False, soft_wrap=True)
    if p.discussion_until or p.voting_until:
        console.print(f"Discussion until {local_time(p.discussion_until, zone) if p.discussion_until else '-'}; "
                      f"voting until {local_time(p.voting_until, zone) if p.voting_until else '-'}", highlight=False)
    if view.rule is not None:
        settings = ", ".join(f"{k} {v}" for k, v in view.rule.settings().items())
        console.print(f"Rule: {view.rule.kind} ({settings}){' frozen' if view.rule_frozen else ''}; "
                      f"turnout {view.turnout} of {len(view.electorate)}", highlight=False, soft_wrap=True)
    outcome = p.outcome or (None if view.running is None else proposal_json.outcome_document(view.running))
    if outcome is not None:
        label = "Outcome" if p.outcome else "So far"
        pct = outcome["percentages"]
        console.print(f"{label}: {outcome['status']}; yes {outcome['figures']['yes']}, no {outcome['figures']['no']}, "
                      f"abstain {outcome['figures']['abstain']}; participation {pct['participation']}%, "
                      f"support {pct['support']}%", highlight=False, soft_wrap=True)
    for b in view.ballots:
        console.print(f"  {b.voter}: {b.choice.value}{f' (by proxy: {b.by})' if b.by else ''}", highlight=False)
    if p.effect:
        console.print(f"Effect: {p.effect.get('done') or p.effect.get('error')}", highlight=False, soft_wrap=True)


def _show(store: Any, alliance: str, number: int, principal: Principal, clock: SystemClock, as_json: bool) -> None:
    _print(proposals.show(store, alliance, number, principal, clock), as_json)


def _step(act: Any, number: int, alliance: str, as_user: str | None, as_json: bool) -> None:
    """Do one step of the proposal's lifecycle (`act(store, alliance, number, principal, clock)`), then show it."""
    store, clock = open_store(), SystemClock()
    principal = _principal(store, as_user, alliance, clock)
    act(store, alliance, number, principal, clock)
    _show(store, alliance, number, principal, clock, as_json)


@proposal_app.command("draft")
@fails_cleanly
def draft(
    alliance: AllianceOpt,
    body: Annotated[int, typer.Option(help="The deciding body's id (`alliance body list`).")],
    kind: Annotated[str, typer.Option("--type", help="admit_member, change_agreement, approve_budget, sanction, "
                                      "ruling, dissolve, change_status or other.")],
    title: Annotated[str, typer.Option(help="The title.")],
    voting_until: Annotated[str, typer.Option(help="When voting ends (local time of the alliance, or with offset).")],
    text: Annotated[str | None, typer.Option(help="The text (or --text-file).")] = None,
    text_file: Annotated[Path | None, typer.Option(help="A UTF-8 file with the text.")] = None,
    discussion_until: Annotated[str | None, typer.Option(help="When discussion ends and voting opens.")] = None,
    secrecy: Annotated[str, typer.Option(help="open, hidden (results after closing) or anonymous.")] = "open",
    no_vote_changes: Annotated[bool, typer.Option(help="A ballot once cast cannot be changed.")] = False,
    reminder_hours: Annotated[int, typer.Option(help="Remind non-voters this many hours before closing.")] = 24,
    param: Annotated[list[str] | None, typer.Option("--param", help="NAME=VALUE for the type (repeat).")] = None,
    attach: Annotated[list[Path] | None, typer.Option("--attach", help="A file to attach (repeat).")] = None,
    meeting: Annotated[int | None, typer.Option(help="The meeting that votes it (rules counting members present).")]
    = None,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Draft a proposal (only you see it until you submit it)."""
    store, clock = open_store(), SystemClock()
    zone = _zone(store, alliance)
    if text_file is not None:
        text = text_file.read_text(encoding="utf-8")
    files = []
    for path in attach or []:
        if not path.is_file():
            raise InvalidInput(Message("{path}: no such file to attach", path=path))
        files.append((path.name, path.read_bytes()))
    principal = _principal(store, as_user, alliance, clock)
    made = proposals.draft(store, alliance, principal, proposals.Draft(
        body_id=body, type=kind, title=title, text=text or "", params=_params(param or []), secrecy=secrecy,
        vote_changes=not no_vote_changes, discussion_until=_moment(discussion_until, zone, "--discussion-until"),
        voting_until=_moment(voting_until, zone, "--voting-until"), no_discussion=discussion_until is None,
        reminder_hours=reminder_hours, meeting_id=meeting, attachments=files), clock)
    _show(store, alliance, made.number, principal, clock, as_json)


@proposal_app.command("submit")
@fails_cleanly
def submit(number: NumberArg, alliance: AllianceOpt, as_user: AsOpt = None, as_json: JsonOpt = False) -> None:
    """Put a draft to its body: discussion, then the vote (at once when it has no discussion period)."""
    _step(proposals.submit, number, alliance, as_user, as_json)


@proposal_app.command("withdraw")
@fails_cleanly
def withdraw(number: NumberArg, alliance: AllianceOpt, as_user: AsOpt = None) -> None:
    """Withdraw a draft or a proposal under discussion."""
    store, clock = open_store(), SystemClock()
    proposals.withdraw(store, alliance, number, _principal(store, as_user, alliance, clock), clock)
    console.print(f"Proposal {number} withdrawn.", highlight=False)


@proposal_app.command("open-voting")
@fails_cleanly
def open_voting(number: NumberArg, alliance: AllianceOpt, as_user: AsOpt = None, as_json: JsonOpt = False) -> None:
    """Open the vote now, before the discussion period ends (chair, secretary or coordinator)."""
    _step(proposals.open_voting, number, alliance, as_user, as_json)


@proposal_app.command("implement")
@fails_cleanly
def implement(number: NumberArg, alliance: AllianceOpt, as_user: AsOpt = None, as_json: JsonOpt = False) -> None:
    """Mark an accepted proposal implemented (or act on it again after a refusal)."""
    _step(proposals.implement, number, alliance, as_user, as_json)


@proposal_app.command("show")
@fails_cleanly
def show(number: NumberArg, alliance: AllianceOpt, as_user: AsOpt = None, as_json: JsonOpt = False) -> None:
    """One proposal: its stage, rule, turnout and (where it may be shown) the count and ballots."""
    store, clock = open_store(), SystemClock()
    _show(store, alliance, number, _principal(store, as_user, alliance, clock), clock, as_json)


@proposal_app.command("list")
@fails_cleanly
def list_(alliance: AllianceOpt, body: Annotated[int | None, typer.Option(help="One body's only.")] = None,
          status: Annotated[str | None, typer.Option(help="draft, discussion, voting, closed, implemented, "
                                                            "withdrawn.")] = None,
          limit: int = 50, offset: int = 0, as_user: AsOpt = None, as_json: JsonOpt = False) -> None:
    """The proposals you may read, newest first."""
    store, clock = open_store(), SystemClock()
    page = proposals.list_proposals(store, alliance, _principal(store, as_user, alliance, clock), body_id=body,
                                    status=status, limit=limit, offset=offset)
    if as_json:
        print(json.dumps({"proposals": [proposal_json.summary_json(p, b) for p, b in page.proposals],
                          "total": page.total}, ensure_ascii=False, indent=2))
        return
    table = Table("No.", "Body", "Type", "Title", "Status", "Voting until", "Outcome")
    zone = _zone(store, alliance)
    for p, b in page.proposals:
        table.add_row(str(p.number), b.name, p.type, p.title, p.status.value,
                      local_time(p.voting_until, zone) if p.voting_until else "-", p.outcome_status or "-")
    console.print(table)
    console.print(f"{len(page.proposals)} of {page.total}", highlight=False)


@proposal_app.command("advance")
@fails_cleanly
def advance() -> None:
    """Do what the clock made due now (open votes, close them, send reminders): what `alliance serve` does
    every minute; for a platform run without it, e.g. from cron."""
    store, clock = open_store(), SystemClock()
    for moved in proposals.advance_due(store, clock):
        console.print(f"{moved.alliance} proposal {moved.number}: {moved.what}", highlight=False)


@vote_app.command("cast")
@fails_cleanly
def cast(number: NumberArg, alliance: AllianceOpt,
         choice: Annotated[str, typer.Option(help="yes, no, abstain (block, objection where the rule has them).")],
         as_user: VoterOpt,
         member: Annotated[str | None, typer.Option(help="The member voting (the account's own by default).")] = None,
         for_member: Annotated[str | None, typer.Option("--for", help="Cast the vote of a member whose proxy you hold.")]
         = None) -> None:
    """Vote (again, where changes are allowed: the latest ballot counts)."""
    store, clock = open_store(), SystemClock()
    ballot = proposals.cast(store, alliance, number, _principal(store, as_user, alliance, clock), choice, clock,
                            member=member, for_member=for_member)
    console.print(f"Ballot {ballot.id} for {ballot.voter}{f' (by proxy: {ballot.by})' if ballot.by else ''} recorded.",
                  highlight=False)


@vote_app.command("proxy")
@fails_cleanly
def proxy(number: NumberArg, alliance: AllianceOpt,
          to: Annotated[str, typer.Option("--to", help="The member you give your vote to.")], as_user: VoterOpt,
          member: Annotated[str | None, typer.Option(help="The member giving (the account's own by default).")]
          = None) -> None:
    """Give your member's vote in this proposal to another voter (it counts only if that member votes)."""
    store, clock = open_store(), SystemClock()
    given = proposals.give_proxy(store, alliance, number, _principal(store, as_user, alliance, clock), to, clock,
                                 giver=member)
    console.print(f"{given.giver} gave its vote in proposal {number} to {given.holder}.", highlight=False)


@vote_app.command("revoke-proxy")
@fails_cleanly
def revoke_proxy(number: NumberArg, alliance: AllianceOpt, as_user: VoterOpt,
                 member: Annotated[str | None, typer.Option(help="The member that gave it.")] = None) -> None:
    """Take your member's proxy back while the vote is open."""
    store, clock = open_store(), SystemClock()
    revoked = proposals.revoke_proxy(store, alliance, number, _principal(store, as_user, alliance, clock), clock,
                                     giver=member)
    console.print(f"{revoked.giver}'s proxy to {revoked.holder} revoked.", highlight=False)


