"""Member import throughput and peak memory: the `alliance member import` path vs. a bare baseline,
in the same process.

Run: PYTHONPATH=src .venv/bin/python benchmarks/import_members.py [ROWS]   (default 1000000)

Writes a CSV of ROWS members with every column (about 200 bytes a row: 1M rows is a ~200 MB file,
the size of the file in issue 17), then measures, on a fresh SQLite file each:
  * alliance  - open_table + service.import_members, as `alliance member import` runs it: the file
                streamed, header mapping, every field parsed, credit codes checked, duplicates
                checked, batched INSERTs and ledger entries in one transaction;
  * refused   - the same file again into the same alliance: every row is bad (its code is taken),
                so nothing is stored, the first 100 problems are kept and the rest counted;
  * baseline  - csv.reader + sqlite3.executemany of the same rows, streamed, into the real
                `members` table, no validation at all: the floor any importer can reach.
For each: seconds, rows/s and the peak resident memory of the process while it ran (sampled from
/proc every 20 ms: the whole process, interpreter and libraries included). The alliance import
runs first, so a later phase cannot hide its own peak under an earlier one's freed memory.
Timings on shared machines are noisy: compare ratios.
"""

from __future__ import annotations

import csv
import gc
import sqlite3
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from alliance.core.clock import FrozenClock
from alliance.core.errors import InvalidInput
from alliance.registry import service
from alliance.registry.credit_code import with_check_character
from alliance.registry.importing import ProblemLog
from alliance.registry.model import AllianceKind, AllianceSpec, AllianceStructure
from alliance.registry.spreadsheets import open_table
from alliance.store.database import Store

CLOCK = FrozenClock(datetime(2026, 11, 22, 2, tzinfo=UTC))
HEADER = ["code", "name", "credit_code", "industry", "region", "size", "role", "joined_on", "contact_name",
          "contact_phone", "contact_email", "revenue", "profit", "cash_flow", "debt_ratio", "reputation",
          "compliance_records", "patent_count", "api_count"]


def make_file(folder: Path, rows: int) -> Path:
    path = folder / "members.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        for i in range(rows):
            writer.writerow([f"M{i:07d}", f"宁波测试企业{i}有限公司", with_check_character(f"91330200{i:09d}"),
                             "精密制造", "浙江宁波", "small", "member", f"2025/{i % 12 + 1}/{i % 28 + 1}", "王经理",
                             f"0574-{i % 10**8:08d}", f"m{i}@example.cn", f"{i * 37 % 100000}.25",
                             f"{i % 9000}.50", f"{i % 7000}.75", "0.42", "7.5", str(i % 3), str(i % 50), str(i % 9)])
    return path


def rss_bytes() -> int:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def measured(work: Callable[[], object]) -> tuple[float, int]:
    """Seconds `work` took and the peak resident memory of the process meanwhile."""
    gc.collect()
    peak = rss_bytes()
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.02):
            peak = max(peak, rss_bytes())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.perf_counter()
    try:
        work()
    finally:
        elapsed = time.perf_counter() - start
        done.set()
        sampler.join()
    return elapsed, max(peak, rss_bytes())


def new_store(folder: Path, name: str) -> Store:
    store = Store.open(f"sqlite:///{folder / name}")
    service.create_alliance(store, AllianceSpec("bench", "基准联盟", AllianceKind.SME, AllianceStructure.MESH), CLOCK)
    return store


def baseline(db: str, path: Path) -> None:
    now = datetime.now(UTC).isoformat()
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader)
        connection = sqlite3.connect(db)
        with connection:
            connection.executemany(
                "INSERT INTO members (alliance_id, code, legal_name, credit_code, industry, region, role, joined_on,"
                " created_at, contact_name, contact_phone, contact_email) VALUES (?,?,?,?,?,?,?,?,?,'','','')",
                ((1, r[0], r[1], r[2], r[3], r[4], "member", "2026-11-22", now) for r in reader))
        connection.close()


def alliance_import(store: Store, path: Path, rows: int) -> None:
    with open_table(path) as table:
        result = service.import_members(store, "bench", table.header, table.rows, CLOCK, header_row=table.header_row)
    assert result.added == rows, result


def refused_import(store: Store, path: Path, rows: int) -> None:
    log = ProblemLog()
    try:
        with open_table(path) as table:
            service.import_members(store, "bench", table.header, table.rows, CLOCK, header_row=table.header_row,
                                   problems=log)
    except InvalidInput as exc:
        assert len(exc.problems) == 100 and log.bad_rows == rows, (len(exc.problems), log.bad_rows)
    else:
        raise AssertionError("a file of taken codes was imported")


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = make_file(folder, rows)
        size = path.stat().st_size
        store = new_store(folder, "alliance.db")
        base_store = new_store(folder, "baseline.db")
        db = str(base_store.engine.url.database)
        base_store.close()
        start_rss = rss_bytes()
        ours = measured(lambda: alliance_import(store, path, rows))
        refused = measured(lambda: refused_import(store, path, rows))
        store.close()
        base = measured(lambda: baseline(db, path))
    mib = 2**20
    print(f"rows: {rows:,}   file: {size / mib:,.0f} MiB   process before the runs: {start_rss / mib:,.0f} MiB RSS")
    for label, (seconds, peak) in (("alliance member import (all checks, stored)", ours),
                                   ("same file again (every row bad, refused)   ", refused),
                                   ("baseline (csv + executemany, no checks)    ", base)):
        print(f"{label}: {seconds:8.2f} s {rows / seconds:10,.0f} rows/s   peak {peak / mib:7,.0f} MiB RSS")
    print(f"ratio alliance/baseline: {ours[0] / base[0]:.1f}x")


if __name__ == "__main__":
    main()
