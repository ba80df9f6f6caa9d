"""`alliance warning ...`: warning rules (list, add, edit, enable, disable, import, export, the
standard rules), silences (silence, unsilence), the firing history, and an evaluation now. Acts as
the operator (platform admin) unless `--as` names a user account, whose role then decides."""

from __future__ import annotations

import json
from datetime import datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from alliance.access.roles import Principal, Role
from alliance.cli.lazy import Deferred
from alliance.cli.output import console, current_actor, fails_cleanly, open_store
from alliance.core.clock import Clock, SystemClock
from alliance.core.errors import InvalidInput
from alliance.core.messages import Message

if TYPE_CHECKING:
    from alliance.health.warnings import evaluation, service
else:
    service = Deferred("alliance.health.warnings.service")
    evaluation = Deferred("alliance.health.warnings.evaluation")

app = typer.Typer(help="Warning rules: conditions on indicators, their firings and silences.", no_args_is_help=True)
AllianceOpt = Annotated[str, typer.Option("--alliance", "-a", help="The alliance's code.")]
AsOpt = Annotated[str | None, typer.Option(
    "--as", help="Act as this user account (its role in --alliance). Default: the operator, as platform admin.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
make_clock: type[Clock] | Any = SystemClock  # tests replace it with a frozen clock


def _who(store: Any, as_user: str | None, alliance: str, clock: Clock) -> Principal:
    from alliance.access.accounts import user_principal

    if as_user is None:
        return Principal(current_actor(), Role.PLATFORM_ADMIN, kind="operator")
    return user_principal(store, as_user, alliance, clock)


def _read(path: Path) -> str:
    if not path.is_file():
        raise InvalidInput(Message("{path}: no such file", path=path))
    return path.read_text(encoding="utf-8-sig")


def _rules_table(views: list[Any]) -> None:
    table = Table("id", "version", "name", "kpi", "condition", "for", "severity", "actions", "on")
    for v in views:
        r = v.rule
        table.add_row(r.id, str(v.version), r.name.said("en"), r.kpi, str(r.describe()), str(r.for_periods),
                      r.severity, ", ".join(a.kind for a in r.actions), "yes" if r.enabled else "no")
    console.print(table)


@app.command("list")
@fails_cleanly
def list_(alliance: AllianceOpt, as_user: AsOpt = None, as_json: JsonOpt = False) -> None:
    """The alliance's rules and the warnings firing now."""
    store, clock = open_store(), make_clock()
    who = _who(store, as_user, alliance, clock)
    views = service.list_rules(store, alliance, who)
    groups = service.firing_now(store, alliance, who, clock)
    if as_json:
        print(json.dumps({"rules": [v.as_json() for v in views],
                          "firing": [{"rule": g.rule.id, "members": g.members, "since": g.since.isoformat(),
                                      "silenced": g.silenced} for g in groups]}, ensure_ascii=False, indent=2))
        return
    _rules_table(views)
    for g in groups:
        members = ", ".join(g.members) or "the alliance"
        console.print(f"FIRING {g.rule.id} ({g.rule.severity}) since {g.since}: {members}"
                      + (" [silenced]" if g.silenced else ""), highlight=False, soft_wrap=True)


def _save(alliance: str, file: Path, as_user: str | None, mode: str, rule_id: str | None = None) -> None:
    store, clock = open_store(), make_clock()
    views = service.import_rules(store, alliance, _who(store, as_user, alliance, clock), _read(file), clock,
                                 "json" if file.suffix.lower() == ".json" else None, mode=mode, rule_id=rule_id)
    for v in views:
        console.print(f"rule {v.rule.id}: version {v.version}", highlight=False)


@app.command("add")
@fails_cleanly
def add(alliance: AllianceOpt, file: Annotated[Path, typer.Argument(help="The rule (YAML or JSON; docs/health.md).")],
        as_user: AsOpt = None) -> None:
    """Add a rule (or the rules of a document); an id that exists is refused."""
    _save(alliance, file, as_user, "add")


@app.command("edit")
@fails_cleanly
def edit(alliance: AllianceOpt, rule: Annotated[str, typer.Argument(help="The rule's id.")],
         file: Annotated[Path, typer.Argument(help="The rule as it should be (YAML or JSON).")],
         as_user: AsOpt = None) -> None:
    """Change a rule: a new version, the old ones kept."""
    _save(alliance, file, as_user, "edit", rule)


def _enabled(alliance: str, rule: str, as_user: str | None, enabled: bool) -> None:
    store, clock = open_store(), make_clock()
    view = service.set_enabled(store, alliance, _who(store, as_user, alliance, clock), rule, enabled, clock)
    console.print(f"rule {view.rule.id}: {'on' if enabled else 'off'} (version {view.version})", highlight=False)


@app.command("enable")
@fails_cleanly
def enable(alliance: AllianceOpt, rule: Annotated[str, typer.Argument(help="The rule's id.")],
           as_user: AsOpt = None) -> None:
    """Turn a rule on."""
    _enabled(alliance, rule, as_user, True)


@app.command("disable")
@fails_cleanly
def disable(alliance: AllianceOpt, rule: Annotated[str, typer.Argument(help="The rule's id.")],
            as_user: AsOpt = None) -> None:
    """Turn a rule off (it is kept, and no longer evaluated)."""
    _enabled(alliance, rule, as_user, False)


def _expiry(text: str, zone: str) -> datetime:
    try:
        if len(text) == 10:  # a day: the end of it, in the alliance's time zone
            return datetime.combine(datetime.strptime(text, "%Y-%m-%d").date(), time(23, 59), ZoneInfo(zone))
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(Message("--expires: {text!r} is not a day (YYYY-MM-DD) or a time (ISO 8601)",
                                   text=text)) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(zone))


@app.command("silence")
@fails_cleanly
def silence(alliance: AllianceOpt, rule: Annotated[str, typer.Argument(help="The rule's id.")],
            reason: Annotated[str, typer.Option(help="Why (kept with the silence).")],
            expires: Annotated[str, typer.Option(help="When it ends: a day (YYYY-MM-DD, its end) or an ISO time.")],
            member: Annotated[str | None, typer.Option(help="Only this member's alert (default: all).")] = None,
            as_user: AsOpt = None) -> None:
    """Hold back a rule's notices and actions until the expiry (it is still evaluated)."""
    from alliance.registry import service as registry

    store, clock = open_store(), make_clock()
    zone = registry.get_alliance(store, alliance).timezone
    found = service.add_silence(store, alliance, _who(store, as_user, alliance, clock), rule_id=rule, member=member,
                                reason=reason, expires_at=_expiry(expires, zone), clock=clock)
    console.print(f"silence {found.id}: {rule} {member or 'all members'} until {found.expires_at.isoformat()}",
                  highlight=False)


@app.command("unsilence")
@fails_cleanly
def unsilence(alliance: AllianceOpt, silence_id: Annotated[int, typer.Argument(help="The silence's number.")],
              as_user: AsOpt = None) -> None:
    """End a silence now, before its expiry."""
    store, clock = open_store(), make_clock()
    service.end_silence(store, alliance, _who(store, as_user, alliance, clock), silence_id, clock)
    console.print(f"silence {silence_id} ended", highlight=False)


@app.command("history")
@fails_cleanly
def history(alliance: AllianceOpt, rule: Annotated[str | None, typer.Option(help="Only this rule.")] = None,
            as_user: AsOpt = None, as_json: JsonOpt = False) -> None:
    """Every firing: started, resolved, the values that triggered it and what its actions did."""
    store, clock = open_store(), make_clock()
    found = service.history(store, alliance, _who(store, as_user, alliance, clock), clock, rule_id=rule)
    if as_json:
        print(json.dumps([f.as_json() for f in found], ensure_ascii=False, indent=2))
        return
    table = Table("id", "rule", "member", "started", "resolved", "values", "done")
    for f in found:
        table.add_row(str(f.firing.id), f.firing.rule_id, f.member or "-", f.firing.started_period.isoformat(),
                      f.firing.resolved_period.isoformat() if f.firing.resolved_period else "firing",
                      "; ".join(f"{d}: {v}" for d, v in f.firing.values.items()),
                      "; ".join(str(said) for _, said in f.done) or ("silenced" if f.firing.silenced else "-"))
    console.print(table)


@app.command("evaluate")
@fails_cleanly
def evaluate(alliance: Annotated[str | None, typer.Option("--alliance", "-a", help="Only this alliance.")] = None,
             as_json: JsonOpt = False) -> None:
    """Evaluate every enabled rule for the latest completed period, once (what the scheduler does)."""
    store, clock = open_store(), make_clock()
    done = [evaluation.evaluate(store, alliance, clock)] if alliance else evaluation.evaluate_due(store, clock)
    if as_json:
        print(json.dumps([e.as_json() for e in done], ensure_ascii=False, indent=2))
        return
    for e in done:
        console.print(f"{e.alliance}: {len(e.evaluated)} rule(s) evaluated, {len(e.transitions)} change(s)",
                      highlight=False)
        for t in e.transitions:
            console.print(f"  {t.rule} {t.member or 'alliance'} {t.period}: {t.before} -> {t.after} ({t.value})",
                          highlight=False)


@app.command("import")
@fails_cleanly
def import_(alliance: AllianceOpt, file: Annotated[Path, typer.Argument(help="A rules document (YAML or JSON).")],
            as_user: AsOpt = None) -> None:
    """Every rule of a document, all or nothing; each problem names the rule, the field and the line."""
    store, clock = open_store(), make_clock()
    views = service.import_rules(store, alliance, _who(store, as_user, alliance, clock), _read(file), clock,
                                 "json" if file.suffix.lower() == ".json" else None)
    console.print(f"{len(views)} rule(s) imported", highlight=False)


@app.command("export")
@fails_cleanly
def export(alliance: AllianceOpt, format: Annotated[str, typer.Option(help="yaml or json.")] = "yaml",
           output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file.")] = None,
           as_user: AsOpt = None) -> None:
    """The alliance's rules as a document that `import` reads back."""
    if format not in ("yaml", "json"):
        raise InvalidInput(Message("--format: {format!r} is not yaml or json", format=format))
    store, clock = open_store(), make_clock()
    text = service.export_rules(store, alliance, _who(store, as_user, alliance, clock), format)
    if output is None:
        print(text, end="")
    else:
        output.write_text(text, encoding="utf-8")


@app.command("defaults")
@fails_cleanly
def defaults(alliance: AllianceOpt, as_user: AsOpt = None) -> None:
    """Add the standard rules (the article's) for the ids the alliance does not have yet."""
    store, clock = open_store(), make_clock()
    views = service.install_defaults(store, alliance, _who(store, as_user, alliance, clock), clock)
    console.print(f"{len(views)} rule(s) added", highlight=False)
