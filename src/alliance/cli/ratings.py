"""`alliance rating ...`: partner star ratings (docs/health.md, "Star ratings").

The operator acts as platform admin unless `--as` names a user account (its role in the alliance):
a rating the operator ran is approved by a coordinator's account (`approve --as USER`), and an
appeal is a member admin's act (`appeal --as USER`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from alliance.access.roles import Principal, Role
from alliance.cli.lazy import Deferred
from alliance.cli.output import console, current_actor, fails_cleanly, open_store
from alliance.core.clock import SystemClock
from alliance.core.errors import InvalidInput
from alliance.core.messages import Message

if TYPE_CHECKING:
    from alliance.health.ratings import engine, service
else:
    service = Deferred("alliance.health.ratings.service")
    engine = Deferred("alliance.health.ratings.engine")

app = typer.Typer(help="Partner star ratings: inputs, weights, runs, approvals, tiers and the elimination procedure.",
                  no_args_is_help=True)
procedure_app = typer.Typer(help="Elimination procedures: list, review those due, decide an appeal.",
                            no_args_is_help=True)
app.add_typer(procedure_app, name="procedure")
AllianceOpt = Annotated[str, typer.Option("--alliance", "-a", help="The alliance's code.")]
AsOpt = Annotated[str | None, typer.Option(
    "--as", help="Act as this user account (its role in --alliance). Default: the operator, as platform admin.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _principal(store: Any, as_user: str | None, alliance: str, clock: SystemClock) -> Principal:
    from alliance.access.accounts import user_principal

    if as_user is None:
        return Principal(current_actor(), Role.PLATFORM_ADMIN, kind="operator")
    return user_principal(store, as_user, alliance, clock)


def _dump(document: Any) -> None:
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n")


def _stars(stars: int | None) -> str:
    return "-" if stars is None else "★" * stars + "☆" * (5 - stars)


def _pairs(texts: list[str], option: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for text in texts:
        name, sep, value = text.partition("=")
        if not sep:
            raise InvalidInput(Message("{option} {text!r} is not NAME=VALUE", option=option, text=text))
        found[name.strip()] = value.strip()
    return found


@app.command("run")
@fails_cleanly
def run(alliance: AllianceOpt, period: Annotated[str, typer.Option(help="A quarter, e.g. 2027Q1.")],
        member: Annotated[list[str] | None, typer.Option("--member", "-m", help="Only these members (repeatable).")] = None,
        as_user: AsOpt = None, as_json: JsonOpt = False) -> None:
    """Rate the members for a period; risky ratings wait for another person's approval."""
    store, clock = open_store(), SystemClock()
    made = service.run(store, alliance, _principal(store, as_user, alliance, clock), period, clock, members=member or None)
    if as_json:
        _dump([{"id": r.id, "member": r.member, "stars": r.stars, "score": r.explanation["score_shown"],
                "status": r.status} for r in made])
        return
    rows = Table("id", "member", "stars", "score", "status")
    for r in made:
        rows.add_row(str(r.id), r.member, _stars(r.stars), r.explanation["score_shown"], r.status)
    console.print(rows)
    waiting = [r for r in made if r.status == "pending"]
    if waiting:
        console.print(f"{len(waiting)} rating(s) wait for approval by another person: alliance rating approve ID "
                      f"-a {alliance} --as USER", highlight=False)


