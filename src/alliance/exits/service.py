"""Exit case use cases (docs/exit-cases.md): open a case from its trigger, read it, change a step,
enter items. The final statement, its acknowledgements and the end of membership are in
`exits.service_final` (re-exported here: the edges call one module). Each opens its own unit of work;
every write is recorded in the ledger in the same transaction, and a refused write stores nothing.

Who may do what (access.policy, no new actions):
- open a case: the coordinator (`MANAGE_ALLIANCE`) for any trigger; a member's own admin for its own
  voluntary notice (`ACT_FOR_MEMBER`);
- change a step, enter items: the coordinator;
- read: the coordinator and the auditor every case; a member's people their own member's cases
  only: another member's case is answered as not found (404), as its other data.

The other members keep working throughout: nothing here stops settlement, signatures or votes.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from alliance.access.policy import Action, authorize
from alliance.access.roles import Principal
from alliance.core.clock import Clock, local_today
from alliance.core.errors import Conflict, InvalidInput, MemberNotFound
from alliance.core.messages import Message, joined, to_document
from alliance.exits import plan as planning
from alliance.exits import rules
from alliance.exits.cases import agreements_of, load, open_days, record_step, reload, running_disputes, save_step
from alliance.exits.errors import ExitCaseClosed, ExitCaseOpen
from alliance.exits.model import FINISHED, ITEM_FIELDS, REQUIRED_ITEM_FIELDS, Case, Item, Status, StepKey, Trigger
from alliance.exits.service_final import (acknowledge, final_statement, record_end, record_ends_due,
                                          record_opened_end)
from alliance.exits.triggers import EndDate, end_date
from alliance.ledger import events
from alliance.ledger import service as ledger
from alliance.ledger.coverage import value_digest
from alliance.registry.lifecycle import Write, check_writable
from alliance.sharing import leaving_service
from alliance.operations.open_items import open_for as open_operations
from alliance.store.database import Store, on_duplicate
from alliance.store.exit_repository import case_record, item_record, recent_orders
from alliance.store.ip_repository import IpRepository
from alliance.store.unit_of_work import UnitOfWork

__all__ = ["acknowledge", "add_item", "as_json", "change_step", "check_item", "final_statement", "get_case",
           "list_cases", "open_case", "open_for_decision", "record_end", "record_ends_due", "record_opened_end"]
MAX_FIELD = 200
RECENT_ORDER_DAYS = 90


# -- opening --------------------------------------------------------------------------------------------
def open_case(store: Store, alliance_code: str, member: str, trigger: Trigger, decided_on: date, clock: Clock, *,
              principal: Principal, agreed_end: date | None = None, cure_days: int | None = None,
              reference: str = "", facts: Any = None) -> Case:
    """Open `member`'s exit case: its end date from the trigger (or `agreed_end`), its plan, each step
    recorded in the ledger. `facts` (a FactStore), when given, suggests the member's recent orders for
    the hand-over. Refused, nothing stored: a second open case (ExitCaseOpen), an unknown member, a
    member that left, a day before it joined, a trigger that gives no end date."""
    if trigger is Trigger.DISSOLUTION:  # opened for every member at once by the alliance's winding-up
        raise InvalidInput(Message("an exit case for a dissolution is opened by the dissolution itself (alliance "
                                   "dissolution start), for every member at once"))
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
        agreements, terms = agreements_of(uow, alliance.id, member, decided_on)
        end = end_date(trigger, decided_on, replace(terms, cure_days=cure_days), agreed_end)
        orders = recent_orders(facts, alliance.code, member, decided_on - timedelta(days=RECENT_ORDER_DAYS)) \
            if facts is not None else []
        steps = planning.plan(planning.Facts(
            member, trigger, decided_on, end, alliance.currency, agreements, IpRepository(uow.connection).register(
                alliance.id), running_disputes(uow, alliance.id, member), orders,
            [item.as_json() for item in open_operations(uow, alliance.id, member, end.day)]))
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
            record_step(uow, alliance, case.number, step, actor, now)
        uow.commit()
        stored = uow.exits.get(alliance.id, case.number)
    assert stored is not None
    return _propose_without(store, alliance_code, stored, actor, clock)


def _kept(text: str) -> dict[str, Any]:
    """A message stored in a step's detail: its English and its document (shown in the reader's language)."""
    return {"text": str(text), "doc": to_document(text)}


def _propose_without(store: Store, alliance_code: str, case: Case, actor: str, clock: Clock) -> Case:
    """For each agreement whose latest version still names the leaving member, its next version without
    it, proposed for the remaining parties to sign and taking effect the day after the end date
    (sharing.leaving_service: every check a version proposed by hand gets). The agreements step then
    lists what was proposed, with what changed, and stays flagged while any agreement could not be
    (the coordinator proposes those by hand); the other members keep working under the versions in
    force meanwhile. Each proposal is its own transaction: one refused leaves the others proposed."""
    step = case.step(StepKey.AGREEMENTS)
    if step.status in FINISHED or case.trigger is Trigger.DISSOLUTION:  # agreements end with the alliance
        return case
    proposals = leaving_service.propose_versions_without(store, alliance_code, case.member, case.end_date, actor,
                                                         clock)
    if not proposals:
        return case
    proposed = [{"agreement": p.agreement_code, "from_version": p.from_version, "version": p.version,
                 "effective_from": p.effective_from.isoformat(),
                 "changes": [{"where": c.where, **_kept(c.what)} for c in p.changes],
                 "not_proposed": None if p.not_proposed is None else _kept(p.not_proposed)} for p in proposals]
    status = Status.FLAGGED if any(p.version is None for p in proposals) else Status.OPEN
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        current = reload(uow, alliance.id, case.number)
        case_id = uow.exits.case_id(alliance.id, case.number)
        assert case_id is not None
        save_step(uow, alliance, current, case_id, replace(current.step(StepKey.AGREEMENTS), status=status,
                                                            detail={**step.detail, "proposed": proposed}),
                  actor, clock)
        uow.commit()
        return reload(uow, alliance.id, case.number)


# -- reading --------------------------------------------------------------------------------------------
def get_case(store: Store, alliance_code: str, number: int, principal: Principal) -> Case:
    """One case with its steps, items and acknowledgements (a member's people: their own only)."""
    authorize(principal, Action.READ_MEMBER_DATA, alliance_code)
    with store.unit_of_work() as uow:
        return load(uow, alliance_code, number, principal)[1]


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
        alliance, case, case_id = load(uow, alliance_code, number, principal)
        check_writable(alliance.code, alliance.status, Write.MEMBER_EXIT)
        uow.exits.hold(alliance.id)
        if owner is not None:
            current = {m.code for m in uow.members.of_alliance(alliance.id, alliance.code, alliance.currency)}
            owner = rules.check_owner(owner, case.member, current)
        joined = uow.members.get(alliance.id, alliance.code, alliance.currency, case.member)
        assert joined is not None
        now_facts = rules.Now([d.number for d in running_disputes(uow, alliance.id, case.member)],
                              open_days(uow, alliance.id, joined.joined_on, case.end_date)
                              if key is StepKey.SETTLEMENT else [], local_today(clock, alliance.timezone),
                              bool(case.acknowledgements))
        step = rules.change(case, key, status, reason, now_facts, owner)
        if key is StepKey.SETTLEMENT and status is Status.DONE:
            case = _refresh_holdback(uow, alliance, case, case_id, principal.actor, clock)
        save_step(uow, alliance, case, case_id, step, principal.actor, clock)
        uow.commit()
        return reload(uow, alliance.id, number)


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
                                         alliance.currency, disputes=running_disputes(uow, alliance.id, case.member)))
    step = next(s for s in fresh if s.key is StepKey.HOLDBACK)
    if (step.detail, step.status) == (current.detail, current.status) or (
            not step.detail["disputes"] and current.status is Status.WAIVED):
        return case
    uow.exits.update_step(alliance.id, case_id, step, actor, clock.now())
    record_step(uow, alliance, case.number, step, actor, clock.now())
    return replace(case, steps=tuple(step if s.key is StepKey.HOLDBACK else s for s in case.steps))


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
        raise InvalidInput(joined(problems))
    return cleaned


def add_item(store: Store, alliance_code: str, number: int, step: StepKey, values: dict[str, str], clock: Clock, *,
             principal: Principal) -> Case:
    """Enter an item under the hand-over, staff or assets step (the coordinator). A hand-over item's
    successor must be another current member."""
    authorize(principal, Action.MANAGE_ALLIANCE, alliance_code)
    fields = check_item(step, values)
    with store.unit_of_work() as uow:
        alliance, case, case_id = load(uow, alliance_code, number, principal)
        check_writable(alliance.code, alliance.status, Write.MEMBER_EXIT)
        if case.status != "open":
            raise ExitCaseClosed(Message("exit case {case} is closed: nothing more is entered", case=number))
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
        return reload(uow, alliance.id, number)


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
