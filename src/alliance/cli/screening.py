"""`alliance screen` and `alliance ahp`: rank partner candidates, derive weights from judgements."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from alliance.cli.lazy import Deferred
from alliance.cli.output import (
    console,
    current_actor,
    err_console,
    fails_cleanly,
    open_store,
    read_text_file,
    write_output,
    write_rows,
)
from alliance.cli.output import alliance_zone, local_time
from alliance.core.clock import SystemClock
from alliance.core.errors import InvalidInput
from alliance.core.messages import Message
from alliance.registry.spreadsheets import TableFileError, read_table
from alliance.screening.ahp import InconsistentJudgements, ahp_weights, parse_matrix
from alliance.screening.blanks import BlankChoice
from alliance.screening.candidates import table_from_rows
from alliance.screening.criteria import PRESETS, CriteriaSpec, WeightsDoNotSumToOne, load_spec_text, preset
from alliance.screening.report import SensitivitySettings, screening_report
from alliance.screening.scoring import Method, rank

# The services are imported when a command calls them (cli.lazy.Deferred): --help and the
# light sub-commands start without them.
if TYPE_CHECKING:
    from alliance.screening import service
else:
    service = Deferred("alliance.screening.service")

FORMATS = ("table", "json", "csv", "xlsx")


def _spec(source: str, normalize: bool) -> CriteriaSpec:
    path = Path(source)
    try:
        if path.exists():
            return load_spec_text(read_text_file(path), str(path), normalize=normalize)
        if source in PRESETS:
            return preset(source, normalize=normalize)
    except WeightsDoNotSumToOne as exc:
        exc.hint = "pass --normalize to divide the weights by their sum"
        raise
    raise TableFileError(Message("{source}: no such file, and not a ready-made criteria set ({presets})",
                                 source=source, presets=', '.join(PRESETS)))


def _fmt(value: float | None, digits: int = 4) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


@fails_cleanly
def screen(
    candidates: Annotated[Path | None, typer.Argument(help="CSV/XLSX: first column name or 名称, one column per criterion.")] = None,
    criteria: Annotated[str, typer.Option("--criteria", "-c", help=f"Spec file (YAML/JSON) or a ready-made set: {', '.join(PRESETS)}.")] = "article",
    alliance: Annotated[str | None, typer.Option("--alliance", "-a", help="Screen this alliance's members instead of a file.")] = None,
    method: Annotated[Method, typer.Option(help="weighted or topsis.")] = Method.WEIGHTED,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, json, csv or xlsx.")] = "table",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here instead of stdout (required for xlsx).")] = None,
    normalize: Annotated[bool, typer.Option("--normalize", help="Divide the weights by their sum if it is not 1.")] = False,
    top: Annotated[int | None, typer.Option(help="Show only the best N (all are ranked).", min=1)] = None,
    draws: Annotated[int, typer.Option(help="Random weight perturbations for the first-place probability.", min=1, max=100_000)] = 2000,
    seed: Annotated[int, typer.Option(help="Seed of the perturbations (same seed, same result).", min=0, max=2**32 - 1)] = 0,
    record: Annotated[str | None, typer.Option("--record", help="Save the run, with its inputs, under this alliance (implied by --alliance).")] = None,
    blanks: Annotated[BlankChoice | None, typer.Option(
        "--blanks", help="With --alliance, members with a blank metric: leave out those members (exclude-members) or "
                         "those criteria (exclude-criteria); without it, the blanks are listed and nothing is ranked.")] = None,
) -> None:
    """Rank partner candidates; every score is explained by its criteria, with how sure the order is."""
    if fmt not in FORMATS:
        raise InvalidInput(Message("--format must be one of {formats}, not {format!r}",
                                   formats=", ".join(FORMATS), format=fmt))
    if (candidates is None) == (alliance is None):
        raise InvalidInput(Message("give either a CANDIDATES file or --alliance CODE"))
    if fmt == "xlsx" and output is None:
        raise InvalidInput(Message("XLSX is binary: give --output FILE.xlsx"))
    spec = _spec(criteria, normalize)
    outcome = None
    if blanks is not None and alliance is None:
        raise InvalidInput(Message("--blanks applies to screening an alliance's members (--alliance)"))
    if candidates is not None:
        text = read_table(candidates)
        table = table_from_rows(spec, text.header, text.rows, header_row=text.header_row)
    else:
        assert alliance is not None
        screening = service.member_screening(open_store(), alliance, spec, blanks)
        spec, table, outcome = screening.spec, screening.table, screening.blanks
    settings = SensitivitySettings(draws=draws, seed=seed)
    record = record or alliance
    if record is not None:
        run, report = service.run_screening(open_store(), record, spec, method, table, settings, current_actor(), SystemClock(),
                                            blanks=outcome)
        err_console.print(f"Saved as screening run {run.id} of {record}.", highlight=False, soft_wrap=True)
        if top is not None:
            report = {**report, "ranking": report["ranking"][:top]}
    else:
        report = screening_report(rank(spec, table, method), settings, limit=top)
    for note in spec.notes:
        err_console.print(f"[yellow]note:[/] {note}", highlight=False, soft_wrap=True)
    if fmt == "json":
        write_output(output, (json.dumps(report, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
    elif fmt in ("csv", "xlsx"):
        header = ["rank", "name", "score", *spec.names]
        rows = [[str(r["rank"]), r["name"], f"{r['score']:.6f}", *(f"{r['contributions'][n]:.6f}" for n in spec.names)]
                for r in report["ranking"]]
        write_rows(output, fmt, header, rows)
    else:
        print_report(report, spec.names)


def print_report(report: dict[str, Any], names: list[str]) -> None:
    method = report["method"]
    scale = "0-10" if method == "weighted" else "closeness 0-1"
    table = Table(title=f"Ranking ({method}, score {scale})", header_style="bold cyan")
    for name in ("rank", "name", "score", *names):
        table.add_column(name, overflow="fold", justify="right" if name not in ("name",) else "left")
    for r in report["ranking"]:
        table.add_row(str(r["rank"]), r["name"], _fmt(r["score"]), *(_fmt(r["contributions"][n]) for n in names))
    console.print(table)
    if method == "topsis":
        console.print("TOPSIS: score = 0.5 + the sum of the criterion columns.", highlight=False, soft_wrap=True)
    if report["excluded"]:
        excluded = Table("name", "excluded because", title="Excluded by thresholds", header_style="bold yellow")
        for e in report["excluded"]:
            excluded.add_row(e["name"], e["reason"])
        console.print(excluded)
    sensitivity = report["sensitivity"]
    tightest = sensitivity["tightest"]
    if tightest:
        side = "raising" if tightest["smallest"] == tightest["increase"] else "lowering"
        console.print(
            f"How sure: {side} the weight of {tightest['criterion']} by {tightest['smallest']:.4f} "
            f"(from {tightest['weight']:.4f}) swaps the first two.", highlight=False, soft_wrap=True)
    elif len(report["ranking"]) > 1:
        console.print("How sure: no change of a single weight swaps the first two.", highlight=False, soft_wrap=True)
    shares = sensitivity["first_place_probability"]
    if shares:
        listed = ", ".join(f"{name} {share:.1%}" for name, share in list(shares.items())[:5])
        console.print(f"First place over {sensitivity['draws']} weight draws (±{sensitivity['spread']:.0%}): {listed}",
                      highlight=False, soft_wrap=True)


@fails_cleanly
def ahp(
    matrix: Annotated[Path, typer.Argument(help="CSV/XLSX: header row of criteria, then one row per criterion.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
    force: Annotated[bool, typer.Option("--force", help="Accept a consistency ratio above 0.10.")] = False,
) -> None:
    """Derive criterion weights from pairwise judgements (AHP), with the consistency ratio."""
    if fmt not in ("table", "json"):
        raise InvalidInput(Message("--format must be table or json, not {format!r}", format=fmt))
    text = read_table(matrix)
    names, values = parse_matrix(text.header, text.rows, text.header_row)
    try:
        result = ahp_weights(names, values, force=force)
    except InconsistentJudgements as exc:
        exc.hint = "pass --force to accept the weights anyway"
        raise
    document = {
        "weights": result.weights,
        "consistency_ratio": result.consistency_ratio,
        "consistent": result.consistent,
        "consistency_index": result.consistency_index,
        "random_index": result.random_index,
        "lambda_max": result.lambda_max,
    }
    if fmt == "json":
        sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        return
    table = Table("criterion", "weight", title="AHP weights", header_style="bold cyan")
    for name, weight in result.weights.items():
        table.add_row(name, f"{weight:.4f}")
    console.print(table)
    verdict = "consistent" if result.consistent else "NOT consistent (accepted with --force)"
    console.print(f"Consistency ratio {result.consistency_ratio:.4f} (limit 0.10): {verdict}.", highlight=False, soft_wrap=True)


runs = typer.Typer(help="Saved screening runs: list, show, recompute.", no_args_is_help=True)


@runs.command("list")
@fails_cleanly
def runs_list(alliance: Annotated[str, typer.Option("--alliance", "-a")]) -> None:
    """List an alliance's saved screening runs."""
    table = Table("run", "when", "who", "method", "candidates", "leader", "inputs sha256", header_style="bold cyan")
    zone = alliance_zone(alliance)  # times in the alliance's own zone, with it
    for run in service.list_runs(open_store(), alliance):
        leader = run.report["ranking"][0]["name"] if run.report["ranking"] else "-"
        table.add_row(str(run.id), local_time(run.created_at, zone), run.actor, run.method,
                      str(run.candidate_count), leader, run.inputs_sha256[:16])
    console.print(table)


