"""Taking a backup, and restoring one into an empty data directory (or empty database), verified.

A backup is taken while the platform runs: the relational tables are read in one transaction, the
fact store is exported when no other process writes to it. A restore refuses a target that already
holds an alliance or a user (it never merges), checks the whole archive before it writes anything,
creates the schema at the backup's revision, loads every table in one transaction, upgrades the
schema to this version's, imports the fact store, and then verifies every alliance's ledger against
the verifier keys recorded in the backup (or those pinned in ALLIANCE_LEDGER_TRUSTED_KEYS). If any
step fails, what the restore created is removed again, so it can be run again after a fix.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from alliance import __version__
from alliance.backup import archive
from alliance.core.clock import Clock
from alliance.core.errors import Conflict
from alliance.core.messages import Message
from alliance.ledger import service as ledger
from alliance.registry import service as registry
from alliance.store import backup_tables
from alliance.store.database import Store
from alliance.store.facts_backup import export_facts, import_facts

Progress = Callable[[str], None]


class RestoreTargetNotEmpty(Conflict):
    """A restore goes into an empty store only: it never merges into or replaces live data."""

    code = "restore_target_not_empty"
    title = Message("Restore target not empty")

    def __init__(self, what: str) -> None:
        super().__init__(Message("{what}: restore into an empty data directory (ALLIANCE_HOME) or an empty database",
                                 what=what))


@dataclass(frozen=True)
class Sources:
    """Where the platform's data lives (from the settings)."""

    store: Store
    facts_path: Path
    passphrase_file: Path | None  # the development passphrase in the data directory, if that is the one in use


@dataclass(frozen=True)
class BackupReport:
    path: Path
    manifest: archive.Manifest
    bytes: int


@dataclass(frozen=True)
class RestoredLedger:
    alliance: str
    entries: int
    ok: bool
    problem: str = ""


@dataclass(frozen=True)
class RestoreReport:
    manifest: archive.Manifest
    tables: dict[str, int]
    order_lines: int
    ledgers: list[RestoredLedger] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(entry.ok for entry in self.ledgers)


def create_backup(sources: Sources, target: Path, clock: Clock, progress: Progress | None = None) -> BackupReport:
    """Write a backup of everything in `sources` to `target` (a new file; an existing one is refused)."""
    if target.exists():
        raise Conflict(Message("{target} exists already: choose a new file name for the backup", target=target))
    say = progress or (lambda _: None)
    store = sources.store
    ledgers: dict[str, dict[str, object]] = {}
    for alliance in registry.list_alliances(store):
        try:
            status = ledger.status(store, alliance.code)
        except ledger.LedgerMissing:
            continue
        ledgers[alliance.code] = {"size": status.size, "public_key": status.public_key}
    with tempfile.TemporaryDirectory(prefix="alliance-backup-") as work:
        folder = Path(work)
        (folder / "tables").mkdir()
        counts: dict[str, int] = {}
        snapshot = backup_tables.snapshot(store)
        connection = next(snapshot)
        try:
            for table in backup_tables.tables():
                with (folder / "tables" / f"{table.name}.jsonl").open("w", encoding="utf-8") as out:
                    counts[table.name] = backup_tables.dump_table(connection, table, out)
                say(f"table {table.name}: {counts[table.name]} rows")
            revision = backup_tables.schema_revision(store)
        finally:
            snapshot.close()
        order_lines: int | None = None
        if sources.facts_path.exists():
            order_lines = export_facts(sources.facts_path, folder / "facts")
            say(f"fact store: {order_lines} order lines")
        passphrase = "external"
        if sources.passphrase_file is not None and sources.passphrase_file.exists():
            (folder / "secrets").mkdir()
            shutil.copyfile(sources.passphrase_file, folder / "secrets" / "ledger.passphrase")
            passphrase = "included"
        manifest = archive.Manifest(clock.now().isoformat(), __version__, revision, store.kind, counts, order_lines,
                                    ledgers, passphrase, archive.file_digests(folder))
        target.parent.mkdir(parents=True, exist_ok=True)
        archive.write(folder, manifest, target)
    return BackupReport(target, manifest, target.stat().st_size)


def restore_backup(source: Path, store: Store, facts_path: Path, passphrase_file: Path,
                   trusted_keys: list[str], progress: Progress | None = None) -> RestoreReport:
    """Restore `source` into the empty `store` and a new fact store at `facts_path`; then verify."""
    say = progress or (lambda _: None)
    if not backup_tables.is_empty(store):
        raise RestoreTargetNotEmpty(Message("the database {database} already holds alliances or users",
                                            database=store.describe()))
    if facts_path.exists():
        raise RestoreTargetNotEmpty(Message("the fact store {path} exists already", path=facts_path))
    created: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="alliance-restore-") as work:
        folder = Path(work)
        manifest = archive.read(source, folder)
        say(f"backup of {manifest.created_at} (version {manifest.platform_version}, schema {manifest.schema_revision}) "
            "checked")
        if manifest.passphrase == "included" and passphrase_file.exists():
            if passphrase_file.read_bytes() != (folder / "secrets" / "ledger.passphrase").read_bytes():
                raise RestoreTargetNotEmpty(Message("{path} holds another ledger passphrase", path=passphrase_file))
        try:
            store.migrate(manifest.schema_revision)
            tables = {t.name: t for t in backup_tables.tables()}
            missing = sorted(set(manifest.tables) - set(tables))
            if missing:
                raise archive.BackupDamaged(Message("it has tables this version does not know: {tables}",
                                                    tables=", ".join(missing)))

            def rows_of(table):  # type: ignore[no-untyped-def]
                path = folder / "tables" / f"{table.name}.jsonl"
                if not path.exists():
                    return iter(())
                return _lines_of(table, path)

            counts = backup_tables.load(store, rows_of, lambda t, n: say(f"table {t.name}: {n} rows"))
            store.migrate()
            order_lines = 0
            if manifest.order_lines is not None:
                created.append(facts_path)
                order_lines = import_facts(folder / "facts", facts_path)
                say(f"fact store: {order_lines} order lines")
            if manifest.passphrase == "included" and not passphrase_file.exists():
                passphrase_file.parent.mkdir(parents=True, exist_ok=True)
                created.append(passphrase_file)
                with open(passphrase_file, "x", encoding="utf-8",
                          opener=lambda p, flags: os.open(p, flags, 0o600)) as out:
                    out.write((folder / "secrets" / "ledger.passphrase").read_text(encoding="utf-8"))
        except BaseException:
            for path in created:
                path.unlink(missing_ok=True)
            backup_tables.empty(store)
            raise
    report = RestoreReport(manifest, counts, order_lines)
    for code, recorded in sorted(manifest.ledgers.items()):
        keys = trusted_keys or [str(recorded["public_key"])]
        found = ledger.verify_store(store, code, keys)
        problem = found.first_mismatch.text() if found.first_mismatch is not None else ""
        if found.ok and found.entries < int(recorded["size"]):
            problem = Message("{entries} entries, but the backup recorded {recorded}", entries=found.entries,
                              recorded=recorded["size"])
        report.ledgers.append(RestoredLedger(code, found.entries, not problem, problem))
        say(f"ledger of {code}: {found.entries} entries, {'verified' if not problem else 'NOT verified: ' + problem}")
    return report


def _lines_of(table, path: Path):  # type: ignore[no-untyped-def]
    with path.open(encoding="utf-8") as lines:
        yield from backup_tables.read_rows(table, lines)
