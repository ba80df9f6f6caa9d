"""Settlement totals on Spark beside DuckDB: one day of order lines, the same queries on both.

Run: .venv/bin/python benchmarks/spark_totals.py [--lines 10000000] [--members 200] [--master local[2]]

Builds the benchmark day of benchmarks/settlement.py (same lines, same eight-rule agreement),
exports it to hive-partitioned Parquet (`alliance facts export`'s code), plans the day's totals
queries as a settlement run does (`settlement.totals.rule_totals`), then asks them of DuckDB (the
fact store) and of Spark (`SparkLineTotals` over the Parquet copy) and prints for each: the first
(cold) and best of three repeated (warm) times, rows, peak memory (DuckDB: this process's peak
resident memory over its queries; Spark: this process plus the JVM, the largest sum sampled every
0.1 s, and the JVM heap Spark reports), Spark's session start-up, the ratio, and the per-partition
cost a cluster estimate builds on: Spark's warm time less its fixed cost per query set (the same
queries on a day with no lines, every partition pruned), per million lines of the day's partition.
It checks that both engines return the same totals, row for row.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from settlement import ALLIANCE, DAY, best_of, prepare  # noqa: E402

from alliance.settlement.facts import TotalsQuery, TotalsRow  # noqa: E402
from alliance.settlement.totals import rule_totals  # noqa: E402
from alliance.store.facts import FactStore  # noqa: E402
from alliance.store.facts.copies import export_copy  # noqa: E402


class Recorder:
    """A LineTotals that keeps the queries a run asks, answering them from the fact store."""

    def __init__(self, facts: FactStore) -> None:
        self.facts, self.queries = facts, []  # type: tuple[FactStore, list[TotalsQuery]]

    def totals(self, queries: Sequence[TotalsQuery]) -> list[list[TotalsRow]]:
        self.queries.extend(queries)
        return self.facts.totals(queries)


def status_kib(pid: int | str, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                children = [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
            found.extend(children)
            todo.extend(children)
    return found


class PeakSampler:
    """The largest resident memory of this process plus its children (the JVM), sampled."""

    def __init__(self) -> None:
        self.peak_kib = 0
        self.jvm_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            jvm = sum(status_kib(c, "VmRSS") for c in descendants(os.getpid()))
            self.jvm_kib = max(self.jvm_kib, jvm)
            self.peak_kib = max(self.peak_kib, status_kib("self", "VmRSS") + jvm)
            self._stop.wait(0.1)


def reset_peak() -> None:
    """Start this process's VmHWM afresh (Linux: writing 5 to clear_refs)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def canonical(answers: list[list[TotalsRow]]) -> list[list[TotalsRow]]:
    return [sorted(rows, key=lambda r: (r.grouping, r.key)) for rows in answers]


def on_empty_day(queries: list[TotalsQuery]) -> list[TotalsQuery]:
    """The same queries a year later: no line there, every partition pruned (the fixed cost)."""
    later = timedelta(days=366)
    return [replace(q, window=replace(q.window, first_day=q.window.first_day + later,
                                      last_day=q.window.last_day + later)) for q in queries]


def active_session() -> Any:
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        return None
    return SparkSession.getActiveSession()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--master", default="local[2]")
    args = parser.parse_args()
    n = args.lines
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        store, facts, agreement, _ = prepare(folder, n, args.members)
        store.close()
        print(f"prepared {n:,} lines of {args.members} members in {time.perf_counter() - started:.1f} s", flush=True)
        root = folder / "parquet"
        export_s, _ = timed(lambda: export_copy(facts, root, ALLIANCE))
        size = sum(p.stat().st_size for p in root.rglob("*.parquet"))
        files = len(list(root.rglob("*.parquet")))
        print(f"exported to Parquet in {export_s:.1f} s ({size / 2**20:,.0f} MiB in {files} files)", flush=True)

        recorder = Recorder(facts)
        rule_totals(recorder, ALLIANCE, agreement.rules, DAY)
        queries = recorder.queries

        # DuckDB: the fact store as settlement asks it (cold: the first time in this process).
        reset_peak()
        rss_before = status_kib("self", "VmRSS")
        duck_cold, duck_answers = timed(lambda: facts.totals(queries))
        duck_warm = best_of(3, lambda: facts.totals(queries))
        duck_peak = status_kib("self", "VmHWM")
        facts.close()

        from alliance.store.facts.spark import SparkLineTotals

        with PeakSampler() as sampler:
            spark = SparkLineTotals(str(root), args.master)
            try:
                start_s, _ = timed(spark.session)  # the JVM and the session (the engine starts it on first use)
                spark_cold, spark_answers = timed(lambda: spark.totals(queries))
                spark_warm = best_of(3, lambda: spark.totals(queries))
                fixed = best_of(3, lambda: spark.totals(on_empty_day(queries)))
                session = active_session()
                heap = heap_max = 0
                if session is not None:
                    runtime = session.sparkContext._jvm.java.lang.Runtime.getRuntime()  # type: ignore[union-attr]
                    heap = int(runtime.totalMemory()) - int(runtime.freeMemory())
                    heap_max = int(runtime.maxMemory())
            finally:
                spark.close()

    same = canonical(duck_answers) == canonical(spark_answers)
    rows = sum(len(a) for a in duck_answers)
    per_million = max(spark_warm - fixed, 0.0) / (n / 1e6)
    cores = args.master
    print(f"\ntotals of one day, {n:,} lines, {len(queries)} queries planned by {len(agreement.rules)} rules, "
          f"{rows} rows; the same on both engines: {'yes' if same else 'NO'}")
    print(f"  {'':24}{'cold':>9}{'warm':>9}   peak memory")
    print(f"  {'DuckDB (fact store)':24}{duck_cold:8.2f}s{duck_warm:8.2f}s   "
          f"{duck_peak / 2**20:5.2f} GiB process ({max(duck_peak - rss_before, 0) / 2**10:,.0f} MiB more over the queries)")
    print(f"  {'Spark ' + cores:24}{spark_cold:8.2f}s{spark_warm:8.2f}s   "
          f"{sampler.peak_kib / 2**20:5.2f} GiB process + JVM (JVM {sampler.jvm_kib / 2**20:.2f} GiB resident, "
          f"heap used {heap / 2**30:.2f} of {heap_max / 2**30:.2f} GiB)")
    print(f"  Spark session start-up: {start_s:.1f} s; fixed cost of the query set (no lines, partitions "
          f"pruned): {fixed:.2f} s")
    print(f"  Spark / DuckDB warm: {spark_warm / duck_warm:.1f}x; cold: {spark_cold / duck_cold:.1f}x")
    print(f"  per-partition cost on Spark {cores}: {per_million:.3f} s per million lines of the day's partition "
          f"(warm, less the fixed cost)")
    print(f"  export to Parquet: {export_s:.1f} s ({n / export_s:,.0f} lines/s)")
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()
    print(f"  machine: {os.cpu_count()} cores; {java[0] if java else 'java ?'}")
    if not same:
        sys.exit("the engines' totals differ")


if __name__ == "__main__":
    main()
