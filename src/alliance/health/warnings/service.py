"""Warning-rule use cases that touch the store: rules (versioned), silences, firings and their
history, and evaluation (by hand, or by the scheduler through `evaluate_due`).

Reading is `READ_WARNINGS` (a member's people see only the firings that concern their member and the
alliance-wide ones); changing rules and silences is `MANAGE_WARNINGS` (the coordinator). Bad input
raises before anything is written, with every problem found, so the store is left as it was.
Evaluation runs one unit of work per alliance: states, firings, what the actions did and the
notices commit together, or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import numpy as np

from alliance.access.policy import Action, authorize
from alliance.access.roles import Principal
from alliance.core.clock import Clock, local_today
from alliance.core.errors import AllianceError, Conflict, InvalidInput, NotFound, Problem
from alliance.core.messages import Message, from_document
from alliance.health.warnings import engine, periods
from alliance.health.warnings.actions import ACTIONS, ActionRecord, Firing
from alliance.health.warnings.conditions import CONDITIONS
from alliance.health.warnings.defaults import default_rules
from alliance.health.warnings.engine import STATE_NAMES, Carry, State
from alliance.health.warnings.rules import DEFAULT_KPIS, ROLES, RuleSpec, check_rules, dump_rules, parse_rules
from alliance.health.warnings.source import KpiSeries, SeriesSource
from alliance.store.database import Store
from alliance.store.unit_of_work import UnitOfWork
from alliance.store.warning_repository import AlertState, StoredFiring, StoredSilence, WarningRepository

CATCH_UP = 8            # periods a late evaluation catches up on (older ones only warm the state up)
MAX_SILENCE_DAYS = 366
REASON_LIMIT = 1000

# How the service finds the alliance's series: KPI catalogue by default; tests replace it.
make_source: Callable[[Store], SeriesSource] = KpiSeries


class WarningRuleNotFound(NotFound):
    code = "warning_rule_not_found"
    title = Message("Warning rule not found")


class WarningRuleExists(Conflict):
    code = "warning_rule_exists"
    title = Message("Warning rule exists")


class SilenceNotFound(NotFound):
    code = "warning_silence_not_found"
    title = Message("Silence not found")


class SeriesUnavailable(AllianceError):
    """The KPI series cannot be read (the KPI catalogue is not installed in this build)."""

    code = "warning_series_unavailable"
    title = Message("Indicator series unavailable")
    status = 503


class SilenceEnded(Conflict):
    code = "warning_silence_ended"
    title = Message("Silence already over")


# -- what the edges read -----------------------------------------------------------------------------

@dataclass(frozen=True)
class RuleView:
    rule: RuleSpec
    version: int
    changed_by: str
    changed_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {**self.rule.document(), "version": self.version, "changed_by": self.changed_by,
                "changed_at": self.changed_at.isoformat(), "describes": str(self.rule.describe())}


@dataclass(frozen=True)
class FiringView:
    firing: StoredFiring
    rule: RuleSpec | None
    silenced_now: bool = False

    @property
    def member(self) -> str | None:
        return self.firing.member or None

    @property
    def done(self) -> list[tuple[bool, str]]:
        """What each action did: (done, the sentence, a Message again so each reader has it in their language)."""
        return [(bool(a.get("done")), from_document(a.get("said_doc"), str(a.get("said", ""))))
                for a in self.firing.actions]

    def as_json(self) -> dict[str, Any]:
        f = self.firing
        return {"id": f.id, "rule": f.rule_id, "rule_version": f.rule_version, "member": self.member,
                "severity": f.severity, "started_period": f.started_period.isoformat(),
                "started_at": f.started_at.isoformat(),
                "resolved_period": f.resolved_period.isoformat() if f.resolved_period else None,
                "resolved_at": f.resolved_at.isoformat() if f.resolved_at else None, "values": f.values,
                "silenced": f.silenced, "silenced_now": self.silenced_now, "notified": f.notified,
                "actions": [{k: v for k, v in a.items() if k != "said_doc"} for a in f.actions]}


@dataclass(frozen=True)
class WarningGroup:
    """The firing alerts of one rule: one line per rule on the dashboard, listing the members."""

    rule: RuleSpec
    firings: list[FiringView]

    @property
    def members(self) -> list[str]:
        return [f.member for f in self.firings if f.member is not None]

    @property
    def since(self) -> date:
        return min(f.firing.started_period for f in self.firings)

    @property
    def silenced(self) -> bool:
        return all(f.silenced_now for f in self.firings)


@dataclass(frozen=True)
class Transition:
    rule: str
    member: str | None
    period: date
    before: str
    after: str
    value: str | None


@dataclass
class Evaluation:
    alliance: str
    evaluated: list[tuple[str, date]] = field(default_factory=list)  # (rule, period) evaluated now
    transitions: list[Transition] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"alliance": self.alliance, "evaluated": [{"rule": r, "period": p.isoformat()} for r, p in self.evaluated],
                "transitions": [{"rule": t.rule, "member": t.member, "period": t.period.isoformat(),
                                 "from": t.before, "to": t.after, "value": t.value} for t in self.transitions],
                "actions": self.actions}


# -- helpers -------------------------------------------------------------------------------------

def _repo(uow: UnitOfWork) -> WarningRepository:
    return WarningRepository(uow.connection)


def _spec(document: Mapping[str, Any]) -> RuleSpec:
    return RuleSpec.model_validate(document)


def _members(uow: UnitOfWork, alliance: Any) -> list[str]:
    return sorted(m.code for m in uow.members.of_alliance(alliance.id, alliance.code, alliance.currency) if m.active)


def _known_kpis(store: Store, code: str) -> set[str]:
    try:
        return set(DEFAULT_KPIS) | make_source(store).kpi_codes(code)
    except ImportError:  # the KPI catalogue is not installed in this build: its default codes
        return set(DEFAULT_KPIS)


def _check_owner(rules: Sequence[RuleSpec], members: Sequence[str]) -> None:
    problems = [Problem(Message("rule {id}", id=r.id), "owner",
                        Message("{owner!r} is neither a role ({roles}) nor a member of the alliance",
                                owner=r.owner, roles=", ".join(ROLES)))
                for r in rules if r.owner not in ROLES and r.owner not in members]
    if problems:
        raise InvalidInput(Message("the rules do not parse ({count} problems)", count=len(problems)), problems)


def _views(uow: UnitOfWork, alliance_id: int) -> list[RuleView]:
    return [RuleView(_spec(r.document), r.version, r.created_by, r.created_at) for r in _repo(uow).rules(alliance_id)]


# -- rules -------------------------------------------------------------------------------------------

def list_rules(store: Store, code: str, principal: Principal) -> list[RuleView]:
    authorize(principal, Action.READ_WARNINGS, code)
    with store.unit_of_work() as uow:
        return _views(uow, uow.alliances.require(code).id)


def get_rule(store: Store, code: str, principal: Principal, rule_id: str) -> tuple[RuleView, list[RuleView]]:
    """The rule in force and all its versions (oldest first)."""
    authorize(principal, Action.READ_WARNINGS, code)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(code)
        versions = _repo(uow).versions(alliance.id, rule_id)
    if not versions:
        raise WarningRuleNotFound(Message("alliance {code!r} has no warning rule {rule!r}", code=code, rule=rule_id))
    views = [RuleView(_spec(v.document), v.version, v.created_by, v.created_at) for v in versions]
    return views[-1], views


def save_rules(store: Store, code: str, principal: Principal, items: Sequence[Mapping[str, Any] | RuleSpec],
               clock: Clock, *, mode: str = "upsert") -> list[RuleView]:
    """Add or change rules (each change a new version; an unchanged rule is left as it is).
    `mode`: "add" refuses an id that exists, "edit" one that does not, "upsert" takes both."""
    authorize(principal, Action.MANAGE_WARNINGS, code)
    rules = check_rules([r.document() if isinstance(r, RuleSpec) else dict(r) for r in items], _known_kpis(store, code))
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(code)
        _check_owner(rules, _members(uow, alliance))
        repo = _repo(uow)
        for rule in rules:
            current = repo.rule(alliance.id, rule.id)
            if mode == "add" and current is not None:
                raise WarningRuleExists(Message("the warning rule {rule!r} exists: edit it instead", rule=rule.id))
            if mode == "edit" and current is None:
                raise WarningRuleNotFound(Message("alliance {code!r} has no warning rule {rule!r}", code=code,
                                                  rule=rule.id))
            if current is None or current.document != rule.document():
                repo.add_version(alliance.id, rule.id, rule.document(), rule.enabled, principal.actor, clock.now())
        uow.commit()
        wanted = {r.id for r in rules}
        return [v for v in _views(uow, alliance.id) if v.rule.id in wanted]


def set_enabled(store: Store, code: str, principal: Principal, rule_id: str, enabled: bool, clock: Clock) -> RuleView:
    current, _ = get_rule(store, code, principal, rule_id)
    document = {**current.rule.document(), "enabled": enabled}
    [view] = save_rules(store, code, principal, [document], clock, mode="edit")
    return view


def import_rules(store: Store, code: str, principal: Principal, text: str, clock: Clock,
                 fmt: str | None = None, *, mode: str = "upsert", rule_id: str | None = None) -> list[RuleView]:
    """Every rule of a YAML / JSON document, all or nothing (problems name rule, field and line).
    `mode` as for `save_rules`; `rule_id`: the document's rule is that rule (an edit by file)."""
    authorize(principal, Action.MANAGE_WARNINGS, code)
    rules = parse_rules(text, _known_kpis(store, code), fmt)
    if rule_id is not None:
        rules = [r.model_copy(update={"id": rule_id}) for r in rules]
    return save_rules(store, code, principal, rules, clock, mode=mode)


