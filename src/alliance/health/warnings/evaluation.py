"""Evaluating warning rules: the scheduler's `evaluate_due`, and `evaluate` of one alliance (by the
scheduler, the CLI, or the coordinator through `evaluate_as`).

One unit of work per alliance: the alert states, the firings, what the actions did and the notices
commit together, or not at all. A (rule, period) evaluated once is not evaluated again, so the
scheduler may run every minute. Series come from `service.make_source` (tests replace it).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import numpy as np

from alliance.access.policy import Action, authorize
from alliance.access.roles import Principal
from alliance.core.clock import Clock, local_today
from alliance.core.errors import AllianceError
from alliance.core.messages import Message
from alliance.health.warnings import engine, periods
from alliance.health.warnings import service as rules
from alliance.health.warnings.actions import ACTIONS, ActionRecord, Firing
from alliance.health.warnings.conditions import CONDITIONS
from alliance.health.warnings.engine import STATE_NAMES, Carry, State
from alliance.health.warnings.rules import RuleSpec
from alliance.health.warnings.service import RuleView, _members, _repo, _spec
from alliance.health.warnings.source import SeriesSource
from alliance.store.database import Store
from alliance.store.unit_of_work import UnitOfWork
from alliance.store.warning_repository import AlertState, StoredFiring, StoredSilence, WarningRepository

CATCH_UP = 8  # periods a late evaluation catches up on (older ones only warm the state up)
logger = logging.getLogger("alliance.health.warnings")


class SeriesUnavailable(AllianceError):
    """The KPI series cannot be read (the KPI catalogue is not installed in this build)."""

    code = "warning_series_unavailable"
    title = Message("Indicator series unavailable")
    status = 503



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
        source = source or rules.make_source(store)
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
    # The rule's open firings, read once (not one query per member and period).
    known = {f.id: f for f in repo.firings(alliance.id, rule_id=rule.id, open_only=True, limit=1_000_000)}

    def firing_of(firing_id: int) -> StoredFiring | None:
        return known.get(firing_id) or repo.firing(alliance.id, firing_id)

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
                firing = firing_of(open_firing[member])  # type: ignore[arg-type]
                if firing is not None and not firing.notified:
                    repo.update_firing(alliance.id, firing.id, notified=True)
                    known[firing.id] = replace(firing, notified=True)
                    fired.append((member, firing.id, value))
            elif column[i] == State.RESOLVED and open_firing[member] is not None:
                firing = firing_of(open_firing[member])  # type: ignore[arg-type]
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
            since = firing_of(open_firing[member]).started_period  # type: ignore[arg-type,union-attr]
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
    with store.unit_of_work() as uow:
        codes = [a.code for a in uow.alliances.all() if a.status == "active"]
    done = []
    for code in codes:
        try:
            done.append(evaluate(store, code, clock, source=source))
        except AllianceError as exc:
            logger.warning("warning rules of %s not evaluated: %s", code, exc)
    return done


def evaluate_as(store: Store, code: str, principal: Principal, clock: Clock) -> Evaluation:
    """`evaluate`, asked for by a person (the coordinator) rather than the scheduler."""
    authorize(principal, Action.MANAGE_WARNINGS, code)
    return evaluate(store, code, clock)
