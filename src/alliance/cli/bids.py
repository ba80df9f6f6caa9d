"""`alliance bid ...`: joint bids (operations.bids): draft a consortium bid for a customer request, set
each member's role, scope and price share, each member's confirmation, documents, submit, the outcome,
and the project agreement a won bid proposes. Every step is a member's own: `--as USER` names the user
account acting (an admin of the member it acts for; cli.member_accounts); reads act as the platform operator."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from alliance.cli.governance import _operator
from alliance.cli.lazy import Deferred
from alliance.cli.member_accounts import MemberUserOpt, member_account
from alliance.cli.output import OutputFormat, console, emit, fails_cleanly, open_store, parse_day
from alliance.core.clock import SystemClock
from alliance.core.errors import InvalidInput, Problem
from alliance.core.messages import Message

if TYPE_CHECKING:
    from alliance.operations.bids import records, service
else:
    records = Deferred("alliance.operations.bids.records")
    service = Deferred("alliance.operations.bids.service")

app = typer.Typer(help="Joint bids: a consortium bid for a customer request with each member's role, scope and price "
                       "share; confirmations, documents, submission, the outcome and the project agreement.",
                  no_args_is_help=True)

AllianceOpt = Annotated[str, typer.Option("--alliance", "-a", help="The alliance's code.")]
AsOpt = MemberUserOpt  # its member acts: its own part; the lead's admin for the lead's steps
FormatOpt = Annotated[OutputFormat, typer.Option("--format", help="table, json or csv.")]
NumberArg = Annotated[int, typer.Argument(help="The bid's number.", min=1)]

HEADER = ["member", "role", "share", "price (minor)", "confirmed", "scope"]


def _minor(text: str, currency: str, option: str) -> int:
    from alliance.core.money import Money
    from alliance.operations.bids.model import BidInvalid

    try:
        return Money.parse(text, currency).minor
    except InvalidInput as exc:
        raise BidInvalid(Message("the bid is not valid"), [Problem("bid", option, exc.message)]) from None


def _one(b: object, fmt: OutputFormat, sees_terms: bool = True) -> None:
    document = records.bid_json(b, sees_terms=sees_terms)  # type: ignore[arg-type]
    rows = [[m["member"], m["role"], m["share"], m["price_minor"], m["confirmed"], m["scope"]]
            for m in document["members"]]
    title = f"Bid {document['number']} ({document['state']}): {document['title']}"
    emit(fmt, HEADER, rows, document, title=title)


@app.command("new")
@fails_cleanly
def new(alliance: AllianceOpt, as_user: AsOpt,
        customer: Annotated[str, typer.Option("--customer", help="The customer's name.")],
        title: Annotated[str, typer.Option("--title", help="The request's title.")],
        due: Annotated[str, typer.Option("--due", help="The bid's due date (YYYY-MM-DD).")],
        offered: Annotated[str, typer.Option("--offered", help="The total price offered, e.g. 1000000.00.")],
        share: Annotated[str, typer.Option("--share", help="The lead's own price share, e.g. 0.5.")],
        scope: Annotated[str, typer.Option("--scope", help="The lead's own scope of work.")],
        currency: Annotated[str, typer.Option("--currency", help="ISO 4217 code.")] = "CNY",
        reference: Annotated[str, typer.Option("--reference", help="The request's reference number.")] = "",
        fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """Draft a bid led by the member of --as (one of its admin accounts), with its own part (role lead)."""
    from alliance.operations.bids.model import Request

    request = Request(customer, title, reference, parse_day(due, "--due"), currency.upper(),
                      _minor(offered, currency.upper(), "offered"))
    store = open_store()
    _one(service.create(store, alliance, member_account(store, as_user, alliance), request, SystemClock(),
                        lead_scope=scope, lead_share=share), fmt)


@app.command("member")
@fails_cleanly
def member(number: NumberArg, alliance: AllianceOpt, as_user: AsOpt,
           partner: Annotated[str, typer.Option("--member", help="The consortium member to add or change.")],
           role: Annotated[str, typer.Option("--role", help="partner or subcontractor.")] = "partner",
           share: Annotated[str | None, typer.Option("--share", help="Its price share, e.g. 0.3.")] = None,
           scope: Annotated[str, typer.Option("--scope", help="Its scope of work.")] = "",
           remove: Annotated[bool, typer.Option("--remove", help="Take the member out of the consortium.")] = False,
           fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """The lead adds a member, changes its part or removes it (every confirmation is reset)."""
    from alliance.operations.bids.model import Role

    store = open_store()
    acting = member_account(store, as_user, alliance)
    if remove:
        _one(service.remove_part(store, alliance, acting, number, partner, SystemClock()), fmt)
        return
    if role not in {r.value for r in Role} or share is None:
        raise InvalidInput(Message("--role is partner or subcontractor, and --share is required"))
    _one(service.set_part(store, alliance, acting, number, partner, Role(role), scope, share, SystemClock()), fmt)


@app.command("confirm")
@fails_cleanly
def confirm(number: NumberArg, alliance: AllianceOpt, as_user: AsOpt, fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """The member of --as (one of its admin accounts) confirms its role, scope and share as the table stands."""
    store = open_store()
    _one(service.confirm(store, alliance, member_account(store, as_user, alliance), number, SystemClock()), fmt)


@app.command("document")
@fails_cleanly
def document(number: NumberArg, alliance: AllianceOpt, as_user: AsOpt,
             path: Annotated[Path, typer.Argument(help="The file (PDF, image, Office, text; at most 20 MiB).")],
             fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """A consortium member adds a document to a drafted bid."""
    from alliance.operations.bids.documents import MAX_BYTES

    if not path.is_file():
        raise InvalidInput(Message("no file {path}", path=str(path)))
    if path.stat().st_size > MAX_BYTES:
        raise InvalidInput(Message("file {name!r} is {size} bytes; the limit is {limit}", name=path.name,
                                   size=path.stat().st_size, limit=MAX_BYTES))
    store = open_store()
    _one(service.add_document(store, alliance, member_account(store, as_user, alliance), number, path.name,
                              path.read_bytes(), SystemClock()), fmt)


@app.command("submit")
@fails_cleanly
def submit(number: NumberArg, alliance: AllianceOpt, as_user: AsOpt, fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """The lead submits: shares add up to exactly 1 and every member confirmed; then the bid is frozen."""
    store = open_store()
    _one(service.submit(store, alliance, member_account(store, as_user, alliance), number, SystemClock()), fmt)


@app.command("outcome")
@fails_cleanly
def outcome(number: NumberArg, alliance: AllianceOpt, as_user: AsOpt,
            result: Annotated[str, typer.Argument(help="won, lost or withdrawn.")],
            awarded: Annotated[str | None, typer.Option("--awarded", help="The awarded price (won).")] = None,
            reason: Annotated[str, typer.Option("--reason", help="Why (lost or withdrawn), optional.")] = "",
            fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """The lead records the outcome."""
    from alliance.operations.bids.model import OUTCOMES, State

    if result not in {s.value for s in OUTCOMES}:
        raise InvalidInput(Message("the outcome is won, lost or withdrawn"))
    store = open_store()
    acting = member_account(store, as_user, alliance)
    current = service.bid(store, alliance, acting, number).bid
    minor = None if awarded is None else _minor(awarded, current.request.currency, "awarded")
    _one(service.record_outcome(store, alliance, acting, number, State(result), SystemClock(),
                                awarded_minor=minor, reason=reason), fmt)


@app.command("agreement")
@fails_cleanly
def agreement(number: NumberArg, alliance: AllianceOpt, as_user: AsOpt,
              code: Annotated[str | None, typer.Option("--code", help="The agreement's code (bid-N).")] = None,
              effective_from: Annotated[str | None, typer.Option("--from", help="Effective from (today).")] = None,
              effective_until: Annotated[str | None, typer.Option("--until", help="Effective until.")] = None,
              channel: Annotated[str | None, typer.Option("--channel", help="The project's order-line channel (bid-N).")] = None,
              sku_prefix: Annotated[str | None, typer.Option("--sku-prefix", help="Select by SKU prefix instead.")] = None,
              in_alliance: Annotated[str | None, typer.Option("--in", help="A task sub-alliance of this alliance.")] = None,
              preview: Annotated[bool, typer.Option("--preview", help="Print the document only.")] = False) -> None:
    """A won bid proposes its project agreement (a fixed split by the bid's shares); each party signs it."""
    store = open_store()
    acting = member_account(store, as_user, alliance)
    if preview:
        console.print(service.agreement_preview(store, alliance, acting, number, SystemClock(), code=code,
                                                channel=channel, sku_prefix=sku_prefix), highlight=False, markup=False)
        return
    made, version = service.create_agreement(
        store, alliance, acting, number, SystemClock(), code=code,
        effective_from=parse_day(effective_from, "--from") if effective_from else None,
        effective_until=parse_day(effective_until, "--until") if effective_until else None,
        channel=channel, sku_prefix=sku_prefix, in_alliance=in_alliance)
    console.print(f"{made.agreement_alliance}/{made.agreement_code} version {version.version} proposed "
                  f"(sha256 {version.sha256}); each party signs it: alliance agreement sign", highlight=False,
                  markup=False)


@app.command("show")
@fails_cleanly
def show(number: NumberArg, alliance: AllianceOpt, fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """One bid: its consortium table, documents and history."""
    seen = service.bid(open_store(), alliance, _operator(), number)
    _one(seen.bid, fmt)
    if fmt is OutputFormat.TABLE:
        for step in seen.bid.history:
            console.print(f"{step.at.isoformat()}  {step.member}  {step.what}  {step.detail}  ({step.actor})",
                          highlight=False, markup=False)


@app.command("list")
@fails_cleanly
def list_(alliance: AllianceOpt, fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """The alliance's bids, by number."""
    found = service.bids(open_store(), alliance, _operator())
    emit(fmt, ["number", "lead", "title", "due", "state", "members", "offered (minor)", "awarded (minor)"],
         [[v.bid.number, v.bid.lead_member, v.bid.request.title, v.bid.request.due_on, v.bid.state.value,
           " ".join(v.bid.members), v.bid.request.offered_minor, v.bid.awarded_minor] for v in found],
         [records.viewed_json(v) for v in found], title="Bids")