def export_rules(store: Store, code: str, principal: Principal, fmt: str = "yaml") -> str:
    return dump_rules([v.rule for v in list_rules(store, code, principal)], fmt)


def install_defaults(store: Store, code: str, principal: Principal, clock: Clock) -> list[RuleView]:
    """The article's rules, for those ids the alliance does not have yet (its own are kept)."""
    authorize(principal, Action.MANAGE_WARNINGS, code)
    with store.unit_of_work() as uow:
        have = {r.rule_id for r in _repo(uow).rules(uow.alliances.require(code).id)}
    missing = [r for r in default_rules() if r.id not in have]
    return save_rules(store, code, principal, missing, clock, mode="add") if missing else []


# -- silences ----------------------------------------------------------------------------------------

def add_silence(store: Store, code: str, principal: Principal, *, rule_id: str, member: str | None, reason: str,
                expires_at: datetime | None, clock: Clock, starts_at: datetime | None = None) -> StoredSilence:
    """Hold back the notices and actions of `rule_id` (for one member, or all) until `expires_at`."""
    authorize(principal, Action.MANAGE_WARNINGS, code)
    now = clock.now()
    starts = starts_at or now
    where = Message("silence")
    problems: list[Problem] = []
    reason = (reason or "").strip()
    member = (member or "").strip() or None
    if not reason:
        problems.append(Problem(where, "reason", Message("say why the warning is silenced")))
    elif len(reason) > REASON_LIMIT:
        problems.append(Problem(where, "reason", Message("at most {limit} characters", limit=REASON_LIMIT)))
    if expires_at is None:
        problems.append(Problem(where, "expires", Message("give when the silence expires")))
    elif expires_at.tzinfo is None:
        problems.append(Problem(where, "expires", Message("give the expiry with its time zone")))
    elif expires_at <= now:
        problems.append(Problem(where, "expires", Message("the expiry {at} is not in the future", at=expires_at.isoformat())))
    elif expires_at <= starts:
        problems.append(Problem(where, "expires", Message("the silence expires before it starts")))
    elif (expires_at - starts).days > MAX_SILENCE_DAYS:
        problems.append(Problem(where, "expires", Message("a silence lasts at most {days} days", days=MAX_SILENCE_DAYS)))
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(code)
        repo = _repo(uow)
        if repo.rule(alliance.id, rule_id) is None:
            raise WarningRuleNotFound(Message("alliance {code!r} has no warning rule {rule!r}", code=code, rule=rule_id))
        if member is not None and member not in _members(uow, alliance):
            problems.append(Problem(where, "member", Message("{member!r} is not a member of the alliance", member=member)))
        if problems:
            raise InvalidInput(Message("the silence cannot be set: {problems}", problems="; ".join(map(str, problems))),
                               problems)
        assert expires_at is not None
        silence_id = repo.add_silence(alliance.id, rule_id=rule_id, member=member, reason=reason, starts_at=starts,
                                      expires_at=expires_at, created_by=principal.actor, created_at=now)
        uow.commit()
        found = repo.silence(alliance.id, silence_id)
    assert found is not None
    return found


