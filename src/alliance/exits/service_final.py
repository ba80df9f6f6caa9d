"""The end of an exit case (docs/exit-cases.md): the final statement, its acknowledgements by the
member and the coordinator, and recording the end of membership on the end date (by hand, or by the
daily loop for every case whose day has come). Each opens its own unit of work; refused, nothing is
stored.

Who acknowledges: the leaving member's own admin (by its own account, even after its membership ended:
`READ_MEMBER_DATA` is what a departed member keeps) and the coordinator, each once. A platform admin
acknowledges for nobody. Recording the end: the coordinator (or the scheduler)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from alliance.access.policy import Action, Forbidden, authorize
from alliance.access.roles import Principal, Role
from alliance.core.clock import Clock, local_today
from alliance.core.errors import Conflict
from alliance.core.messages import Message
from alliance.core.money import Money
from alliance.exits import statement as final
from alliance.exits.cases import load, reload, save_step
from alliance.exits.errors import EndNotReached, ExitCaseClosed, ExitCaseNotFound, StatementChanged, StatementNotFinal
from alliance.exits.model import COORDINATOR, MEMBER, Acknowledgement, Case, Status, StepKey
from alliance.ledger import events
from alliance.ledger import service as ledger
from alliance.ledger.coverage import value_digest
from alliance.registry.lifecycle import Write, check_writable
from alliance.sharing.rules.form import N_
from alliance.store.database import Store, on_duplicate
from alliance.store.exit_repository import ack_record
from alliance.store.unit_of_work import UnitOfWork


def _statement(uow: UnitOfWork, alliance: Any, case: Case) -> dict[str, Any]:
    member = uow.members.get(alliance.id, alliance.code, alliance.currency, case.member)
    assert member is not None
    lines = [final.Line(run.day, line.agreement, line.version, line.rule_id, line.kind, line.amount_minor)
             for run in uow.settlement.runs_between(alliance.id, member.joined_on, case.end_date)
             for line in uow.settlement.lines(alliance.id, run.id, case.member)]
    paid = [final.PaidOut(p.number, p.payout.first_day, p.payout.last_day, p.payout.owed_minor)
            for p in uow.payouts.overlapping(alliance.id, case.member, member.joined_on, case.end_date)]
    held = Money.parse(str(case.step(StepKey.HOLDBACK).detail.get("amount") or "0"), alliance.currency).minor
    doc = final.build(case.member, alliance.currency, case.end_date, lines, paid, held)
    return {**doc, "case": case.number, "sha256": value_digest(doc)}


def final_statement(store: Store, alliance_code: str, number: int, principal: Principal) -> dict[str, Any]:
    """The member's final statement (docs/exit-cases.md), with its SHA-256, whether it is final (every
    day through the end date settled) and who acknowledged which version of it."""
    authorize(principal, Action.READ_MEMBER_DATA, alliance_code)
    with store.unit_of_work() as uow:
        alliance, case, _case_id = load(uow, alliance_code, number, principal)
        doc = _statement(uow, alliance, case)
    doc["final"] = case.step(StepKey.SETTLEMENT).status is Status.DONE
    doc["acknowledged"] = [{"party": a.party, "account": a.account, "sha256": a.statement_sha256,
                            "at": events.utc_text(a.at), "current": a.statement_sha256 == doc["sha256"]}
                           for a in case.acknowledgements]
    return doc


def _party(principal: Principal, case: Case) -> str:
    """Who acknowledges: the leaving member's own admin, or the coordinator; nobody else."""
    if principal.member is not None:
        authorize(principal, Action.READ_MEMBER_DATA, principal.alliance, case.member)
        if principal.role is not Role.MEMBER_ADMIN:
            raise Forbidden(Message("only the member's admin acknowledges its final statement"))
        return MEMBER
    if principal.role is Role.COORDINATOR:
        authorize(principal, Action.MANAGE_ALLIANCE, principal.alliance)
        return COORDINATOR
    raise Forbidden(Message("the final statement is acknowledged by the member's own admin and by the coordinator, "
                            "each by their own account"))


