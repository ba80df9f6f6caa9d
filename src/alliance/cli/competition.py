"""`alliance competition ...`: competition-law screening. Run a screening from a CSV file (one row per
participant: product, region, relation, size, name, role, share, sales) or for one market from the
options (`--member A=20 --other X=30`), list and show screenings, record a justification, list the
shipped threshold sets and choose the ones that apply. Without `--as` the operator acts as platform
admin. Verdicts are said in the terminal's language. A screening aid, not legal advice."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from alliance.access.roles import Principal, Role
from alliance.cli.lazy import Deferred
from alliance.cli.output import console, current_actor, fails_cleanly, open_store, terminal_language
from alliance.core.clock import SystemClock
from alliance.core.errors import InvalidInput, Problem
from alliance.core.messages import Message

if TYPE_CHECKING:
    from alliance.competition import service as competition
    from alliance.competition.checks import MarketEntry
    from alliance.competition.records import Screening
else:
    competition = Deferred("alliance.competition.service")

app = typer.Typer(help="Competition-law screening: markets, combined shares, HHI and ΔHHI against the threshold sets; "
                       "justifications.", no_args_is_help=True)
AllianceOpt = Annotated[str, typer.Option("--alliance", "-a", help="The alliance's code.")]
AsOpt = Annotated[str | None, typer.Option(
    "--as", help="Act as this user account (its role in --alliance). Default: the operator, as platform admin.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
PairsOpt = Annotated[list[str] | None, typer.Option(help="NAME=SHARE in percent (repeat): A=20, B=12.5, C=100/3.")]
COLUMNS = ("product", "region", "relation", "size", "name", "role", "share", "sales")


def _principal(store: object, as_user: str | None, alliance: str, clock: SystemClock) -> Principal:
    from alliance.access.accounts import user_principal

    if as_user is None:
        return Principal(current_actor(), Role.PLATFORM_ADMIN, kind="operator")
    return user_principal(store, as_user, alliance, clock)  # type: ignore[arg-type]


def _locale() -> str:
    from alliance.language import environment_locale

    return environment_locale(os.environ)


def _from_file(path: Path) -> list[MarketEntry]:
    """Markets from a CSV file: one row per participant, rows of one market share product and region."""
    from alliance.competition.checks import MarketEntry, ParticipantEntry

    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    missing = [c for c in ("product", "region", "name") if rows and c not in rows[0]]
    if not rows or missing:
        reason = Message("the file needs a header with {columns}", columns=", ".join(COLUMNS))
        raise InvalidInput(reason, [Problem(str(path), "header", reason)])
    markets: dict[tuple[str, str], dict[str, object]] = {}
    for row in rows:
        key = (row.get("product") or "", row.get("region") or "")
        market = markets.setdefault(key, {"relation": row.get("relation") or "horizontal", "size": row.get("size") or "",
                                          "participants": []})
        market["participants"].append(ParticipantEntry(row.get("name") or "", row.get("role") or "member",  # type: ignore[attr-defined]
                                                       row.get("share") or "", row.get("sales") or ""))
    return [MarketEntry(product, region, str(m["relation"]), str(m["size"]), tuple(m["participants"]))  # type: ignore[arg-type]
            for (product, region), m in markets.items()]


def _pairs(given: list[str] | None, role: str, option: str) -> list[tuple[str, str, str]]:
    out = []
    for item in given or []:
        name, sep, share = item.rpartition("=")
        if not sep or not name.strip():
            raise InvalidInput(Message("{option} {item!r}: write NAME=SHARE, e.g. A=20", option=option, item=item))
        out.append((name.strip(), role, share.strip()))
    return out


def _print(s: Screening, as_json: bool) -> None:
    from alliance.competition import report

    locale, said = _locale(), terminal_language()
    data = report.screening_json(s, said, locale)
    if as_json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return
    out = console.print
    out(f"#{s.number} {data['occasion_name']}{' · ' + s.subject.name if s.subject else ''} · {s.screened_by} "
        f"{data['screened_at']}", highlight=False, soft_wrap=True, markup=False)
    for m in data["markets"]:
        out(f"\n{m['product']} / {m['region']} ({m['relation_name']})", highlight=False, soft_wrap=True, markup=False)
        shares = ", ".join(f"{p['name']} {p['share_shown']}" for p in m["participants"])
        out(f"  {shares}", highlight=False, soft_wrap=True, markup=False)
        bound = " (≥)" if m["hhi_is_lower_bound"] else ""
        out(f"  combined {m['combined_share_shown']} · HHI {m['pre_hhi_shown']}{bound} → {m['post_hhi_shown']}{bound}"
            f" · ΔHHI {m['delta_hhi_shown']}", highlight=False, soft_wrap=True, markup=False)
        for note in m["notes"]:
            out(f"  {note}", highlight=False, soft_wrap=True, markup=False)
        for v in m["sets"]:
            out(f"  [{v['verdict_name']}] {v['name']}: {v['words']}", highlight=False, soft_wrap=True, markup=False)
    out(f"\n{data['summary']}", highlight=False, soft_wrap=True, markup=False)
    if s.justification:
        out(f"{said(Message('Justification'))}: {s.justification.text} ({s.justification.recorded_by})",
            highlight=False, soft_wrap=True, markup=False)
    out(data["notice"], highlight=False, soft_wrap=True, markup=False)


@app.command("run")
@fails_cleanly
def run(
    alliance: AllianceOpt,
    occasion: Annotated[str, typer.Option(help="forming, joining or on_demand.")] = "on_demand",
    file: Annotated[Path | None, typer.Option("--file", exists=True, dir_okay=False, help=(
        "CSV, one row per participant: product, region, relation, size, name, role, share, sales."))] = None,
    product: Annotated[str | None, typer.Option(help="One market from the options: its product.")] = None,
    region: Annotated[str | None, typer.Option(help="... its region.")] = None,
    relation: Annotated[str, typer.Option(help="horizontal or vertical.")] = "horizontal",
    member: PairsOpt = None,
    other: PairsOpt = None,
    joining: PairsOpt = None,
    sets: Annotated[list[str] | None, typer.Option("--set", help="A threshold set (repeat); default: the "
                                                                 "alliance's, else all.")] = None,
    company: Annotated[str | None, typer.Option(help="joining: the company's name.")] = None,
    credit_code: Annotated[str | None, typer.Option(help="joining: its unified social credit code.")] = None,
    prospect: Annotated[str | None, typer.Option(help="joining: its prospect in the pipeline instead.")] = None,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Screen markets and save the result (the inputs as entered, the result, a ledger entry)."""
    from alliance.competition.checks import MarketEntry, ParticipantEntry

    store, clock = open_store(), SystemClock()
    markets = _from_file(file) if file is not None else []
    if product is not None or region is not None:
        rows = _pairs(member, "member", "--member") + _pairs(other, "other", "--other") + _pairs(
            joining, "joining", "--joining")
        markets.append(MarketEntry(product or "", region or "", relation, "",
                                   tuple(ParticipantEntry(n, r, s) for n, r, s in rows)))
    _print(competition.run(store, alliance, _principal(store, as_user, alliance, clock), clock, occasion=occasion,
                           markets=markets, sets=sets, subject_name=company, subject_credit_code=credit_code,
                           prospect=prospect), as_json)


