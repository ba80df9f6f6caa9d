"""`alliance exit open|list|show|step|item|statement|ack|end|erase`: a member's exit case (docs/exit-cases.md).
Without `--as` the operator acts as platform admin (who opens and changes cases but acknowledges
nothing: the final statement is acknowledged by the member's admin and the coordinator, each with
`--as` their own account)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from alliance.access.roles import Principal, Role
from alliance.cli.lazy import Deferred
from alliance.cli.output import OutputFormat, console, current_actor, emit, fails_cleanly, open_store, parse_day
from alliance.core.clock import SystemClock

if TYPE_CHECKING:
    from alliance.exits import erasure_service
    from alliance.exits import service as exits
else:
    exits = Deferred("alliance.exits.service")
    erasure_service = Deferred("alliance.exits.erasure_service")

HELP = ("Exit cases: open one from its trigger, follow its steps, enter hand-over, staff and asset items, "
        "acknowledge the final statement, record the end, erase the departed member's data after the window.")
app = typer.Typer(help=HELP, no_args_is_help=True)
AllianceOpt = Annotated[str, typer.Option("--alliance", "-a", help="The alliance's code.")]
AsOpt = Annotated[str | None, typer.Option(
    "--as", help="Act as this user account (its role in --alliance). Default: the operator, as platform admin.")]
FormatOpt = Annotated[OutputFormat, typer.Option("--format", help="table, json or csv.")]
CaseArg = Annotated[int, typer.Argument(help="The case's number.")]


def _principal(store: object, as_user: str | None, alliance: str, clock: SystemClock) -> Principal:
    from alliance.access.accounts import user_principal

    if as_user is None:
        return Principal(current_actor(), Role.PLATFORM_ADMIN, kind="operator")
    return user_principal(store, as_user, alliance, clock)  # type: ignore[arg-type]


@app.command("open")
@fails_cleanly
def open_(
    member: Annotated[str, typer.Argument(help="The leaving member's code.")],
    alliance: AllianceOpt,
    trigger: Annotated[str, typer.Option("--trigger", help="voluntary, expiry, expulsion_vote, rating_elimination, "
                                                           "breach, change_of_control or insolvency.")],
    on: Annotated[str, typer.Option("--on", help="The trigger's day (the notice, decision, breach notice), YYYY-MM-DD.")],
    end: Annotated[str | None, typer.Option("--end", help="An agreed end date instead of the trigger's rule.")] = None,
    cure_days: Annotated[int | None, typer.Option("--cure-days", min=0, max=3650,
                                                  help="A breach's cure period in days (default 30).")] = None,
    reference: Annotated[str, typer.Option("--reference", help="What the trigger points to: a letter, a proposal.")] = "",
    fmt: FormatOpt = OutputFormat.TABLE,
    as_user: AsOpt = None,
) -> None:
    """Open MEMBER's exit case: its end date from the trigger and the agreements' exit clause (or the
    defaults), and its plan. A second open case for the member is refused (exit 2, nothing stored)."""
    from alliance.cli.orders import open_facts
    from alliance.exits.triggers import parse_trigger

    store, clock = open_store(), SystemClock()
    principal = _principal(store, as_user, alliance, clock)
    facts = open_facts()
    try:
        case = exits.open_case(store, alliance, member, parse_trigger(trigger), parse_day(on, "--on"), clock,
                               principal=principal, agreed_end=parse_day(end, "--end") if end else None,
                               cure_days=cure_days, reference=reference, facts=facts)
    finally:
        facts.close()
    _show(exits.as_json(case), fmt)


@app.command("list")
@fails_cleanly
def list_(alliance: AllianceOpt, fmt: FormatOpt = OutputFormat.TABLE, as_user: AsOpt = None) -> None:
    """The exit cases, newest first (a member's people: their own member's)."""
    store, clock = open_store(), SystemClock()
    cases = exits.list_cases(store, alliance, _principal(store, as_user, alliance, clock))
    docs = [exits.as_json(c) for c in cases]
    columns = ["case", "member", "trigger", "decided_on", "end_date", "status"]
    emit(fmt, columns, [[d[c] for c in columns] for d in docs], docs, title=f"{len(docs)} exit cases")


@app.command("show")
@fails_cleanly
def show(number: CaseArg, alliance: AllianceOpt, fmt: FormatOpt = OutputFormat.TABLE, as_user: AsOpt = None) -> None:
    """A case's steps (owner, due date, status), items and acknowledgements."""
    store, clock = open_store(), SystemClock()
    _show(exits.as_json(exits.get_case(store, alliance, number, _principal(store, as_user, alliance, clock))), fmt)


@app.command("step")
@fails_cleanly
def step(
    number: CaseArg,
    key: Annotated[str, typer.Argument(help="The step: notice, settlement, holdback, final_statement, ip, handover, "
                                            "data, non_compete, staff, assets, agreements, end.")],
    status: Annotated[str, typer.Argument(help="done, waived, open or flagged.")],
    alliance: AllianceOpt,
    reason: Annotated[str, typer.Option("--reason", help="Why it is waived, or how it was done.")] = "",
    owner: Annotated[str | None, typer.Option("--owner", help="member, coordinator or successor:<member code>.")] = None,
    fmt: FormatOpt = OutputFormat.TABLE,
    as_user: AsOpt = None,
) -> None:
    """Set a step's status (the coordinator). The holdback cannot be waived while a dispute naming the
    member is open; the settlement is done once every day through the end date is settled."""
    from alliance.exits.rules import parse_status, parse_step

    store, clock = open_store(), SystemClock()
    case = exits.change_step(store, alliance, number, parse_step(key), parse_status(status), reason, clock,
                             principal=_principal(store, as_user, alliance, clock), owner=owner)
    _show(exits.as_json(case), fmt)


