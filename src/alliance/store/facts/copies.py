"""Whole copies of the order lines in hive-partitioned Parquet (`store.facts.parquet`): export,
with each batch's marker so that the Spark engine accepts the copy (`store.facts.mirror`), and
import back into a fact store.

An export goes into a new or empty directory, or the fact store's own earlier export, whose lines
of the exported alliances it replaces (the repair of an incomplete copy). An import is all or
nothing: a line stored with other content stops it, naming the line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from alliance.store.facts import FactStore, sql
from alliance.store.facts.mirror import ParquetMirror, stored_alliances, stored_batches


@dataclass(frozen=True, slots=True)
class Copied:
    alliance: str
    lines: int
    batches: int


def export_copy(facts: FactStore, root: Path, alliance: str | None = None,
                progress: Callable[[str], object] = lambda code: None) -> list[Copied]:
    """Every alliance's lines (or one's) under `root`, with the markers of their batches.

    Raises InvalidInput for a directory holding anything but this store's export."""
    mirror = ParquetMirror(root.absolute())
    done = []
    for code in [alliance] if alliance else stored_alliances(facts):
        progress(code)
        lines, batches = mirror.export(facts, code)
        done.append(Copied(code, lines, batches))
    return done


def import_copy(facts: FactStore, root: Path) -> list[Copied]:
    """Every line under `root` the store lacks, each keeping its `ingested_at`; what was added, per
    alliance. With the Spark engine, the imported batches are copied to its own copy too."""
    from alliance.store.facts.parquet import import_parquet

    before = {code: stored_batches(facts, code, None) for code in stored_alliances(facts)}
    import_parquet(facts, root)
    mirror = facts.mirror
    done = []
    for code in stored_alliances(facts):
        new = {k: n for k, n in stored_batches(facts, code, None).items() if k not in before.get(code, {})}
        if not new:
            continue
        if isinstance(mirror, ParquetMirror):
            marked = mirror.marked(code)
            for stamp in sorted(k for k in new if k not in marked):
                mirror(facts, code, sql.EPOCH + timedelta(microseconds=stamp))
        done.append(Copied(code, sum(new.values()), len(new)))
    return done
