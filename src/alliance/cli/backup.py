"""`alliance backup FILE` and `alliance restore FILE`: everything that makes the alliances, in one
file and back (docs/operations.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from alliance.cli.output import console, fails_cleanly


@fails_cleanly
def backup(
    target: Annotated[Path, typer.Argument(help="The backup file to write (a new .tar.gz).")],
) -> None:
    """Back up the database, the order-line store and (in development) the ledger passphrase."""
    from alliance.backup.service import Sources, create_backup
    from alliance.cli.output import open_store
    from alliance.core.clock import SystemClock
    from alliance.core.settings import get_settings

    settings = get_settings()
    store = open_store()
    try:
        with console.status("Backing up ...") as status:
            report = create_backup(Sources(store, settings.resolved_facts_path(), settings.development_passphrase_file()),
                                   target, SystemClock(), progress=lambda text: status.update(f"Backing up: {text}"))
    finally:
        store.close()
    m = report.manifest
    rows = sum(m.tables.values())
    console.print(f"Backed up {len(m.ledgers)} alliance ledger(s), {rows} database rows and "
                  f"{m.order_lines or 0} order lines to {report.path} ({report.bytes:,} bytes).", highlight=False)
    if m.passphrase == "external":
        console.print("The ledger passphrase (ALLIANCE_LEDGER_PASSPHRASE) is not in the backup: keep it "
                      "apart from it, without it the restored ledgers cannot sign.", highlight=False)
    else:
        console.print("The development ledger passphrase is in the backup: keep the file as private as the "
                      "data directory.", highlight=False)


@fails_cleanly
def restore(
    source: Annotated[Path, typer.Argument(help="A backup file written by `alliance backup`.", exists=True,
                                           dir_okay=False, readable=True)],
) -> None:
    """Restore a backup into an empty data directory (ALLIANCE_HOME) or empty database, then verify
    every alliance's ledger. Refused if the target holds any alliance or user."""
    from alliance.backup.service import restore_backup
    from alliance.core.settings import get_settings
    from alliance.ledger.service import trusted_keys_from
    from alliance.store.database import Store

    settings = get_settings()
    store = Store.open(settings.resolved_database_url(), migrate=False)
    try:
        with console.status("Restoring ...") as status:
            report = restore_backup(source, store, settings.resolved_facts_path(),
                                    settings.home / "ledger.passphrase", trusted_keys_from(settings.ledger_trusted_keys),
                                    progress=lambda text: status.update(f"Restoring: {text}"))
    finally:
        store.close()
    console.print(f"Restored {sum(report.tables.values())} database rows and {report.order_lines} order lines "
                  f"from the backup of {report.manifest.created_at}.", highlight=False)
    for entry in report.ledgers:
        mark = "verified" if entry.ok else f"NOT verified: {entry.problem}"
        console.print(f"  ledger {entry.alliance}: {entry.entries} entries, {mark}", highlight=False)
    if not report.ok:
        raise typer.Exit(3)
