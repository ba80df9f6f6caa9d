"""`alliance ledger ...`: the alliance's tamper-evident log: checkpoints, keys, proofs, export, verify."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from cryptography.hazmat.primitives import serialization

from alliance.cli.lazy import Deferred
from alliance.cli.output import console, err_console, fails_cleanly, open_store, read_text_file
from alliance.core.clock import SystemClock
from alliance.core.errors import InvalidInput
from alliance.core.settings import get_settings
from alliance.core.messages import Message
from alliance.ledger.note import Signer
from alliance.ledger.verify import VerifyReport

# The services are imported when a command calls them (cli.lazy.Deferred): --help and the
# light sub-commands start without them.
if TYPE_CHECKING:
    from alliance.ledger import service
else:
    service = Deferred("alliance.ledger.service")

app = typer.Typer(help="The alliance's tamper-evident ledger (docs/ledger.md).", no_args_is_help=True)
AllianceOpt = Annotated[str, typer.Option("--alliance", "-a", help="The alliance's code.")]
Format = Annotated[str, typer.Option("--format", "-f", help="json or text.")]


def _print(data: dict[str, object], fmt: str) -> None:
    if fmt == "json":
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    elif fmt == "text":
        for key, value in data.items():
            if isinstance(value, list):
                console.print(f"{key}:", highlight=False)
                for item in value:
                    console.print(f"  {item}", highlight=False)
            else:
                console.print(f"{key}: {value}", highlight=False)
    else:
        raise InvalidInput(Message("--format must be json or text, not {format!r}", format=fmt))


@app.command("checkpoint")
@fails_cleanly
def checkpoint(alliance: AllianceOpt) -> None:
    """Print the latest signed checkpoint (signing a new one first if the log grew)."""
    sys.stdout.write(service.checkpoint(open_store(), alliance, SystemClock()))


@app.command("public-key")
@fails_cleanly
def public_key(alliance: AllianceOpt) -> None:
    """Print the alliance's verifier key (name+keyid+key), for anyone who checks checkpoints."""
    sys.stdout.write(service.public_key(open_store(), alliance) + "\n")


@app.command("proof")
@fails_cleanly
def proof(alliance: AllianceOpt,
          index: Annotated[int, typer.Option("--index", "-i", help="The entry's index (from 0).", min=0)],
          size: Annotated[int | None, typer.Option("--size", "-n", help="Tree size (default: the whole log).", min=0)] = None,
          fmt: Format = "json") -> None:
    """An inclusion proof (RFC 9162) of one entry in the tree of a given size."""
    _print(service.inclusion(open_store(), alliance, index, size), fmt)


@app.command("consistency")
@fails_cleanly
def consistency(alliance: AllianceOpt,
                first: Annotated[int, typer.Option("--from", help="The older tree size.", min=0)],
                second: Annotated[int | None, typer.Option("--to", help="The newer tree size (default: the whole log).", min=0)] = None,
                fmt: Format = "json") -> None:
    """A consistency proof (RFC 9162) that the tree of --from entries is a prefix of the one of --to."""
    _print(service.consistency(open_store(), alliance, first, second), fmt)


@app.command("entries")
@fails_cleanly
def entries(alliance: AllianceOpt, start: Annotated[int, typer.Option("--from", min=0)] = 0,
            limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50) -> None:
    """The log's entries from an index, as JSON."""
    sys.stdout.write(json.dumps(service.entries(open_store(), alliance, start, limit), ensure_ascii=False, indent=2) + "\n")


@app.command("export")
@fails_cleanly
def export(alliance: AllianceOpt, out: Annotated[Path, typer.Option("--out", "-o", help="Directory to write.")]) -> None:
    """Write entries.jsonl, the signed checkpoints and the verifier key to a directory."""
    count, checkpoints = service.export(open_store(), alliance, out)
    console.print(f"Exported {count} entries and {checkpoints} checkpoint(s) to {out}", highlight=False)


def _report(report: VerifyReport) -> None:
    for warning in report.warnings:
        err_console.print(f"[yellow]warning:[/] {warning}", highlight=False, soft_wrap=True)
    if report.ok:
        console.print(f"OK: {report.entries} entries, {report.checkpoints} checkpoint(s), root {report.root.hex()}",
                      highlight=False, soft_wrap=True)
        return
    assert report.first_mismatch is not None
    err_console.print(f"[bold red]tampered:[/] {report.first_mismatch}", highlight=False, soft_wrap=True)
    raise typer.Exit(3)


@app.command("verify")
@fails_cleanly
def verify(alliance: Annotated[str | None, typer.Option("--alliance", "-a", help="Verify the stored log.")] = None,
           export_dir: Annotated[Path | None, typer.Option("--export", help="Verify an export, offline.")] = None,
           checkpoint_file: Annotated[Path | None, typer.Option("--checkpoint", help="Also check this checkpoint (e.g. one you kept).")] = None,
           key: Annotated[str | None, typer.Option("--key", help="The published verifier key (default for --alliance: "
                                                  "the keys pinned in ALLIANCE_LEDGER_TRUSTED_KEYS).")] = None,
           strict: Annotated[bool, typer.Option("--strict", help="For --export: also check every entry is canonical JSON.")] = False) -> None:
    """Recompute everything; exit 0, or 3 naming the first entry or checkpoint that does not match."""
    if (alliance is None) == (export_dir is None):
        raise InvalidInput(Message("give either --alliance CODE or --export DIR"))
    kept = read_text_file(checkpoint_file) if checkpoint_file else None
    if export_dir is not None:
        if key is None:
            err_console.print("note: no --key given; the export's own verifier key is used, which shows the export is "
                              "self-consistent, not that it is the alliance's", highlight=False, soft_wrap=True)
        _report(service.verify_export(export_dir, key, kept, strict=strict))
        return
    assert alliance is not None
    store = open_store()
    trusted = [key] if key else service.trusted_keys_from(get_settings().ledger_trusted_keys)
    report = service.verify_store(store, alliance, trusted)
    if report.ok and kept is not None:
        kept_report = service.check_kept(store, alliance, kept)
        report = report if kept_report.ok else kept_report
    _report(report)


@app.command("witness")
@fails_cleanly
def witness(alliance: AllianceOpt,
            size: Annotated[int, typer.Option("--size", "-n", help="The checkpoint's tree size.", min=0)],
            name: Annotated[str, typer.Option("--name", help="The witness key's name, e.g. M001.witness.")],
            key_file: Annotated[Path, typer.Option("--key-file", help="The witness's Ed25519 private key (PEM, unencrypted).")]) -> None:
    """Co-sign a checkpoint with a member's own key (after checking the alliance's signature)."""
    try:
        private = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise InvalidInput(Message("{path}: not an unencrypted PEM private key ({error})",
                                   path=key_file, error=exc)) from None
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    if not isinstance(private, Ed25519PrivateKey):
        raise InvalidInput(Message("{path}: an Ed25519 key is needed", path=key_file))
    signer = Signer(name, private)
    sys.stdout.write(service.witness(open_store(), alliance, size, signer))
    err_console.print(f"witness key: {signer.verifier}", highlight=False, soft_wrap=True)
