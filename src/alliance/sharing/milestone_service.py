"""Milestone use cases: record one with its evidence, confirm or reject it, list them.

The tranche of a confirmed milestone is booked by the next settlement run (settlement.service),
once; see `sharing.milestones` for who may do what.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from alliance.access.policy import Action, authorize
from alliance.access.roles import Principal
from alliance.core.clock import Clock
from alliance.core.errors import InvalidInput
from alliance.core.messages import Message
from alliance.ledger import events
from alliance.ledger import service as ledger
from alliance.ledger.coverage import value_digest
from alliance.registry.lifecycle import Write, check_writable
from alliance.sharing.agreement import Agreement, Rule, load_agreement_text
from alliance.sharing.rules.base import Builder, DayContext, RuleTotals, Settling, StatementLine
from alliance.sharing.attorneys import held_power
from alliance.sharing.milestones import (MAX_NOTE, Evidence, Milestone, MilestoneConflict, MilestoneNotFound, Status,
                                         check_confirmer, checked_evidence)
from alliance.sharing.rules import spec
from alliance.sharing.versions import AgreementVersion
from alliance.store.database import Store, on_duplicate
from alliance.store.milestone_repository import MilestoneRepository
from alliance.store.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class MilestoneRule:
    """A milestone rule of an agreement's latest signed version, with its current record if any."""

    agreement: str
    version: int
    rule: Rule
    confirmed_by: str
    current: Milestone | None


def evidence_digest(evidence: tuple[Evidence, ...]) -> str:
    return value_digest([{"name": e.name, "sha256": e.sha256} for e in evidence])


def _signed_rule(uow: UnitOfWork, alliance_id: int, alliance_code: str, agreement: str,
                 rule_id: str) -> tuple[AgreementVersion, Rule, str]:
    """The latest version signed by every party that has the milestone rule `rule_id`."""
    for version in reversed(uow.sharing.versions(alliance_id, agreement)):
        if not version.fully_signed:
            continue
        for rule in load_agreement_text(version.document).rules:
            if rule.id == rule_id and (who := spec(rule.kind).confirms(rule.params)) is not None:
                return version, rule, who
    raise MilestoneNotFound(Message("agreement {agreement!r} of {alliance!r} has no signed milestone rule {rule!r}",
                                    agreement=agreement, alliance=alliance_code, rule=rule_id))


def record(store: Store, alliance_code: str, agreement: str, rule_id: str, evidence: list[tuple[str, str]],
           clock: Clock, *, principal: Principal) -> Milestone:
    """Record that a milestone was reached, with its evidence (files by SHA-256): by the coordinator
    or one of the agreement's parties. Refused while one is open or confirmed."""
    files = checked_evidence(evidence)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        version, _rule, _who = _signed_rule(uow, alliance.id, alliance.code, agreement, rule_id)
        if principal.member is not None and principal.member in version.parties:
            authorize(principal, Action.ACT_FOR_MEMBER, alliance.code, principal.member)
        else:
            authorize(principal, Action.MANAGE_ALLIANCE, alliance.code)
        check_writable(alliance.code, alliance.status, Write.AGREEMENT)
        milestones = MilestoneRepository(uow.connection)
        current = milestones.current(alliance.id, agreement, rule_id)
        if current is not None:
            raise MilestoneConflict(Message("milestone {rule!r} of {agreement!r} is already {status}",
                                            rule=rule_id, agreement=agreement, status=current.status.value))
        now = clock.now()
        with on_duplicate(MilestoneConflict(Message("milestone {rule!r} of {agreement!r} was recorded at the same "
                                                    "time", rule=rule_id, agreement=agreement))):
            milestone_id = milestones.add(alliance.id, agreement, rule_id, version.version, files, principal.actor, now)
        ledger.record(uow, alliance.id, alliance.code, events.MILESTONE_RECORDED, principal.actor, now, {
            "milestone": milestone_id, "agreement": agreement, "rule": rule_id, "version": version.version,
            "evidence_sha256": evidence_digest(files), "recorded_by": principal.actor[:200]})
        uow.commit()
        found = milestones.current(alliance.id, agreement, rule_id)
    assert found is not None
    return found


