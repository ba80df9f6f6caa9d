"""`alliance dissolution start|status|funds|finish|archive`: dissolving an alliance and its
sub-alliances (docs/exit.md, "Dissolution"). Without `--as` the operator acts as platform admin;
`--as` a coordinator's account acts as that coordinator. `start` is for alliances that do not decide
by governance proposals (an accepted `dissolve` proposal starts it by itself): it still names the
decision (`--decided-by`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from alliance.access.roles import Principal, Role
from alliance.cli.lazy import Deferred
from alliance.cli.output import (
    OutputFormat,
    console,
    current_actor,
    emit,
    fails_cleanly,
    open_store,
    parse_day,
)
from alliance.core.clock import SystemClock

if TYPE_CHECKING:
    from alliance.exits import dissolution_service as dissolution
else:
    dissolution = Deferred("alliance.exits.dissolution_service")

HELP = ("Dissolve an alliance and its sub-alliances: start the winding-up, share out the funds, see what is left, "
        "finish it, download its archive.")
app = typer.Typer(help=HELP, no_args_is_help=True)
AllianceArg = Annotated[str, typer.Argument(help="The alliance's code.")]
AsOpt = Annotated[str | None, typer.Option(
    "--as", help="Act as this user account (its role in the alliance). Default: the operator, as platform admin.")]
FormatOpt = Annotated[OutputFormat, typer.Option("--format", help="table, json or csv.")]


def _principal(store: object, as_user: str | None, alliance: str, clock: SystemClock) -> Principal:
    from alliance.access.accounts import user_principal

    if as_user is None:
        return Principal(current_actor(), Role.PLATFORM_ADMIN, kind="operator")
    return user_principal(store, as_user, alliance, clock)  # type: ignore[arg-type]


@app.command("start")
@fails_cleanly
def start(
    alliance: AllianceArg,
    decided_by: Annotated[str, typer.Option("--decided-by", help="The decision that dissolves it, e.g. "
                                                                 "\"members' meeting of 2026-12-01\".")],
    last_day: Annotated[str | None, typer.Option("--last-trading-day",
                                                 help="The last trading day, YYYY-MM-DD (default: today).")] = None,
    fmt: FormatOpt = OutputFormat.TABLE,
    as_user: AsOpt = None,
) -> None:
    """Wind ALLIANCE and its sub-alliances up (sub-alliances first): each becomes dissolving and every
    current member gets an exit case (trigger dissolution). Safe to run again: nothing is opened twice."""
    store, clock = open_store(), SystemClock()
    done = dissolution.wind_up(store, alliance, clock, principal=_principal(store, as_user, alliance, clock),
                               decided_by=decided_by,
                               last_trading_day=parse_day(last_day, "--last-trading-day") if last_day else None)
    docs = [{"alliance": w.alliance, "became_dissolving": w.became_dissolving,
             "opened": [{"member": m, "case": n} for m, n in w.opened],
             "already_open": [{"member": m, "case": n} for m, n in w.skipped]} for w in done]
    emit(fmt, ["alliance", "became_dissolving", "opened", "already_open"],
         [[d["alliance"], d["became_dissolving"], ", ".join(f"{o['member']} (case {o['case']})" for o in d["opened"]),
           ", ".join(f"{o['member']} (case {o['case']})" for o in d["already_open"])] for d in docs], docs,
         title="Winding up, sub-alliances first")


@app.command("status")
@fails_cleanly
def status(alliance: AllianceArg, fmt: FormatOpt = OutputFormat.TABLE, as_user: AsOpt = None) -> None:
    """The winding-up order and what still stands between each alliance and dissolved."""
    store, clock = open_store(), SystemClock()
    states = dissolution.status(store, alliance, principal=_principal(store, as_user, alliance, clock))
    docs = [s.as_json() for s in states]
    emit(fmt, ["alliance", "status", "last_trading_day", "blockers"],
         [[d["alliance"], d["status"], d["last_trading_day"],
           "; ".join(b["what"] for b in d["blockers"]) or "nothing left: it can be finished"] for d in docs],
         docs, title="Dissolution: the order and what is left")


@app.command("funds")
@fails_cleanly
def funds(alliance: AllianceArg, fmt: FormatOpt = OutputFormat.TABLE, as_user: AsOpt = None) -> None:
    """Share out each fund the agreements declare, by the exit clause's rule (default: back to whoever
    paid in); the next settlement run books the releases."""
    store, clock = open_store(), SystemClock()
    done = dissolution.share_out_funds(store, alliance, clock, principal=_principal(store, as_user, alliance, clock))
    docs = [{"fund": r.fund, "rule": r.rule, "balance_minor": r.balance_minor, "parts": r.parts,
             "release": r.release, "note": r.note} for r in done]
    emit(fmt, ["fund", "rule", "balance_minor", "parts", "release", "note"],
         [[d["fund"], d["rule"], d["balance_minor"], ", ".join(f"{m} {a}" for m, a in d["parts"].items()),
           d["release"], d["note"]] for d in docs], docs, title="Funds shared out")


@app.command("finish")
@fails_cleanly
def finish(alliance: AllianceArg, as_user: AsOpt = None) -> None:
    """Make ALLIANCE dissolved (read-only) and sign its ledger's final checkpoint; refused, naming
    every blocker, while anything is left open."""
    store, clock = open_store(), SystemClock()
    done = dissolution.finish(store, alliance, clock, principal=_principal(store, as_user, alliance, clock))
    console.print(f"{alliance} is dissolved. " + (f"Final checkpoint: {done.checkpoint}" if done.checkpoint
                                                   else done.note), highlight=False, soft_wrap=True)


@app.command("archive")
@fails_cleanly
def archive(
    alliance: AllianceArg,
    out: Annotated[Path, typer.Option("--out", "-o", help="The archive to write (a .zip).")],
    as_user: AsOpt = None,
) -> None:
    """Write the whole alliance's archive: each member's archive and the ledger's export, in one ZIP."""
    from alliance.cli.orders import opened_stores

    clock = SystemClock()
    with opened_stores() as stores:
        summary = dissolution.build_alliance_archive(
            stores, alliance, out, clock, principal=_principal(stores.records, as_user, alliance, clock))
    console.print(f"Wrote {out}: {len(summary['members'])} member archives, {summary['ledger_entries']} ledger "
                  f"entries.", highlight=False, soft_wrap=True)
