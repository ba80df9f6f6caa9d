"""A realistic, reproducible file of order lines for the benchmarks (DuckDB writes it, no Python per row).

Shape (the settlement issue's "realistic skew"): `members` members M000, M001, ...; sellers skewed
(the seller of a sale is member floor(u^3 x members): a few large hubs, a long tail of small
shops); the ten largest sellers sell every member's products, the others mostly their own (80%)
and a few partners'; four channels, the store busiest; SKUs in three product lines (HW-, SW-,
SV-); amounts log-uniform from 1 to 22,000 yuan with cents, costs 60% of them (a refund returns both); 30% of lines
attributed to one or two partners (referrals); every 20th line (5%) refunds the line before it in
full. Every value derives from the line number by hashing, so a file is the same on every run.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb


def member_codes(members: int) -> list[str]:
    return [f"M{i:03d}" for i in range(members)]


def write_order_lines(path: Path, lines: int, members: int, day: date) -> None:
    """Write `lines` order lines, all on `day` in Asia/Shanghai, as Parquet (decimal strings)."""
    duckdb.sql(f"""
        COPY (
            WITH numbered AS (
                -- k: the sale a line is about (a refund is about the line before it)
                SELECT i, CASE WHEN i % 20 = 19 THEN i - 1 ELSE i END AS k FROM range({lines}) t(i)
            ),
            drawn AS (
                SELECT i, k,
                       (hash(k, 1) % 1000000) / 1e6 AS u1, (hash(k, 2) % 1000000) / 1e6 AS u2,
                       (hash(k, 3) % 1000000) / 1e6 AS u3, (hash(k, 4) % 1000000) / 1e6 AS u4
                FROM numbered
            ),
            sale AS (
                SELECT *, CAST(floor(pow(u1, 3) * {members}) AS INTEGER) AS s,
                       CAST(100 + floor(exp(u3 * 14.6)) AS BIGINT) AS cents
                FROM drawn
            )
            SELECT 'L' || i AS line_id, 'O' || (k // 3) AS order_id,
                   strftime(TIMESTAMP '{day.isoformat()} 00:00:00' + INTERVAL (k % 86400) SECOND, '%Y-%m-%dT%H:%M:%S')
                       || '+08:00' AS occurred_at,
                   'M' || lpad(CAST(s AS VARCHAR), 3, '0') AS seller,
                   'M' || lpad(CAST(CASE WHEN s < 10 THEN CAST(floor(u2 * {members}) AS INTEGER)
                                         WHEN u2 < 0.8 THEN s
                                         ELSE (s + 1 + CAST(floor(u2 * 15) AS INTEGER) % 3) % {members} END
                                    AS VARCHAR), 3, '0') AS product_owner,
                   (['store', 'mini-program', 'membership', 'referral'])[1 + CAST(floor(pow(u4, 2) * 4) AS INTEGER)] AS channel,
                   (['HW-', 'SW-', 'SV-'])[1 + k % 3] || (k % 997) AS sku,
                   1 + k % 3 AS quantity,
                   CASE WHEN i <> k THEN '-' ELSE '' END || CAST(cents // 100 AS VARCHAR) || '.'
                       || lpad(CAST(cents % 100 AS VARCHAR), 2, '0') AS amount,
                   CASE WHEN i <> k THEN '-' ELSE '' END || CAST(cents * 6 // 1000 AS VARCHAR) || '.00' AS cost,
                   CASE WHEN k % 10 < 3 THEN 'M' || lpad(CAST((s + 1) % {members} AS VARCHAR), 3, '0')
                        || CASE WHEN k % 10 = 0 THEN ';M' || lpad(CAST((s + 2) % {members} AS VARCHAR), 3, '0') ELSE '' END
                   END AS attributed_to,
                   CASE WHEN i <> k THEN 'L' || k END AS refund_of,
                   'CNY' AS currency
            FROM sale
        ) TO '{path}' (FORMAT parquet)
    """)
