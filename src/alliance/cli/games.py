"""`alliance game solve` and `alliance voting-power`: fair splits, stability and voting power."""

from __future__ import annotations

import json
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from alliance.cli.output import console, fails_cleanly, read_text_file
from alliance.core.errors import InvalidInput
from alliance.core.messages import Message
from alliance.games.files import parse_game, parse_worth_csv, parse_weights
from alliance.games.solve import SOLUTIONS, GameSolution, solve
from alliance.games.voting import voting_power

app = typer.Typer(help="Cooperative games: Shapley, Banzhaf, core and nucleolus.", no_args_is_help=True)


def _number(x: float) -> str:
    return f"{x:.6f}".rstrip("0").rstrip(".") if abs(x) >= 1e-9 else "0"


def _print_solution(result: GameSolution) -> None:
    columns = [name for name in ("shapley", "banzhaf", "nucleolus", "equal", "proportional") if name in result.values]
    kind = "cost game: values are cost shares" if result.cost else "values are shares of the grand coalition's worth"
    table = Table(title=f"{len(result.players)} players; v(N) = {_number(result.grand_worth)} ({kind})",
                  header_style="bold cyan")
    table.add_column("player")
    for name in columns:
        table.add_column(name, justify="right")
    for player in result.players:
        cells = []
        for name in columns:
            cell = _number(result.values[name][player])
            half = result.half_widths.get(name, {}).get(player)
            cells.append(f"{cell} ± {_number(half)}" if half is not None else cell)
        table.add_row(player, *cells)
    console.print(table)
    for name, method in result.methods.items():
        console.print(f"  {name}: {method}", highlight=False)
    if result.core is not None:
        core = result.core
        if core["in_core"]:
            console.print("  core: the Shapley allocation is in the core (no group does better on its own)", highlight=False)
        elif not core["efficient"]:
            console.print("  core: the allocation does not share out exactly v(N)", highlight=False)
        else:
            console.print(f"  core: not in the core: {' + '.join(core['blocking'])} would gain "
                          f"{_number(core['excess'])} on their own", highlight=False)
        if "core_empty" in core:
            state = "empty" if core["core_empty"] else "not empty"
            console.print(f"  core of the game: {state} (least-core epsilon {_number(core['least_core_epsilon'])})",
                          highlight=False)
    for name, why in result.skipped.items():
        console.print(f"  {name}: skipped: {why}", highlight=False)


def _allocation(text: str, where: str) -> dict[str, float]:
    """An allocation file: a JSON object player -> number (or decimal string)."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(Message("{where}: not valid JSON: line {line}: {error}",
                                   where=where, line=exc.lineno, error=exc.msg)) from None
    if not isinstance(raw, dict):
        raise InvalidInput(Message("{where}: expected a JSON object of player -> value", where=where))
    out: dict[str, float] = {}
    for player, value in raw.items():
        try:
            out[player] = float(Decimal(str(value))) if not isinstance(value, bool) else float("nan")
        except InvalidOperation:
            out[player] = float("nan")
        if out[player] != out[player]:
            raise InvalidInput(Message("{where}: the value of {player!r} is not a number: {value!r}",
                                       where=where, player=player, value=value))
    return out


@app.command("solve")
@fails_cleanly
def solve_command(
    game_file: Annotated[Path, typer.Argument(help="Game file (JSON, docs/formats/games.md) or a worth table (CSV: coalition,value).")],
    solution: Annotated[list[str] | None, typer.Option("--solution", "-s", help=f"{', '.join(SOLUTIONS)} or all (repeatable).")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
    monotone: Annotated[bool, typer.Option("--monotone", help="CSV only: fill missing coalitions from listed subsets.")] = False,
    target_error: Annotated[float | None, typer.Option(help="Sampled solutions: stop at this 95% half-width.")] = None,
    samples: Annotated[int, typer.Option(help="Sampled solutions: at most this many permutations/coalitions.", min=1)] = 100_000,
    seed: Annotated[int, typer.Option(help="Sampled solutions: random seed (same seed, same result).", min=0)] = 0,
    allocation: Annotated[Path | None, typer.Option(help="JSON object player -> value: check this allocation against the core (default: the Shapley value).")] = None,
) -> None:
    """Solve a cooperative game: each player's value under the chosen solutions."""
    if fmt not in ("table", "json"):
        raise InvalidInput(Message("--format must be table or json, not {format!r}", format=fmt))
    text = read_text_file(game_file)
    game = parse_worth_csv(text, monotone=monotone) if game_file.suffix.lower() == ".csv" else parse_game(text)
    proposed = _allocation(read_text_file(allocation), str(allocation)) if allocation is not None else None
    result = solve(game, solution or ["all"], allocation=proposed, target_error=target_error, max_samples=samples,
                   seed=seed)
    if fmt == "json":
        sys.stdout.write(json.dumps(result.as_json(), ensure_ascii=False, indent=2) + "\n")
    else:
        _print_solution(result)