def decide(store: Store, alliance_code: str, agreement: str, rule_id: str, confirm: bool, note: str, clock: Clock, *,
           principal: Principal | None = None, committee: str | None = None) -> Milestone:
    """Confirm (or reject, with a reason) the open milestone of a rule: by whom the rule names (a
    party's account or its attorney, the auditor), or the committee by an accepted proposal
    (`committee` names it: "proposal 12")."""
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise InvalidInput(Message("a note has at most {max_length} characters", max_length=MAX_NOTE))
    if not confirm and not note:
        raise InvalidInput(Message("say why the milestone is rejected"))
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        _version, _rule, who = _signed_rule(uow, alliance.id, alliance.code, agreement, rule_id)
        if committee is not None:
            check_confirmer(who, principal, alliance.code, committee=True)  # type: ignore[arg-type]
            actor = committee
        else:
            assert principal is not None
            attorney = held_power(uow, alliance.id, principal, who) if who not in ("committee", "auditor") else None
            check_confirmer(who, principal, alliance.code, attorney=attorney is not None)
            actor = principal.actor
        check_writable(alliance.code, alliance.status, Write.AGREEMENT)
        milestones = MilestoneRepository(uow.connection)
        current = milestones.current(alliance.id, agreement, rule_id)
        if current is None or current.status is not Status.RECORDED:
            raise MilestoneConflict(Message("milestone {rule!r} of {agreement!r} is {state}: nothing to decide",
                                            rule=rule_id, agreement=agreement,
                                            state=current.status.value if current else Message("not recorded")))
        status = Status.CONFIRMED if confirm else Status.REJECTED
        now = clock.now()
        if milestones.decide(alliance.id, current.id, status, actor, now, note or None) != 1:
            raise MilestoneConflict(Message("milestone {rule!r} of {agreement!r} was decided at the same time",
                                            rule=rule_id, agreement=agreement))
        ledger.record(uow, alliance.id, alliance.code, events.MILESTONE_DECIDED, actor, now, {
            "milestone": current.id, "status": status.value, "decided_by": actor[:200],
            "decided_at": events.utc_text(now)})
        uow.commit()
        decided = next(m for m in milestones.of_alliance(alliance.id, agreement) if m.id == current.id)
    return decided


class MilestoneNotAsRecorded(MilestoneConflict):
    code = "milestone_not_as_recorded"
    title = Message("Milestone not as recorded")


def pending_for_booking(uow: UnitOfWork, alliance_id: int) -> list[Milestone]:
    """The confirmed milestones no run has booked, each checked against what the ledger recorded of
    it (its rule, version and evidence when recorded; its confirmation): a milestone confirmed or
    changed behind the ledger's back books nothing. Raises MilestoneNotAsRecorded naming the first
    that differs; the day then stays open."""
    pending = MilestoneRepository(uow.connection).pending(alliance_id)
    if not pending:
        return []
    recorded = ledger.payloads_by_key(uow, alliance_id, [events.MILESTONE_RECORDED, events.MILESTONE_DECIDED],
                                      "milestone")
    for m in pending:
        claim = recorded.get(m.id, {})
        if (claim.get("agreement"), claim.get("rule"), claim.get("version"), claim.get("evidence_sha256"),
                claim.get("status")) != (m.agreement, m.rule_id, m.version, evidence_digest(m.evidence),
                                         Status.CONFIRMED.value):
            raise MilestoneNotAsRecorded(Message(
                "milestone {milestone} ({rule} of {agreement}) is not what the ledger recorded; the day stays open "
                "(`alliance ledger verify` names what differs)", milestone=m.id, rule=m.rule_id, agreement=m.agreement))
    return pending


def tranche_lines(milestone: Milestone, agreement: Agreement, day: date) -> tuple[StatementLine, ...]:
    """The statement lines that book `milestone`'s tranche on `day`, by the rule of `agreement` (the
    version it was recorded under). Raises MilestoneNotAsRecorded when that version has no milestone
    rule of its id (the record would then name a rule its parties never signed)."""
    rule = next((r for r in agreement.rules if r.id == milestone.rule_id), None)
    if rule is None or spec(rule.kind).confirms(rule.params) is None:
        raise MilestoneNotAsRecorded(Message("milestone {milestone}: version {version} of {agreement} has no milestone "
                                             "rule {rule}; the day stays open", milestone=milestone.id,
                                             version=milestone.version, agreement=milestone.agreement,
                                             rule=milestone.rule_id))
    builder = Builder(rule.id, rule.kind, agreement.currency, 0)
    spec(rule.kind).settle(builder, RuleTotals(), rule.params,
                           Settling(day, agreement.effective_from, DayContext(releases={rule.id: milestone.id})))
    return builder.outcome().lines


def milestone_rules(store: Store, alliance_code: str) -> list[MilestoneRule]:
    """Every milestone rule of the agreements' latest signed versions, with its current record."""
    found: list[MilestoneRule] = []
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        milestones = MilestoneRepository(uow.connection)
        for code in uow.sharing.codes(alliance.id):
            signed = [v for v in uow.sharing.versions(alliance.id, code) if v.fully_signed]
            if not signed:
                continue
            for rule in load_agreement_text(signed[-1].document).rules:
                if (who := spec(rule.kind).confirms(rule.params)) is not None:
                    found.append(MilestoneRule(code, signed[-1].version, rule, who,
                                               milestones.current(alliance.id, code, rule.id)))
    return found


def history(store: Store, alliance_code: str, agreement: str | None = None) -> list[Milestone]:
    """Every milestone record (rejected ones too), in the order they were recorded."""
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        return MilestoneRepository(uow.connection).of_alliance(alliance.id, agreement)

