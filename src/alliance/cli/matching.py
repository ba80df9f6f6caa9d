"""`alliance match partners|coalition|send` and `alliance heatmap`: recommendations over an alliance's
holders (matching.recommendations). The command line acts as a platform admin, as the resource
commands do; the outside directory is among the candidates unless `--members-only`."""

from __future__ import annotations

import json
import sys
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Annotated, Any

import typer

from alliance.cli.governance import _operator
from alliance.cli.lazy import Deferred
from alliance.cli.output import OutputFormat, console, emit, fails_cleanly, open_store
from alliance.core.clock import SystemClock
from alliance.core.errors import InvalidInput
from alliance.core.messages import Message

if TYPE_CHECKING:
    from alliance.matching import records, recommendations
else:
    records = Deferred("alliance.matching.records")
    recommendations = Deferred("alliance.matching.recommendations")

match_app = typer.Typer(help="Recommend partners for a holder's needs: the best partners, the best coalition, and "
                             "sending a candidate to the pipeline.", no_args_is_help=True)

AllianceOpt = Annotated[str, typer.Option("--alliance", "-a", help="The alliance's code.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
HolderArg = Annotated[str, typer.Argument(help="The member (or directory entry) whose needs are to be met.")]
MembersOnly = Annotated[bool, typer.Option("--members-only", help="Leave the outside directory out.")]


def _dump(document: Any) -> None:
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n")


def _pct(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f}%"


@match_app.command("partners")
@fails_cleanly
def partners(holder: HolderArg, alliance: AllianceOpt,
             k: Annotated[int, typer.Option("-k", help="How many partners (1 to 100).")] = 10,
             members_only: MembersOnly = False, as_json: JsonOpt = False) -> None:
    """The k best partners for a holder's needs, each with the share of its needs they cover and why."""
    found = recommendations.best_partners(open_store(), alliance, _operator(), holder, k, outside=not members_only)
    record = records.partners_json(found)
    if as_json:
        _dump(record)
        return
    rows = [[p["code"], p["name"], p["kind"], _pct(p["score"]), _pct(p["mutual"]),
             ", ".join(f"{g} {_pct(v)}" for g, v in sorted(p["why"]["contributions"].items(), key=lambda x: -(x[1] or 0))
                       if v)] for p in record["partners"]]
    emit(OutputFormat.TABLE, ["code", "name", "kind", "covers", "mutual", "by kind"], rows, record,
         title=f"Best partners for {holder}")
    for note in record["notes"]:
        console.print(note, highlight=False)


def _costs(lines: list[str]) -> dict[str, Decimal]:
    found: dict[str, Decimal] = {}
    for line in lines:
        code, sep, amount = line.partition("=")
        try:
            if not sep:
                raise InvalidOperation
            found[code.strip()] = Decimal(amount.strip())
        except InvalidOperation:
            raise InvalidInput(Message("--cost {text!r} is not CODE=AMOUNT", text=line)) from None
    return found


@match_app.command("coalition")
@fails_cleanly
def coalition(holder: HolderArg, alliance: AllianceOpt,
              k: Annotated[int, typer.Option("-k", help="At most this many partners.")] = 3,
              include: Annotated[list[str] | None, typer.Option("--include", help="A partner it must have.")] = None,
              exclude: Annotated[list[str] | None, typer.Option("--exclude", help="A candidate it must not have.")]
              = None,
              one_per_region: Annotated[bool, typer.Option("--one-per-region",
                                                           help="At most one partner per region.")] = False,
              cost: Annotated[list[str] | None, typer.Option("--cost", help="CODE=AMOUNT: a candidate's cost "
                                                             "(others cost 1); without, the fewest partners.")]
              = None,
              no_screen: Annotated[bool, typer.Option("--no-screen", help="Skip the competition screen of "
                                                      "competitors in the coalition.")] = False,
              members_only: MembersOnly = False, as_json: JsonOpt = False) -> None:
    """The least-cost set of at most k partners covering every need (exact, with the greedy answer and
    the gap); if none can, which needs nobody covers and the best partial set."""
    answer = recommendations.best_coalition_for(
        open_store(), alliance, _operator(), holder, k=k, costs=_costs(cost or []) or None,
        must_include=include or [], must_exclude=exclude or [], one_per_region=one_per_region,
        screen_competition=not no_screen, outside=not members_only)
    record = records.coalition_json(answer)
    if as_json:
        _dump(record)
        return
    console.print(f"{record['outcome']}: partners {', '.join(record['partners']) or '(none)'}, cost "
                  f"{record['cost']}, needs covered {_pct(record['score'])}"
                  f"{' (optimal)' if record['optimal'] else ''}.", highlight=False)
    rows = [[n["need"], "yes" if n["covered"] else "no", _pct(n["total"]),
             ", ".join(f"{b['partner']} {_pct(b['cover'])}" for b in n["by"])] for n in record["needs"]]
    emit(OutputFormat.TABLE, ["need", "covered", "total", "by"], rows, record, title=f"Coalition for {holder}")
    greedy = record["greedy"]
    console.print(f"Greedy: {', '.join(greedy['partners']) or '(none)'}, cost {greedy['cost']}"
                  + (f", {greedy['cost_gap']} more than the optimum" if greedy["cost_gap"] is not None else "")
                  + ".", highlight=False)
    if record["explanation"]:
        console.print(record["explanation"], highlight=False)
    for objection in record["objections"]:
        console.print(f"Competition: {objection}", highlight=False)


@match_app.command("send")
@fails_cleanly
def send(holder: HolderArg, candidate: Annotated[str, typer.Argument(help="The directory candidate to add.")],
         alliance: AllianceOpt) -> None:
    """Add a recommended outside candidate to the partner pipeline (source matching), with why."""
    prospect = recommendations.send_to_pipeline(open_store(), alliance, _operator(), holder, candidate, SystemClock())
    console.print(f"{candidate} is prospect {prospect} (source matching).", highlight=False)


@fails_cleanly
def heatmap(alliance: AllianceOpt,
            directed: Annotated[bool, typer.Option("--directed", help="S(row <- column) instead of the mutual "
                                                   "score.")] = False,
            fmt: Annotated[OutputFormat, typer.Option("--format", help="table, csv or json.")] = OutputFormat.TABLE
            ) -> None:
    """The complementarity heat map of the alliance's members, clustered (similar profiles together)."""
    hm = recommendations.members_heat_map(open_store(), alliance, _operator())
    record = records.heatmap_json(hm)
    values = record["directed" if directed else "mutual"]
    order = record["order"]
    header = ["", *(record["codes"][i] for i in order)]
    rows = [[record["codes"][a], *("" if values[a][b] is None else f"{values[a][b]:.2f}" for b in order)] for a in order]
    emit(fmt, header, rows, record, title="Complementarity (mutual)" if not directed else "Complementarity S(row <- column)")
