"""The inventory board's SQL (operations.inventory): the snapshots and order lines aggregated in
DuckDB, so that only what a board shows leaves the fact store.

A board is built on one cursor of its own: the members' latest snapshots on or before the day D
are aggregated in one pass into a temporary table, at every level the board shows (grouping sets:
member × SKU × region — units, oldest age, cost value, slow-moving units and value — and member,
SKU and region totals), and every list the board shows (member totals, a page of rows, a page of
SKU and region totals, the inputs of the transfer suggestions) is a small query on it.
Nothing of a million snapshot rows is carried into Python. Cost values are HUGEINT minor units
(quantity up to 10^12 × unit cost up to 10^14 overflows a BIGINT); units sold count a refund
(a line with `refund_of`) as minus its quantity, whatever sign the line gave it.

What a member's views do not share is masked before anything is grouped or ordered (`Shown`): its
region reads as none, its age as unknown (never slow-moving), its cost as unknown (NULL: its rows and
member totals have no value, and the SKU, region and alliance totals leave it out). Masking first
means neither a group, a total nor the rows' order can reveal a withheld figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

    from alliance.store.facts import FactStore

TABLE = "dataset_inventory"
UNITS_SOLD = "CASE WHEN refund_of IS NULL THEN quantity ELSE -abs(quantity) END"

# Each member's latest snapshot day on or before D (the index of the board's one pass below).
def _latest_sql(members: int) -> str:
    return (f"SELECT shared_by, max(snapshot_day) FROM {TABLE} WHERE alliance = ? AND snapshot_day <= ? "
            f"AND shared_by IN ({', '.join('?' for _ in range(members))}) GROUP BY shared_by ORDER BY shared_by")

# Levels of the grouping sets (DuckDB's grouping(member, sku, region): a bit set for each column left out).
ROWS, MEMBERS, SKUS, REGIONS = 0, 3, 5, 6


@dataclass(frozen=True, slots=True)
class Shown:
    """The members whose region, stock age and unit cost the viewer may see (the others' are masked)."""

    region: frozenset[str]
    age: frozenset[str]
    cost: frozenset[str]

    def parameters(self) -> list[str]:
        return [*sorted(self.region), *sorted(self.age), *sorted(self.cost)]


def _shown_if(members: frozenset[str], column: str) -> str:
    """`column` for the given members, NULL for the others (a typed NULL for nobody: `IN ()` is no SQL)."""
    test = _in(sorted(members)) if members else None
    return f"CASE WHEN shared_by {test} THEN {column} END" if test else f"NULL::{_TYPES[column]}"


_TYPES = {"region": "VARCHAR", "age_days": "BIGINT", "unit_cost_minor": "BIGINT"}


def _board_sql(members: int, wide: bool, shown: Shown) -> str:
    """One pass over the members' latest snapshots, every level the board shows at once: member × SKU ×
    region (the rows), member, SKU and region. The latest days are given as literal (member, day)
    pairs rather than joined: the scan then skips every other snapshot by its zone maps. What the
    viewer may not see is masked first (`Shown`). `wide`: the cost values multiplied as HUGEINT
    (BIGINT, faster, raises on overflow: then this again)."""
    latest = " OR ".join("(shared_by = ? AND snapshot_day = ?)" for _ in range(members))
    value = "quantity::HUGEINT * unit_cost_minor" if wide else "quantity * unit_cost_minor"
    return f"""
CREATE OR REPLACE TEMP TABLE inventory_board AS
WITH shown AS (
    SELECT shared_by, sku, {_shown_if(shown.region, "region")} AS region,
           {_shown_if(shown.age, "age_days")} AS age_days, quantity,
           {_shown_if(shown.cost, "unit_cost_minor")} AS unit_cost_minor
    FROM {TABLE}
    WHERE alliance = ? AND ({latest})
)
SELECT grouping(shared_by, sku, region) AS level, shared_by AS member, sku, region, count(*) AS locations,
       sum(quantity) AS quantity, max(age_days) AS oldest, sum({value}) AS value,
       coalesce(sum(quantity) FILTER (WHERE age_days > ?), 0) AS slow_quantity,
       CASE WHEN count(unit_cost_minor) > 0
            THEN coalesce(sum({value}) FILTER (WHERE age_days > ?), 0) END AS slow_value
FROM shown
GROUP BY GROUPING SETS ((shared_by, sku, region), (shared_by), (sku), (region))
"""


def _in(values: Sequence[object]) -> str:
    """`IN (?, ?, ...)` for a short list (a page's SKUs, the members): a literal list the scan filters
    on directly, faster than list_contains on a parameter."""
    return f"IN ({', '.join('?' for _ in values)})"


@dataclass(frozen=True, slots=True)
class AggregateRow:
    """Units and value of one group (minor units, exact)."""

    key: str
    quantity: int
    value: int | None        # None: no member of the group shares its cost
    slow_quantity: int
    slow_value: int | None


@dataclass(frozen=True, slots=True)
class BoardRow:
    member: str
    sku: str
    region: str
    snapshot_day: date
    locations: int
    quantity: int
    oldest_age_days: int | None  # None: the member does not share its stock's age
    value: int | None            # None: the member does not share its unit cost
    slow: bool
    slow_quantity: int
    slow_value: int | None


@dataclass(frozen=True, slots=True)
class BoardData:
    """What a board shows, as the fact store answers it (minor units)."""

    members: list[tuple[str, date, AggregateRow]]
    rows: list[BoardRow]
    row_count: int
    skus: list[AggregateRow]
    sku_count: int
    regions: list[AggregateRow]
    region_count: int
    stock: dict[tuple[str, str], tuple[int, int]]   # (member, sku) -> (units, slow units), for the asked SKUs


def _whole(value: object) -> int | None:
    return None if value is None else int(value)  # type: ignore[call-overload]


def _aggregate(row: Sequence[object]) -> AggregateRow:
    return AggregateRow(str(row[0]), int(row[1] or 0), _whole(row[2]), int(row[3] or 0), _whole(row[4]))  # type: ignore[call-overload]


_SUMS = "quantity, value, slow_quantity, slow_value"


def board(facts: FactStore, alliance: str, as_of: date, members: Sequence[str], slow_after_days: int,
          offset: int, limit: int, shown: Shown) -> BoardData:
    """The board's figures for `members` (their latest snapshots on or before `as_of`), with what
    `shown` does not name masked."""
    import duckdb

    cursor = facts.cursor()
    try:
        cursor.execute("BEGIN TRANSACTION")  # one snapshot of the file for every query below
        if not members:
            cursor.execute("ROLLBACK")
            return BoardData([], [], 0, [], 0, [], 0, {})
        latest = cursor.execute(_latest_sql(len(members)), [alliance, as_of, *members]).fetchall()
        if not latest:
            cursor.execute("ROLLBACK")
            return BoardData([], [], 0, [], 0, [], 0, {})
        parameters = [*shown.parameters(), alliance, *(value for pair in latest for value in pair),
                      *[slow_after_days] * 2]
        try:
            cursor.execute(_board_sql(len(latest), wide=False, shown=shown), parameters)
        except duckdb.OutOfRangeException:  # a quantity × unit cost beyond 2^63 minor units
            cursor.execute("ROLLBACK")
            cursor.execute("BEGIN TRANSACTION")
            latest = cursor.execute(_latest_sql(len(members)), [alliance, as_of, *members]).fetchall()
            cursor.execute(_board_sql(len(latest), wide=True, shown=shown), parameters)
        found = _read_board(cursor, dict(latest), offset, limit, slow_after_days)
        cursor.execute("ROLLBACK")
        return found
    finally:
        cursor.close()


def _read_board(cursor: duckdb.DuckDBPyConnection, days: dict[str, date], offset: int, limit: int,
                slow_after_days: int) -> BoardData:
    counts = dict(cursor.execute("SELECT level, count(*) FROM inventory_board GROUP BY level").fetchall())
    members = [(str(r[0]), days[str(r[0])], _aggregate(r)) for r in cursor.execute(
        f"SELECT member, {_SUMS} FROM inventory_board WHERE level = {MEMBERS} ORDER BY member").fetchall()]
    rows = [BoardRow(str(r[0]), str(r[1]), str(r[2]), days[str(r[0])], int(r[3]), int(r[4]), _whole(r[5]),
                     _whole(r[6]), r[5] is not None and int(r[5]) > slow_after_days, int(r[7]), _whole(r[8]))
            for r in cursor.execute(
                "SELECT member, sku, coalesce(region, '') AS shown, locations, quantity, oldest, value, "
                f"slow_quantity, slow_value FROM inventory_board WHERE level = {ROWS} "
                "ORDER BY slow_value DESC NULLS LAST, value DESC NULLS LAST, member, sku, shown LIMIT ? OFFSET ?",
                [limit, offset]).fetchall()]
    skus = [_aggregate(r) for r in cursor.execute(
        f"SELECT sku, {_SUMS} FROM inventory_board WHERE level = {SKUS} ORDER BY value DESC NULLS LAST, sku LIMIT ? OFFSET ?",
        [limit, offset]).fetchall()]
    regions = [_aggregate(r) for r in cursor.execute(
        f"SELECT coalesce(region, '') AS shown, {_SUMS} FROM inventory_board WHERE level = {REGIONS} "
        "ORDER BY value DESC NULLS LAST, shown LIMIT ? OFFSET ?", [limit, offset]).fetchall()]
    asked = sorted({r.sku for r in rows if r.slow})
    stock = {(str(r[0]), str(r[1])): (int(r[2]), int(r[3])) for r in cursor.execute(
        f"SELECT member, sku, sum(quantity), sum(slow_quantity) FROM inventory_board WHERE level = {ROWS} "
        f"AND sku {_in(asked)} GROUP BY member, sku", asked).fetchall()} if asked else {}
    return BoardData(members, rows, int(counts.get(ROWS, 0)), skus, int(counts.get(SKUS, 0)), regions,
                     int(counts.get(REGIONS, 0)), stock)


def units_sold(facts: FactStore, alliance: str, sellers: Sequence[str], skus: Sequence[str], first: date,
               last: date) -> dict[tuple[str, str], int]:
    """Units sold per (seller, SKU) on the business days [first, last], refunds negative."""
    if not sellers or not skus:
        return {}
    return {(str(r[0]), str(r[1])): int(r[2]) for r in facts.query(
        f"SELECT seller, sku, sum({UNITS_SOLD}) FROM order_lines WHERE alliance = ? AND business_day BETWEEN ? AND ? "
        f"AND seller {_in(sellers)} AND sku {_in(skus)} GROUP BY seller, sku",
        [alliance, first, last, *sellers, *skus])}


def stock_days(facts: FactStore, alliance: str, members: Sequence[str], first: date,
               last: date) -> list[tuple[str, date, int]]:
    """Each member's total units on each of its snapshot days in [first, last]."""
    if not members:
        return []
    return [(str(r[0]), r[1], int(r[2])) for r in facts.query(
        f"SELECT shared_by, snapshot_day, sum(quantity)::HUGEINT FROM {TABLE} WHERE alliance = ? "
        f"AND snapshot_day BETWEEN ? AND ? AND shared_by {_in(members)} GROUP BY shared_by, snapshot_day "
        "ORDER BY shared_by, snapshot_day", [alliance, first, last, *members])]


def units_sold_days(facts: FactStore, alliance: str, sellers: Sequence[str], first: date,
                    last: date) -> list[tuple[str, date, int]]:
    """Each seller's units sold on each business day in [first, last] it sold on, refunds negative."""
    if not sellers:
        return []
    return [(str(r[0]), r[1], int(r[2])) for r in facts.query(
        f"SELECT seller, business_day, sum({UNITS_SOLD})::HUGEINT FROM order_lines WHERE alliance = ? "
        f"AND business_day BETWEEN ? AND ? AND seller {_in(sellers)} GROUP BY seller, business_day "
        "ORDER BY seller, business_day", [alliance, first, last, *sellers])]
