"""`alliance referral ...`: lead referral (operations.referrals): the programme, submitting a lead with
its consent, the receiving member's answers, extensions, linking orders, the commission and the
leaderboard. Reads and the programme act as the platform operator; a member's steps (refer, answer, extend,
link orders) name the user account acting with --as USER, an admin of that member (cli.member_accounts)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Annotated

import typer

from alliance.cli.governance import _operator
from alliance.cli.lazy import Deferred
from alliance.cli.member_accounts import MemberUserOpt, member_account
from alliance.cli.output import OutputFormat, console, emit, fails_cleanly, open_store, parse_day
from alliance.core.clock import SystemClock
from alliance.core.errors import InvalidInput
from alliance.core.messages import Message

if TYPE_CHECKING:
    from alliance.operations.referrals import records, service, service_orders
else:
    records = Deferred("alliance.operations.referrals.records")
    service = Deferred("alliance.operations.referrals.service")
    service_orders = Deferred("alliance.operations.referrals.service_orders")

app = typer.Typer(help="Lead referral between members: the programme, submit a lead with consent, accept or reject, "
                       "extensions, link orders, commission and the leaderboard.", no_args_is_help=True)

AllianceOpt = Annotated[str, typer.Option("--alliance", "-a", help="The alliance's code.")]
FormatOpt = Annotated[OutputFormat, typer.Option("--format", help="table, json or csv.")]
NumberArg = Annotated[int, typer.Argument(help="The referral's number.", min=1)]
ReasonOpt = Annotated[str, typer.Option("--reason", help="Why (required to reject or mark lost).")]


def _row(r: object) -> list[object]:
    d = records.referral_json(r, sees_lead=True)  # type: ignore[arg-type]
    return [d["number"], d["from_member"], d["to_member"], d["kind"], d["lead_name"], d["products"], d["state"],
            d["window_ends"], d["commission_booked_minor"]]


HEADER = ["number", "from", "to", "kind", "lead", "products", "state", "window ends", "commission (minor)"]


def _one(referral: object, fmt: OutputFormat) -> None:
    emit(fmt, HEADER, [_row(referral)], records.referral_json(referral, sees_lead=True))  # type: ignore[arg-type]


@app.command("programme")
@fails_cleanly
def programme(alliance: AllianceOpt,
              rate: Annotated[str | None, typer.Option("--rate", help="Commission share of the net amount: 0.05 = 5%.")] = None,
              hold_days: Annotated[int | None, typer.Option("--hold-days", help="Refunds within this many days claw back.")] = None,
              window_days: Annotated[int | None, typer.Option("--window-days", help="Exclusivity window in days.")] = None,
              max_extension_days: Annotated[int | None, typer.Option("--max-extension-days",
                                                                     help="All extensions together, in days.")] = None,
              fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """Show the referral programme, or change it (the options given)."""
    store, principal = open_store(), _operator()
    current = service.programme(store, alliance, principal)
    if any(v is not None for v in (rate, hold_days, window_days, max_extension_days)):
        try:
            new_rate = current.commission_rate if rate is None else Decimal(rate)
        except InvalidOperation:
            raise InvalidInput(Message("--rate {text!r} is not a number such as 0.05", text=rate)) from None
        from alliance.operations.referrals.model import Programme

        current = service.set_programme(store, alliance, principal, Programme(
            new_rate, current.hold_days if hold_days is None else hold_days,
            current.window_days if window_days is None else window_days,
            current.max_extension_days if max_extension_days is None else max_extension_days), SystemClock())
    document = records.programme_json(current)
    emit(fmt, list(document), [list(document.values())], document)


@app.command("submit")
@fails_cleanly
def submit(alliance: AllianceOpt, as_user: MemberUserOpt,
           to_member: Annotated[str, typer.Option("--to", help="The member the lead is referred to.")],
           name: Annotated[str, typer.Option("--name", help="The lead's (customer's or company's) name.")],
           contact: Annotated[str, typer.Option("--contact", help="The lead's phone or e-mail.")],
           products: Annotated[str, typer.Option("--products", help="The products concerned.")],
           consent_by: Annotated[str | None, typer.Option("--consent-by", help="Who gave consent to be referred.")] = None,
           consent_on: Annotated[str | None, typer.Option("--consent-on", help="When (YYYY-MM-DD).")] = None,
           consent_how: Annotated[str, typer.Option("--consent-how",
                                                    help="written, email, message, verbal or form.")] = "written",
           kind: Annotated[str, typer.Option("--kind", help="customer or partner.")] = "customer",
           note: Annotated[str, typer.Option("--note", help="A note for the receiving member.")] = "",
           from_member: Annotated[str | None, typer.Option("--from", help="The referring member (default: the member "
                                                                          "of --as).")] = None,
           fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """Refer a lead to another member; the lead's consent (--consent-by and --consent-on) is required."""
    from alliance.operations.referrals.model import Consent, ConsentHow, LeadDraft, LeadKind

    if kind not in {k.value for k in LeadKind}:
        raise InvalidInput(Message("--kind is customer or partner"))
    if consent_how not in {h.value for h in ConsentHow}:
        raise InvalidInput(Message("--consent-how is written, email, message, verbal or form"))
    consent = None
    if consent_by is not None or consent_on is not None:
        day: date = parse_day(consent_on, "--consent-on") if consent_on else date.today()
        consent = Consent(consent_by or "", day, ConsentHow(consent_how))
    store = open_store()
    made = service.submit(store, alliance, member_account(store, as_user, alliance),
                          LeadDraft(to_member, LeadKind(kind), name, contact, products, consent, note), SystemClock(),
                          from_member=from_member)
    _one(made, fmt)