@app.command("list")
@fails_cleanly
def list_(alliance: AllianceOpt, as_user: AsOpt = None, as_json: JsonOpt = False) -> None:
    """The alliance's screenings, and the one that holds it back from becoming active, if any."""
    store, clock = open_store(), SystemClock()
    found = competition.overview(store, alliance, _principal(store, as_user, alliance, clock), clock)
    said = terminal_language()
    if as_json:
        print(json.dumps({"sets": [s.id for s in found.sets], "pending_justification":
                          None if found.pending is None else found.pending.number,
                          "screenings": [{"number": s.number, "occasion": s.occasion.value, "flagged": s.flagged,
                                          "justified": s.justification is not None} for s in found.screenings]},
                         ensure_ascii=False, indent=2))
        return
    if not found.screenings:
        console.print(said(Message("No competition screening has been run for this alliance.")), highlight=False)
    for s in found.screenings:
        console.print(f"#{s.number} {s.occasion.value} {s.screened_at:%Y-%m-%d} {s.screened_by}: "
                      f"{said(s.result.summary())}{' ✓' if s.justification else ''}", highlight=False,
                      soft_wrap=True, markup=False)


@app.command("show")
@fails_cleanly
def show(number: Annotated[int, typer.Argument(help="The screening's number.")], alliance: AllianceOpt,
         as_user: AsOpt = None, as_json: JsonOpt = False) -> None:
    """One screening: its figures, each set's verdict in words, its justification."""
    store, clock = open_store(), SystemClock()
    _print(competition.show(store, alliance, number, _principal(store, as_user, alliance, clock)), as_json)


@app.command("justify")
@fails_cleanly
def justify(number: Annotated[int, typer.Argument(help="The screening's number.")], alliance: AllianceOpt,
            text: Annotated[str, typer.Option(help="Why the alliance may go ahead (recorded once).")],
            as_user: AsOpt = None, as_json: JsonOpt = False) -> None:
    """Record the justification of a screening that crossed a threshold."""
    store, clock = open_store(), SystemClock()
    _print(competition.justify(store, alliance, number, _principal(store, as_user, alliance, clock), clock, text),
           as_json)


@app.command("sets")
@fails_cleanly
def sets_(as_json: JsonOpt = False) -> None:
    """The shipped threshold sets with their sources."""
    from alliance.competition import report
    from alliance.competition.thresholds import registry

    found = [report.set_json(s, _locale()) for s in registry().values()]
    if as_json:
        print(json.dumps(found, ensure_ascii=False, indent=2))
        return
    for s in found:
        console.print(f"{s['id']}: {s['name']} — {s['citation']} ({s['published']}) {s['url']}", highlight=False,
                      soft_wrap=True, markup=False)


@app.command("choose-sets")
@fails_cleanly
def choose_sets(alliance: AllianceOpt,
                sets: Annotated[list[str] | None, typer.Option("--set", help="A set's id (repeat; none: all).")] = None,
                as_user: AsOpt = None) -> None:
    """Choose the threshold sets that apply to the alliance's screenings from now on."""
    store, clock = open_store(), SystemClock()
    chosen = competition.choose_sets(store, alliance, _principal(store, as_user, alliance, clock), clock, sets or [])
    console.print(", ".join(chosen), highlight=False)