@app.command("show")
@fails_cleanly
def show(alliance: AllianceOpt,
         member: Annotated[str | None, typer.Argument(help="A member: its rating explained (default: the table).")] = None,
         as_user: AsOpt = None, as_json: JsonOpt = False) -> None:
    """The table of stars, or one member's rating with its explanation and what the next tier needs."""
    store, clock = open_store(), SystemClock()
    principal = _principal(store, as_user, alliance, clock)
    if member is None:
        rows = service.table(store, alliance, principal, clock)
        if as_json:
            _dump([{"member": r.member, "stars": r.stars, "period": r.period, "trend": r.trend, "pending": r.pending,
                    "procedure": r.procedure} for r in rows])
            return
        table = Table("member", "stars", "period", "trend", "waiting")
        for r in rows:
            table.add_row(r.member, _stars(r.stars), r.period or "-", " → ".join(map(str, r.trend)) or "-",
                          " ".join(w for w in ("pending" if r.pending else "", r.procedure or "") if w))
        console.print(table)
        return
    view = service.member_rating(store, alliance, member, principal, clock)
    if as_json:
        _dump({"member": view.member, "current": view.current.explanation if view.current else None,
               "stars": view.current.stars if view.current else None, "period": view.current.period if view.current
               else None, "next_tier": None if view.advice is None else {
                   "stars": view.advice.target_stars, "score_needed": engine.shown(view.advice.score_needed),
                   "input": view.advice.input, "input_points": None if view.advice.input_points is None
                   else engine.shown(view.advice.input_points)},
               "benefits": [str(b) for b in view.benefits],
               "procedure": None if view.procedure is None else {"stage": view.procedure.stage,
                                                                 "until": view.procedure.improvement_until}})
        return
    if view.current is None:
        console.print(f"{member} has no rating in effect.", highlight=False)
        return
    current = view.current
    console.print(f"{member}: {_stars(current.stars)} ({current.stars} stars) for {current.period}, score "
                  f"{current.explanation['score_shown']}", highlight=False)
    table = Table("input", "figures", "score", "weight", "contribution")
    for ln in current.explanation["lines"]:
        figures = ", ".join(f"{k} {v}" for k, v in ln["raw"].items()) + (f" ({ln['note']})" if ln["note"] else "")
        table.add_row(ln["input"], figures, ln["score_shown"], ln["weight_shown"], ln["contribution_shown"])
    console.print(table)
    if view.advice is not None:
        line = (f"Next tier ({view.advice.target_stars} stars): {engine.shown(view.advice.score_needed)} more points "
                f"of score")
        if view.advice.input and view.advice.input_points is not None:
            line += f"; {view.advice.input} moves it most: {engine.shown(view.advice.input_points)} more points there"
        console.print(line + ".", highlight=False)
    for benefit in view.benefits:
        console.print(f"Benefit: {benefit}", highlight=False)
    if view.procedure is not None:
        console.print(f"Elimination procedure: {view.procedure.stage}, improve by {view.procedure.improvement_until}",
                      highlight=False)


def _decide(alliance: str, rating: int, approve_it: bool, as_user: str | None) -> None:
    store, clock = open_store(), SystemClock()
    done = service.decide(store, alliance, _principal(store, as_user, alliance, clock), rating, approve_it, clock)
    console.print(f"Rating {done.id} of {done.member}: {done.status}.", highlight=False)


@app.command("approve")
@fails_cleanly
def approve(rating: Annotated[int, typer.Argument(help="The rating's id.")], alliance: AllianceOpt,
            as_user: AsOpt = None) -> None:
    """Approve a pending rating (not by the account that ran it): it takes effect."""
    _decide(alliance, rating, True, as_user)


@app.command("reject")
@fails_cleanly
def reject(rating: Annotated[int, typer.Argument(help="The rating's id.")], alliance: AllianceOpt,
           as_user: AsOpt = None) -> None:
    """Reject a pending rating: it never takes effect."""
    _decide(alliance, rating, False, as_user)


