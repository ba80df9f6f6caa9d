"""A case inside a unit of work, for the exit services: what the alliance says about the leaving
member (the agreements in force that name it, read through the sharing capability; its running
disputes; the days still open), loading a case for a principal (another member's is not found), and
saving a step with its ledger entry, closing the case when every step is finished."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from alliance.access.roles import Principal
from alliance.core.clock import Clock
from alliance.core.messages import Message
from alliance.exits import plan as planning
from alliance.exits.errors import ExitCaseNotFound
from alliance.exits.model import Case, Step
from alliance.exits.triggers import Terms
from alliance.governance.escalation import RUNNING
from alliance.ip.exit import ExitPolicy
from alliance.ledger import events
from alliance.ledger import service as ledger
from alliance.ledger.coverage import value_digest
from alliance.sharing.agreement import load_agreement_text
from alliance.sharing.clauses.base import ClauseKind
from alliance.sharing.clauses.term import Renewal, term_end
from alliance.sharing.layers import clauses_in_force
from alliance.sharing.versions import in_force
from alliance.store.dispute_repository import DisputeRepository
from alliance.store.exit_repository import case_record, step_record
from alliance.store.unit_of_work import UnitOfWork


def agreements_of(uow: UnitOfWork, alliance_id: int, member: str, day: date) -> tuple[list[planning.AgreementFacts],
                                                                                       Terms]:
    """The agreements in force on `day` that name `member` (through the sharing capability: versions in
    force, supplements laid over), as the plan reads them, and what they say about leaving."""
    stored = {code: uow.sharing.versions(alliance_id, code) for code in uow.sharing.codes(alliance_id)}
    found: list[planning.AgreementFacts] = []
    notice: list[int] = []
    ends: list[date] = []
    for code in sorted(stored):
        version = in_force(list(stored[code]), day)
        if version is None or member not in version.parties:
            continue
        clauses = {c.kind: c.params for c in clauses_in_force(code, day, stored, load_agreement_text)}
        exit_terms, ip, nc, term = (clauses.get(ClauseKind.EXIT), clauses.get(ClauseKind.IP),
                                    clauses.get(ClauseKind.NON_COMPETE), clauses.get(ClauseKind.TERM))
        if exit_terms is not None:
            notice.append(exit_terms.notice_days)
        if version.effective_until is not None:
            ends.append(version.effective_until)
        elif term is not None and term.renewal is Renewal.NONE:
            ends.append(term_end(term, version.effective_from))
        found.append(planning.AgreementFacts(
            code, version.version, tuple(version.parties),
            ExitPolicy(ip.after_exit.value) if ip is not None else None,
            ((nc.until, nc.scope, tuple(nc.parties)),) if nc is not None else (),
            tuple(k.value for k in exit_terms.survives) if exit_terms is not None else ()))
    return found, Terms(max(notice) if notice else None, max(ends) if ends else None)


def running_disputes(uow: UnitOfWork, alliance_id: int, member: str) -> list[planning.DisputeFacts]:
    return [planning.DisputeFacts(d.number, d.amount_minor, d.currency, d.status)
            for d in DisputeRepository(uow.connection).of_alliance(alliance_id)
            if d.status in RUNNING and member in (d.claimant, *d.respondents)]


def open_days(uow: UnitOfWork, alliance_id: int, joined_on: date, through: date) -> list[date]:
    """Days from the first day the alliance settled (or the member joined, if later) through `through`
    that are not closed. An alliance that never settled a day has none to settle."""
    closed = uow.settlement.closed(alliance_id)
    if not closed:
        return []
    day, found = max(min(closed), joined_on), []
    while day <= through:
        if day not in closed:
            found.append(day)
        day += timedelta(days=1)
    return found


def record_step(uow: UnitOfWork, alliance: Any, number: int, step: Step, actor: str, now: Any) -> None:
    ledger.record(uow, alliance.id, alliance.code, events.EXIT_STEP, actor, now, {
        "case": number, "step": step.key.value, "status": step.status.value, "due": step.due.isoformat(),
        "owner": step.owner, "sha256": value_digest(step_record(number, step))})


def load(uow: UnitOfWork, alliance_code: str, number: int, principal: Principal) -> tuple[Any, Case, int]:
    alliance = uow.alliances.require(alliance_code)
    case = uow.exits.get(alliance.id, number)
    case_id = uow.exits.case_id(alliance.id, number)
    if case is None or case_id is None or (principal.member is not None and case.member != principal.member):
        raise ExitCaseNotFound(Message("{alliance!r} has no exit case {case} for this account", alliance=alliance_code,
                                       case=number))
    return alliance, case, case_id


def save_step(uow: UnitOfWork, alliance: Any, case: Case, case_id: int, step: Step, actor: str, clock: Clock) -> None:
    now = clock.now()
    uow.exits.update_step(alliance.id, case_id, step, actor, now)
    record_step(uow, alliance, case.number, step, actor, now)
    after = replace(case, steps=tuple(step if s.key is step.key else s for s in case.steps))
    if after.closable:
        uow.exits.close(alliance.id, case_id, now)
        closed = replace(after, status="closed")
        ledger.record(uow, alliance.id, alliance.code, events.EXIT_CLOSED, actor, now, {
            "case": case.number, "member": case.member, "end_date": case.end_date.isoformat(), "status": "closed",
            "sha256": value_digest(case_record(closed))})


def reload(uow: UnitOfWork, alliance_id: int, number: int) -> Case:
    found = uow.exits.get(alliance_id, number)
    assert found is not None
    return found
