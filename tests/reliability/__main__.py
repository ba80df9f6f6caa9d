"""`python -m tests.reliability --settlements 100000 --seed 1 [--workers 2] [--journal F]`, or
`--seed S --world N` to replay one world; exits 1 on any failure (see docs/settlement.md, "Reliability").

With `--journal F` each finished world's report is appended to F as one JSON line, and a run started
again with the same file plays only the worlds it does not hold yet: world N of seed S is the same
world wherever and whenever it is played, so a long run may be stopped and resumed (on a machine
that is only idle now and then) and its summary is that of one whole run."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path

from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn,
                           TimeRemainingColumn)
from rich.table import Table

from tests.reliability.driver import Report, run_world
from tests.reliability.world import world_size


def plan(seed: int, settlements: int) -> Iterator[int]:
    """World numbers from 0 until their days add up to `settlements` (known before playing them)."""
    total, number = 0, 0
    while total < settlements:
        yield number
        total += world_size(seed, number)
        number += 1


class Ticker:
    """Advances the bar; where it cannot be drawn (a log, CI), prints a line every 5% instead."""

    def __init__(self, progress: Progress, task: TaskID, console: Console, total: int) -> None:
        self.progress, self.task, self.console, self.total = progress, task, console, total
        self.done, self.shown, self.failed = 0, 0, 0
        self.started = time.perf_counter()

    def advance(self, report: Report, settlements: int) -> None:
        self.progress.advance(self.task, settlements)
        self.done += settlements
        if report.failures:  # at once, not only in the summary: a long run stopped early still tells
            self.failed += 1
            self.console.print(f"FAILED world {report.world}: reproduce with "
                               f"`python -m tests.reliability --seed {report.seed} --world {report.world}`",
                               markup=False, highlight=False)
        if not self.console.is_terminal and self.done * 20 // self.total > self.shown:
            self.shown = self.done * 20 // self.total
            self.console.print(f"settled {self.done:,} of {self.total:,} "
                               f"({time.perf_counter() - self.started:.0f} s), {self.failed} world(s) failed",
                               highlight=False)


class Journal:
    """Finished worlds' reports, one JSON line each, appended as they end (flushed: a killed run
    loses at most the worlds it was playing)."""

    def __init__(self, path: Path | None, seed: int) -> None:
        self.path, self.seed = path, seed

    def read(self) -> dict[int, Report]:
        if self.path is None or not self.path.exists():
            return {}
        held: dict[int, Report] = {}
        text = self.path.read_text(encoding="utf-8")
        if text and not text.endswith("\n"):  # cut short by a kill: the next report starts a line of its own
            with self.path.open("a", encoding="utf-8") as out:
                out.write("\n")
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                report = Report(**json.loads(line))
            except (ValueError, TypeError) as e:  # a line cut short by a kill: play that world again
                print(f"{self.path}:{number}: not a report ({e}); its world is played again", file=sys.stderr)
                continue
            if report.seed == self.seed:
                held[report.world] = report
        return held

    def write(self, report: Report) -> None:
        if self.path is not None:
            with self.path.open("a", encoding="utf-8") as out:
                out.write(json.dumps(dataclasses.asdict(report), ensure_ascii=False) + "\n")


def play(seed: int, worlds: list[int], workers: int, ticker: Ticker, journal: Journal) -> list[Report]:
    reports: list[Report] = []
    if workers <= 1:
        for number in worlds:
            reports.append(run_world(seed, number))
            journal.write(reports[-1])
            ticker.advance(reports[-1], world_size(seed, number))
        return reports
    with ProcessPoolExecutor(workers) as pool:
        pending: set[Future[Report]] = set()
        queue = iter(worlds)
        for number in queue:  # a few worlds ahead per worker, no more (memory stays small)
            pending.add(pool.submit(run_world, seed, number))
            if len(pending) >= 2 * workers:
                break
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                report = future.result()
                reports.append(report)
                journal.write(report)
                ticker.advance(report, world_size(seed, report.world))
                if (number := next(queue, None)) is not None:
                    pending.add(pool.submit(run_world, seed, number))
    return reports


def summary(console: Console, seed: int, reports: list[Report], seconds: float) -> None:
    table = Table(title=f"settlement reliability, seed {seed}", show_header=False)
    figures = {
        "worlds": len(reports), "settlements (days closed)": sum(r.settlements for r in reports),
        "runs refused as they must be": sum(r.refused for r in reports),
        "concurrent pairs": sum(r.concurrent for r in reports),
        "late lines adjusted": sum(r.late_lines for r in reports),
        "closed days adjusted": sum(r.adjusted_days for r in reports),
        "imports (retried lines)": f"{sum(r.imports for r in reports):,} ({sum(r.duplicates for r in reports):,})",
        "statement lines checked": sum(r.lines_checked for r in reports),
        "cents checked": sum(r.cents_checked for r in reports),
        "failures": sum(1 for r in reports if r.failures),
        "wall time (this run only)": f"{seconds:.0f} s",
        "CPU time in the workers": f"{sum(r.cpu_seconds for r in reports):.0f} s "
                                   f"({sum(r.cpu_seconds for r in reports) / max(1, sum(r.settlements for r in reports)):.3f} s "
                                   "a settlement)",
    }
    for name, value in figures.items():
        table.add_row(name, f"{value:,}" if isinstance(value, int) else str(value))
    console.print(table)
    for r in sorted(reports, key=lambda r: r.world):
        if r.failures:
            console.print(f"[red]FAILED[/red] world {r.world}: reproduce with "
                          f"`python -m tests.reliability --seed {seed} --world {r.world}`")
            for failure in r.failures[:5]:
                console.print(f"  {failure}", markup=False, highlight=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.reliability", description=__doc__)
    parser.add_argument("--settlements", type=int, default=100_000, help="days to settle, over as many worlds")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--world", type=int, help="replay this world only (from a failure's report)")
    parser.add_argument("--workers", type=int, default=2, help="processes, each with its own stores (default 2)")
    parser.add_argument("--journal", type=Path, help="append each world's report here; resume from it")
    args = parser.parse_args(argv)
    os.environ.setdefault("LANGUAGE", "en")
    worlds = [args.world] if args.world is not None else list(plan(args.seed, args.settlements))
    journal = Journal(args.journal if args.world is None else None, args.seed)
    held = {n: r for n, r in journal.read().items() if n in set(worlds)}
    worlds = [n for n in worlds if n not in held]
    total = sum(world_size(args.seed, n) for n in worlds)
    if held:
        print(f"{len(held):,} world(s), {sum(r.settlements for r in held.values()):,} settlements, read from "
              f"{args.journal}; playing the other {len(worlds):,}", file=sys.stderr)
    console = Console(stderr=True)
    started = time.perf_counter()
    columns = (TextColumn("settling"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("settling", total=total)
        reports = play(args.seed, worlds, max(1, args.workers), Ticker(progress, task, console, total), journal)
    reports += held.values()
    summary(Console(), args.seed, reports, time.perf_counter() - started)
    return 1 if any(r.failures for r in reports) else 0


if __name__ == "__main__":
    sys.exit(main())
