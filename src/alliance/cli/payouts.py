"""`alliance payout currency|record|list|show`: members paid in their own currency at the payout
day's rate, the difference booked to the FX account (docs/payouts.md). Without `--as` the operator
acts as platform admin."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from alliance.access.roles import Principal, Role
from alliance.cli.lazy import Deferred
from alliance.cli.output import OutputFormat, console, current_actor, emit, fails_cleanly, open_store, parse_day
from alliance.core.clock import SystemClock, local_today

if TYPE_CHECKING:
    from alliance.settlement import payout_service
else:
    payout_service = Deferred("alliance.settlement.payout_service")

app = typer.Typer(help="Payouts in the payee's currency: choose a member's currency, record a payout of closed days, "
                       "list and show them.", no_args_is_help=True)
AllianceOpt = Annotated[str, typer.Option("--alliance", "-a", help="The alliance's code.")]
AsOpt = Annotated[str | None, typer.Option(
    "--as", help="Act as this user account (its role in --alliance). Default: the operator, as platform admin.")]
FormatOpt = Annotated[OutputFormat, typer.Option("--format", help="table, json or csv.")]
COLUMNS = ("payout", "member", "first_day", "last_day", "payout_day", "owed", "payee_currency", "rate", "paid",
           "value_back", "difference")


def _principal(store: object, as_user: str | None, alliance: str, clock: SystemClock) -> Principal:
    from alliance.access.accounts import user_principal

    if as_user is None:
        return Principal(current_actor(), Role.PLATFORM_ADMIN, kind="operator")
    return user_principal(store, as_user, alliance, clock)  # type: ignore[arg-type]


@app.command("currency")
@fails_cleanly
def currency(
    member: Annotated[str, typer.Argument(help="The member's code.")],
    alliance: AllianceOpt,
    code: Annotated[str | None, typer.Argument(help="ISO 4217 code to be paid in (e.g. USD); leave out to show.")] = None,
    fmt: FormatOpt = OutputFormat.TABLE,
    as_user: AsOpt = None,
) -> None:
    """Choose the currency MEMBER is paid in from now on (its own admin or the coordinator), or show it."""
    store, clock = open_store(), SystemClock()
    principal = _principal(store, as_user, alliance, clock)
    if code is not None:
        choice = payout_service.set_currency(store, alliance, member, code, clock, principal=principal)
        console.print(f"{member} is paid in {choice.currency} from now on.", highlight=False)
        return
    found = payout_service.currencies(store, alliance, principal)
    history = [c for c in found.history if c.member == member]
    emit(fmt, ["member", "currency", "set_at", "set_by"],
         [[c.member, c.currency, c.set_at.isoformat(), c.set_by] for c in history],
         {"member": member, "currency": found.current.get(member, found.settlement_currency),
          "settlement_currency": found.settlement_currency,
          "history": [{"currency": c.currency, "set_at": c.set_at.isoformat(), "set_by": c.set_by} for c in history]},
         title=f"{member} is paid in {found.current.get(member, found.settlement_currency)}")


@app.command("record")
@fails_cleanly
def record(
    member: Annotated[str, typer.Argument(help="The member's code.")],
    first: Annotated[str, typer.Option("--from", help="The first closed day paid, YYYY-MM-DD.")],
    last: Annotated[str, typer.Option("--to", help="The last closed day paid, YYYY-MM-DD.")],
    alliance: AllianceOpt,
    on: Annotated[str | None, typer.Option("--on", help="The payout day (its rate is used), YYYY-MM-DD. "
                                                        "Default: today in the alliance's time zone.")] = None,
    fmt: FormatOpt = OutputFormat.TABLE,
    as_user: AsOpt = None,
) -> None:
    """Pay MEMBER its net over the closed days --from..--to, in its payout currency at the rate of the
    payout day (the coordinator). Refused, with nothing stored, over an open or already paid day or
    without that day's rate (exit 2)."""
    from alliance.registry import service as registry

    store, clock = open_store(), SystemClock()
    principal = _principal(store, as_user, alliance, clock)
    day = parse_day(on, "--on") if on else local_today(clock, registry.get_alliance(store, alliance).timezone)
    stored = payout_service.record(store, alliance, member, parse_day(first, "--from"), parse_day(last, "--to"), day,
                                   clock, principal=principal)
    _show(payout_service.statement(alliance, stored), fmt)


@app.command("list")
@fails_cleanly
def list_(
    alliance: AllianceOpt,
    member: Annotated[str | None, typer.Option("--member", "-m", help="Only this member's payouts.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100_000, help="At most this many, newest first.")] = 100,
    offset: Annotated[int, typer.Option("--offset", min=0, help="Skip this many.")] = 0,
    fmt: FormatOpt = OutputFormat.TABLE,
    as_user: AsOpt = None,
) -> None:
    """The payouts, newest first (a member's people: their own)."""
    store, clock = open_store(), SystemClock()
    currency, page = payout_service.list_payouts(store, alliance, _principal(store, as_user, alliance, clock),
                                                 member=member, limit=limit, offset=offset)
    docs = [payout_service.statement(alliance, s) for s in page.items]
    emit(fmt, list(COLUMNS), [[d[c] for c in COLUMNS] for d in docs],
         {"settlement_currency": currency, **page.as_json(docs)},
         title=f"{page.total} payouts (owed and value back in {currency})")


@app.command("show")
@fails_cleanly
def show(
    number: Annotated[int, typer.Argument(help="The payout's number.")],
    alliance: AllianceOpt,
    fmt: FormatOpt = OutputFormat.TABLE,
    as_user: AsOpt = None,
) -> None:
    """A payout's statement: days, owed, rate with its day and source, paid, value back, difference."""
    store, clock = open_store(), SystemClock()
    stored = payout_service.get(store, alliance, number, _principal(store, as_user, alliance, clock))
    _show(payout_service.statement(alliance, stored), fmt)


def _show(doc: dict[str, object], fmt: OutputFormat) -> None:
    settlement, payee = doc["settlement_currency"], doc["payee_currency"]
    rows = [["member", doc["member"]], ["days", f"{doc['first_day']} .. {doc['last_day']} ({doc['days']})"],
            ["owed", f"{doc['owed']} {settlement}"],
            ["rate", f"{doc['rate']} {settlement} per {payee} on {doc['rate_day']} ({doc['rate_source']})"],
            ["paid", f"{doc['paid']} {payee}"], ["value back", f"{doc['value_back']} {settlement}"],
            ["difference", f"{doc['difference']} {settlement} (to account {doc['difference_account']})"],
            ["recorded", f"{doc['recorded_at']} by {doc['recorded_by']}"]]
    emit(fmt, ["", ""], rows, doc, title=f"Payout {doc['payout']}")