def end_silence(store: Store, code: str, principal: Principal, silence_id: int, clock: Clock) -> StoredSilence:
    authorize(principal, Action.MANAGE_WARNINGS, code)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(code)
        repo = _repo(uow)
        found = repo.silence(alliance.id, silence_id)
        if found is None:
            raise SilenceNotFound(Message("alliance {code!r} has no silence {id}", code=code, id=silence_id))
        if not found.ended_at is None or found.expires_at <= clock.now():
            raise SilenceEnded(Message("silence {id} is already over", id=silence_id))
        repo.end_silence(alliance.id, silence_id, principal.actor, clock.now())
        uow.commit()
        ended = repo.silence(alliance.id, silence_id)
    assert ended is not None
    return ended


def list_silences(store: Store, code: str, principal: Principal) -> list[StoredSilence]:
    authorize(principal, Action.MANAGE_WARNINGS, code)
    with store.unit_of_work() as uow:
        return _repo(uow).silences(uow.alliances.require(code).id)


# -- firings -----------------------------------------------------------------------------------------

def _firing_views(uow: UnitOfWork, alliance_id: int, principal: Principal, now: datetime, *, open_only: bool,
                  rule_id: str | None = None, limit: int = 500) -> list[FiringView]:
    repo = _repo(uow)
    rules = {v.rule.id: v.rule for v in _views(uow, alliance_id)}
    silences = [s for s in repo.silences(alliance_id) if s.active(now)]
    found = repo.firings(alliance_id, rule_id=rule_id, member=principal.member, open_only=open_only, limit=limit)
    return [FiringView(f, rules.get(f.rule_id), any(s.matches(f.rule_id, f.member) for s in silences)) for f in found]


