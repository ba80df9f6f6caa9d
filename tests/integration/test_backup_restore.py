"""Backup and restore: a backup taken from one store restores into an empty one (SQLite or
PostgreSQL), whose ledgers then verify and whose statements are the same to the cent; a damaged
archive or a target that holds data is refused and nothing is written."""

from __future__ import annotations

import json
import tarfile
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from alliance.backup import archive
from alliance.backup.service import RestoreTargetNotEmpty, Sources, create_backup, restore_backup
from alliance.core.clock import FrozenClock
from alliance.ledger import service as ledger
from alliance.registry import service as registry
from alliance.settlement import service as settlement
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from tests.support.factories import credit_code, hardware_split

HEADER = "line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,refund_of,currency"
LINES = ["L1,O1,2026-12-05T10:00:00+08:00,HW,HW,store,HW-1,1,1000.01,,CNY",
         "L2,O2,2026-12-05T11:00:00+08:00,SW,SW,store,SW-1,2,50.00,,CNY",
         "L3,O3,2026-12-05T12:30:00+08:00,HW,HW,online,HW-2,3,333.33,,CNY"]


def populate(store: Store, facts_path: Path, tmp_path: Path) -> None:
    """Two alliances, a signed agreement, three order lines and one settled day."""
    clock = FrozenClock(datetime(2026, 11, 22, 2, 0, tzinfo=UTC))
    hardware_split(store, clock)
    csv = tmp_path / "lines.csv"
    csv.write_text("\n".join([HEADER, *LINES]) + "\n", encoding="utf-8")
    facts = FactStore(facts_path)
    stores = Stores(store, facts)
    try:
        settlement.import_order_lines(stores, "cloud-hw", csv, None, FrozenClock(datetime(2026, 12, 5, 8, tzinfo=UTC)))
        settlement.settle(stores, "cloud-hw", date(2026, 12, 5), "财务", FrozenClock(datetime(2026, 12, 6, 2, tzinfo=UTC)))
    finally:
        facts.close()


def statement_of(store: Store, member: str) -> list[tuple[str, str, int]]:
    found = settlement.statement(store, "cloud-hw", member, date(2026, 12, 5))
    return [(line.rule_id, line.rate, line.amount_minor) for line in found.lines]


def fresh_sqlite(folder: Path) -> Store:
    folder.mkdir(parents=True, exist_ok=True)
    return Store.open(f"sqlite:///{folder / 'alliance.db'}", migrate=False)


def test_a_backup_restores_into_an_empty_sqlite_store_verified(store: Store, tmp_path: Path) -> None:
    store.migrate()
    populate(store, tmp_path / "facts.duckdb", tmp_path)
    clock = FrozenClock(datetime(2026, 12, 6, 3, tzinfo=UTC))
    made = create_backup(Sources(store, tmp_path / "facts.duckdb", None), tmp_path / "b.tar.gz", clock)
    assert made.manifest.order_lines == 3 and made.manifest.tables["statement_lines"] > 0
    assert made.manifest.database == store.kind and made.manifest.passphrase == "external"

    target = fresh_sqlite(tmp_path / "restored")
    try:
        report = restore_backup(made.path, target, tmp_path / "restored" / "facts.duckdb",
                                tmp_path / "restored" / "ledger.passphrase", [])
        assert report.ok and {e.alliance for e in report.ledgers} == {"cloud-hw", "other"}
        assert report.order_lines == 3 and report.tables == made.manifest.tables
        for member in ("SW", "HW"):
            assert statement_of(target, member) == statement_of(store, member) != []
        # The ledger of the restored copy verifies on its own (a second, independent check) ...
        assert ledger.verify_store(target, "cloud-hw", [ledger.public_key(store, "cloud-hw")]).ok
        # ... and the restored platform goes on: a new member, a new ledger entry.
        registry.add_member(target, "cloud-hw", {"code": "NEW", "name": "新成员公司", "credit_code": credit_code(9)},
                            clock)
        assert ledger.verify_store(target, "cloud-hw", [ledger.public_key(store, "cloud-hw")]).ok
        restored_facts = FactStore(tmp_path / "restored" / "facts.duckdb")
        try:
            assert restored_facts.query("SELECT sum(amount_minor) FROM order_lines")[0][0] == 100001 + 5000 + 33333
        finally:
            restored_facts.close()
    finally:
        target.close()


