"""`alliance campaign ...`: joint purchasing (集采) campaigns — open one with its supplier quotes, add a
quote, commit a member's quantity, close due campaigns, confirm the order, record deliveries, close
short, cancel, list and show. The command line acts as a platform admin, as the resource commands do
(it sees every member's commitment); `--format json` prints what the API answers."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import typer

from alliance.cli.governance import _operator
from alliance.cli.lazy import Deferred
from alliance.cli.member_accounts import MemberUserOpt, member_account
from alliance.cli.output import OutputFormat, emit, fails_cleanly, open_store
from alliance.core.clock import SystemClock
from alliance.core.errors import InvalidInput, Problem
from alliance.core.messages import Message

if TYPE_CHECKING:
    from alliance.operations.purchasing import model, parsing, records, service
else:
    model = Deferred("alliance.operations.purchasing.model")
    parsing = Deferred("alliance.operations.purchasing.parsing")
    records = Deferred("alliance.operations.purchasing.records")
    service = Deferred("alliance.operations.purchasing.service")

app = typer.Typer(help="Joint purchasing campaigns: open one with supplier quotes (volume tiers), commit members' "
                       "quantities, close, order, deliver, close short, cancel.", no_args_is_help=True)

AllianceOpt = Annotated[str, typer.Option("--alliance", "-a", help="The alliance's code.")]
NumberArg = Annotated[int, typer.Argument(help="The campaign's number.")]
FormatOpt = Annotated[OutputFormat, typer.Option("--format", help="table or json.")]


def _show(view: object, fmt: OutputFormat) -> None:
    record = records.campaign_json(view)  # type: ignore[arg-type]
    rows = [["state", record["state"]], ["quantity", f"{record['quantity']} (minimum {record['minimum']})"],
            ["unit price", record["unit_price"]], ["organiser", record["organiser"]],
            ["deadline", record["deadline"]], ["split", record["split_rule"]], ["fee rate", record["fee_rate"]]]
    if record["outcome"]:
        o = record["outcome"]
        rows += [["invoice", f"{o['invoice']} to {o['supplier']} ({o['quantity']} × {o['unit_price']}, tier ≥ "
                             f"{o['tier_min']})"], ["savings", o["savings"]], ["fee", o["fee"]]]
    if record["flagged"]:
        rows.append(["competition", record["flag_reason"]])
    emit(fmt, ["", ""], rows, record, title=f"Campaign {record['number']}: {record['title']}")


@app.command("open")
@fails_cleanly
def open_(alliance: AllianceOpt,
          title: Annotated[str, typer.Option("--title", help="What the campaign buys, for the reader.")],
          item: Annotated[str, typer.Option("--item", help="The item.")],
          organiser: Annotated[str, typer.Option("--organiser", help="The member that places the order and "
                                                 "receives deposits and the fee.")],
          deadline: Annotated[str, typer.Option("--deadline", help="ISO date and time; without an offset, the "
                                                "alliance's local time.")],
          minimum: Annotated[int, typer.Option("--minimum", help="The aggregate quantity needed to succeed (成团量).")],
          quote: Annotated[list[str], typer.Option("--quote", help="A supplier's tiers: \"NAME: 1=4.00, 100=3.40\" "
                                                   "(repeat for more quotes).")],
          spec: Annotated[str, typer.Option("--spec", help="The item's specification.")] = "",
          unit: Annotated[str, typer.Option("--unit", help="The unit quantities count (件, 箱, kg ...).")] = "件",
          split: Annotated[str, typer.Option("--split", help="pro_rata, equal or shapley.")] = "pro_rata",
          fee_rate: Annotated[str, typer.Option("--fee-rate", help="The organiser's share of the savings "
                                                "(0 to below 1).")] = "0",
          deposit: Annotated[str, typer.Option("--deposit", help="Deposit per unit, in the alliance's "
                                               "currency.")] = "0",
          share: Annotated[str | None, typer.Option("--share", help="The members' combined purchasing share "
                                                    "(%), for the competition flag.")] = None,
          threshold: Annotated[str, typer.Option("--threshold", help="The competition threshold (%).")] = "15",
          fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """Open a campaign with its supplier quotes; every problem is named and nothing is stored then."""
    from alliance.core.money import Money

    store = open_store()
    currency, timezone = service.alliance_terms(store, alliance, _operator())
    problems: list[Problem] = []
    quotes = []
    failed_quotes: set[int] = set()
    for number, text in enumerate(quote, start=1):
        try:
            quotes.append(parsing.parse_quote(text, number))
        except InvalidInput as exc:
            problems += exc.problems
            failed_quotes.add(number)
            quotes.append(parsing.Quote(text.rpartition(":")[0].strip() or "?", "", parsing.PLACEHOLDER_TIERS))
    try:
        rule = service.SplitRule(split)
    except ValueError:
        problems.append(Problem(Message("campaign"), "split_rule", Message("one of pro_rata, equal, shapley")))
        rule = service.SplitRule.PRO_RATA
    values: dict[str, object] = {}
    for field, text, parse in (("deadline", deadline, lambda t: parsing.parse_deadline(t, timezone)),
                               ("fee_rate", fee_rate, lambda t: parsing.parse_decimal(t, "fee_rate")),
                               ("deposit_per_unit", deposit, lambda t: Money.parse(t, currency).minor),
                               ("threshold", threshold, lambda t: parsing.parse_decimal(t, "threshold")),
                               ("purchasing_share", share, lambda t: None if t is None else
                                parsing.parse_decimal(t, "purchasing_share"))):
        try:
            values[field] = parse(text)
        except InvalidInput as exc:
            problems += exc.problems or [Problem(Message("campaign"), field, exc.message)]
    placeholders = {"deadline": datetime.max.replace(tzinfo=UTC), "fee_rate": Decimal(0), "deposit_per_unit": 0,
                    "threshold": Decimal(15), "purchasing_share": None}
    draft = model.CampaignDraft(title=title, item=item, spec=spec, unit=unit, organiser=organiser,
                                minimum=minimum, quotes=tuple(quotes), split_rule=rule,
                                **{**placeholders, **values})  # type: ignore[arg-type]
    if problems:  # name the rest too: every problem at once
        problems = parsing.merged_problems(problems, service.draft_problems(store, alliance, _operator(), draft,
                                                                            SystemClock()), failed_quotes)
        raise model.CampaignInvalid(Message("the campaign has {count} problem(s); nothing was stored",
                                            count=len(problems)), problems)
    _show(service.open_campaign(store, alliance, _operator(), draft, SystemClock()), fmt)


@app.command("quote")
@fails_cleanly
def add_quote(number: NumberArg, alliance: AllianceOpt,
              quote: Annotated[str, typer.Argument(help="\"NAME: 1=4.00, 100=3.40\"")],
              fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """Add a supplier quote to an open campaign."""
    _show(service.add_quote(open_store(), alliance, _operator(), number, parsing.parse_quote(quote), SystemClock()),
          fmt)


@app.command("list")
@fails_cleanly
def list_(alliance: AllianceOpt,
          state: Annotated[str | None, typer.Option("--state", help="Only campaigns in this state.")] = None,
          fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """The alliance's campaigns, newest first."""
    wanted = None
    if state is not None:
        try:
            wanted = model.CampaignState(state)
        except ValueError:
            raise InvalidInput(Message("no state {state!r}: one of {states}", state=state,
                                       states=", ".join(model.CampaignState))) from None
    found = service.campaigns(open_store(), alliance, _operator(), state=wanted, clock=SystemClock())
    document = [records.campaign_json(v) for v in found]
    rows = [[v["number"], v["title"], v["state"], f"{v['quantity']}/{v['minimum']}", v["unit_price"], v["deadline"],
             "yes" if v["flagged"] else ""] for v in document]
    emit(fmt, ["number", "title", "state", "quantity/minimum", "unit price", "deadline", "flagged"], rows, document,
         title="Campaigns")


