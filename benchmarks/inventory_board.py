"""Inventory board speed: a board of 1,000,000 SKU × location rows built in DuckDB, beside pandas.

Run: PYTHONPATH=src .venv/bin/python benchmarks/inventory_board.py [--members 5] [--rows 200000] [--lines 2000000] [--repeat 3]

Target (issue 27), on the 2-core reference machine: the inventory board of 1M SKU × location rows
in at most 1 s. "The board" is what `operations.inventory.service.build_board` returns for a page:
each member's latest snapshot on or before D aggregated by member × SKU × region (units, oldest age,
cost value, slow-moving units and value), the alliance's and each member's totals, the first 200
rows (slow-moving first), the first 200 SKU and region totals, and the transfer suggestions for the
page's slow rows (units sold in the 30 days ending on D from the order lines). Only that page leaves
DuckDB; the rule runs in Python on it.

The baseline is **pandas** doing the same in the same process on DataFrames already in memory (the
snapshot rows and the 30 days of order lines; reading them out of DuckDB into pandas is not timed,
which favours the baseline): the same latest-snapshot filter, group-bys, sorts and suggestions. The
two answers are compared before timing (totals, the page's rows, the suggestions).

The data: `--members` members × `--rows` rows each on one snapshot day near D (100,000 SKUs per
member in 2 locations each by default, 30 regions, ages 0-365 days, unit costs 1.00-500.00), and
`--lines` order lines over the 60 days before D (10% refunds), generated with SQL `range()`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from alliance.operations.inventory.model import Scope  # noqa: E402
from alliance.datashare.views import DATASETS  # noqa: E402
from alliance.operations.inventory.service import Sharing, build_board  # noqa: E402
from alliance.operations.inventory.suggestions import SlowStock, suggest  # noqa: E402
from alliance.store.facts import FactStore  # noqa: E402

D = date(2026, 11, 20)
ALLIANCE = "bench"
SLOW = 90
PAGE = 200


def generate(facts: FactStore, members: int, rows: int, lines: int) -> list[str]:
    codes = [f"M{n:04d}" for n in range(1, members + 1)]
    skus = max(1, rows // 2)
    with facts.writing() as db:
        for n, code in enumerate(codes):
            db.execute(f"""INSERT INTO dataset_inventory (alliance, shared_by, snapshot_day, sku, location, region,
                               quantity, age_days, unit_cost_minor, imported_at)
                           SELECT '{ALLIANCE}', '{code}', DATE '{D}' - {n % 3}, 'SKU-' || (i % {skus}),
                                  'L' || (i // {skus}), 'R' || hash(i, {n}) % 30,
                                  hash(i, {n}, 1) % 40, hash(i, {n}, 2) % 366, 100 + hash(i, {n}, 3) % 49900, now()
                           FROM range({rows}) t(i)""")
        db.execute(f"""INSERT INTO order_lines (alliance, line_id, order_id, occurred_at, business_day, seller,
                           product_owner, channel, sku, quantity, amount_minor, currency, attributed_to, refund_of,
                           ingested_at)
                       SELECT '{ALLIANCE}', 'L' || i, 'O' || i, TIMESTAMPTZ '2026-09-01 00:00:00+00', DATE '{D}' - (i % 60)::INTEGER,
                              'M' || lpad((1 + hash(i, 7) % {members})::VARCHAR, 4, '0'), 'M0001', 'store',
                              'SKU-' || (hash(i, 8) % {skus}), 1 + hash(i, 9) % 20, 1000, 'CNY', '',
                              CASE WHEN i % 10 = 0 THEN 'L' || (i - 1) END, now()
                       FROM range({lines}) t(i)""")
    return codes


def engine(facts: FactStore, codes: list[str]) -> Any:
    everything = frozenset(DATASETS["inventory"])  # every member shares every field: the whole board is computed
    shares = Sharing(tuple(codes), frozenset(codes), {code: everything for code in codes})
    return build_board(facts, ALLIANCE, "CNY", D, SLOW, 0, PAGE, Scope.ALLIANCE, tuple(codes), shares, None)


def pandas_board(snapshots: Any, sales: Any, codes: list[str]) -> dict[str, Any]:
    import pandas as pd

    s = snapshots[snapshots.snapshot_day <= pd.Timestamp(D)]
    latest = s.groupby("shared_by").snapshot_day.transform("max")
    s = s[s.snapshot_day == latest]
    value = s.quantity * s.unit_cost_minor
    slow = s.age_days > SLOW
    s = s.assign(value=value, slow_quantity=s.quantity.where(slow, 0), slow_value=value.where(slow, 0))
    rows = s.groupby(["shared_by", "sku", "region"], sort=False).agg(
        quantity=("quantity", "sum"), oldest=("age_days", "max"), value=("value", "sum"),
        slow_quantity=("slow_quantity", "sum"), slow_value=("slow_value", "sum")).reset_index()
    totals = rows[["quantity", "value", "slow_quantity", "slow_value"]].sum()
    members = rows.groupby("shared_by")[["quantity", "value", "slow_quantity", "slow_value"]].sum()
    page = rows.sort_values(["slow_value", "value", "shared_by", "sku", "region"],
                            ascending=[False, False, True, True, True]).head(PAGE)
    sku_totals = rows.groupby("sku")[["quantity", "value", "slow_quantity", "slow_value"]].sum().reset_index()
    skus = sku_totals.sort_values(["value", "sku"], ascending=[False, True]).head(PAGE)
    regions = rows.groupby("region")[["quantity", "value"]].sum().sort_values("value", ascending=False).head(PAGE)
    slow_pairs = page[page.oldest > SLOW][["shared_by", "sku"]].drop_duplicates()
    wanted = set(slow_pairs.sku)
    by_pair = rows[rows.sku.isin(wanted)].groupby(["shared_by", "sku"])[["quantity", "slow_quantity"]].sum()
    window = sales[(sales.business_day >= pd.Timestamp(D - timedelta(days=29))) & (sales.business_day <= pd.Timestamp(D))
                   & sales.sku.isin(wanted)]
    units = window.quantity.where(window.refund_of.isna(), -window.quantity.abs())
    sold = units.groupby([window.seller, window.sku]).sum()
    stock = {k: int(v) for k, v in by_pair.quantity.items()}
    found = suggest([SlowStock(m, k, int(by_pair.slow_quantity.get((m, k), 0))) for m, k in
                     sorted(zip(slow_pairs.shared_by, slow_pairs.sku))], codes,
                    {k: int(v) for k, v in sold.items()}, stock, sellers=codes)
    return {"totals": totals, "members": members, "page": page, "skus": skus, "regions": regions, "suggestions": found}


def timed(function: Any, repeat: int) -> tuple[float, float, Any]:
    """The median wall time and the median CPU time of this process (every thread: DuckDB runs one per
    core), of `repeat` runs. On a shared machine the CPU time shows the work itself, the wall time
    also the wait for a core."""
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        result = function()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=5)
    parser.add_argument("--rows", type=int, default=200_000, help="snapshot rows per member")
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        facts = FactStore(Path(folder) / "facts.duckdb")
        try:
            start = time.perf_counter()
            codes = generate(facts, args.members, args.rows, args.lines)
            print(f"generated {args.members * args.rows:,} snapshot rows and {args.lines:,} order lines "
                  f"in {time.perf_counter() - start:.1f} s")
            cursor = facts.cursor()
            snapshots = cursor.execute("SELECT shared_by, snapshot_day, sku, location, region, quantity, age_days, "
                                       "unit_cost_minor FROM dataset_inventory WHERE alliance = ?", [ALLIANCE]).df()
            sales = cursor.execute("SELECT seller, sku, quantity, business_day, refund_of FROM order_lines "
                                   "WHERE alliance = ? AND business_day BETWEEN ? AND ?",
                                   [ALLIANCE, D - timedelta(days=29), D]).df()
            cursor.close()
            import pandas as pd

            snapshots["snapshot_day"] = pd.to_datetime(snapshots.snapshot_day)
            sales["business_day"] = pd.to_datetime(sales.business_day)
            ours = engine(facts, codes)  # warm, and checked against the baseline
            theirs = pandas_board(snapshots, sales, codes)
            assert ours.totals.quantity == int(theirs["totals"]["quantity"])
            assert ours.totals.value.minor == int(theirs["totals"]["value"])
            assert ours.totals.slow_value.minor == int(theirs["totals"]["slow_value"])
            assert [(r.member, r.sku, r.region, r.quantity) for r in ours.rows] == \
                [(m, k, g, int(q)) for m, k, g, q in zip(theirs["page"].shared_by, theirs["page"].sku,
                                                          theirs["page"].region, theirs["page"].quantity)]
            assert list(ours.suggestions) == theirs["suggestions"]
            ours_time, ours_cpu, _ = timed(lambda: engine(facts, codes), args.repeat)
            pandas_time, pandas_cpu, _ = timed(lambda: pandas_board(snapshots, sales, codes), args.repeat)
        finally:
            facts.close()
    rows = args.members * args.rows
    print(f"board of {rows:,} SKU × location rows: {len(ours.rows)} rows shown of {ours.rows_page.total:,}, "
          f"{len(ours.suggestions)} suggestions")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"  DuckDB SQL + engine (build_board): {ours_time:.3f} s wall, {ours_cpu:.3f} s CPU "
          f"(median of {args.repeat}; target ≤ 1 s)")
    print(f"  pandas baseline (data in memory):   {pandas_time:.3f} s wall, {pandas_cpu:.3f} s CPU")
    print(f"  ratio pandas / ours: {pandas_time / ours_time:.2f}x wall, {pandas_cpu / ours_cpu:.2f}x CPU "
          f"({os.cpu_count()} cores, load average {load:.1f} when done)")


if __name__ == "__main__":
    main()
