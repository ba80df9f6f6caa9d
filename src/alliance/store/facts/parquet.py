"""The order lines as a Parquet dataset other engines read (Apache Spark: `facts.spark`), and back.

Layout, hive-partitioned by alliance and business day so that a reader of one day's totals opens
only that day's folder:

    <root>/alliance=<code>/business_day=<YYYY-MM-DD>/<name>.parquet
    <root>/_alliance_lines.json        which fact store the copy is of (Spark and DuckDB skip it)

Each file holds the columns of DuckDB's `order_lines` but the two in the folder names, with both
instants as BIGINT microseconds since the epoch (`occurred_us`, `ingested_us`): a TIMESTAMP read by
another engine is at the mercy of its session time zone and of how each writes Parquet's
"adjusted to UTC" flag, an integer is not. Money stays BIGINT minor units.

Nothing is ever half visible to a reader: files are written in a hidden staging folder (a name
starting with "." is skipped by Spark's listing and by the import's pattern) and moved into their
partition folders by a rename on the same file system.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from alliance.core.errors import InvalidInput
from alliance.core.messages import Message
from alliance.store.facts import sql

if TYPE_CHECKING:
    import duckdb

    from alliance.store.facts import FactStore

MARKER = "_alliance_lines.json"
LAYOUT = 1
PARTITIONS = ("alliance", "business_day")
# The columns of a file, in order (the partition columns live in the folder names).
FILE_COLUMNS = ("line_id", "order_id", "occurred_us", "seller", "product_owner", "channel", "sku", "quantity",
                "amount_minor", "cost_minor", "currency", "attributed_to", "refund_of", "ingested_us")
# order_lines' columns as the dataset's (partition columns first: PARTITION_BY takes them from there).
_AS_FILE = ("alliance, business_day, line_id, order_id, epoch_us(occurred_at) AS occurred_us, seller, product_owner,"
            " channel, sku, quantity, amount_minor, cost_minor, currency, attributed_to, refund_of,"
            " epoch_us(ingested_at) AS ingested_us")
# And back: epoch plus an interval of microseconds is exact whatever the session's time zone (a
# TIMESTAMP cast to TIMESTAMPTZ would be read in it).
_AS_STORED = ("alliance, line_id, order_id, to_timestamp(0) + to_microseconds(occurred_us) AS occurred_at,"
              " business_day, seller, product_owner, channel, sku, quantity, amount_minor, cost_minor, currency,"
              " attributed_to, refund_of, to_timestamp(0) + to_microseconds(ingested_us) AS ingested_at")
# A line's content, as intake compares a line sent again (intake_sql.CLASSIFY_SQL), and its day.
_CONTENT = ("order_id", "occurred_at", "business_day", "seller", "product_owner", "channel", "sku", "quantity",
            "amount_minor", "cost_minor", "currency", "attributed_to", "refund_of")
SHOWN_LINES = 5


# -- the folder ---------------------------------------------------------------------------------------
def _store_of(root: Path) -> str | None:
    """The fact store an export in `root` was made of (None: no marker, or not ours)."""
    try:
        marker = json.loads((root / MARKER).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return marker.get("store") if isinstance(marker, dict) else None


def _claim(root: Path, store: Path) -> None:
    """Make `root` this store's export, refusing a folder that holds anything else."""
    mine = str(store.resolve())
    if root.exists() and any(root.iterdir()) and _store_of(root) != mine:
        raise InvalidInput(Message("{root} is not empty and is not an earlier export of this fact store ({store}); "
                                   "export into an empty or new folder", root=str(root), store=mine))
    root.mkdir(parents=True, exist_ok=True)
    if _store_of(root) != mine:
        incoming = root / f".{MARKER}.{uuid.uuid4().hex}"
        incoming.write_text(json.dumps({"layout": LAYOUT, "store": mine}) + "\n", "utf-8")
        os.replace(incoming, root / MARKER)


def _staging(root: Path, purpose: str) -> Path:
    return root / f".{purpose}-{uuid.uuid4().hex}"


def _copy_to(root: Path) -> str:
    """The COPY options writing the dataset's layout, every file under a name of its own."""
    return (f"TO {sql.literal(str(root))} (FORMAT parquet, PARTITION_BY ({', '.join(PARTITIONS)}), "
            "FILENAME_PATTERN 'lines_{uuid}')")


def _files(folder: Path) -> Iterator[Path]:
    return folder.glob("alliance=*/business_day=*/*.parquet")


# -- export ---------------------------------------------------------------------------------------------
def export_parquet(facts: FactStore, root: Path, alliance: str | None = None) -> int:
    """Write the store's order lines (one alliance's, if given) under `root`; how many were written.

    `root` is new, empty, or an earlier export of the same store, whose lines of the exported
    alliances (all of them, without `alliance`) are replaced by the store's as they are now: an
    alliance with no line left loses its folder. One DuckDB statement reads the lines, so they are
    one consistent view of the store. A reader sees an alliance's old lines, then (between two
    renames) none, then the new ones.

    Raises InvalidInput for a folder holding anything else.
    """
    root = root.absolute()
    _claim(root, facts.path)
    staging = _staging(root, "export")
    where = "" if alliance is None else f" WHERE alliance = {sql.literal(alliance)}"
    try:
        written = int(facts.query(f"COPY (SELECT {_AS_FILE} FROM order_lines{where}) {_copy_to(staging)}")[0][0])
        replaced = [alliance] if alliance is not None else sorted(
            {p.name.removeprefix("alliance=") for folder in (root, staging) if folder.exists()
             for p in folder.glob("alliance=*")})
        _swap(root, staging, [f"alliance={a}" for a in replaced])
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return written


