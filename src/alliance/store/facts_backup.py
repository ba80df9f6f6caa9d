"""The fact store (DuckDB) out to a folder and back: the order-line part of a backup.

DuckDB's own EXPORT DATABASE writes the schema and each table as Parquet; IMPORT DATABASE reads
them into a new file. The file is opened read-only for the export, which DuckDB allows only while no
other process writes to it (an import or a settlement run): that is retried for a while, then
refused with FactStoreError, as every other use of a busy fact store is.
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb

from alliance.core.messages import Message
from alliance.store.facts import FactStore, FactStoreError

WAIT_SECONDS = 30.0


def _quoted(path: Path) -> str:
    """A path as a DuckDB string literal (EXPORT and IMPORT take no parameters)."""
    return "'" + str(path).replace("'", "''") + "'"


def export_facts(path: Path, folder: Path, wait: float = WAIT_SECONDS) -> int:
    """Write the fact store at `path` into `folder`; how many order lines it holds."""
    deadline = time.monotonic() + wait
    while True:
        try:
            db = duckdb.connect(str(path), read_only=True)
            break
        except duckdb.IOException:
            if time.monotonic() > deadline:
                raise FactStoreError(Message("the order-line store {name} is in use by another process: try again "
                                             "when its import or settlement is done", name=path.name)) from None
            time.sleep(0.5)
    try:
        db.execute(f"EXPORT DATABASE {_quoted(folder)} (FORMAT parquet)")
        row = db.execute("SELECT count(*) FROM order_lines").fetchone()
        return int(row[0]) if row else 0
    finally:
        db.close()


def import_facts(folder: Path, path: Path) -> int:
    """Create the fact store at `path` (which must not exist) from `folder`; its order lines."""
    if path.exists():
        raise FactStoreError(Message("{path} exists already: a restore writes a new fact store only", path=path))
    path.parent.mkdir(parents=True, exist_ok=True)
    db = duckdb.connect(str(path))
    try:
        db.execute(f"IMPORT DATABASE {_quoted(folder)}")
    finally:
        db.close()
    facts = FactStore(path)  # brings the schema to this version's (it may be newer than the backup's)
    try:
        return int(facts.query("SELECT count(*) FROM order_lines")[0][0])
    finally:
        facts.close()