@app.command("show")
@fails_cleanly
def show(number: NumberArg, alliance: AllianceOpt, fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """One campaign: its terms, quotes, every member's commitment and money, deliveries and charges."""
    detail = service.campaign(open_store(), alliance, _operator(), number, SystemClock())
    document = records.detail_json(detail)
    if fmt is OutputFormat.JSON:
        emit(fmt, [], [], document)
        return
    _show(detail.campaign, fmt)
    rows = [[p["member"], p["quantity"], p["alone"], p["pays"] or "", p["saved"] or "", p["deposit"], p["delivered"]]
            for p in document["positions"]]
    emit(fmt, ["member", "quantity", "alone", "pays", "saves", "deposit", "delivered"], rows, document,
         title="Commitments")


@app.command("commit")
@fails_cleanly
def commit(number: NumberArg, member: Annotated[str, typer.Argument(help="The member committing.")],
           quantity: Annotated[int, typer.Argument(help="Its quantity (0 withdraws).")], alliance: AllianceOpt,
           as_user: MemberUserOpt, fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """Set a member's committed quantity (before the deadline), as --as: one of its admin accounts."""
    store = open_store()
    position = service.commit(store, alliance, member_account(store, as_user, alliance), number, member, quantity,
                              SystemClock())
    currency, _ = service.alliance_terms(open_store(), alliance, _operator())
    record = records.position_json(position, currency)
    emit(fmt, ["member", "quantity", "deposit", "alone"], [[record["member"], record["quantity"], record["deposit"],
                                                            record["alone"]]], record, title=f"Campaign {number}")


@app.command("close")
@fails_cleanly
def close(alliance: AllianceOpt,
          number: Annotated[int | None, typer.Argument(help="The campaign (default: every due campaign of every "
                                                       "alliance, as the scheduler does).")] = None,
          fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """Close a campaign whose deadline has passed: succeeded or expired (deposits returned)."""
    if number is not None:
        _show(service.close_campaign(open_store(), alliance, _operator(), number, SystemClock()), fmt)
        return
    closed = [c for c in service.close_due_campaigns(open_store(), SystemClock()) if c.alliance == alliance]
    document = [{"number": c.number, "state": c.state.value} for c in closed]
    emit(fmt, ["number", "state"], [[c["number"], c["state"]] for c in document], document, title="Closed")


@app.command("order")
@fails_cleanly
def order(number: NumberArg, alliance: AllianceOpt,
          note: Annotated[str, typer.Option("--note", help="The order's reference.")] = "",
          fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """Confirm the order was placed with the chosen supplier."""
    _show(service.mark_ordered(open_store(), alliance, _operator(), number, SystemClock(), note), fmt)


@app.command("deliver")
@fails_cleanly
def deliver(number: NumberArg, alliance: AllianceOpt,
            total: Annotated[int | None, typer.Option("--total", help="A delivered total, spread over members by "
                                                      "their open quantity.")] = None,
            member: Annotated[list[str] | None, typer.Option("--member", help="MEMBER=QUANTITY delivered to one "
                                                             "member (repeat).")] = None,
            note: Annotated[str, typer.Option("--note", help="The delivery note's reference.")] = "",
            fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """Record a delivery; its money is scheduled for the next settlement run."""
    per_member = None
    if member:
        per_member = {}
        for text in member:
            code, sep, quantity = text.partition("=")
            if not sep or not quantity.strip().isdigit():
                raise InvalidInput(Message("--member {text!r} is not MEMBER=QUANTITY", text=text))
            per_member[code.strip()] = int(quantity)
    found = service.record_delivery(open_store(), alliance, _operator(), number, SystemClock(), total=total,
                                    per_member=per_member, note=note)
    record = records.delivery_json(found)
    emit(fmt, ["member", "delivered"], [[m, q] for m, q in (found.per_member or {}).items()], record,
         title=f"Delivery {found.number} of campaign {number}: {found.total}")


@app.command("close-short")
@fails_cleanly
def close_short(number: NumberArg, alliance: AllianceOpt,
                reason: Annotated[str, typer.Option("--reason", help="Why the rest is not delivered.")],
                fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """End an ordered campaign with what was delivered; the rest is cancelled, deposits returned."""
    _show(service.close_short(open_store(), alliance, _operator(), number, SystemClock(), reason), fmt)


@app.command("cancel")
@fails_cleanly
def cancel(number: NumberArg, alliance: AllianceOpt,
           reason: Annotated[str, typer.Option("--reason", help="Why the campaign is cancelled.")],
           fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """Cancel a campaign before any delivery; deposits returned."""
    _show(service.cancel(open_store(), alliance, _operator(), number, SystemClock(), reason), fmt)



