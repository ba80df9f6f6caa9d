"""Warning-rule use cases that touch the store: rules (versioned), silences, firings and their
history, and evaluation (by hand, or by the scheduler through `evaluate_due`).

Reading is `READ_WARNINGS` (a member's people see only the firings that concern their member and the
alliance-wide ones); changing rules and silences is `MANAGE_WARNINGS` (the coordinator). Bad input
raises before anything is written, with every problem found, so the store is left as it was.
Evaluation is `evaluation.py`'s.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from alliance.access.policy import Action, authorize
from alliance.access.roles import Principal
from alliance.core.clock import Clock
from alliance.core.errors import Conflict, InvalidInput, NotFound, Problem
from alliance.core.messages import Message, from_document
from alliance.health.warnings.defaults import default_rules
from alliance.health.warnings.rules import DEFAULT_KPIS, ROLES, RuleSpec, check_rules, dump_rules, parse_rules
from alliance.health.warnings.source import KpiSeries, SeriesSource
from alliance.store.database import Store
from alliance.store.unit_of_work import UnitOfWork
from alliance.store.warning_repository import StoredFiring, StoredSilence, WarningRepository

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


def with_standard_rules(then: Callable[[UnitOfWork, Any], None] | None, actor: str,
                        clock: Clock) -> Callable[[UnitOfWork, Any], None]:
    """A founding step for registry.create_alliance's `then`: `then` (appointing the coordinator),
    and the article's standard warning rules, in the founding transaction, so a new alliance is
    watched from its first day."""
    def founding(uow: UnitOfWork, alliance: Any) -> None:
        if then is not None:
            then(uow, alliance)
        install_defaults_in(uow, alliance.id, actor, clock.now())

    return founding
