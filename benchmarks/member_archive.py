"""A member's data archive (exits.archive_service) for a member with 10M order lines: export, then
offline verification, each beside a bare baseline in the same process.

Run: PYTHONPATH=src .venv/bin/python benchmarks/member_archive.py [--lines 10000000] [--others 1000000]

Targets (issue 23): the export finishes in at most 60 s with a progress bar, and the archive
verifies offline in at most 30 s. Setup (not timed): an alliance `bench` whose member M000 sold every
one of `--lines` lines (order_data.py's realistic lines, one member), and `--others` lines of 20
members of another alliance in the same fact store (so the filter has something to skip). Measured:
  * baseline export - a bare DuckDB COPY of the same rows (alliance and seller) to Parquet;
  * archive export  - build_member_archive with a rich progress bar: every part of the archive,
                      the order lines by DuckDB COPY, the ledger proofs, the signed manifest;
  * baseline verify - SHA-256 of the archive file (reading it once);
  * archive verify  - verify_member_archive: the signature, every file's SHA-256 out of the ZIP,
                      every entry's inclusion proof, the records and statements against the entries.
Timings on the shared 2-core machine vary by 2x: compare against the baselines of the same run.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).parent))

from order_data import member_codes, write_order_lines  # noqa: E402

from alliance.core.clock import FrozenClock  # noqa: E402
from alliance.exits.archive_format import verify_member_archive  # noqa: E402
from alliance.exits.archive_service import build_member_archive  # noqa: E402
from alliance.ledger import service as ledger  # noqa: E402
from alliance.registry import service as registry  # noqa: E402
from alliance.registry.credit_code import with_check_character  # noqa: E402
from alliance.registry.model import AllianceKind, AllianceSpec, AllianceStructure  # noqa: E402
from alliance.store.database import Store  # noqa: E402
from alliance.store.facts import FactStore  # noqa: E402
from alliance.store.stores import Stores  # noqa: E402

EXPORT_TARGET, VERIFY_TARGET = 60.0, 30.0
CLOCK = FrozenClock(datetime(2027, 1, 20, 2, tzinfo=UTC))


def setup(folder: Path, lines: int, others: int) -> Stores:
    store = Store.open(f"sqlite:///{folder / 'alliance.db'}", ledger_passphrase="benchmark passphrase, long enough")
    facts = FactStore(folder / "facts.duckdb")
    for code, members in (("bench", member_codes(2)), ("other", member_codes(20))):
        registry.create_alliance(store, AllianceSpec(code, "基准联盟", AllianceKind.MARKET, AllianceStructure.STAR),
                                 CLOCK)
        for n, member in enumerate(members):
            registry.add_member(store, code, {"code": member, "name": f"企业{n}",
                                              "credit_code": with_check_character(f"91330200{n:09d}")}, CLOCK)
    for code, count, members in (("bench", lines, 1), ("other", others, 20)):
        source = folder / f"{code}.parquet"
        started = time.perf_counter()
        write_order_lines(source, count, members, date(2027, 1, 15))
        report = facts.ingest(code, "CNY", "Asia/Shanghai", member_codes(members), source, now=datetime.now(UTC))
        assert report.kept, report.rejected[:3]
        source.unlink()
        print(f"setup: {count:,} lines into {code!r} in {time.perf_counter() - started:.1f} s")
    return Stores(store, facts)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--others", type=int, default=1_000_000)
    args = parser.parse_args()
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        stores = setup(folder, args.lines, args.others)

        started = time.perf_counter()
        copied = stores.facts.cursor()
        copied.execute(f"COPY (SELECT * FROM order_lines WHERE alliance = 'bench' AND seller = 'M000') "
                       f"TO '{folder / 'baseline.parquet'}' (FORMAT parquet, COMPRESSION zstd)")
        copied.close()
        baseline_export = time.perf_counter() - started
        rows = duckdb.sql(f"SELECT count(*) FROM read_parquet('{folder / 'baseline.parquet'}')").fetchone()[0]

        out = folder / "bench-M000-archive.zip"
        with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), transient=False) as bar:
            tasks: dict[str, int] = {}

            def progress(step: str, done: int, total: int) -> None:
                if step not in tasks:
                    tasks[step] = bar.add_task(step, total=max(total, 1))
                bar.update(tasks[step], completed=done if total else 1, total=max(total, 1))

            started = time.perf_counter()
            summary = build_member_archive(stores, "bench", "M000", out, progress=progress, clock=CLOCK)
            export = time.perf_counter() - started
        key = ledger.public_key(stores.records, "bench")
        stores.facts.close()
        stores.records.close()

        started = time.perf_counter()
        with out.open("rb") as f:
            digest = hashlib.sha256()
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
        baseline_verify = time.perf_counter() - started
        started = time.perf_counter()
        verdict = verify_member_archive(out, key)
        verify = time.perf_counter() - started
    assert rows == args.lines and summary.order_lines == args.lines and verdict.ok, (rows, summary, verdict.problems)
    assert verdict.order_lines == args.lines
    print(f"archive: {summary.size / 2**20:,.1f} MiB, {summary.files} files, {summary.order_lines:,} order lines, "
          f"{summary.entries} ledger entries")
    print(f"baseline export (bare DuckDB COPY of the rows to Parquet): {baseline_export:7.2f} s")
    print(f"archive export (build_member_archive):                    {export:7.2f} s  "
          f"({export / baseline_export:.2f}x the bare copy)  target <= {EXPORT_TARGET:.0f} s: "
          f"{'PASS' if export <= EXPORT_TARGET * args.lines / 10_000_000 else 'FAIL'}")
    print(f"baseline verify (SHA-256 of the archive file):            {baseline_verify:7.2f} s")
    print(f"archive verify (verify_member_archive, offline):          {verify:7.2f} s  "
          f"({verify / max(baseline_verify, 1e-9):.2f}x the bare digest)  target <= {VERIFY_TARGET:.0f} s: "
          f"{'PASS' if verify <= VERIFY_TARGET * args.lines / 10_000_000 else 'FAIL'}")


if __name__ == "__main__":
    main()
