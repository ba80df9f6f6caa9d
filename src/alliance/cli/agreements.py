"""`alliance agreement propose|list|show|sign`: versioned revenue-sharing agreements."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from alliance.cli.output import console, current_actor, fails_cleanly, open_store, read_text_file
from alliance.core.clock import SystemClock
from alliance.sharing import service
from alliance.sharing.versions import version_record

app = typer.Typer(help="Revenue-sharing agreements: propose versions, sign them, see which is in force.",
                  no_args_is_help=True)
AllianceOpt = Annotated[str, typer.Option("--alliance", "-a", help="The alliance's code.")]


@app.command("propose")
@fails_cleanly
def propose(
    file: Annotated[Path, typer.Argument(help="The agreement as YAML (docs/formats/agreement.md).")],
    alliance: AllianceOpt,
) -> None:
    """Check an agreement document and store it as its next version (every problem is listed)."""
    text = read_text_file(file)
    v = service.propose_version(open_store(), alliance, text, current_actor(), SystemClock())
    console.print(f"Agreement {v.agreement_code} version {v.version} proposed (sha256 {v.sha256[:16]}…); "
                  f"awaiting signatures of {', '.join(v.unsigned)}.", highlight=False, soft_wrap=True)


@app.command("list")
@fails_cleanly
def list_(alliance: AllianceOpt, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Every agreement of the alliance with its versions and their status."""
    found = service.list_agreements(open_store(), alliance)
    if as_json:
        sys.stdout.write(json.dumps({code: [version_record(v) for v in vs] for code, vs in found.items()},
                                    ensure_ascii=False, indent=2) + "\n")
        return
    table = Table("agreement", "version", "title", "effective", "status", "unsigned", header_style="bold cyan")
    for code, vs in found.items():
        for v in vs:
            table.add_row(code, str(v.version), v.title, v.effective_from.isoformat(), v.status, ", ".join(v.unsigned))
    console.print(table)


@app.command("show")
@fails_cleanly
def show(
    agreement: Annotated[str, typer.Argument(help="The agreement's code.")],
    alliance: AllianceOpt,
    version: Annotated[int | None, typer.Option(help="Default: the latest.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """One version: status, signatures and the document exactly as proposed."""
    v = service.get_version(open_store(), alliance, agreement, version)
    if as_json:
        sys.stdout.write(json.dumps(version_record(v, document=True), ensure_ascii=False, indent=2) + "\n")
        return
    console.print(f"[bold]{v.title or v.agreement_code}[/] version {v.version}, effective {v.effective_from}: {v.status}",
                  highlight=False, soft_wrap=True)
    signatures = Table("party", "signed by", "at", title="Signatures", header_style="bold cyan")
    signed = {s.member_code: s for s in v.signatures}
    for party in v.parties:
        s = signed.get(party)
        signatures.add_row(party, s.signer if s else "-", s.signed_at.isoformat(timespec="minutes") if s else "-")
    console.print(signatures)
    console.print(v.document, highlight=False, markup=False, soft_wrap=True)


@app.command("sign")
@fails_cleanly
def sign(
    agreement: Annotated[str, typer.Argument(help="The agreement's code.")],
    alliance: AllianceOpt,
    version: Annotated[int, typer.Option(help="The version being signed.")],
    member: Annotated[str, typer.Option(help="The member (party) signing.")],
    signer: Annotated[str | None, typer.Option(help="Who signs for the member; default $ALLIANCE_ACTOR or the OS user.")] = None,
) -> None:
    """Sign a version on a member's behalf; it settles once every party has signed."""
    v = service.sign(open_store(), alliance, agreement, version, member, signer or current_actor(), SystemClock())
    rest = f"still awaiting {', '.join(v.unsigned)}" if v.unsigned else f"signed by all parties; in force from {v.effective_from}"
    console.print(f"{member} signed {agreement} version {version}: {rest}.", highlight=False, soft_wrap=True)
