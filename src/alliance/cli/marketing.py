"""`alliance marketing ...`: joint marketing campaigns (operations.marketing): propose one with its
members' cost-share ratios, a member's consent (as one of its own admin accounts, `--as`), record
costs (shared as charges settlement books), show one, its ROI per member, list them. The command line
acts as a platform admin, except for consents, which only a member's own admin gives."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Annotated, Any

import typer

from alliance.cli.governance import _operator
from alliance.cli.lazy import Deferred
from alliance.cli.output import OutputFormat, emit, fails_cleanly, open_store, parse_day
from alliance.core.clock import SystemClock
from alliance.core.errors import InvalidInput
from alliance.core.messages import Message

if TYPE_CHECKING:
    from alliance.operations.marketing import records, service
else:
    records = Deferred("alliance.operations.marketing.records")
    service = Deferred("alliance.operations.marketing.service")

app = typer.Typer(help="Joint marketing campaigns: propose one with cost-share ratios, each member's consent, record "
                       "costs shared through settlement, attributed revenue and ROI per member.",
                  no_args_is_help=True)

AllianceOpt = Annotated[str, typer.Option("--alliance", "-a", help="The alliance's code.")]
FormatOpt = Annotated[OutputFormat, typer.Option("--format", help="table, json or csv.")]
NumberArg = Annotated[int, typer.Argument(help="The campaign's number.", min=1)]
HEADER = ["number", "title", "kind", "lead", "state", "first day", "last day", "budget", "spent", "members"]


def _row(d: dict[str, Any]) -> list[object]:
    members = ", ".join(f"{p['member']} {p['ratio']}{'' if p['consented'] else ' (waiting)'}" for p in d["participants"])
    return [d["number"], d["title"], d["kind"], d["lead"], d["state"], d["first_day"], d["last_day"], d["budget"],
            d["spent"], members]


def _one(campaign: object, fmt: OutputFormat) -> None:
    document = records.campaign_json(campaign)  # type: ignore[arg-type]
    emit(fmt, HEADER, [_row(document)], document)


def _ratios(texts: list[str]) -> dict[str, Decimal]:
    found: dict[str, Decimal] = {}
    for text in texts:
        member, _, ratio = text.partition("=")
        try:
            found[member.strip()] = Decimal(ratio.strip())
        except InvalidOperation:
            raise InvalidInput(Message("--member {text!r} is not MEMBER=RATIO such as A=0.4", text=text)) from None
    return found


@app.command("new")
@fails_cleanly
def new(alliance: AllianceOpt,
        title: Annotated[str, typer.Option("--title", help="What the campaign is called.")],
        lead: Annotated[str, typer.Option("--lead", help="The member that leads it (it takes part).")],
        first_day: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD.")],
        last_day: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD.")],
        budget: Annotated[str, typer.Option("--budget", help="The budget in the alliance's currency: 12000.00.")],
        member: Annotated[list[str], typer.Option("--member", help="MEMBER=RATIO, once per member; the ratios sum "
                                                                    "to exactly 1.")],
        kind: Annotated[str, typer.Option("--kind", help="event, white_paper, co_branding, promotion or other.")] = "event",
        attribution: Annotated[str, typer.Option("--attribution", help="channel, sku or attributed: which order lines "
                                                                        "count as the campaign's revenue.")] = "channel",
        value: Annotated[list[str] | None, typer.Option("--value", help="A channel, SKU or attributed member; repeat "
                                                                         "it.")] = None,
        baseline: Annotated[bool, typer.Option("--baseline", help="Compare with the same number of days just "
                                                                   "before.")] = False,
        fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """Propose a joint marketing campaign; every member then consents (`alliance marketing consent`)."""
    from alliance.operations.marketing.model import Attribution, Draft, Kind

    try:
        chosen_kind, rule = Kind(kind), Attribution(attribution)
    except ValueError:
        raise InvalidInput(Message("--kind is one of {kinds}; --attribution one of {rules}",
                                   kinds=", ".join(Kind), rules=", ".join(Attribution))) from None
    draft = Draft(title, chosen_kind, lead, parse_day(first_day, "--from"), parse_day(last_day, "--to"), budget,
                  _ratios(member), rule, tuple(value or ()), baseline)
    _one(service.create(open_store(), alliance, _operator(), draft, SystemClock()), fmt)


@app.command("consent")
@fails_cleanly
def consent(number: NumberArg, alliance: AllianceOpt,
            member: Annotated[str, typer.Option("--member", help="The member consenting.")],
            as_user: Annotated[str, typer.Option("--as", help="One of the member's own admin accounts.")],
            fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """A member consents to take part and share the costs by its ratio, as one of its own admin accounts."""
    from alliance.access.accounts import user_principal

    store, clock = open_store(), SystemClock()
    principal = user_principal(store, as_user, alliance, clock)
    _one(service.consent(store, alliance, principal, number, clock, member=member), fmt)


@app.command("cost")
@fails_cleanly
def cost(number: NumberArg, alliance: AllianceOpt,
         payer: Annotated[str, typer.Option("--payer", help="The member that paid, or ext:<supplier>.")],
         amount: Annotated[str, typer.Option("--amount", help="The amount in the alliance's currency: 3000.00.")],
         description: Annotated[str, typer.Option("--description", help="What it paid for.")],
         day: Annotated[str | None, typer.Option("--day", help="The invoice's day, YYYY-MM-DD (default today).")] = None,
         corrects: Annotated[int | None, typer.Option("--corrects", help="The cost this one corrects (a negative "
                                                                          "amount).", min=1)] = None,
         fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """Record an actual cost: split by the ratios to the cent and scheduled as a charge for settlement."""
    clock = SystemClock()
    on = None if day is None else parse_day(day, "--day")
    _one(service.add_cost(open_store(), alliance, _operator(), number, payer=payer, amount_minor=amount,
                          description=description, day=on, clock=clock, corrects=corrects), fmt)


@app.command("show")
@fails_cleanly
def show(number: NumberArg, alliance: AllianceOpt, fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """One campaign: its members, ratios, consents and costs with each member's share."""
    c = service.campaign(open_store(), alliance, _operator(), number).campaign
    document = records.campaign_json(c)
    if fmt is OutputFormat.JSON:
        emit(fmt, [], [], document)
        return
    emit(fmt, HEADER, [_row(document)], document)
    emit(fmt, ["cost", "payer", "amount", "day", "description", "corrects", "charge", "shares"],
         [[k["number"], k["payer"], k["amount"], k["day"], k["description"], k["corrects"] or "", k["charge"] or "",
           ", ".join(f"{m} {v}" for m, v in k["shares"].items())] for k in document["costs"]], document["costs"],
         title=f"Costs of {document['code']}")


@app.command("roi")
@fails_cleanly
def roi(number: NumberArg, alliance: AllianceOpt, fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """Attributed revenue, cost share and ROI per member and for the alliance."""
    from alliance.cli.orders import opened_stores

    with opened_stores() as stores:
        found = service.returns_of(stores, alliance, _operator(), number)
    document = records.returns_json(found.campaign, found.rows)
    rows = [[m["member"], m["cost_share"], m["revenue"], m["incremental"] or "", m["roi_shown"]]
            for m in document["members"]]
    whole = document["alliance"]
    rows.append(["(alliance)", whole["cost_share"], whole["revenue"], whole["incremental"] or "", whole["roi_shown"]])
    emit(fmt, ["member", "cost share", "revenue", "incremental", "ROI"], rows, document,
         title=f"ROI of campaign {number} ({found.campaign.currency})")


@app.command("list")
@fails_cleanly
def list_(alliance: AllianceOpt, fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """The alliance's joint marketing campaigns."""
    found = [records.campaign_json(s.campaign) for s in service.campaigns(open_store(), alliance, _operator())]
    emit(fmt, HEADER, [_row(d) for d in found], {"campaigns": found})