def _swap(root: Path, staging: Path, names: list[str]) -> None:
    """Put each folder `name` of staging in the place of root's (removing root's when staging has none)."""
    old = _staging(root, "replaced")
    old.mkdir()
    try:
        for name in names:
            if (root / name).exists():
                os.replace(root / name, old / name)
            if (staging / name).exists():
                os.replace(staging / name, root / name)
    finally:
        shutil.rmtree(old, ignore_errors=True)


# -- the ingest mirror: one batch appended ---------------------------------------------------------------
def append_batch(lines: duckdb.DuckDBPyRelation, root: Path) -> int:
    """Add the given lines (a relation with order_lines' columns, such as a batch just ingested:
    `SELECT * FROM order_lines WHERE alliance = ? AND ingested_at = ?`) to the export in `root`, as
    one new file per partition they fall in; how many lines were written.

    The lines must be new to the export (a line already there would be there twice: the import
    refuses such a dataset if the two differ). Files appear in their partition folders by renames,
    whole. Raises InvalidInput when `root` is not an export (`export_parquet` starts one).
    """
    root = root.absolute()
    if _store_of(root) is None:
        raise InvalidInput(Message("{root} is not an export of order lines (it has no {marker}); start the "
                                   "copy with an export", root=str(root), marker=MARKER))
    staging = _staging(root, "append")
    try:
        shaped = lines.project(_AS_FILE)
        written = int(shaped.aggregate("count(*)").fetchone()[0])
        if written:
            shaped.to_parquet(str(staging), partition_by=list(PARTITIONS), filename_pattern="lines_{uuid}")
            for file in _files(staging):
                target = root / file.relative_to(staging)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(file, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return written


# -- import ---------------------------------------------------------------------------------------------
def import_parquet(facts: FactStore, root: Path) -> int:
    """Store the lines of the export in `root` that the store does not hold yet, each keeping its
    `ingested_at`; how many were stored. All or nothing, in one transaction under the store's
    ingest lock.

    Refused (InvalidInput, nothing stored): a line whose `line_id` the store holds for its alliance
    with other content, or that the dataset gives twice differently; and a new line that arrived
    before the latest stored line of its alliance, since a settlement run whose watermark lies
    after it would count it as seen though it never saw it.
    """
    root = root.absolute()
    if not any(_files(root)):
        if _store_of(root) is not None:
            return 0  # the export of a store without lines
        raise InvalidInput(Message("{root}: no exported order lines there", root=str(root)))
    import duckdb

    pattern = sql.literal(str(root / "alliance=*" / "business_day=*" / "*.parquet"))
    reader = (f"read_parquet({pattern}, hive_partitioning = true, "
              "hive_types = {'alliance': VARCHAR, 'business_day': DATE})")
    with facts.writing() as db:
        try:
            db.execute(f"CREATE OR REPLACE TEMP TABLE imported AS SELECT DISTINCT {_AS_STORED} FROM {reader}")
        except (duckdb.IOException, duckdb.InvalidInputException, duckdb.BinderException,
                duckdb.ConversionException) as exc:
            raise InvalidInput(Message("{root}: cannot read the exported order lines: {error}", root=str(root),
                                       error=str(exc).splitlines()[0])) from None
        try:
            _refuse_conflicts(db, root)
            inserted = db.execute(
                """INSERT INTO order_lines BY NAME SELECT i.* FROM imported i
                   ANTI JOIN order_lines o ON o.alliance = i.alliance AND o.line_id = i.line_id
                   ORDER BY i.alliance, i.business_day, i.ingested_at""").fetchone()[0]
        finally:
            db.execute("DROP TABLE IF EXISTS imported")
    return int(inserted)


def _refuse_conflicts(db: duckdb.DuckDBPyConnection, root: Path) -> None:
    differ = " OR ".join(f"o.{c} IS DISTINCT FROM i.{c}" for c in _CONTENT)
    twice = "SELECT alliance, line_id FROM imported GROUP BY alliance, line_id HAVING count(*) > 1"
    other = f"SELECT i.alliance, i.line_id FROM imported i JOIN order_lines o USING (alliance, line_id) WHERE {differ}"
    early = """SELECT i.alliance, i.line_id FROM imported i
               JOIN (SELECT alliance, max(ingested_at) AS latest FROM order_lines GROUP BY alliance) s USING (alliance)
               WHERE i.ingested_at <= s.latest AND NOT EXISTS (
                   SELECT 1 FROM order_lines o WHERE o.alliance = i.alliance AND o.line_id = i.line_id)"""

    def found(query: str) -> tuple[int, str]:
        count, lines = db.execute(f"SELECT count(*), list(alliance || '/' || line_id ORDER BY alliance, line_id)"
                                  f"[1:{SHOWN_LINES}] FROM ({query})").fetchone()
        return int(count), ", ".join(lines or [])

    count, lines = found(twice)
    if count:
        raise InvalidInput(Message("{root}: {count} lines are given twice, differently (such as {lines}); nothing "
                                   "was imported", root=str(root), count=count, lines=lines))
    count, lines = found(other)
    if count:
        raise InvalidInput(Message("{root}: {count} lines have other content than the stored lines of the same "
                                   "line_id (such as {lines}); nothing was imported",
                                   root=str(root), count=count, lines=lines))
    count, lines = found(early)
    if count:
        raise InvalidInput(Message("{root}: {count} new lines arrived before the latest stored line of their alliance "
                                   "(such as {lines}): settlement runs after it would count them as seen; nothing "
                                   "was imported", root=str(root), count=count, lines=lines))
