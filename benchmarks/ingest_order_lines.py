"""Order-line ingestion speed: `FactStore.ingest` vs a bare DuckDB copy of the same Parquet file.

Run: .venv/bin/python benchmarks/ingest_order_lines.py [--lines 10000000] [--members 200]

Target (the settlement issue): ingest a 10-million-line Parquet file in at most 30 s on the 2-core
reference machine. Generates a realistic file with DuckDB (skewed sellers: many small members and
a few large, 5% refunds, 30% with attributions, amounts as decimal strings), then measures, each
into a fresh DuckDB file:
  * baseline - CREATE TABLE AS SELECT * FROM read_parquet(...): reading and storing, no checks;
  * alliance - FactStore.ingest: every check of docs/formats/order-lines.md, content hashes,
               idempotency join, business days in Asia/Shanghai, insert.
Prints both times, lines per second and the ratio. Timings are noisy here: compare ratios.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from alliance.store.facts import FactStore


def generate(path: Path, lines: int, members: int) -> None:
    duckdb.sql(f"""
        COPY (
            SELECT 'L' || i AS line_id, 'O' || (i // 3) AS order_id,
                   strftime(TIMESTAMP '2027-01-15 00:00:00' + INTERVAL (i % 86400) SECOND, '%Y-%m-%dT%H:%M:%S') || '+08:00' AS occurred_at,
                   'M' || CAST(floor(pow(random(), 3) * {members}) AS INTEGER) AS seller,
                   'M' || CAST(floor(random() * {members}) AS INTEGER) AS product_owner,
                   (['store', 'mini-program', 'membership', 'referral'])[1 + i % 4] AS channel,
                   'SKU-' || (i % 5000) AS sku, 1 + i % 3 AS quantity,
                   CASE WHEN i % 20 = 0 THEN '-' ELSE '' END || CAST(1 + i % 50000 AS VARCHAR) || '.' || lpad(CAST(i % 100 AS VARCHAR), 2, '0') AS amount,
                   CAST(i % 30000 AS VARCHAR) || '.00' AS cost,
                   CASE WHEN i % 10 < 3 THEN 'M' || (i % {members}) || ';M' || ((i + 7) % {members}) ELSE NULL END AS attributed_to,
                   CASE WHEN i % 20 = 0 THEN 'L' || (i - 1) ELSE NULL END AS refund_of,
                   'CNY' AS currency
            FROM range({lines}) t(i)
        ) TO '{path}' (FORMAT parquet)
    """)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--members", type=int, default=200)
    args = parser.parse_args()
    members = [f"M{i}" for i in range(args.members)]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = folder / "lines.parquet"
        started = time.perf_counter()
        generate(source, args.lines, args.members)
        print(f"generated {args.lines:,} lines ({source.stat().st_size / 2**20:,.0f} MiB Parquet) "
              f"in {time.perf_counter() - started:.1f} s")

        baseline_db = duckdb.connect(str(folder / "baseline.duckdb"))
        started = time.perf_counter()
        baseline_db.execute(f"CREATE TABLE copy AS SELECT * FROM read_parquet('{source}')")
        baseline = time.perf_counter() - started
        baseline_db.close()

        facts = FactStore(folder / "facts.duckdb")
        started = time.perf_counter()
        report = facts.ingest("bench", "CNY", "Asia/Shanghai", members, source, now=datetime.now(UTC))
        ours = time.perf_counter() - started
        stored = facts.count("bench")
        facts.close()
    assert report.kept and stored == args.lines, (report.rejected[:3], stored)
    print(f"baseline (DuckDB copy, no checks):   {baseline:7.2f} s  {args.lines / baseline:12,.0f} lines/s")
    print(f"alliance ingest (all checks):        {ours:7.2f} s  {args.lines / ours:12,.0f} lines/s")
    print(f"ratio ingest/baseline: {ours / baseline:.1f}x")
    target = 30.0 * args.lines / 10_000_000
    print(f"target: 10,000,000 lines in 30 s (scaled: {target:.1f} s): {'PASS' if ours <= target else 'FAIL'}")


if __name__ == "__main__":
    main()