@app.command("weights")
@fails_cleanly
def weights(alliance: AllianceOpt,
            group: Annotated[list[str] | None, typer.Option(
                "--group", help="GROUP=WEIGHT for reviews, fulfilment and innovation (all three; they sum to 1).")] = None,
            part: Annotated[list[str] | None, typer.Option(
                "--part", help="PART=WEIGHT within fulfilment: delivery and disputes (they sum to 1).")] = None,
            threshold: Annotated[list[str] | None, typer.Option(
                "--threshold", help="The lowest score of 2, 3, 4 and 5 stars, in order (four times).")] = None,
            as_user: AsOpt = None, as_json: JsonOpt = False) -> None:
    """Show the weights and thresholds, or set them (weights must sum to exactly 1)."""
    store, clock = open_store(), SystemClock()
    principal = _principal(store, as_user, alliance, clock)
    if group or part:
        current = service.settings_of(store, alliance, principal).weights
        groups = _pairs(group or [], "--group") if group else {k: str(v) for k, v in current.groups.items()}
        parts = _pairs(part or [], "--part") if part else {k: str(v) for k, v in current.parts.items()}
        service.set_weights(store, alliance, principal, groups, parts, clock)
    if threshold:
        service.set_thresholds(store, alliance, principal, threshold, clock)
    settings = service.settings_of(store, alliance, principal)
    if as_json:
        _dump(settings.as_json())
        return
    console.print("Weights: " + ", ".join(f"{k} {v}" for k, v in settings.weights.groups.items())
                  + " (fulfilment: " + ", ".join(f"{k} {v}" for k, v in settings.weights.parts.items()) + ")",
                  highlight=False)
    console.print("Thresholds (2, 3, 4, 5 stars from): " + ", ".join(str(t) for t in settings.thresholds),
                  highlight=False)
    console.print(f"Approval: a move of {settings.risk.move}+ stars or to {settings.risk.floor} star; procedure: "
                  f"{settings.policy.improvement_days} days to improve, {settings.policy.grace_days} days of grace, "
                  f"{settings.policy.appeal_days} days to appeal", highlight=False)


@app.command("policy")
@fails_cleanly
def policy(alliance: AllianceOpt,
           improvement_days: Annotated[int, typer.Option(help="Days to improve after the notice.")] = 90,
           grace_days: Annotated[int, typer.Option(help="New members' grace period in days.")] = 180,
           appeal_days: Annotated[int, typer.Option(help="Days to appeal after the notice.")] = 14,
           risk_move: Annotated[int, typer.Option(help="A move of this many stars needs approval.")] = 2,
           risk_floor: Annotated[int, typer.Option(help="A rating at or below this many stars needs approval.")] = 1,
           as_user: AsOpt = None) -> None:
    """Set the approval rule and the elimination procedure's days."""
    store, clock = open_store(), SystemClock()
    service.set_policy(store, alliance, _principal(store, as_user, alliance, clock), clock,
                       improvement_days=improvement_days, grace_days=grace_days, appeal_days=appeal_days,
                       move=risk_move, floor=risk_floor)
    console.print(f"Rating policy of {alliance} saved.", highlight=False)


@app.command("benefits")
@fails_cleanly
def benefits(alliance: AllianceOpt,
             file: Annotated[Path | None, typer.Option(
                 help='A JSON list: [{"stars": 5, "kind": "marketing_subsidy", "amount": "5000.00"}, ...]')] = None,
             as_user: AsOpt = None) -> None:
    """Show the tiers' benefits, or set them from a JSON file."""
    store, clock = open_store(), SystemClock()
    principal = _principal(store, as_user, alliance, clock)
    if file is not None:
        from alliance.cli.output import read_text_file

        try:
            items = json.loads(read_text_file(file))
        except ValueError:
            raise InvalidInput(Message("{file}: not JSON", file=str(file))) from None
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise InvalidInput(Message("{file}: give a JSON list of benefits", file=str(file)))
        service.set_benefits(store, alliance, principal, items, clock)
    from alliance.health.ratings.benefits import describe

    for b in service.settings_of(store, alliance, principal).benefits:
        console.print(f"{b['stars']} stars: {describe(b)}", highlight=False)


@app.command("import-reviews")
@fails_cleanly
def import_reviews(file: Annotated[Path, typer.Argument(help="A .csv or .xlsx file: member, date, stars[, reviewer, comment].")],
                   alliance: AllianceOpt, as_user: AsOpt = None) -> None:
    """Import user reviews (1-5 stars): all rows or none; every bad row is listed."""
    from alliance.registry.spreadsheets import read_table

    store, clock = open_store(), SystemClock()
    table = read_table(file)
    count = service.import_reviews(store, alliance, _principal(store, as_user, alliance, clock), table.header,
                                   table.rows, clock, header_row=table.header_row)
    console.print(f"Imported {count} reviews into {alliance}.", highlight=False)