def firing_now(store: Store, code: str, principal: Principal, clock: Clock) -> list[WarningGroup]:
    """The warnings firing now, one group per rule (most severe first): the dashboard's panel. A
    member's people see only their member's and the alliance-wide ones."""
    authorize(principal, Action.READ_WARNINGS, code)
    with store.unit_of_work() as uow:
        views = _firing_views(uow, uow.alliances.require(code).id, principal, clock.now(), open_only=True)
    groups: dict[str, list[FiringView]] = {}
    for view in views:
        if view.rule is not None:
            groups.setdefault(view.firing.rule_id, []).append(view)
    order = {"critical": 0, "warning": 1, "info": 2}
    found = [WarningGroup(fs[0].rule, sorted(fs, key=lambda f: f.firing.member)) for fs in groups.values()]  # type: ignore[arg-type]
    return sorted(found, key=lambda g: (order[g.rule.severity], g.rule.id))


def history(store: Store, code: str, principal: Principal, clock: Clock, *, rule_id: str | None = None,
            limit: int = 200) -> list[FiringView]:
    authorize(principal, Action.READ_WARNINGS, code)
    with store.unit_of_work() as uow:
        return _firing_views(uow, uow.alliances.require(code).id, principal, clock.now(), open_only=False,
                             rule_id=rule_id, limit=limit)


# -- evaluation ---------------------------------------------------------------------------------------

def _text(value: float) -> str | None:
    if np.isnan(value):
        return None
    return format(Decimal(repr(float(value))).normalize(), "f")


def _array(series: Mapping[Any, list[tuple[date, Decimal | None]]], keys: Sequence[Any], starts: Sequence[date]) -> np.ndarray:
    values = np.full((len(keys), len(starts)), np.nan)
    column = {d: j for j, d in enumerate(starts)}
    for i, key in enumerate(keys):
        for day, value in series.get(key, ()):
            j = column.get(day)
            if j is not None and value is not None:
                values[i, j] = float(value)
    return values


def evaluate(store: Store, code: str, clock: Clock, *, source: SeriesSource | None = None,
             period: date | None = None) -> Evaluation:
    """Evaluate every enabled rule of the alliance for its latest completed period (or the period
    containing `period`), catching up on periods missed since the last evaluation. A period already
    evaluated is not evaluated again (idempotent). Returns every transition and what actions did."""
    report = Evaluation(code)
    now = clock.now()
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(code)
        repo = _repo(uow)
        today = local_today(clock, alliance.timezone)
        due = []
        for stored in repo.rules(alliance.id):
            if not stored.enabled:
                continue
            view = RuleView(_spec(stored.document), stored.version, stored.created_by, stored.created_at)
            g = view.rule.granularity
            last = periods.start_of(period, g) if period is not None else periods.latest_completed(today, g)
            done = repo.evaluated(alliance.id, view.rule.id)
            if done is None or done < last:  # a period evaluated already is not evaluated again
                due.append((view, last, done))
        if not due:
            return report  # nothing due: the series source is not even asked (the scheduler runs every minute)
        source = source or make_source(store)
        members = _members(uow, alliance)
        try:
            bands = source.bands(code)
        except ImportError:
            raise SeriesUnavailable(Message("the indicator series of alliance {code!r} cannot be read: the KPI "
                                            "catalogue is not installed", code=code)) from None
        silences = [s for s in repo.silences(alliance.id) if s.active(now)]
        states = {(s.rule_id, s.member): s for s in repo.states(alliance.id)}
        for view, last, done in due:
            _evaluate_rule(uow, repo, alliance, view, last, done, members, source, bands, silences, states, now,
                           report)
        uow.commit()
    return report


