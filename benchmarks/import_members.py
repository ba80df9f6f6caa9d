"""Member import throughput: `alliance member import` path vs. a bare baseline, same process.

Run: .venv/bin/python benchmarks/import_members.py [ROWS]   (default 20000)

Measures, on a fresh SQLite file each:
  * baseline  - csv.reader + sqlite3.executemany of the same rows into the real `members` table,
                no validation at all: the floor any importer can reach;
  * alliance  - read_table + service.import_members: header mapping, every field parsed, credit
                codes checked, duplicates checked, batched INSERTs in one transaction.
Prints rows/s for both and their ratio (timings on shared machines are noisy: compare ratios).
"""

from __future__ import annotations

import csv
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from alliance.core.clock import FrozenClock
from alliance.registry import service
from alliance.registry.credit_code import with_check_character
from alliance.registry.model import AllianceKind, AllianceSpec, AllianceStructure
from alliance.registry.spreadsheets import read_table
from alliance.store.database import Store

CLOCK = FrozenClock(datetime(2026, 11, 22, 2, tzinfo=UTC))
HEADER = ["code", "name", "credit_code", "industry", "region", "revenue", "debt_ratio", "patent_count"]


def make_file(folder: Path, rows: int) -> Path:
    path = folder / "members.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        for i in range(rows):
            writer.writerow([f"M{i:07d}", f"宁波测试企业{i}有限公司", with_check_character(f"91330200{i:09d}"),
                             "精密制造", "浙江宁波", f"{i * 37 % 100000}.25", "0.42", str(i % 50)])
    return path


def new_store(folder: Path, name: str) -> Store:
    store = Store.open(f"sqlite:///{folder / name}")
    service.create_alliance(store, AllianceSpec("bench", "基准联盟", AllianceKind.SME, AllianceStructure.MESH), CLOCK)
    return store


def baseline(folder: Path, path: Path) -> float:
    store = new_store(folder, "baseline.db")
    db = str(store.engine.url.database)
    store.close()
    start = time.perf_counter()
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader)
        now = datetime.now(UTC).isoformat()
        values = [(1, r[0], r[1], r[2], r[3], r[4], "member", "2026-11-22", now) for r in reader]
    connection = sqlite3.connect(db)
    with connection:
        connection.executemany(
            "INSERT INTO members (alliance_id, code, legal_name, credit_code, industry, region, role, joined_on,"
            " created_at, contact_name, contact_phone, contact_email) VALUES (?,?,?,?,?,?,?,?,?,'','','')",
            values,
        )
    connection.close()
    return time.perf_counter() - start


def alliance_import(folder: Path, path: Path) -> float:
    store = new_store(folder, "alliance.db")
    start = time.perf_counter()
    table = read_table(path)
    result = service.import_members(store, "bench", table.header, table.rows, CLOCK)
    elapsed = time.perf_counter() - start
    assert result.added == len(table.rows)
    store.close()
    return elapsed


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = make_file(folder, rows)
        base = baseline(folder, path)
        ours = alliance_import(folder, path)
    print(f"rows: {rows}")
    print(f"baseline (csv + executemany, no checks): {base:7.2f} s  {rows / base:10,.0f} rows/s")
    print(f"alliance member import (all checks):     {ours:7.2f} s  {rows / ours:10,.0f} rows/s")
    print(f"ratio alliance/baseline: {ours / base:.1f}x")


if __name__ == "__main__":
    main()
