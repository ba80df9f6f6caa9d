"""Benchmark: a month of customer events turned into the journey metrics (issue 27: 50M events in
at most 30 s), beside a plain pandas computation of the same figures from the same data, in the
same process.

    PYTHONPATH=src .venv/bin/python benchmarks/journey_metrics.py               # 50M events
    PYTHONPATH=src .venv/bin/python benchmarks/journey_metrics.py --events 2000000

The events are generated directly in a DuckDB file (SQL `range()`, no Python loop): 5 members,
one customer per 10 events (5M customers for 50M), each with a home member and one event in five
elsewhere; visits 55 %, purchases 30 %, services 10 %, referrals 5 %, spread over the month.
Timed: the fact store's `journey_counts` (the one query of `store.facts.journeys_sql`) and the
metric values; then pandas reading the same columns out of DuckDB (not timed: its input as a
DataFrame) and computing the same counts with group-bys (timed). Both results are compared.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from datetime import date
from pathlib import Path

MEMBERS = ("M1", "M2", "M3", "M4", "M5")


def cpu_seconds() -> float:
    """This process's CPU time (all threads): on a shared machine the wall time says how busy the
    others were, the CPU time what the work cost; on an idle 2-core machine wall ~ CPU / 2 for DuckDB."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime
FIRST, LAST = date(2027, 3, 1), date(2027, 3, 31)


def generate(db: object, events: int) -> None:
    """`events` customer events of alliance BENCH in March 2027 (see the module docstring)."""
    customers = max(1, events // 10)
    db.execute(f"""CREATE TABLE customers AS
                   SELECT i AS n, sha256(i::VARCHAR) AS customer_key, ['M1','M2','M3','M4','M5'][1 + i % 5] AS home
                   FROM range({customers}) t(i)""")
    db.execute(f"""INSERT INTO dataset_customer_events
        SELECT 'BENCH', member, 'e' || i, c.customer_key, member, event_type,
               TIMESTAMPTZ '2027-03-01 00:00:00+08' + to_seconds(offset_s), value_minor, 'SKU' || (i % 1000),
               'store', DATE '2027-03-01' + (offset_s // 86400)::INTEGER, TIMESTAMPTZ '2027-04-01 00:00:00+00'
        FROM (SELECT i, (hash(i, 1) % {customers})::BIGINT AS n,
                     CASE WHEN hash(i, 2) % 5 = 0 THEN ['M1','M2','M3','M4','M5'][1 + (hash(i, 3) % 5)::BIGINT] END AS away,
                     CASE WHEN hash(i, 4) % 100 < 55 THEN 'visit' WHEN hash(i, 4) % 100 < 85 THEN 'purchase'
                          WHEN hash(i, 4) % 100 < 95 THEN 'service' ELSE 'referral' END AS event_type,
                     (hash(i, 5) % (31 * 86400))::BIGINT AS offset_s,
                     (hash(i, 6) % 50000)::BIGINT AS value_minor
              FROM range({events}) t(i)) e
        JOIN customers c USING (n), LATERAL (SELECT coalesce(e.away, c.home) AS member)""")
    db.execute("DROP TABLE customers")


def with_pandas(db: object) -> dict[str | None, dict[str, int]]:
    """The same counts with plain pandas group-bys (the baseline). Reading the frame is not timed."""
    frame = db.execute("""SELECT customer_key, member, event_type FROM dataset_customer_events
                          WHERE alliance = 'BENCH' AND event_day BETWEEN ? AND ? AND shared_by = member""",
                       [FIRST, LAST]).df()
    started, cpu = time.perf_counter(), cpu_seconds()
    frame["purchase"] = (frame["event_type"] == "purchase").astype("int64")
    frame["referral"] = (frame["event_type"] == "referral").astype("int64")
    per_member = frame.groupby(["customer_key", "member"], sort=False).agg(
        purchases=("purchase", "sum"), referrals=("referral", "sum"), events=("purchase", "size")).reset_index()
    bought_at = per_member[per_member["purchases"] > 0].groupby("customer_key").size().rename("bought_at")
    per_member = per_member.join(bought_at, on="customer_key")
    per_member["bought_at"] = per_member["bought_at"].fillna(0)
    found: dict[str | None, dict[str, int]] = {}
    for member, g in per_member.groupby("member"):
        found[str(member)] = {"buyers": int((g["purchases"] > 0).sum()), "repeat_buyers": int((g["purchases"] >= 2).sum()),
                              "cross_buyers": int(((g["purchases"] > 0) & (g["bought_at"] >= 2)).sum()),
                              "referrals": int(g["referrals"].sum()), "customers": len(g), "events": int(g["events"].sum())}
    per_customer = per_member.groupby("customer_key").agg(purchases=("purchases", "sum"), bought_at=("bought_at", "max"),
                                                           referrals=("referrals", "sum"), events=("events", "sum"))
    found[None] = {"buyers": int((per_customer["purchases"] > 0).sum()),
                   "repeat_buyers": int((per_customer["purchases"] >= 2).sum()),
                   "cross_buyers": int((per_customer["bought_at"] >= 2).sum()),
                   "referrals": int(per_customer["referrals"].sum()), "customers": len(per_customer),
                   "events": int(per_customer["events"].sum())}
    with_pandas.seconds = time.perf_counter() - started  # type: ignore[attr-defined]
    with_pandas.cpu = cpu_seconds() - cpu  # type: ignore[attr-defined]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000_000)
    args = parser.parse_args()

    from alliance.datashare.journeys.metrics import values
    from alliance.store.facts import FactStore

    with tempfile.TemporaryDirectory() as folder:
        facts = FactStore(Path(folder) / "facts.duckdb")
        started = time.perf_counter()
        generate(facts.cursor(), args.events)
        print(f"generated {args.events:,} events in {time.perf_counter() - started:.1f} s")
        load = " ".join(f"{x:.1f}" for x in os.getloadavg())

        started, cpu = time.perf_counter(), cpu_seconds()
        counts = facts.journey_counts("BENCH", FIRST, LAST, list(MEMBERS))
        figures = {m: values(c) for m, c in counts.members.items()}
        ours, ours_cpu = time.perf_counter() - started, cpu_seconds() - cpu

        cursor = facts.cursor()
        baseline = with_pandas(cursor)
        cursor.close()
        theirs, theirs_cpu = with_pandas.seconds, with_pandas.cpu  # type: ignore[attr-defined]
        same = all(dict(counts.members[m]) == baseline[m] for m in MEMBERS) and dict(counts.alliance) == baseline[None]
        print(f"load average before: {load}; cores: {os.cpu_count()}")
        print(f"journey metrics (DuckDB, one query): {ours:.2f} s wall, {ours_cpu:.2f} s CPU for "
              f"{counts.alliance['events']:,} events ({counts.alliance['customers']:,} customers)")
        print(f"pandas baseline (group-bys, frame already in memory): {theirs:.2f} s wall, {theirs_cpu:.2f} s CPU")
        print(f"ratio pandas / ours: {theirs / ours:.2f}x; same counts: {same}")
        for member in MEMBERS:
            print(member, {k: str(v) for k, v in figures[member].items()})
        facts.close()


if __name__ == "__main__":
    main()