def test_a_backup_from_sqlite_restores_into_each_kind_of_store(store: Store, tmp_path: Path) -> None:
    source = fresh_sqlite(tmp_path / "source")
    source.migrate()
    try:
        populate(source, tmp_path / "source" / "facts.duckdb", tmp_path)
        made = create_backup(Sources(source, tmp_path / "source" / "facts.duckdb", None), tmp_path / "b.tar.gz",
                             FrozenClock(datetime(2026, 12, 6, 3, tzinfo=UTC)))
        store.migrate()
        report = restore_backup(made.path, store, tmp_path / "t" / "facts.duckdb", tmp_path / "t" / "ledger.passphrase", [])
        assert report.ok, report.ledgers
        assert statement_of(store, "SW") == statement_of(source, "SW")
        # Ids continue after the restored ones (PostgreSQL's sequences were moved).
        added = registry.add_member(store, "other", {"code": "N1", "name": "新公司", "credit_code": credit_code(7)},
                                    FrozenClock(datetime(2026, 12, 6, 3, tzinfo=UTC)))
        assert added.id > max(m.id for m in registry.list_members(source, "other"))
    finally:
        source.close()


def test_a_damaged_archive_or_a_full_target_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    source = fresh_sqlite(tmp_path / "source")
    source.migrate()
    try:
        populate(source, tmp_path / "source" / "facts.duckdb", tmp_path)
        made = create_backup(Sources(source, tmp_path / "source" / "facts.duckdb", None), tmp_path / "b.tar.gz",
                             FrozenClock(datetime(2026, 12, 6, 3, tzinfo=UTC)))
        # Another statement amount in the statement lines: repacked, with the manifest left as it was.
        work = tmp_path / "unpacked"
        with tarfile.open(made.path) as tar:
            tar.extractall(work, filter="data")
        table = work / "tables" / "statement_lines.jsonl"
        original = table.read_text(encoding="utf-8")
        table.write_text(original.replace('"amount_minor":40000', '"amount_minor":40001'), encoding="utf-8")
        assert table.read_text(encoding="utf-8") != original
        forged = tmp_path / "forged.tar.gz"
        with tarfile.open(forged, "w:gz") as tar:
            for path in sorted(work.rglob("*")):
                if path.is_file():
                    tar.add(path, arcname=path.relative_to(work).as_posix())
        repacked = tmp_path / "repacked.tar.gz"  # the same edit, with the manifest's digests redone
        manifest = json.loads((work / "manifest.json").read_text(encoding="utf-8"))
        manifest["files"] = archive.file_digests(work)
        (work / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
        with tarfile.open(repacked, "w:gz") as tar:
            for path in sorted(work.rglob("*")):
                if path.is_file():
                    tar.add(path, arcname=path.relative_to(work).as_posix())
        target = fresh_sqlite(tmp_path / "t")
        try:
            with pytest.raises(archive.BackupDamaged, match="tables/statement_lines.jsonl differs"):
                restore_backup(forged, target, tmp_path / "t" / "facts.duckdb", tmp_path / "t" / "ledger.passphrase", [])
            assert not (tmp_path / "t" / "facts.duckdb").exists() and target.table_names() == []
            not_a_backup = tmp_path / "notes.tar.gz"
            not_a_backup.write_bytes(b"hello")
            with pytest.raises(archive.BackupDamaged, match="not a readable backup"):
                restore_backup(not_a_backup, target, tmp_path / "t" / "facts.duckdb", tmp_path / "t" / "x", [])
        finally:
            target.close()
        # A consistent forgery loads, but the restored ledger does not vouch for the altered statement.
        caught = fresh_sqlite(tmp_path / "t3")
        try:
            report = restore_backup(repacked, caught, tmp_path / "t3" / "facts.duckdb", tmp_path / "t3" / "x", [])
            assert not report.ok
            (cloud,) = [e for e in report.ledgers if e.alliance == "cloud-hw"]
            assert not cloud.ok and "settled day" in cloud.problem
        finally:
            caught.close()
        # Into the very store it came from: refused, untouched.
        before = statement_of(source, "SW")
        with pytest.raises(RestoreTargetNotEmpty):
            restore_backup(made.path, source, tmp_path / "t2" / "facts.duckdb", tmp_path / "t2" / "x", [])
        assert statement_of(source, "SW") == before
        with pytest.raises(Exception, match="exists already"):
            create_backup(Sources(source, tmp_path / "source" / "facts.duckdb", None), made.path,
                          FrozenClock(datetime(2026, 12, 6, 3, tzinfo=UTC)))
    finally:
        source.close()