def _evaluate_rule(uow: UnitOfWork, repo: WarningRepository, alliance: Any, view: RuleView, last: date,
                   done: date | None, members: list[str], source: SeriesSource, bands: Mapping[str, Any],
                   silences: list[StoredSilence], states: dict[tuple[str, str], AlertState], now: datetime,
                   report: Evaluation) -> None:
    rule = view.rule
    g = rule.granularity
    if done is not None:
        first = max(periods.shift(done, g, 1), periods.shift(last, g, -(CATCH_UP - 1)))
        warm = first
    else:
        # A new rule: earlier periods only warm its state up, so a condition that has held `for`
        # periods already fires at once; nothing is recorded for them.
        first, warm = last, periods.shift(last, g, -(rule.for_periods + rule.keep_firing_for))
    kind = CONDITIONS[rule.condition.kind]
    # Earlier periods read: the condition's lookback, and the run of values a firing keeps.
    back = max(kind.lookback(rule.condition), rule.for_periods - 1)
    starts = periods.between(periods.shift(warm, g, -back), last, g)
    scope_members: list[str | None] = list(members) if rule.scope == "member" else [None]
    keys = [(rule.kpi, m) for m in scope_members]
    series = source.series(alliance.code, [rule.kpi], granularity=g, since=starts[0],
                           until=periods.shift(last, g, 1), members=members if rule.scope == "member" else None)
    every = _array(series, keys, starts)
    held = kind.mask(rule.condition, every, bands.get(rule.kpi) if kind.needs_bands else None)[:, back:]
    values = every[:, back:]
    window = starts[back:]
    stored = [states.get((rule.id, m or "")) for m in scope_members]
    carry = Carry(np.array([s.run if s and done is not None else 0 for s in stored], np.int64),
                  np.array([s.clean if s and done is not None else engine.RUN_CAP for s in stored], np.int64),
                  np.array([bool(s and done is not None and s.firing_id is not None) for s in stored], np.bool_))
    outcome = engine.run(held, rule.for_periods, rule.keep_firing_for, carry)
    open_firing = {m: (s.firing_id if s and done is not None else None) for m, s in zip(scope_members, stored)}
    before = [STATE_NAMES[State.FIRING] if f else (s.status if s else "inactive")
              for s, f in zip(stored, carry.firing)]
    recorded = window.index(first)
    for j in range(len(window)):
        column = outcome.states[:, j]
        if j < recorded:
            before = [STATE_NAMES[int(c)] for c in column]
            continue
        fired, resolved = [], []
        for i, member in enumerate(scope_members):
            after = STATE_NAMES[int(column[i])]
            value = _text(values[i, j])
            if after != before[i] and not (before[i] == "resolved" and after == "inactive"):
                report.transitions.append(Transition(rule.id, member, window[j], before[i], after, value))
            silenced = any(s.matches(rule.id, member) for s in silences)
            if column[i] == State.FIRING and open_firing[member] is None:
                triggered = {starts[k].isoformat(): _text(every[i, k])
                             for k in range(back + j - rule.for_periods + 1, back + j + 1)}
                open_firing[member] = repo.add_firing(
                    alliance.id, rule_id=rule.id, rule_version=view.version, member=member or "",
                    severity=rule.severity, started_period=window[j], started_at=now, values=triggered,
                    silenced=silenced, notified=not silenced, actions=[])
                if not silenced:
                    fired.append((member, open_firing[member], value))
            elif column[i] == State.FIRING and not silenced:
                # Firing through a silence that has now expired (or ended): it is told now.
                firing = repo.firing(alliance.id, open_firing[member])  # type: ignore[arg-type]
                if firing is not None and not firing.notified:
                    repo.update_firing(alliance.id, firing.id, notified=True)
                    fired.append((member, firing.id, value))
            elif column[i] == State.RESOLVED and open_firing[member] is not None:
                firing = repo.firing(alliance.id, open_firing[member])  # type: ignore[arg-type]
                repo.update_firing(alliance.id, open_firing[member], resolved_period=window[j], resolved_at=now)  # type: ignore[arg-type]
                if firing is not None and firing.notified:
                    resolved.append((member, firing.id, value))
                open_firing[member] = None
            before[i] = after
        _act(uow, repo, alliance, rule, fired, window[j], now, report, resolved=False)
        _act(uow, repo, alliance, rule, resolved, window[j], now, report, resolved=True)
    final = outcome.carry
    saved = []
    for i, member in enumerate(scope_members):
        status = before[i]
        since = None
        if status == "pending":
            since = periods.shift(last, g, -(int(final.run[i]) - 1))
        elif status == "firing" and open_firing[member] is not None:
            since = repo.firing(alliance.id, open_firing[member]).started_period  # type: ignore[arg-type,union-attr]
        saved.append(AlertState(rule.id, member or "", last, status, int(final.run[i]), int(final.clean[i]), since,
                                _text(values[i, -1]), open_firing[member]))
    repo.save_states(alliance.id, saved, now)
    repo.mark_evaluated(alliance.id, rule.id, last, now)
    report.evaluated.append((rule.id, last))


