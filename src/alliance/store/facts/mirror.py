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

If the process dies between the DuckDB commit and the end of the copy (or the copy fails: a full
or unmounted disk), the import stands (it is logged as an error, and the lines are in the fact
store), and the batch has no marker: settlement on Spark refuses to run for that alliance, naming
the repair, which is to copy the alliance's lines again: `alliance facts export DIR [--alliance
CODE]` into the copy's own directory replaces the alliance's lines there and then its markers, each
by renames (or into a new directory, and point the setting at it). A batch's files written before
a crash are not counted in the meantime: no marker, no run. Setting lines aside (`alliance orders
set-aside`) shrinks their batch in DuckDB, which the check also catches, with the same repair.

The first batch stored with a copy not started yet (the engine just switched to Spark) starts it:
every line the store holds is exported, with the markers.
"""

from __future__ import annotations

import logging
import os
import shutil
import uuid
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


class ParquetMirror:
    """Keeps the Parquet copy at `root` complete: the fact store's `mirror` hook, and the check."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def markers(self, alliance: str) -> Path:
        return self.root / MARKERS / f"alliance={alliance}"

    # -- writing ------------------------------------------------------------------------------------
    def __call__(self, facts: FactStore, alliance: str, stamp: datetime) -> None:
        """Copy the batch stored at `stamp` (already committed): its lines as new files, then its
        marker. The first batch of a copy not started yet starts it with every line the store holds
        (`export`). A failure is logged, never raised: the import stands, and `check` stops Spark
        settlement of the alliance until the copy is repaired (see the module's docstring)."""
        from alliance.store.facts import parquet

        try:
            if not (self.root / parquet.MARKER).exists():
                for code in stored_alliances(facts):
                    self.export(facts, code)
                return
            cursor = facts.cursor()
            try:
                batch = cursor.sql(f"SELECT * FROM order_lines WHERE alliance = {sql.literal(alliance)} "
                                   f"AND epoch_us(ingested_at) = {sql.epoch_us(stamp)}")
                lines = parquet.append_batch(batch, self.root)
            finally:
                cursor.close()
            self._mark(self.markers(alliance), {sql.epoch_us(stamp): lines})
        except Exception:
            logger.exception("the Parquet copy at %s lacks %s's batch of %s: settlement on Spark waits until "
                             "`alliance facts export` copies the alliance again", self.root, alliance, stamp)

    def export(self, facts: FactStore, alliance: str) -> tuple[int, int]:
        """The alliance's lines written afresh (`parquet.export_parquet`: into a new folder, or in
        place of an earlier export's), then its markers, replaced whole; (lines, batches)."""
        from alliance.store.facts import parquet

        with facts.snapshot():  # the lines and the markers of one view of the store
            lines = parquet.export_parquet(facts, self.root, alliance)
            batches = stored_batches(facts, alliance, None)
        staging = self.root / MARKERS / f".alliance={alliance}-{uuid.uuid4().hex}"
        old = self.root / MARKERS / f".replaced-{uuid.uuid4().hex}"
        try:
            self._mark(staging, batches)
            if self.markers(alliance).exists():
                os.replace(self.markers(alliance), old)
            os.replace(staging, self.markers(alliance))
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            shutil.rmtree(old, ignore_errors=True)
        return lines, len(batches)

    @staticmethod
    def _mark(folder: Path, batches: Mapping[int, int]) -> None:
        """Write the markers of copied batches (`ingested_us` -> lines) in `folder`: one file, whole."""
        folder.mkdir(parents=True, exist_ok=True)
        if not batches:
            return
        first, last = min(batches), max(batches)
        name = f"{first}.csv" if first == last else f"{first}-{last}.csv"
        incoming = folder / f".{name}.{uuid.uuid4().hex}"
        incoming.write_text("ingested_us,lines\n" + "".join(f"{k},{v}\n" for k, v in sorted(batches.items())),
                            encoding="utf-8")
        os.replace(incoming, folder / name)

    # -- checking -----------------------------------------------------------------------------------
    def marked(self, alliance: str) -> dict[int, int]:
        """The batches the copy holds, by the markers (`ingested_us` -> lines)."""
        found: dict[int, int] = {}
        for marker in sorted(self.markers(alliance).glob("*.csv")):
            for row in marker.read_text(encoding="utf-8").splitlines()[1:]:
                stamp, lines = row.split(",")
                found[int(stamp)] = int(lines)
        return found

    def check(self, facts: FactStore, alliance: str, seen_by: int | None) -> int:
        """Every batch of the alliance up to `seen_by` (epoch µs; None: every batch) is in the copy,
        whole (`ParquetCopyIncomplete` otherwise); how many lines they hold."""
        stored = stored_batches(facts, alliance, seen_by)
        marked = self.marked(alliance)
        # A marked batch the store no longer holds (set aside whole) counts too: its lines would be summed.
        seen = set(stored) | {k for k in marked if seen_by is None or k <= seen_by}
        differ = [k for k in seen if marked.get(k) != stored.get(k)]
        if differ:
            raise ParquetCopyIncomplete(Message(
                "the Parquet copy of {alliance!r}'s order lines at {location} differs from the fact store in "
                "{batches} of its {total} imported batches ({lines} lines): Spark would settle on part of them, so it "
                "does not; copy the lines again with `alliance facts export` (docs/settlement.md, \"Settlement on "
                "Apache Spark\")", alliance=alliance, location=str(self.root), batches=len(differ), total=len(seen),
                lines=sum(abs(stored.get(k, 0) - marked.get(k, 0)) for k in differ)))
        return sum(stored.values())


def stored_alliances(facts: FactStore) -> list[str]:
    return [r[0] for r in facts.query("SELECT DISTINCT alliance FROM order_lines ORDER BY 1", [])]


def stored_batches(facts: FactStore, alliance: str, seen_by: int | None) -> dict[int, int]:
    """The alliance's batches in the fact store (inside a snapshot: as it sees them): `ingested_us` -> lines."""
    bound = "" if seen_by is None else " AND epoch_us(ingested_at) <= ?"
    rows = facts.query(f"SELECT epoch_us(ingested_at), count(*) FROM order_lines WHERE alliance = ?{bound} "
                       "GROUP BY 1", [alliance] if seen_by is None else [alliance, seen_by])
    return {int(k): int(v) for k, v in rows}
