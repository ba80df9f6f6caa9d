"""`alliance archive export|verify`: a member's data archive (docs/exit.md, "The member's archive"):
one ZIP of everything of the member's own with the ledger proofs, and its offline verification
(which needs no data directory: only the file, and best the alliance's published key)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from alliance.cli.lazy import Deferred
from alliance.cli.output import console, err_console, fails_cleanly, terminal_language
from alliance.core.clock import SystemClock

if TYPE_CHECKING:
    from alliance.exits import archive_format, archive_service
else:
    archive_service = Deferred("alliance.exits.archive_service")
    archive_format = Deferred("alliance.exits.archive_format")

app = typer.Typer(help="A member's data archive: export it, verify it offline.", no_args_is_help=True)


@app.command("export")
@fails_cleanly
def export(
    alliance: Annotated[str, typer.Argument(help="The alliance's code.")],
    member: Annotated[str, typer.Argument(help="The member's code (a member that has left included).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The archive to write (a .zip).")],
) -> None:
    """Write MEMBER's archive: its registry record and people, agreements, statements, journal postings,
    order lines (Parquet), shared views and their access logs, votes, IP, payouts, disputes, and the
    ledger proofs that let anyone verify it offline."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from alliance.cli.orders import opened_stores

    with opened_stores() as stores, Progress(
            TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), console=err_console, transient=True) as bar:
        tasks: dict[str, int] = {}

        def progress(step: str, done: int, total: int) -> None:
            if step not in tasks:
                tasks[step] = bar.add_task(step, total=max(total, 1))
            bar.update(tasks[step], completed=done if total else 1, total=max(total, 1))

        summary = archive_service.build_member_archive(stores, alliance, member, out, progress=progress,
                                                       clock=SystemClock())
    console.print(f"Wrote {summary.path} ({summary.size:,} bytes, SHA-256 {summary.sha256}): {summary.files} files, "
                  f"{summary.order_lines:,} order lines, {summary.statement_days} settled days, {summary.entries} "
                  f"ledger entries proven against the checkpoint of size {summary.checkpoint_size}, in "
                  f"{summary.seconds:.1f} s.", highlight=False, soft_wrap=True)


@app.command("verify")
@fails_cleanly
def verify(
    file: Annotated[Path, typer.Argument(help="The member archive (.zip).")],
    trusted_key: Annotated[str | None, typer.Option(
        "--trusted-key", help="The alliance's published ledger key (`alliance ledger public-key`); without it "
                              "the archive is checked against the key it carries.")] = None,
) -> None:
    """Verify a member archive offline: the manifest's signature, every file's digest, every ledger
    entry's inclusion proof, the records and statements against the entries. Exits 1 when anything
    is wrong, naming it."""
    say = terminal_language()
    verdict = archive_format.verify_member_archive(file, trusted_key)
    for warning in verdict.warnings:
        err_console.print(f"warning: {escape(say(warning))}", highlight=False, soft_wrap=True)
    if not verdict.ok:
        for p in verdict.problems:
            err_console.print(f"[bold red]FAIL[/] {escape(p.where)}: {escape(say(p.what))}", highlight=False,
                              soft_wrap=True)
        raise typer.Exit(1)
    console.print(f"OK: archive of member {verdict.member} of {verdict.alliance} ({verdict.created_at}): "
                  f"{verdict.files} files, {verdict.order_lines:,} order lines, {verdict.entries} ledger entries "
                  f"proven against the checkpoint of size {verdict.checkpoint_size}; statements proven "
                  f"for {len(verdict.days_recomputed)} day(s), vouched for by the alliance's signature for "
                  f"{len(verdict.days_attested)} day(s) shared with other members and settled before each "
                  "member's part was committed.", highlight=False, soft_wrap=True)