@runs.command("show")
@fails_cleanly
def runs_show(
    run_id: Annotated[int, typer.Argument()],
    alliance: Annotated[str, typer.Option("--alliance", "-a")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
    recompute: Annotated[bool, typer.Option("--recompute", help="Recompute from the stored inputs and compare.")] = False,
) -> None:
    """Show a saved run (optionally recomputed from its inputs, which must give the same result)."""
    if fmt not in ("table", "json"):
        raise InvalidInput(Message("--format must be table or json, not {format!r}", format=fmt))
    if recompute:
        run, report, same = service.recompute_run(open_store(), alliance, run_id)
        verdict = "identical to the saved result" if same else "DIFFERENT from the saved result"
        err_console.print(f"Recomputed run {run_id} from its inputs: {verdict}.", highlight=False, soft_wrap=True)
    else:
        run = service.get_run(open_store(), alliance, run_id)
        report, same = run.report, True
    if fmt == "json":
        sys.stdout.write(json.dumps({"run": run.id, "created_at": run.created_at.isoformat(), "actor": run.actor,
                                     "inputs_sha256": run.inputs_sha256, **report}, ensure_ascii=False, indent=2) + "\n")
    else:
        print_report(report, list(run.inputs["criteria"]))
    if not same:
        raise typer.Exit(1)