@app.command("item")
@fails_cleanly
def item(
    number: CaseArg,
    key: Annotated[str, typer.Argument(help="handover, staff or assets.")],
    alliance: AllianceOpt,
    field: Annotated[list[str], typer.Option("--field", "-f", help="name=value, e.g. customer=宁波客户甲, successor=M2, "
                                                                   "continuity_until=2027-03-31 (repeat).")],
    fmt: FormatOpt = OutputFormat.TABLE,
    as_user: AsOpt = None,
) -> None:
    """Enter an item under the hand-over (customer, open_orders, successor, continuity_until,
    non_solicitation_until), staff (person, role, arrangement, until) or assets (asset, location,
    return_by) step."""
    from alliance.core.errors import InvalidInput
    from alliance.core.messages import Message
    from alliance.exits.rules import parse_step

    values: dict[str, str] = {}
    for text in field:
        name, sep, value = text.partition("=")
        if not sep:
            raise InvalidInput(Message("--field {value!r}: write name=value", value=text[:60]))
        values[name.strip()] = value
    store, clock = open_store(), SystemClock()
    case = exits.add_item(store, alliance, number, parse_step(key), values, clock,
                          principal=_principal(store, as_user, alliance, clock))
    _show(exits.as_json(case), fmt)


@app.command("statement")
@fails_cleanly
def statement(number: CaseArg, alliance: AllianceOpt, fmt: FormatOpt = OutputFormat.TABLE,
              as_user: AsOpt = None) -> None:
    """The member's final statement: totals by rule and day, proration, payouts, balance, holdback."""
    store, clock = open_store(), SystemClock()
    doc = exits.final_statement(store, alliance, number, _principal(store, as_user, alliance, clock))
    currency = doc["currency"]
    rows = [[f"{r['agreement']} / {r['rule']} ({r['kind']})", f"{r['total']} {currency}"] for r in doc["by_rule"]]
    rows += [["statements total", f"{doc['statements_total']} {currency}"],
             ["proration credit", f"{doc['proration']['credit']} {currency} ({doc['proration']['days']} of "
                                  f"{doc['proration']['month_days']} days)"],
             ["paid out", f"{doc['paid_out']} {currency}"], ["balance", f"{doc['balance']} {currency}"],
             ["holdback", f"{doc['holdback']} {currency}"], ["payable now", f"{doc['payable_now']} {currency}"],
             ["final", "yes" if doc["final"] else "no: days through the end date are still open"],
             ["sha256", doc["sha256"]]]
    rows += [[f"acknowledged by the {a['party']}", f"{a['account']} at {a['at']}"
              + ("" if a["current"] else " (an earlier version)")] for a in doc["acknowledged"]]
    emit(fmt, ["", ""], rows, doc, title=f"Final statement of {doc['member']} through {doc['through']}")


@app.command("ack")
@fails_cleanly
def ack(number: CaseArg, alliance: AllianceOpt, as_user: AsOpt = None) -> None:
    """Acknowledge the final statement as it stands now: the member's admin or the coordinator, each
    once, with `--as` their own account."""
    store, clock = open_store(), SystemClock()
    case = exits.acknowledge(store, alliance, number, clock, principal=_principal(store, as_user, alliance, clock))
    console.print(f"Final statement of exit case {case.number} acknowledged "
                  f"({', '.join(a.party for a in case.acknowledgements)}).", highlight=False)


@app.command("end")
@fails_cleanly
def end(number: CaseArg, alliance: AllianceOpt, fmt: FormatOpt = OutputFormat.TABLE, as_user: AsOpt = None) -> None:
    """Record that membership ended on the case's end date (once that day has come; the server's daily
    loop does it by itself)."""
    store, clock = open_store(), SystemClock()
    case = exits.record_end(store, alliance, number, clock, principal=_principal(store, as_user, alliance, clock))
    _show(exits.as_json(case), fmt)


@app.command("erase")
@fails_cleanly
def erase(number: CaseArg, alliance: AllianceOpt, yes: Annotated[bool, typer.Option(
        "--yes", help="Erase without showing what would be erased first.")] = False,
          fmt: FormatOpt = OutputFormat.TABLE, as_user: AsOpt = None) -> None:
    """Erase what the alliance no longer needs of the departed member (its people's accounts, its keys,
    shared views and their logs, webhooks, contact details, its staff's names), once its archive's
    retrieval window has passed; statements, order lines, the ledger, agreements, votes, disputes and
    payouts are kept. Without --yes it shows what would be erased and asks."""
    store, clock = open_store(), SystemClock()
    principal = _principal(store, as_user, alliance, clock)
    if not yes:
        preview = erasure_service.preview_erasure(store, alliance, number, clock, principal=principal)
        if preview["ready"]:  # else the erasure below says why not, changing nothing
            emit(OutputFormat.TABLE, ["what", "count"], [[k, str(v)] for k, v in preview["counts"].items()], preview,
                 title=f"Erasing {preview['member']}'s data (retrieval window until {preview['retrieval_until']})")
            typer.confirm("Erase this? Statements, order lines, the ledger, agreements, votes, disputes and payouts "
                          "are kept", abort=True)
    case = erasure_service.erase_member_data(store, alliance, number, clock, principal=principal)
    _show(exits.as_json(case), fmt)


def _show(doc: dict[str, object], fmt: OutputFormat) -> None:
    steps = doc["steps"]
    assert isinstance(steps, list)
    rows = [[s["step"], s["owner"], s["due"], s["status"], s["reason"]] for s in steps]
    emit(fmt, ["step", "owner", "due", "status", "note"], rows, doc,
         title=f"Exit case {doc['case']}: {doc['member']} ({doc['trigger']}), ends {doc['end_date']}, {doc['status']}")
