"""Opening the fact store as the settings say: which engine computes settlement's totals.

`ALLIANCE_FACTS_ENGINE=duckdb` (the default): the DuckDB file does everything. `spark`: the DuckDB
file still takes every import and gives every run its snapshot and watermark, while the totals are
computed by Apache Spark (`ALLIANCE_SPARK_MASTER`) over the Parquet copy at
`ALLIANCE_FACTS_PARQUET`, which every import extends (`store.facts.mirror`). The command line, the
server's shared store and the daily scheduler all open the store here.

A Spark session takes seconds to start and is one per process, so it is started when the first
totals are asked for (an import never starts one), kept for the process's life (the server opens
and closes the DuckDB file around its requests; the session outlives that), and stopped at exit
or by `close_engines`.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from alliance.core.settings import Settings
from alliance.settlement.facts import LineTotals, TotalsQuery, TotalsRow
from alliance.store.facts import FactStore
from alliance.store.facts.mirror import ParquetMirror


def open_facts(settings: Settings, *, path: Path | None = None, log_busy: bool = True) -> FactStore:
    """The fact store at `path` (default the settings'), with the configured totals engine."""
    path = path or settings.resolved_facts_path()
    if settings.facts_engine != "spark":
        return FactStore(path, log_busy=log_busy)
    mirror = ParquetMirror(settings.resolved_facts_parquet())
    totals = CheckedSparkTotals(mirror, settings.spark_master)
    facts = FactStore(path, log_busy=log_busy, totals_engine=totals, mirror=mirror)
    totals.facts = facts
    return facts


class CheckedSparkTotals:
    """Spark's totals over the Parquet copy, asked only once the copy is known to hold every batch
    the run can see (`ParquetMirror.check`)."""

    def __init__(self, mirror: ParquetMirror, master: str) -> None:
        self.mirror, self.master = mirror, master
        self.facts: FactStore | None = None

    def totals(self, queries: Sequence[TotalsQuery]) -> list[list[TotalsRow]]:
        assert self.facts is not None, "bound by open_facts"
        bounded: list[TotalsQuery] = []
        checked: dict[tuple[str, int | None], int | None] = {}
        held: dict[tuple[str, int | None], int] = {}
        for query in queries:
            window = query.window
            key = (window.alliance, window.seen_by)
            if key not in checked:
                # Outside a run (a dispute's report, the sandbox): what the store holds now, and no
                # later batch either, however soon it is copied.
                seen_by = window.seen_by if window.seen_by is not None else self.facts.watermark(window.alliance)
                held[key] = self.mirror.check(self.facts, window.alliance, seen_by)
                checked[key] = seen_by
            bounded.append(replace(query, window=replace(window, seen_by=checked[key])))
        if not any(lines for lines in held.values()):
            return [[] for _ in queries]  # no line to sum: no Spark session for it (nor a copy to read)
        # As a file: URI: on a cluster whose default file system is HDFS a bare path would be read there.
        return spark_engine(self.mirror.root.as_uri(), self.master).totals(bounded)


# One Spark engine per (location, master) in this process, started on first use.
_ENGINES: dict[tuple[str, str], LineTotals] = {}
_ENGINES_GUARD = threading.Lock()


def spark_engine(location: str, master: str) -> LineTotals:
    with _ENGINES_GUARD:
        engine = _ENGINES.get((location, master))
        if engine is None:
            from alliance.store.facts.spark import SparkLineTotals

            if not _ENGINES:
                atexit.register(close_engines)
            engine = _ENGINES[(location, master)] = SparkLineTotals(location, master)
        return engine


def close_engines() -> None:
    """Stop every Spark session this process started (at exit; tests call it themselves)."""
    with _ENGINES_GUARD:
        engines = list(_ENGINES.values())
        _ENGINES.clear()
    for engine in engines:
        close = getattr(engine, "close", None)
        if close is not None:
            close()