def _act(uow: UnitOfWork, repo: WarningRepository, alliance: Any, rule: RuleSpec,
         concerned: list[tuple[str | None, int, str | None]], period: date, now: datetime, report: Evaluation, *,
         resolved: bool) -> None:
    """Every action of the rule, once for all the members concerned (grouping), kept on each firing."""
    if not concerned:
        return
    news = Firing(uow, alliance.id, alliance.code, rule, tuple(m for m, _, _ in concerned),
                  {m: v or "" for m, _, v in concerned}, period.isoformat(), now, resolved=resolved)
    records: list[ActionRecord] = []
    for spec in rule.actions:
        kind = ACTIONS[spec.kind]
        if resolved and not kind.on_resolve:
            continue
        try:
            records.append(kind.perform(spec, news))
        except AllianceError as exc:  # an action refused (e.g. the incident service): say so, do the others
            records.append(ActionRecord(spec.kind, False, Message("not done: {reason}", reason=exc.message)))
    for member, firing_id, _ in concerned:
        firing = repo.firing(alliance.id, firing_id)
        assert firing is not None
        repo.update_firing(alliance.id, firing_id, actions=firing.actions + [
            {**r.as_json(), "on": "resolved" if resolved else "fired"} for r in records])
    report.actions.extend({"rule": rule.id, "on": "resolved" if resolved else "fired", "members":
                           [m for m, _, _ in concerned], **{k: v for k, v in r.as_json().items() if k != "said_doc"}}
                          for r in records)


def evaluate_due(store: Store, clock: Clock, source: SeriesSource | None = None) -> list[Evaluation]:
    """The scheduler's step: every enabled rule of every active alliance, for the latest completed
    period; a second run in the same period changes nothing. An alliance whose evaluation fails is
    logged and skipped: the others still run."""
    import logging

    with store.unit_of_work() as uow:
        codes = [a.code for a in uow.alliances.all() if a.status == "active"]
    done = []
    for code in codes:
        try:
            done.append(evaluate(store, code, clock, source=source))
        except AllianceError as exc:
            logging.getLogger("alliance.health.warnings").warning("warning rules of %s not evaluated: %s", code, exc)
    return done


def evaluate_as(store: Store, code: str, principal: Principal, clock: Clock) -> Evaluation:
    """`evaluate`, asked for by a person (the coordinator) rather than the scheduler."""
    authorize(principal, Action.MANAGE_WARNINGS, code)
    return evaluate(store, code, clock)


def install_defaults_in(uow: UnitOfWork, alliance_id: int, actor: str, now: datetime) -> int:
    """The standard rules for a new alliance, in the founding transaction (registry.create_alliance's
    `then`, chained after appointing its coordinator); the number of rules added (ids it has are kept)."""
    repo = _repo(uow)
    have = {r.rule_id for r in repo.rules(alliance_id)}
    added = 0
    for rule in default_rules():
        if rule.id not in have:
            repo.add_version(alliance_id, rule.id, rule.document(), rule.enabled, actor, now)
            added += 1
    return added
