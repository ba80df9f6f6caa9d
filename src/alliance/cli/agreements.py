"""`alliance agreement propose|list|show|pdf|sign|tree|clauses`: versioned agreements and their contract set."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.tree import Tree as RichTree

from alliance.cli.lazy import Deferred
from alliance.cli.output import console, current_actor, fails_cleanly, open_store, read_text_file
from alliance.cli.output import alliance_zone, local_time, write_output
from alliance.core.clock import SystemClock
from alliance.access.accounts import user_principal
from alliance.sharing.versions import version_record

# The services are imported when a command calls them (cli.lazy.Deferred): --help and the
# light sub-commands start without them.
if TYPE_CHECKING:
    from alliance.sharing import attorneys, layers
    from alliance.sharing import service
    from alliance.sharing import version_export
else:
    attorneys = Deferred("alliance.sharing.attorneys")
    service = Deferred("alliance.sharing.service")
    version_export = Deferred("alliance.sharing.version_export")  # ReportLab: only when a PDF is made

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
    zone = alliance_zone(alliance)  # times in the alliance's own zone, as its business days
    signed = {s.member_code: s for s in v.signatures}
    for party in v.parties:
        s = signed.get(party)
        signatures.add_row(party, s.signer if s else "-", local_time(s.signed_at, zone) if s else "-")
    console.print(signatures)
    console.print(v.document, highlight=False, markup=False, soft_wrap=True)


@app.command("pdf")
@fails_cleanly
def pdf(
    agreement: Annotated[str, typer.Argument(help="The agreement's code.")],
    alliance: AllianceOpt,
    version: Annotated[int | None, typer.Option(help="Default: the latest.")] = None,
    lang: Annotated[str | None, typer.Option(help="zh-CN or en; default: the terminal's language.")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help=(
        "The file to write; default AGREEMENT-vN-LANG.pdf in the current directory."))] = None,
) -> None:
    """A version as a signature-ready PDF: its terms and rules in words, the SHA-256 of its content on
    every page, and a signature block per party (signed or blank)."""
    from alliance.language import environment_locale
    locale = version_export.pdf_locale(lang, environment_locale(os.environ))
    exported = version_export.export_pdf(open_store(), alliance, agreement, version, locale)
    target = out or Path(exported.filename)
    write_output(target, exported.content)
    console.print(f"Wrote {target} ({len(exported.content):,} bytes).", highlight=False, soft_wrap=True)


@app.command("tree")
@fails_cleanly
def tree(alliance: AllianceOpt, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The contract set: frameworks, the project agreements under them, the supplements."""
    roots = service.contract_set(open_store(), alliance)

    def plain(node: "layers.Node") -> dict[str, object]:
        return {"agreement": node.code, "kind": node.agreement.kind.value, "latest_version": node.version.version,
                "status": node.version.status, "children": [plain(c) for c in node.children]}

    if as_json:
        sys.stdout.write(json.dumps([plain(n) for n in roots], ensure_ascii=False, indent=2) + "\n")
        return
    shown = RichTree(f"[bold]{alliance}[/]")

    def add(branch: RichTree, node: "layers.Node") -> None:
        leaf = branch.add(f"{node.code} [dim]({node.agreement.kind.value}, v{node.version.version}, "
                          f"{node.version.status})[/]")
        for child in node.children:
            add(leaf, child)

    for node in roots:
        add(shown, node)
    console.print(shown)


