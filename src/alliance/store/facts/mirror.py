"""The Parquet copy of the order lines that Spark reads, kept complete batch by batch.

With `ALLIANCE_FACTS_ENGINE=spark` the DuckDB file stays the store of record (intake, duplicates and
conflicts, snapshots and watermarks), and Spark computes settlement's totals over a copy of its lines
in hive-partitioned Parquet (`store.facts.parquet`). Every batch an import stores is appended to the
copy as new files, **after** the DuckDB commit succeeded: a failed or refused import changes neither.

Each batch copied leaves a marker beside the partitions, `_batches/alliance=<code>/<ingested_us>.csv`
(its `ingested_at` in epoch microseconds and how many lines it stored; readers of the partitions
skip names starting with `_`). Before Spark answers a run's totals, `check` compares the batches the
run can see (every `ingested_at` up to its watermark, with its count of lines) with the markers:
any batch missing or of another size stops the run with `ParquetCopyIncomplete`, so Spark never
settles on a partial copy.

If the process dies between the DuckDB commit and the end of the copy (or the copy fails: the
object store unreachable, a full disk), the import stands (it is logged as an error, and the lines
are in the fact store), and the batch has no marker: settlement on Spark refuses to run for that
alliance, naming the repair, which is to copy the alliance's lines again: `alliance facts export
DIR --alliance CODE` into a new location (or the old one after deleting `alliance=CODE` and
`_batches/alliance=CODE` from it) writes every line and every batch's marker afresh. A batch's files
written before a crash are not counted twice in the meantime: no marker, no run. Setting lines aside
(`alliance orders set-aside`) shrinks their batch in DuckDB, which the check also catches, with the
same repair.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from alliance.core.errors import StoreUnavailable
from alliance.core.messages import Message
from alliance.store.facts import sql

if TYPE_CHECKING:
    from alliance.store.facts import FactStore

logger = logging.getLogger("alliance.facts")

MARKERS = "_batches"


class ParquetCopyIncomplete(StoreUnavailable):
    """The Parquet copy Spark reads lacks lines the fact store holds (or holds lines it does not)."""

    code = "parquet_copy_incomplete"
    title = Message("Parquet copy incomplete")


def is_remote(location: str) -> bool:
    return "://" in location


def duckdb_url(location: str) -> str:
    """The location as DuckDB's readers and COPY name it (Hadoop's s3a:// is DuckDB's s3://)."""
    return "s3://" + location[len("s3a://"):] if location.startswith("s3a://") else location


def marker_folder(root: str, alliance: str) -> str:
    return f"{root.rstrip('/')}/{MARKERS}/alliance={alliance}"


class ParquetMirror:
    """Keeps the Parquet copy at `root` complete: the fact store's `mirror` hook, and the check."""

    def __init__(self, root: str) -> None:
        self.root = root

    # -- writing ------------------------------------------------------------------------------------
    def __call__(self, facts: FactStore, alliance: str, stamp: datetime) -> None:
        """Copy the batch stored at `stamp` (already committed): its lines as new files, then its
        marker. A failure is logged, never raised: the import stands, and `check` stops Spark
        settlement of the alliance until the copy is repaired (see the module's docstring)."""
        from alliance.store.facts.parquet import append_batch

        try:
            lines = append_batch(facts, self.root, alliance, stamp)
            self.mark(facts, alliance, {sql.epoch_us(stamp): lines})
        except Exception:
            logger.exception("the Parquet copy at %s lacks %s's batch of %s: settlement on Spark waits until "
                             "`alliance facts export` copies the alliance again", self.root, alliance, stamp)

    def mark(self, facts: FactStore, alliance: str, batches: Mapping[int, int]) -> None:
        """Write the markers of copied batches (`ingested_us` -> lines), one file for them all."""
        if not batches:
            return
        folder = marker_folder(self.root, alliance)
        if not is_remote(folder):
            Path(folder).mkdir(parents=True, exist_ok=True)
        first, last = min(batches), max(batches)
        name = f"{folder}/{first}.csv" if first == last else f"{folder}/{first}-{last}.csv"
        rows = " UNION ALL ".join(f"SELECT {int(k)}::BIGINT AS ingested_us, {int(v)}::BIGINT AS lines"
                                  for k, v in sorted(batches.items()))
        cursor = facts._db.cursor()
        try:
            cursor.execute(f"COPY ({rows}) TO {sql.literal(duckdb_url(name))} (FORMAT csv, HEADER)")
        finally:
            cursor.close()

    def mark_all(self, facts: FactStore, alliance: str) -> int:
        """Markers for every batch of the alliance the fact store holds now (after an export); how many."""
        batches = stored_batches(facts, alliance, None)
        self.mark(facts, alliance, batches)
        return len(batches)

    # -- checking -----------------------------------------------------------------------------------
    def marked(self, facts: FactStore, alliance: str) -> dict[int, int]:
        """The batches the copy holds, by the markers (`ingested_us` -> lines)."""
        folder = duckdb_url(marker_folder(self.root, alliance))
        cursor = facts._db.cursor()
        try:
            found = cursor.execute(f"SELECT count(*) FROM glob({sql.literal(folder + '/*.csv')})").fetchone()
            if not found or not found[0]:
                return {}
            rows = cursor.execute(
                f"SELECT ingested_us, max(lines) FROM read_csv({sql.literal(folder + '/*.csv')}, header = true, "
                "columns = {'ingested_us': 'BIGINT', 'lines': 'BIGINT'}) GROUP BY ingested_us").fetchall()
        finally:
            cursor.close()
        return {int(k): int(v) for k, v in rows}

    def check(self, facts: FactStore, alliance: str, seen_by: int | None) -> None:
        """Every batch of the alliance up to `seen_by` (epoch µs; None: every batch) is in the copy,
        whole; `ParquetCopyIncomplete` otherwise."""
        stored = stored_batches(facts, alliance, seen_by)
        marked = self.marked(facts, alliance)
        # A marked batch the store no longer holds (set aside whole) counts too: its lines would be summed.
        seen = set(stored) | {k for k in marked if seen_by is None or k <= seen_by}
        differ = [k for k in seen if marked.get(k) != stored.get(k)]
        if differ:
            raise ParquetCopyIncomplete(Message(
                "the Parquet copy of {alliance!r}'s order lines at {location} differs from the fact store in "
                "{batches} of its {total} imported batches ({lines} lines): Spark would settle on part of them, so it does not; copy "
                "the lines again with `alliance facts export` (docs/settlement.md, \"Settlement on Apache "
                "Spark\")", alliance=alliance, location=self.root, batches=len(differ), total=len(seen),
                lines=sum(abs(stored.get(k, 0) - marked.get(k, 0)) for k in differ)))


def stored_batches(facts: FactStore, alliance: str, seen_by: int | None) -> dict[int, int]:
    """The alliance's batches in the fact store (inside a snapshot: as it sees them): `ingested_us` -> lines."""
    bound = "" if seen_by is None else " AND epoch_us(ingested_at) <= ?"
    rows = facts._read(f"SELECT epoch_us(ingested_at), count(*) FROM order_lines WHERE alliance = ?{bound} "
                       "GROUP BY 1", [alliance] if seen_by is None else [alliance, seen_by])
    return {int(k): int(v) for k, v in rows}