@app.command("list")
@fails_cleanly
def list_(alliance: AllianceOpt, fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """The alliance's referrals, by number."""
    found = service.referrals(open_store(), alliance, _operator())
    emit(fmt, HEADER, [_row(s.referral) for s in found],
         [records.referral_json(s.referral, sees_lead=s.sees_lead) for s in found], title="Referrals")


@app.command("show")
@fails_cleanly
def show(number: NumberArg, alliance: AllianceOpt, fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """One referral with its commission so far."""
    from alliance.cli.orders import opened_stores

    found = service.referral(open_store(), alliance, _operator(), number)
    with opened_stores() as stores:
        earned = service_orders.commission(stores, alliance, _operator(), number)
    document = {**records.referral_json(found.referral, sees_lead=True), "commission": records.commission_json(earned)}
    if fmt is OutputFormat.JSON:
        emit(fmt, [], [], document)
        return
    _one(found.referral, fmt)
    console.print(f"commission earned so far: {earned.target_minor} minor units on {earned.base_minor}; "
                  f"booked {found.referral.booked_minor}", highlight=False)


@app.command("accept")
@fails_cleanly
def accept(number: NumberArg, alliance: AllianceOpt, as_user: MemberUserOpt, fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """Accept a submitted referral (the receiving member)."""
    store = open_store()
    _one(service.accept(store, alliance, member_account(store, as_user, alliance), number, SystemClock()), fmt)


@app.command("reject")
@fails_cleanly
def reject(number: NumberArg, alliance: AllianceOpt, as_user: MemberUserOpt, reason: ReasonOpt = "", fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """Reject a submitted referral, with the reason (the receiving member)."""
    store = open_store()
    _one(service.reject(store, alliance, member_account(store, as_user, alliance), number, reason, SystemClock()), fmt)


@app.command("lost")
@fails_cleanly
def lost(number: NumberArg, alliance: AllianceOpt, as_user: MemberUserOpt, reason: ReasonOpt = "", fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """Mark an accepted referral lost, with the reason (the receiving member)."""
    store = open_store()
    _one(service.lost(store, alliance, member_account(store, as_user, alliance), number, reason, SystemClock()), fmt)


@app.command("extend")
@fails_cleanly
def extend(number: NumberArg, alliance: AllianceOpt, as_user: MemberUserOpt,
           days: Annotated[int | None, typer.Option("--days", help="Ask for this many more days (the referrer).")] = None,
           reason: Annotated[str, typer.Option("--reason", help="Why the extension is asked.")] = "",
           grant: Annotated[bool, typer.Option("--grant", help="Grant the extension asked (the receiving member).")] = False,
           refuse: Annotated[bool, typer.Option("--refuse", help="Refuse the extension asked.")] = False,
           fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """Ask for a longer exclusivity window (--days), or grant or refuse the one asked (--grant / --refuse)."""
    if (days is not None) + grant + refuse != 1:
        raise InvalidInput(Message("give one of --days, --grant or --refuse"))
    store = open_store()
    acting = member_account(store, as_user, alliance)
    if days is not None:
        made = service.request_extension(store, alliance, acting, number, days, reason, SystemClock())
    else:
        made = service.decide_extension(store, alliance, acting, number, grant, SystemClock())
    _one(made, fmt)


@app.command("link")
@fails_cleanly
def link(number: NumberArg, alliance: AllianceOpt, as_user: MemberUserOpt,
         order: Annotated[list[str], typer.Option("--order", help="An order id (repeat for more).")],
         fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """Link orders to an accepted referral (the first link converts it)."""
    from alliance.cli.orders import opened_stores

    with opened_stores() as stores:
        acting = member_account(stores.records, as_user, alliance)
        made = service_orders.link_orders(stores, alliance, acting, number, order, SystemClock())
    _one(made, fmt)


@app.command("candidates")
@fails_cleanly
def candidates(number: NumberArg, alliance: AllianceOpt, fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """Orders the receiving member sold with the referrer in attributed_to, inside the window, not linked."""
    from alliance.cli.orders import opened_stores

    with opened_stores() as stores:
        found = service_orders.candidate_orders(stores, alliance, _operator(), number, SystemClock())
    rows = [[c.order_id, c.first_day.isoformat(), c.lines, c.amount_minor] for c in found]
    emit(fmt, ["order", "day", "lines", "amount (minor)"], rows,
         [dict(zip(("order_id", "first_day", "lines", "amount_minor"), r, strict=True)) for r in rows])


@app.command("leaderboard")
@fails_cleanly
def leaderboard(alliance: AllianceOpt,
                period: Annotated[str, typer.Option("--period", help="A month (2026-11) or a quarter (2026-Q4).")],
                fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """Per referrer: referrals made in the period, accepted, converted and commission booked."""
    currency, rows = service.leaderboard(open_store(), alliance, _operator(), period)
    document = records.leaderboard_json(period, currency, rows)
    emit(fmt, ["rank", "member", "made", "accepted", "converted", f"commission ({currency} minor)"],
         [[r.rank, r.member, r.made, r.accepted, r.converted, r.commission_minor] for r in rows], document,
         title=f"Referral leaderboard {period}")