@app.command("clauses")
@fails_cleanly
def clauses(
    agreement: Annotated[str, typer.Argument(help="The agreement's code.")],
    alliance: AllianceOpt,
    day: Annotated[str | None, typer.Option(help="YYYY-MM-DD; default today in the alliance's time zone.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The clauses that bind on a day: the version in force's, with its signed supplements' laid over them."""
    from datetime import date

    from alliance.core.clock import local_today
    from alliance.core.errors import InvalidInput
    from alliance.core.messages import Message
    from alliance.sharing.agreement import plain_value
    from alliance.sharing.clauses import clause_spec

    store = open_store()
    try:
        when = date.fromisoformat(day) if day else local_today(SystemClock(), alliance_zone(alliance))
    except ValueError:
        raise InvalidInput(Message("--day {day!r} is not a date (YYYY-MM-DD)", day=day)) from None
    service.versions(store, alliance, agreement)  # an unknown agreement is an error, not an empty list
    found = service.clauses_in_force(store, alliance, agreement, when)
    if as_json:
        sys.stdout.write(json.dumps({"agreement": agreement, "day": when.isoformat(), "clauses": [
            {"clause": c.kind.value, "text": c.text, "fields": plain_value(c.params)} for c in found]},
            ensure_ascii=False, indent=2) + "\n")
        return
    if not found:
        console.print(f"No clause of {agreement} binds on {when} (no version signed by every party in force, "
                      "or it has no clauses).", highlight=False, soft_wrap=True)
        return
    for c in found:
        spec = clause_spec(c.kind)
        console.print(f"[bold]{spec.label}[/] ({c.kind.value})", highlight=False)
        console.print(c.text, highlight=False, markup=False, soft_wrap=True)
        for label, value in spec.describe(c.params):
            console.print(f"  {label}: {value}", highlight=False, markup=False, soft_wrap=True)


AsUserOpt = Annotated[str, typer.Option(
    "--as", help="The user account acting: a user of the member (a member admin), or one holding its power of attorney.")]


@app.command("sign")
@fails_cleanly
def sign(
    agreement: Annotated[str, typer.Argument(help="The agreement's code.")],
    alliance: AllianceOpt,
    version: Annotated[int, typer.Option(help="The version being signed.")],
    member: Annotated[str, typer.Option(help="The member (party) signing.")],
    as_user: AsUserOpt,
    signer: Annotated[str | None, typer.Option(help="The name shown for the signature; default the user's display name.")] = None,
) -> None:
    """Sign a version for a member as one of its user accounts; it settles once every party has signed.

    The signature is the account's (`--as`): the member's own admin, or a user holding the member's
    power of attorney to sign; nobody else, whoever runs the command."""
    store, clock = open_store(), SystemClock()
    principal = user_principal(store, as_user, alliance, clock)
    v = service.sign(store, alliance, agreement, version, member, signer or "", clock, principal=principal)
    rest = f"still awaiting {', '.join(v.unsigned)}" if v.unsigned else f"signed by all parties; in force from {v.effective_from}"
    console.print(f"{member} signed {agreement} version {version} (account user:{as_user}): {rest}.",
                  highlight=False, soft_wrap=True)


attorney_app = typer.Typer(help="Powers of attorney: a member lets another account sign its agreements or take its "
                                "operations steps.",
                           no_args_is_help=True)
app.add_typer(attorney_app, name="attorney")


@attorney_app.command("grant")
@fails_cleanly
def grant_attorney(
    alliance: AllianceOpt,
    member: Annotated[str, typer.Option(help="The member giving the power.")],
    to: Annotated[str, typer.Option("--to", help="user:NAME, key:PREFIX, or coordinator (the alliance's coordinator role).")],
    as_user: AsUserOpt,
    power: Annotated[str, typer.Option(help="sign (its agreements and milestones) or operate (its operations steps: "
                                            "book, commit, refer, bid, declare resources).")] = "sign",
) -> None:
    """Give an account the member's power of attorney to sign its agreements or take its operations steps
    (by the member's own admin)."""
    store, clock = open_store(), SystemClock()
    made = attorneys.grant(store, alliance, member, to, user_principal(store, as_user, alliance, clock), clock,
                           power=power)
    what = "take the operations steps of" if made.power == "operate" else "sign for"
    console.print(f"Power of attorney {made.id}: {made.grantee} may {what} {member} until it is revoked.",
                  highlight=False, soft_wrap=True)


@attorney_app.command("revoke")
@fails_cleanly
def revoke_attorney(
    power_id: Annotated[int, typer.Argument(help="The power of attorney's number (see `attorney list`).")],
    alliance: AllianceOpt,
    member: Annotated[str, typer.Option(help="The member that gave it.")],
    as_user: AsUserOpt,
) -> None:
    """End a power of attorney (by the member's own admin); signatures already made stay."""
    store, clock = open_store(), SystemClock()
    ended = attorneys.revoke(store, alliance, member, power_id, user_principal(store, as_user, alliance, clock), clock)
    console.print(f"Power of attorney {ended.id} ({ended.grantee} for {member}) revoked.", highlight=False, soft_wrap=True)


@attorney_app.command("list")
@fails_cleanly
def list_attorneys(
    alliance: AllianceOpt,
    member: Annotated[str | None, typer.Option(help="Only this member's.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The powers of attorney members gave, revoked ones included."""
    found = attorneys.powers(open_store(), alliance, member)
    if as_json:
        sys.stdout.write(json.dumps([attorneys.record(p) for p in found], ensure_ascii=False, indent=2) + "\n")
        return
    table = Table("id", "member", "grantee", "power", "granted by", "granted", "revoked", header_style="bold cyan")
    zone = alliance_zone(alliance)
    for p in found:
        table.add_row(str(p.id), p.member_code, p.grantee, p.power, p.granted_by, local_time(p.granted_at, zone),
                      f"{local_time(p.revoked_at, zone)} by {p.revoked_by}" if p.revoked_at else "-")
    console.print(table)
