"""`alliance milestone record|confirm|reject|list`: project milestones and the tranches they release."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from alliance.cli.lazy import Deferred
from alliance.cli.output import console, fails_cleanly, open_store
from alliance.core.clock import SystemClock

if TYPE_CHECKING:
    from alliance.access import accounts
    from alliance.sharing import milestone_service
else:
    accounts = Deferred("alliance.access.accounts")
    milestone_service = Deferred("alliance.sharing.milestone_service")

app = typer.Typer(help="Project milestones: record one with its evidence, confirm or reject it; the next settlement "
                       "run books its tranche, once.", no_args_is_help=True)
AllianceOpt = Annotated[str, typer.Option("--alliance", "-a", help="The alliance's code.")]
AgreementArg = Annotated[str, typer.Argument(help="The project agreement's code.")]
RuleArg = Annotated[str, typer.Argument(help="The milestone rule's id (kind milestone_release).")]
AsUserOpt = Annotated[str, typer.Option("--as", help="The user account acting (its role decides what it may do).")]


def _digest(path: Path) -> tuple[str, str]:
    """A file's name and SHA-256, read in blocks (evidence may be a large scan)."""
    from alliance.core.errors import InvalidInput
    from alliance.core.messages import Message

    digest = hashlib.sha256()
    try:
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise InvalidInput(Message("{path}: cannot read the evidence file ({reason})", path=str(path),
                                   reason=exc.strerror or str(exc))) from None
    return path.name, digest.hexdigest()


@app.command("record")
@fails_cleanly
def record(agreement: AgreementArg, rule: RuleArg, alliance: AllianceOpt, as_user: AsUserOpt,
           evidence: Annotated[list[Path], typer.Option("--evidence", "-e", help="A file of evidence (repeat for more); "
                                                        "its SHA-256 is recorded.")]) -> None:
    """Record that a milestone was reached, with its evidence (the coordinator or a party)."""
    store, clock = open_store(), SystemClock()
    found = milestone_service.record(store, alliance, agreement, rule, [_digest(p) for p in evidence], clock,
                                     principal=accounts.user_principal(store, as_user, alliance, clock))
    console.print(f"Milestone {rule} of {agreement} recorded (number {found.id}) with {len(found.evidence)} "
                  "evidence file(s); it awaits confirmation.", highlight=False, soft_wrap=True)


def _decide(agreement: str, rule: str, alliance: str, as_user: str, confirm: bool, note: str) -> None:
    store, clock = open_store(), SystemClock()
    decided = milestone_service.decide(store, alliance, agreement, rule, confirm, note, clock,
                                       principal=accounts.user_principal(store, as_user, alliance, clock))
    then = "its tranche is booked by the next settlement run" if confirm else "it books nothing; it may be recorded again"
    console.print(f"Milestone {rule} of {agreement}: {decided.status.value} by {decided.decided_by}; {then}.",
                  highlight=False, soft_wrap=True)


@app.command("confirm")
@fails_cleanly
def confirm(agreement: AgreementArg, rule: RuleArg, alliance: AllianceOpt, as_user: AsUserOpt,
            note: Annotated[str, typer.Option(help="A note kept with the decision.")] = "") -> None:
    """Confirm a recorded milestone, as whom its rule names (the party's account, or the auditor)."""
    _decide(agreement, rule, alliance, as_user, True, note)


@app.command("reject")
@fails_cleanly
def reject(agreement: AgreementArg, rule: RuleArg, alliance: AllianceOpt, as_user: AsUserOpt,
           reason: Annotated[str, typer.Option(help="Why it is rejected (required).")]) -> None:
    """Reject a recorded milestone, with the reason; nothing is booked and it may be recorded again."""
    _decide(agreement, rule, alliance, as_user, False, reason)


@app.command("list")
@fails_cleanly
def list_(alliance: AllianceOpt, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Every milestone rule of the signed agreements with its state, then every record (rejected ones too)."""
    store = open_store()
    rules = milestone_service.milestone_rules(store, alliance)
    records = milestone_service.history(store, alliance)
    if as_json:
        sys.stdout.write(json.dumps({
            "milestones": [{"agreement": m.agreement, "version": m.version, "rule": m.rule.id,
                            "milestone": m.rule.params.milestone, "confirmed_by": m.confirmed_by,
                            "amount": m.rule.params.amount.amount_text(), "payer": m.rule.params.payer,
                            "payee": m.rule.params.payee, "status": m.current.status.value if m.current else "open",
                            "booked_on": m.current.booked_on.isoformat() if m.current and m.current.booked_on else None}
                           for m in rules],
            "records": [{"id": r.id, "agreement": r.agreement, "rule": r.rule_id, "status": r.status.value,
                         "evidence": [{"name": e.name, "sha256": e.sha256} for e in r.evidence],
                         "recorded_by": r.recorded_by, "decided_by": r.decided_by, "note": r.note,
                         "booked_on": r.booked_on.isoformat() if r.booked_on else None} for r in records]},
            ensure_ascii=False, indent=2) + "\n")
        return
    table = Table("agreement", "rule", "milestone", "tranche", "payer → payee", "confirmed by", "state", "booked",
                  header_style="bold cyan")
    for m in rules:
        p = m.rule.params
        table.add_row(m.agreement, m.rule.id, p.milestone, f"{p.amount.amount_text()} {p.amount.currency}",
                      f"{p.payer} → {p.payee}", m.confirmed_by, m.current.status.value if m.current else "not recorded",
                      m.current.booked_on.isoformat() if m.current and m.current.booked_on else "-")
    console.print(table)
