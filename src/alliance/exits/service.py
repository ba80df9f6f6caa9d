"""Exit case use cases (docs/exit-cases.md): open a case from its trigger, read it, change a step,
enter items, the final statement and its acknowledgements, and recording the end of membership.
Each opens its own unit of work; every write is recorded in the ledger in the same transaction, and
a refused write stores nothing.

Who may do what (access.policy, no new actions):
- open a case: the coordinator (`MANAGE_ALLIANCE`) for any trigger; a member's own admin for its own
  voluntary notice (`ACT_FOR_MEMBER`);
- change a step, enter items, record the end: the coordinator;
- read: the coordinator and the auditor every case; a member's people their own member's cases
  only: another member's case is answered as not found (404), as its other data;
- acknowledge the final statement: the leaving member's own admin (by its own account, even after
  its membership ended: `READ_MEMBER_DATA` is what a departed member keeps) and the coordinator, each
  once. A platform admin acknowledges for nobody.

The other members keep working throughout: nothing here stops settlement, signatures or votes.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from alliance.access.policy import Action, Forbidden, authorize
from alliance.access.roles import Principal, Role
from alliance.core.clock import Clock, local_today
from alliance.core.errors import Conflict, InvalidInput, MemberNotFound
from alliance.core.messages import Message
from alliance.core.money import Money
from alliance.exits import plan as planning
from alliance.exits import rules
from alliance.exits import statement as final
from alliance.exits.errors import (EndNotReached, ExitCaseNotFound, ExitCaseOpen, StatementChanged,
                                   StatementNotFinal)
from alliance.exits.model import (COORDINATOR, ITEM_FIELDS, MEMBER, REQUIRED_ITEM_FIELDS, Acknowledgement, Case,
                                  Item, Status, Step, StepKey, Trigger)
from alliance.exits.triggers import EndDate, Terms, end_date
from alliance.governance.escalation import RUNNING
from alliance.ip.exit import ExitPolicy
from alliance.ledger import events
from alliance.ledger import service as ledger
from alliance.ledger.coverage import value_digest
from alliance.registry.lifecycle import Write, check_writable
from alliance.sharing.agreement import load_agreement_text
from alliance.sharing.clauses.base import ClauseKind
from alliance.sharing.clauses.term import Renewal, term_end
from alliance.sharing.layers import clauses_in_force
from alliance.sharing.rules.form import N_
from alliance.sharing.versions import in_force
from alliance.store.database import Store, on_duplicate
from alliance.store.dispute_repository import DisputeRepository
from alliance.store.exit_repository import ack_record, case_record, item_record, recent_orders, step_record
from alliance.store.ip_repository import IpRepository
from alliance.store.unit_of_work import UnitOfWork

MAX_FIELD = 200
RECENT_ORDER_DAYS = 90


# -- reading what the alliance says about the member ------------------------------------------------------
def _agreements(uow: UnitOfWork, alliance_id: int, member: str, day: date) -> tuple[list[planning.AgreementFacts],
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


def _running_disputes(uow: UnitOfWork, alliance_id: int, member: str) -> list[planning.DisputeFacts]:
    return [planning.DisputeFacts(d.number, d.amount_minor, d.currency, d.status)
            for d in DisputeRepository(uow.connection).of_alliance(alliance_id)
            if d.status in RUNNING and member in (d.claimant, *d.respondents)]


def _open_days(uow: UnitOfWork, alliance_id: int, joined_on: date, through: date) -> list[date]:
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


# -- opening --------------------------------------------------------------------------------------------
def open_case(store: Store, alliance_code: str, member: str, trigger: Trigger, decided_on: date, clock: Clock, *,
              principal: Principal, agreed_end: date | None = None, cure_days: int | None = None,
              reference: str = "", facts: Any = None) -> Case:
    """Open `member`'s exit case: its end date from the trigger (or `agreed_end`), its plan, each step
    recorded in the ledger. `facts` (a FactStore), when given, suggests the member's recent orders for
    the hand-over. Refused, nothing stored: a second open case (ExitCaseOpen), an unknown member, a
    member that left, a day before it joined, a trigger that gives no end date."""
    if trigger is Trigger.VOLUNTARY and principal.member is not None:
        authorize(principal, Action.ACT_FOR_MEMBER, alliance_code, member)
    else:
        authorize(principal, Action.MANAGE_ALLIANCE, alliance_code)
    return _open(store, alliance_code, member, trigger, decided_on, clock, principal.actor, agreed_end, cure_days,
                 reference, facts)


def open_for_decision(store: Store, alliance_code: str, member: str, trigger: Trigger, reference: str,
                      clock: Clock, actor: str) -> Case | None:
    """The case a body's decision opens (governance.effects.exclude_member), ending that day; None when
    the member already has an open case (the decision then ends its membership at once and the open
    case's end step notes it when it is recorded). The caller authorised the decision."""
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        if uow.exits.open_number(alliance.id, member) is not None:
            return None
        today = local_today(clock, alliance.timezone)
    return _open(store, alliance_code, member, trigger, today, clock, actor, None, None, reference, None)


def _open(store: Store, alliance_code: str, member: str, trigger: Trigger, decided_on: date, clock: Clock, actor: str,
          agreed_end: date | None, cure_days: int | None, reference: str, facts: Any) -> Case:
    reference = (reference or "").strip()
    if len(reference) > MAX_FIELD:
        raise InvalidInput(Message("a reference is at most {most} characters", most=MAX_FIELD))
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        check_writable(alliance.code, alliance.status, Write.MEMBER_EXIT)
        found = uow.members.get(alliance.id, alliance.code, alliance.currency, member)
        if found is None:
            raise MemberNotFound(alliance_code, member)
        if found.left_on is not None:
            raise Conflict(Message("{member} left {alliance} on {day}: its exit is over", member=member,
                                   alliance=alliance_code, day=found.left_on.isoformat()))
        if decided_on < found.joined_on:
            raise InvalidInput(Message("{member} joined on {joined}; an exit cannot start on {day}, before it",
                                       member=member, joined=found.joined_on.isoformat(), day=decided_on.isoformat()))
        uow.exits.hold(alliance.id)
        if (number := uow.exits.open_number(alliance.id, member)) is not None:
            raise ExitCaseOpen(Message("{member} already has an open exit case ({case}): one at a time",
                                       member=member, case=number))
        agreements, terms = _agreements(uow, alliance.id, member, decided_on)
        end = end_date(trigger, decided_on, replace(terms, cure_days=cure_days), agreed_end)
        orders = recent_orders(facts, alliance.code, member, decided_on - timedelta(days=RECENT_ORDER_DAYS)) \
            if facts is not None else []
        steps = planning.plan(planning.Facts(
            member, trigger, decided_on, end, alliance.currency, agreements, IpRepository(uow.connection).register(
                alliance.id), _running_disputes(uow, alliance.id, member), orders))
        now = clock.now()
        case = Case(uow.exits.next_number(alliance.id), member, trigger, decided_on, end.day, end.basis,
                    reference, "open", actor[:200], now, None, steps)
        with on_duplicate(ExitCaseOpen(Message("{member} already has an open exit case: one at a time",
                                               member=member))):
            case_id = uow.exits.add_case(alliance.id, case)
        record = case_record(case)
        # Every role of the alliance reads the entries: the trigger (an insolvency, a breach) stays in the row,
        # covered by its SHA-256; who leaves and when is public anyway (member.left).
        ledger.record(uow, alliance.id, alliance.code, events.EXIT_OPENED, actor, now, {
            "case": case.number, "member": member, "end_date": end.day.isoformat(), "status": "open",
            "sha256": value_digest(record)})
        for step in steps:
            uow.exits.add_step(alliance.id, case_id, step, actor, now)
            _record_step(uow, alliance, case.number, step, actor, now)
        uow.commit()
        stored = uow.exits.get(alliance.id, case.number)
    assert stored is not None
    return stored


def _record_step(uow: UnitOfWork, alliance: Any, number: int, step: Step, actor: str, now: Any) -> None:
    ledger.record(uow, alliance.id, alliance.code, events.EXIT_STEP, actor, now, {
        "case": number, "step": step.key.value, "status": step.status.value, "due": step.due.isoformat(),
        "owner": step.owner, "sha256": value_digest(step_record(number, step))})


# -- reading --------------------------------------------------------------------------------------------
def _load(uow: UnitOfWork, alliance_code: str, number: int, principal: Principal) -> tuple[Any, Case, int]:
    alliance = uow.alliances.require(alliance_code)
    case = uow.exits.get(alliance.id, number)
    case_id = uow.exits.case_id(alliance.id, number)
    if case is None or case_id is None or (principal.member is not None and case.member != principal.member):
        raise ExitCaseNotFound(Message("{alliance!r} has no exit case {case} for this account", alliance=alliance_code,
                                       case=number))
    return alliance, case, case_id


def get_case(store: Store, alliance_code: str, number: int, principal: Principal) -> Case:
    """One case with its steps, items and acknowledgements (a member's people: their own only)."""
    authorize(principal, Action.READ_MEMBER_DATA, alliance_code)
    with store.unit_of_work() as uow:
        return _load(uow, alliance_code, number, principal)[1]


def list_cases(store: Store, alliance_code: str, principal: Principal) -> list[Case]:
    """The cases, newest first (a member's people: their own member's only), without their steps."""
    authorize(principal, Action.READ_MEMBER_DATA, alliance_code)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        return uow.exits.cases(alliance.id, principal.member)


# -- changing steps, entering items ---------------------------------------------------------------------
def change_step(store: Store, alliance_code: str, number: int, key: StepKey, status: Status, reason: str,
                clock: Clock, *, principal: Principal, owner: str | None = None) -> Case:
    """Set a step's status (done, waived with a reason, open again, flagged) and optionally its owner
    (the coordinator); the case closes when every step is done or waived. Refusals: exits.rules."""
    authorize(principal, Action.MANAGE_ALLIANCE, alliance_code)
    with store.unit_of_work() as uow:
        alliance, case, case_id = _load(uow, alliance_code, number, principal)
        check_writable(alliance.code, alliance.status, Write.MEMBER_EXIT)
        uow.exits.hold(alliance.id)
        if owner is not None:
            current = {m.code for m in uow.members.of_alliance(alliance.id, alliance.code, alliance.currency)}
            owner = rules.check_owner(owner, case.member, current)
        joined = uow.members.get(alliance.id, alliance.code, alliance.currency, case.member)
        assert joined is not None
        now_facts = rules.Now([d.number for d in _running_disputes(uow, alliance.id, case.member)],
                              _open_days(uow, alliance.id, joined.joined_on, case.end_date)
                              if key is StepKey.SETTLEMENT else [], local_today(clock, alliance.timezone),
                              bool(case.acknowledgements))
        step = rules.change(case, key, status, reason, now_facts, owner)
        if key is StepKey.SETTLEMENT and status is Status.DONE:
            case = _refresh_holdback(uow, alliance, case, case_id, principal.actor, clock)
        _save_step(uow, alliance, case, case_id, step, principal.actor, clock)
        uow.commit()
        return _reload(uow, alliance.id, number)


def _refresh_holdback(uow: UnitOfWork, alliance: Any, case: Case, case_id: int, actor: str, clock: Clock) -> Case:
    """Fix the holdback when the final settlement is done (the statement is final from then on): the
    disputes naming the member that are running now, which may have been opened after the case was.
    A holdback already released stays released; an unchanged one is not recorded again."""
    current = case.step(StepKey.HOLDBACK)
    if current.status is Status.DONE:
        return case
    joined = uow.members.get(alliance.id, alliance.code, alliance.currency, case.member)
    assert joined is not None
    fresh = planning.plan(planning.Facts(case.member, case.trigger, case.decided_on, EndDate(case.end_date, case.basis),
                                         alliance.currency, disputes=_running_disputes(uow, alliance.id, case.member)))
    step = next(s for s in fresh if s.key is StepKey.HOLDBACK)
    if (step.detail, step.status) == (current.detail, current.status) or (
            not step.detail["disputes"] and current.status is Status.WAIVED):
        return case
    uow.exits.update_step(alliance.id, case_id, step, actor, clock.now())
    _record_step(uow, alliance, case.number, step, actor, clock.now())
    return replace(case, steps=tuple(step if s.key is StepKey.HOLDBACK else s for s in case.steps))


def _save_step(uow: UnitOfWork, alliance: Any, case: Case, case_id: int, step: Step, actor: str, clock: Clock) -> None:
    now = clock.now()
    uow.exits.update_step(alliance.id, case_id, step, actor, now)
    _record_step(uow, alliance, case.number, step, actor, now)
    after = replace(case, steps=tuple(step if s.key is step.key else s for s in case.steps))
    if after.closable:
        uow.exits.close(alliance.id, case_id, now)
        closed = replace(after, status="closed")
        ledger.record(uow, alliance.id, alliance.code, events.EXIT_CLOSED, actor, now, {
            "case": case.number, "member": case.member, "end_date": case.end_date.isoformat(), "status": "closed",
            "sha256": value_digest(case_record(closed))})


def _reload(uow: UnitOfWork, alliance_id: int, number: int) -> Case:
    found = uow.exits.get(alliance_id, number)
    assert found is not None
    return found


def check_item(step: StepKey, values: dict[str, str]) -> dict[str, str]:
    """An item's fields, trimmed and checked (every problem at once): its step's fields only, the
    required ones present, dates as YYYY-MM-DD."""
    if step not in ITEM_FIELDS:
        raise InvalidInput(Message("items are entered under {steps} only, not {step}",
                                   steps=", ".join(s.value for s in ITEM_FIELDS), step=step.value))
    known = dict(ITEM_FIELDS[step])
    problems: list[Message] = []
    cleaned: dict[str, str] = {}
    for name, value in values.items():
        text = str(value or "").strip()
        if name not in known:
            problems.append(Message("{name!r} is not a field of a {step} item", name=name[:40], step=step.value))
        elif len(text) > MAX_FIELD:
            problems.append(Message("{name}: at most {most} characters", name=name, most=MAX_FIELD))
        elif text and known[name]:
            try:
                cleaned[name] = date.fromisoformat(text).isoformat()
            except ValueError:
                problems.append(Message("{name}: {value!r} is not a date (YYYY-MM-DD)", name=name, value=text[:40]))
        elif text:
            cleaned[name] = text
    problems += [Message("{name} is required", name=name) for name in REQUIRED_ITEM_FIELDS[step] if name not in cleaned]
    if problems:
        from alliance.core.messages import joined

        raise InvalidInput(joined(problems))
    return cleaned


def add_item(store: Store, alliance_code: str, number: int, step: StepKey, values: dict[str, str], clock: Clock, *,
             principal: Principal) -> Case:
    """Enter an item under the hand-over, staff or assets step (the coordinator). A hand-over item's
    successor must be another current member."""
    authorize(principal, Action.MANAGE_ALLIANCE, alliance_code)
    fields = check_item(step, values)
    with store.unit_of_work() as uow:
        alliance, case, case_id = _load(uow, alliance_code, number, principal)
        check_writable(alliance.code, alliance.status, Write.MEMBER_EXIT)
        if case.status != "open":
            raise rules.ExitCaseClosed(Message("exit case {case} is closed: nothing more is entered", case=number))
        if "successor" in fields:
            current = {m.code for m in uow.members.of_alliance(alliance.id, alliance.code, alliance.currency)}
            if fields["successor"] not in current or fields["successor"] == case.member:
                raise InvalidInput(Message("successor: {code!r} is not another current member", code=fields["successor"]))
        uow.exits.hold(alliance.id)
        now = clock.now()
        item = Item(step, uow.exits.next_item(case_id, step), fields, principal.actor[:200], now)
        uow.exits.add_item(alliance.id, case_id, item)
        ledger.record(uow, alliance.id, alliance.code, events.EXIT_ITEM, principal.actor, now, {
            "case": number, "step": step.value, "item": item.number, "sha256": value_digest(item_record(number, item))})
        uow.commit()
        return _reload(uow, alliance.id, number)


# -- the final statement ----------------------------------------------------------------------------------
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
        alliance, case, _case_id = _load(uow, alliance_code, number, principal)
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
        alliance, case, case_id = _load(uow, alliance_code, number, principal)
        party = _party(principal, case)
        check_writable(alliance.code, alliance.status, Write.MEMBER_EXIT)
        uow.exits.hold(alliance.id)
        if case.status != "open":
            raise rules.ExitCaseClosed(Message("exit case {case} is closed", case=number))
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
            _save_step(uow, alliance, case, case_id, step, principal.actor, clock)
        uow.commit()
        return _reload(uow, alliance.id, number)


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
        case = _reload(uow, alliance.id, number)
        case_id = uow.exits.case_id(alliance.id, number)
        assert case_id is not None
        if case.step(StepKey.END).status is not Status.DONE:
            _save_step(uow, alliance, case, case_id, replace(case.step(StepKey.END), status=Status.DONE, reason=note),
                       actor, clock)
        uow.commit()
        return _reload(uow, alliance.id, number)


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


def as_json(case: Case) -> dict[str, Any]:
    """A case as the API, the CLI and the pages give it."""
    return {
        "case": case.number, "member": case.member, "trigger": case.trigger.value,
        "decided_on": case.decided_on.isoformat(), "end_date": case.end_date.isoformat(), "basis": case.basis,
        "reference": case.reference, "status": case.status, "opened_by": case.opened_by,
        "opened_at": events.utc_text(case.opened_at),
        "closed_at": None if case.closed_at is None else events.utc_text(case.closed_at),
        "steps": [{"step": s.key.value, "owner": s.owner, "due": s.due.isoformat(), "status": s.status.value,
                   "reason": s.reason, "waivable": s.waivable, "detail": s.detail} for s in case.steps],
        "items": [{"step": i.step.value, "item": i.number, "fields": i.fields, "added_by": i.added_by,
                   "added_at": events.utc_text(i.added_at)} for i in case.items],
        "acknowledgements": [{"party": a.party, "account": a.account, "statement_sha256": a.statement_sha256,
                              "at": events.utc_text(a.at)} for a in case.acknowledgements],
    }
