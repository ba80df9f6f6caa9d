"""The backup file: a gzip-compressed tar with a manifest that names every other file and its SHA-256.

    manifest.json              what, when, from which version and schema; files with digests
    tables/<table>.jsonl       one relational table each (store.backup_tables)
    facts/                     the fact store, as DuckDB's EXPORT DATABASE writes it (Parquet)
    secrets/ledger.passphrase  only when the passphrase was the development one in the data directory

Reading checks the format, then every file against the manifest, before anything is restored; a
damaged or edited archive is refused with the file named. Members are extracted with tarfile's
`data` filter (no absolute paths, links out of the folder, devices or special modes).
"""

from __future__ import annotations

import hashlib
import json
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alliance.core.errors import InvalidInput
from alliance.core.messages import Message

FORMAT = "alliance-backup"
VERSION = 1
MANIFEST = "manifest.json"


class BackupDamaged(InvalidInput):
    """The file is not a backup this version can read, or a file in it differs from its manifest."""

    code = "backup_damaged"
    title = Message("Backup damaged or unreadable")

    def __init__(self, what: str) -> None:
        super().__init__(Message("the backup cannot be restored: {what}", what=what))


@dataclass(frozen=True)
class Manifest:
    created_at: str
    platform_version: str
    schema_revision: str
    database: str
    tables: dict[str, int]
    order_lines: int | None  # None: there was no fact store
    ledgers: dict[str, dict[str, Any]]  # alliance code -> {"size", "root", "public_key"}
    passphrase: str  # "included" or "external"
    files: dict[str, str]  # relative path -> SHA-256

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "version": VERSION, "created_at": self.created_at,
                "platform_version": self.platform_version, "schema_revision": self.schema_revision,
                "database": self.database, "tables": self.tables, "order_lines": self.order_lines,
                "ledgers": self.ledgers, "passphrase": self.passphrase, "files": self.files}


def digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            sha.update(chunk)
    return sha.hexdigest()


def file_digests(folder: Path) -> dict[str, str]:
    """Every file under `folder` (but the manifest), by its path relative to it."""
    return {p.relative_to(folder).as_posix(): digest(p) for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != MANIFEST}


def write(folder: Path, manifest: Manifest, target: Path) -> None:
    """Write `manifest` into `folder` and pack the folder as `target` (via a temporary name, so a
    failed write never leaves a half archive under the name asked for)."""
    (folder / MANIFEST).write_text(json.dumps(manifest.to_json(), ensure_ascii=False, indent=2), encoding="utf-8")
    partial = target.with_name(target.name + ".partial")
    with tarfile.open(partial, "w:gz") as tar:
        tar.add(folder / MANIFEST, arcname=MANIFEST)
        for name in manifest.files:
            tar.add(folder / name, arcname=name)
    partial.replace(target)


def read(source: Path, folder: Path) -> Manifest:
    """Unpack `source` into `folder` and check it whole; the manifest, or BackupDamaged."""
    try:
        with tarfile.open(source, "r:*") as tar:
            tar.extractall(folder, filter="data")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BackupDamaged(Message("{name} is not a readable backup archive ({error})", name=source.name,
                                    error=exc)) from None
    try:
        raw = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise BackupDamaged(Message("it has no readable manifest.json")) from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise BackupDamaged(Message("manifest.json does not describe an Alliance backup"))
    if raw.get("version") != VERSION:
        raise BackupDamaged(Message("it is format version {version!r}; this version reads {supported}",
                                    version=raw.get("version"), supported=VERSION))
    try:
        manifest = Manifest(raw["created_at"], raw["platform_version"], raw["schema_revision"], raw["database"],
                            dict(raw["tables"]), raw["order_lines"], dict(raw["ledgers"]), raw["passphrase"],
                            dict(raw["files"]))
    except (KeyError, TypeError, ValueError):
        raise BackupDamaged(Message("manifest.json lacks a field")) from None
    found = file_digests(folder)
    for name, expected in manifest.files.items():
        if name not in found:
            raise BackupDamaged(Message("{name} is missing", name=name))
        if found[name] != expected:
            raise BackupDamaged(Message("{name} differs from the manifest (SHA-256 {found}…, expected {expected}…)",
                                        name=name, found=found[name][:12], expected=expected[:12]))
    extra = sorted(set(found) - set(manifest.files))
    if extra:
        raise BackupDamaged(Message("{name} is not in the manifest", name=extra[0]))
    return manifest