def acknowledge(store: Store, alliance_code: str, number: int, clock: Clock, *, principal: Principal) -> Case:
    """Acknowledge the final statement as it stands now (its SHA-256 is kept): once each by the member and
    the coordinator; the second completes the final-statement step. Refused: before every day through
    the end date is settled (StatementNotFinal), twice by one party, or when the statement changed
    since the other party acknowledged it (StatementChanged)."""
    authorize(principal, Action.READ_MEMBER_DATA, alliance_code)
    with store.unit_of_work() as uow:
        alliance, case, case_id = load(uow, alliance_code, number, principal)
        party = _party(principal, case)
        check_writable(alliance.code, alliance.status, Write.MEMBER_EXIT)
        uow.exits.hold(alliance.id)
        if case.status != "open":
            raise ExitCaseClosed(Message("exit case {case} is closed", case=number))
        if case.step(StepKey.SETTLEMENT).status is not Status.DONE:
            raise StatementNotFinal(Message("the final settlement of exit case {case} is not done: every day through "
                                            "{end} must be settled before the statement is acknowledged", case=number,
                                            end=case.end_date.isoformat()))
        if any(a.party == party for a in case.acknowledgements):
            raise Conflict(Message("the {party} already acknowledged the final statement of exit case {case}",
                                   party=party, case=number))
        sha256 = _statement(uow, alliance, case)["sha256"]
        if any(a.statement_sha256 != sha256 for a in case.acknowledgements):
            raise StatementChanged(Message("the final statement changed since the other party acknowledged it: "
                                           "look at it again"))
        now = clock.now()
        ack = Acknowledgement(party, principal.account, sha256, now)
        with on_duplicate(Conflict(Message("the {party} already acknowledged it", party=party))):
            uow.exits.add_ack(alliance.id, case_id, ack)
        ledger.record(uow, alliance.id, alliance.code, events.EXIT_ACKNOWLEDGED, principal.actor, now, {
            "case": number, "party": party, "account": principal.account[:200], "statement_sha256": sha256,
            "sha256": value_digest(ack_record(number, ack))})
        if len(case.acknowledgements) + 1 == 2:
            step = replace(case.step(StepKey.FINAL_STATEMENT), status=Status.DONE,
                           reason=N_("acknowledged by the member and the coordinator"))
            save_step(uow, alliance, case, case_id, step, principal.actor, clock)
        uow.commit()
        return reload(uow, alliance.id, number)


# -- the end of membership --------------------------------------------------------------------------------
def record_end(store: Store, alliance_code: str, number: int, clock: Clock, *, principal: Principal) -> Case:
    """Record that membership ended on the case's end date, once that day has come (the coordinator, or
    the scheduler: `record_ends_due`): registry.end_membership, then the end step done. Run again after
    a failure between the two, it finds the member gone and completes the step."""
    authorize(principal, Action.MANAGE_ALLIANCE, alliance_code)
    return _record_end(store, alliance_code, number, clock, principal.actor)


def record_opened_end(store: Store, alliance_code: str, number: int, clock: Clock, actor: str) -> Case:
    """`record_end` for the case a body's decision just opened (the caller authorised the decision)."""
    return _record_end(store, alliance_code, number, clock, actor)


def _record_end(store: Store, alliance_code: str, number: int, clock: Clock, actor: str) -> Case:
    from alliance.registry import service as registry

    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        case = uow.exits.get(alliance.id, number)
        if case is None:
            raise ExitCaseNotFound(Message("{alliance!r} has no exit case {case}", alliance=alliance_code, case=number))
        today = local_today(clock, alliance.timezone)
        member = uow.members.get(alliance.id, alliance.code, alliance.currency, case.member)
        assert member is not None
    step = case.step(StepKey.END)
    if step.status is Status.DONE:
        raise Conflict(Message("the end of exit case {case} is recorded already", case=number))
    if case.end_date > today:
        raise EndNotReached(Message("exit case {case} ends on {end}; today is {today}: record the end on or after "
                                    "that day", case=number, end=case.end_date.isoformat(), today=today.isoformat()))
    if member.left_on is None:
        registry.end_membership(store, alliance_code, case.member, case.end_date, clock)
        note = N_("membership ended on the end date")
    else:  # an expulsion decided meanwhile, or a departure recorded by hand: the registry keeps its day
        note = N_("membership had ended before the end date")
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        uow.exits.hold(alliance.id)
        case = reload(uow, alliance.id, number)
        case_id = uow.exits.case_id(alliance.id, number)
        assert case_id is not None
        if case.step(StepKey.END).status is not Status.DONE:
            save_step(uow, alliance, case, case_id, replace(case.step(StepKey.END), status=Status.DONE, reason=note),
                       actor, clock)
        uow.commit()
        return reload(uow, alliance.id, number)


def record_ends_due(store: Store, clock: Clock, actor: str = "scheduler") -> list[tuple[str, int]]:
    """Record the end of every open case whose end date has come (run by the daily loop, every minute,
    as the disputes' ladder is). One case's failure does not stop the others."""
    from alliance.core.errors import AllianceError

    with store.unit_of_work() as uow:
        zones = {a.id: (a.code, a.timezone) for a in uow.alliances.all()}
        due = uow.exits.ends_due(lambda aid: local_today(clock, zones[aid][1]))
    done = []
    for alliance_id, number in due:
        try:
            _record_end(store, zones[alliance_id][0], number, clock, actor)
            done.append((zones[alliance_id][0], number))
        except AllianceError:
            continue  # e.g. a dissolved alliance: the coordinator sees the case waiting
    return done