@fails_cleanly
def voting_power_command(
    quota: Annotated[str, typer.Option("--quota", "-q", help="Weight a coalition needs to win (a number).")],
    weights: Annotated[Path, typer.Option("--weights", "-w", help="CSV member,weight or a JSON object member -> weight.")],
    veto: Annotated[list[str] | None, typer.Option("--veto", help="A member whose vote every decision needs (repeatable).")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """Shapley-Shubik and Banzhaf power of each member under a weighted voting rule, beside its weight."""
    if fmt not in ("table", "json"):
        raise InvalidInput(Message("--format must be table or json, not {format!r}", format=fmt))
    game = parse_weights(read_text_file(weights), quota, veto or [])
    power = voting_power(game)
    total = sum(game.weights)
    rows = []
    for i, player in enumerate(game.players):
        rows.append({"member": player, "weight": str(_plain(game.weights[i])),
                     "weight_share": float(game.weights[i] / total) if total else 0.0,
                     "veto": i in game.veto, "shapley_shubik": float(power.shapley_shubik[i]),
                     "banzhaf": float(power.banzhaf_index[i]), "banzhaf_raw": float(power.banzhaf_raw[i])})
    if fmt == "json":
        sys.stdout.write(json.dumps({"quota": str(_plain(game.quota)), "members": rows}, ensure_ascii=False, indent=2) + "\n")
        return
    table = Table(title=f"Voting power, quota {_plain(game.quota)} of {_plain(total)}", header_style="bold cyan")
    for name in ("member", "weight", "weight %", "Shapley-Shubik %", "Banzhaf %", "veto"):
        table.add_column(name, justify="left" if name == "member" else "right")
    for row in rows:
        table.add_row(row["member"], row["weight"], f"{100 * row['weight_share']:.2f}",
                      f"{100 * row['shapley_shubik']:.2f}", f"{100 * row['banzhaf']:.2f}", "yes" if row["veto"] else "")
    console.print(table)


def _plain(x: object) -> str:
    from fractions import Fraction

    if isinstance(x, Fraction):
        return str(x.numerator) if x.denominator == 1 else f"{float(x):g}"
    return str(x)


contribution_app = typer.Typer(help="Contribution splits recomputed from recorded data.", no_args_is_help=True)


@contribution_app.command("report")
@fails_cleanly
def contribution_report_command(
    alliance: Annotated[str, typer.Option("--alliance", "-a", help="Alliance code.")],
    agreement: Annotated[str, typer.Option("--agreement", help="Agreement code.")],
    rule: Annotated[str, typer.Option("--rule", help="The id of its contribution rule.")],
    first: Annotated[str, typer.Option("--from", help="First day (YYYY-MM-DD).")],
    last: Annotated[str, typer.Option("--to", help="Last day (YYYY-MM-DD).")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="markdown, html or json.")] = "markdown",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")] = None,
) -> None:
    """Recompute a period's contribution split and explain each member's value (for a dispute)."""
    from alliance.cli.orders import opened_stores
    from alliance.cli.output import parse_day, write_output
    from alliance.settlement.disputes import contribution_report

    if fmt not in ("markdown", "html", "json"):
        raise InvalidInput(Message("--format must be markdown, html or json, not {format!r}", format=fmt))
    start, end = parse_day(first, "--from"), parse_day(last, "--to")
    with opened_stores() as stores:
        report = contribution_report(stores, alliance, agreement, rule, start, end)
    if fmt == "json":
        text = json.dumps(report.as_json(), ensure_ascii=False, indent=2) + "\n"
    else:
        text = report.markdown() if fmt == "markdown" else report.html()
    write_output(output, text.encode("utf-8"))
