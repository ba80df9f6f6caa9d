"""Whole copies of the order lines in hive-partitioned Parquet: export (with each batch's marker,
so the Spark engine accepts the copy: `store.facts.mirror`) and import back into the fact store.

An export goes only into a location that holds none of the alliance's lines or markers yet (a copy
is never merged into another: two copies of a batch would be summed twice). An import is all or
nothing, and a line already stored with other content stops it (`store.facts.parquet`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from alliance.core.errors import InvalidInput
from alliance.core.messages import Message
from alliance.store.facts import FactStore, sql
from alliance.store.facts.mirror import MARKERS, ParquetMirror, duckdb_url, is_remote, stored_batches


@dataclass(frozen=True, slots=True)
class Copied:
    alliance: str
    lines: int
    batches: int


class CopyTargetNotEmpty(InvalidInput):
    code = "copy_target_not_empty"
    title = Message("Export target not empty")


def export_copy(facts: FactStore, root: str, alliance: str | None = None,
                progress: Callable[[str], object] = lambda code: None) -> list[Copied]:
    """Every alliance's lines (or one's) under `root`, with the markers of their batches."""
    from alliance.store.facts.parquet import export_parquet

    codes = [alliance] if alliance else stored_alliances(facts)
    taken = [code for code in codes if _holds(facts, root, code)] if alliance else \
        (["*"] if _holds(facts, root, None) else [])
    if taken and alliance:
        raise CopyTargetNotEmpty(Message("{location} already holds order lines of {alliance!r}: export into a new "
                                         "location, or delete alliance={alliance} and {markers}/alliance={alliance} "
                                         "from it first", location=root, alliance=alliance, markers=MARKERS))
    if taken:
        raise CopyTargetNotEmpty(Message("{location} is not empty: export into a new or empty location",
                                         location=root))
    mirror = ParquetMirror(root)
    done = []
    for code in codes:
        progress(code)
        with facts.snapshot():  # the lines and the markers of one view of the store
            lines = export_parquet(facts, root, code)
            batches = mirror.mark_all(facts, code)
        done.append(Copied(code, lines, batches))
    return done


def import_copy(facts: FactStore, root: str) -> list[Copied]:
    """Every line under `root` into the fact store (each keeps its `ingested_at`); what was added, per
    alliance. With the Spark engine, the imported batches are copied to its own location too."""
    from alliance.store.facts.parquet import import_parquet

    before = {code: stored_batches(facts, code, None) for code in stored_alliances(facts)}
    import_parquet(facts, root)
    done = []
    mirror = getattr(facts, "_mirror", None)
    for code in stored_alliances(facts):
        new = {k: n for k, n in stored_batches(facts, code, None).items() if k not in before.get(code, {})}
        if not new:
            continue
        if isinstance(mirror, ParquetMirror):
            marked = mirror.marked(facts, code)
            for stamp in sorted(k for k in new if k not in marked):
                mirror(facts, code, sql.EPOCH + timedelta(microseconds=stamp))
        done.append(Copied(code, sum(new.values()), len(new)))
    return done


def stored_alliances(facts: FactStore) -> list[str]:
    return [r[0] for r in facts._read("SELECT DISTINCT alliance FROM order_lines ORDER BY 1", [])]


def _holds(facts: FactStore, root: str, alliance: str | None) -> bool:
    """Whether `root` holds anything (or, for one alliance, its partitions or markers)."""
    places = [root] if alliance is None else [f"{root.rstrip('/')}/alliance={alliance}",
                                               f"{root.rstrip('/')}/{MARKERS}/alliance={alliance}"]
    for place in places:
        if not is_remote(place):
            folder = Path(place)
            if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
                return True
            continue
        cursor = facts._db.cursor()
        try:
            found = cursor.execute(f"SELECT count(*) FROM glob({sql.literal(duckdb_url(place) + '/**')})").fetchone()
        finally:
            cursor.close()
        if found and found[0]:
            return True
    return False