@app.command("innovation")
@fails_cleanly
def innovation(alliance: AllianceOpt, member: Annotated[str, typer.Option("--member", "-m")],
               period: Annotated[str, typer.Option(help="A quarter, e.g. 2027Q1.")],
               score: Annotated[str, typer.Option(help="0 to 100.")], as_user: AsOpt = None) -> None:
    """Enter a member's innovation score for a period (it replaces the joint-patents figure)."""
    store, clock = open_store(), SystemClock()
    service.enter_innovation(store, alliance, _principal(store, as_user, alliance, clock), member, period, score, clock)
    console.print(f"Innovation score of {member} for {period}: {score}.", highlight=False)


@app.command("appeal")
@fails_cleanly
def appeal(alliance: AllianceOpt, member: Annotated[str, typer.Option("--member", "-m")],
           reason: Annotated[str, typer.Option(help="Why the rating is wrong.")],
           as_user: Annotated[str, typer.Option("--as", help="A user account of the member's admin.")]) -> None:
    """Appeal the member's elimination procedure: it pauses until the coordinator decides."""
    store, clock = open_store(), SystemClock()
    done = service.appeal(store, alliance, member, reason, _principal(store, as_user, alliance, clock), clock)
    console.print(f"Procedure {done.id} of {member} is paused for the appeal.", highlight=False)


@app.command("entitlements")
@fails_cleanly
def entitlements(alliance: AllianceOpt, as_user: AsOpt = None) -> None:
    """What tiers entitle members to and someone must carry out (a subsidy, a share for the next agreement version)."""
    store, clock = open_store(), SystemClock()
    found = service.entitlements(store, alliance, _principal(store, as_user, alliance, clock))
    for member, todo in found:
        console.print(f"{member}: {todo}", highlight=False)
    if not found:
        console.print("No entitlement is recorded.", highlight=False)


@procedure_app.command("list")
@fails_cleanly
def procedure_list(alliance: AllianceOpt, as_user: AsOpt = None, as_json: JsonOpt = False) -> None:
    """Every elimination procedure, the latest first."""
    store, clock = open_store(), SystemClock()
    found = service.procedures(store, alliance, _principal(store, as_user, alliance, clock))
    if as_json:
        _dump([{"id": p.id, "member": p.member, "stage": p.stage, "until": p.improvement_until,
                "appeal": p.appeal_reason, "proposal": p.proposal_number, "outcome": p.outcome} for p in found])
        return
    table = Table("id", "member", "stage", "improve by", "appeal", "proposal", "outcome")
    for p in found:
        table.add_row(str(p.id), p.member, p.stage, str(p.improvement_until), p.appeal_reason or "",
                      str(p.proposal_number or ""), p.outcome or "")
    console.print(table)


@procedure_app.command("review")
@fails_cleanly
def procedure_review(alliance: AllianceOpt, as_user: AsOpt = None) -> None:
    """Review the procedures whose improvement period has ended: closed, or an exclusion proposal drafted."""
    store, clock = open_store(), SystemClock()
    done = service.review_due(store, alliance, _principal(store, as_user, alliance, clock), clock)
    for r in done:
        said = f"proposal {r.procedure.proposal_number} drafted" if r.procedure.proposal_number else r.outcome.value
        console.print(f"{r.procedure.member}: {r.rating.stars} stars at the review: {said}"
                      + (f" ({r.problem})" if r.problem else ""), highlight=False)
    if not done:
        console.print("No procedure is due for review.", highlight=False)


@procedure_app.command("decide-appeal")
@fails_cleanly
def procedure_decide(procedure: Annotated[int, typer.Argument(help="The procedure's id.")], alliance: AllianceOpt,
                     grant: Annotated[bool, typer.Option("--grant/--refuse", help="Grant (close) or refuse (resume).")],
                     as_user: AsOpt = None) -> None:
    """Decide an appeal: granted closes the procedure, refused resumes it (its end moved by the pause)."""
    store, clock = open_store(), SystemClock()
    done = service.decide_appeal(store, alliance, procedure, grant, _principal(store, as_user, alliance, clock), clock)
    console.print(f"Procedure {done.id} of {done.member}: {done.stage}.", highlight=False)
