"""One member's order lines written to a Parquet file by DuckDB itself (the member's data archive,
`exits.archive_service`).

A member's lines are those it sold (`seller`): what it sent in. Lines another member sold are that
member's data, even when they carry this member's product or attribution (its statements say what
it earned from them).

DuckDB's COPY streams the SELECT to the file (no row ever reaches Python, so 10M lines take seconds
and little memory); a thread asks the cursor how far the query has got (`query_progress`), so the
caller can draw a progress bar over the rows.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from alliance.store.facts import sql

if TYPE_CHECKING:
    from alliance.store.facts import FactStore

# The columns as the archive documents them (its README): instants as UTC timestamps, money as
# BIGINT minor units of the line's currency (amount_c / cost_c: converted into the alliance's).
COLUMNS = ("line_id", "order_id", "occurred_at", "business_day", "seller", "product_owner", "channel", "sku",
           "quantity", "amount_minor", "cost_minor", "currency", "attributed_to", "refund_of", "ingested_at",
           "amount_c", "cost_c")
_WHERE = "alliance = ? AND seller = ?"
POLL_SECONDS = 0.25


def count(facts: FactStore, alliance: str, member: str) -> int:
    """How many lines the member sold (what the Parquet file will hold)."""
    return int(facts.query(f"SELECT count(*) FROM order_lines WHERE {_WHERE}", [alliance, member])[0][0])


def export(facts: FactStore, alliance: str, member: str, out: Path,
           progress: Callable[[int], None] | None = None, total: int | None = None) -> int:
    """Write the member's lines to `out` (Parquet, zstd) in the order they were stored; returns how
    many. `progress` is told the rows written so far (estimated from the query's progress) while
    the copy runs, and the total at the end."""
    total = count(facts, alliance, member) if total is None else total
    cursor = facts.cursor()
    try:
        # The bar is ours: DuckDB only keeps count, it prints nothing.
        cursor.execute("SET enable_progress_bar = true; SET enable_progress_bar_print = false")
        statement = (f"COPY (SELECT {', '.join(COLUMNS)} FROM order_lines WHERE {_WHERE}) "
                     f"TO {sql.literal(str(out))} (FORMAT parquet, COMPRESSION zstd)")
        if progress is None:
            cursor.execute(statement, [alliance, member])
        else:
            _with_progress(cursor, statement, [alliance, member], progress, total)
    finally:
        cursor.close()
    if progress is not None:
        progress(total)
    return total


def _with_progress(cursor: object, statement: str, parameters: list[str], progress: Callable[[int], None],
                   total: int) -> None:
    failure: list[BaseException] = []

    def run() -> None:
        try:
            cursor.execute(statement, parameters)  # type: ignore[attr-defined]
        except BaseException as exc:  # handed to the caller's thread below
            failure.append(exc)

    worker = threading.Thread(target=run, name="archive-order-lines", daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(POLL_SECONDS)
        done = cursor.query_progress()  # type: ignore[attr-defined]
        if done >= 0:
            progress(min(total, int(total * done / 100)))
    if failure:
        raise failure[0]


def export_datasets(facts: FactStore, alliance: str, member: str, folder: Path) -> dict[str, tuple[Path, int]]:
    """Write each dataset beyond sales the member shared (inventory, customer events, catalogue) to
    `folder/<kind>.parquet`; kind -> (file, rows), kinds with no row left out."""
    from alliance.store.facts import datasets_sql

    written: dict[str, tuple[Path, int]] = {}
    for name, kind in datasets_sql.STORED.items():
        rows = int(facts.query(f"SELECT count(*) FROM {kind.table} WHERE alliance = ? AND shared_by = ?",
                               [alliance, member])[0][0])
        if not rows:
            continue
        out = folder / f"{name}.parquet"
        cursor = facts.cursor()
        try:
            cursor.execute(f"COPY (SELECT * EXCLUDE (alliance) FROM {kind.table} WHERE alliance = ? AND shared_by = ? "
                           f"ORDER BY ALL) TO {sql.literal(str(out))} (FORMAT parquet, COMPRESSION zstd)",
                           [alliance, member])
        finally:
            cursor.close()
        written[name] = (out, rows)
    return written
