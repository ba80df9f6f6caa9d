"""Erasing what the alliance no longer needs of a member that has left (docs/exit-cases.md "Erasing what
the alliance no longer needs"): the exit case's data step, done by this action only (exits.rules
BY_ACTION). What is erased and kept: exits.erasure.

Who: the coordinator (`MANAGE_ALLIANCE`, as every change of a case). When: once the member has left and
the archive's retrieval window (the data step's due date) has come; once. One unit of work erases,
records `member.data_erased` (the counts per kind and the SHA-256 of the targets: never a name),
records each pseudonymised staff item again (its row's new SHA-256) and marks the data step done with
the erasure's summary; a refusal changes nothing.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from alliance.access.policy import Action, authorize
from alliance.access.roles import Principal
from alliance.core.clock import Clock, local_today
from alliance.exits import erasure as er
from alliance.exits.cases import load, reload, save_step
from alliance.exits.model import Case, Status, StepKey
from alliance.ledger import events
from alliance.ledger import service as ledger
from alliance.ledger.coverage import value_digest
from alliance.registry.lifecycle import Write, check_writable
from alliance.sharing.rules.form import N_
from alliance.store.database import Store
from alliance.store.erasure_repository import ErasureRepository
from alliance.store.exit_repository import item_record
from alliance.store.unit_of_work import UnitOfWork


def preview_erasure(store: Store, alliance_code: str, number: int, clock: Clock, *,
                    principal: Principal) -> dict[str, Any]:
    """What erasing the case's member's data would do now (counts per kind, nothing changed), and
    whether it may be done today (`ready`, else `refused`: the reason)."""
    from alliance.core.errors import AllianceError

    authorize(principal, Action.MANAGE_ALLIANCE, alliance_code)
    with store.unit_of_work() as uow:
        alliance, case, _case_id = load(uow, alliance_code, number, principal)
        member = uow.members.get(alliance.id, alliance.code, alliance.currency, case.member)
        assert member is not None
        plan = er.plan(ErasureRepository(uow.connection).inputs(alliance.id, case.member))
        refused = None
        try:
            er.check_erasable(case, member.left_on, local_today(clock, alliance.timezone))
        except AllianceError as exc:
            refused = exc.message
    return {**plan.summary(), "ready": refused is None, "refused": refused,
            "retrieval_until": case.step(StepKey.DATA).due.isoformat()}


def erase_member_data(store: Store, alliance_code: str, number: int, clock: Clock, *, principal: Principal) -> Case:
    """Erase what the alliance no longer needs of the case's member and mark the data step done.
    Refused, nothing changed: before the member left (MemberNotLeft), before the data step's due date
    (WindowOpen, naming the date), a second time (DataErased), by anyone but the coordinator."""
    from alliance.access import service as access

    authorize(principal, Action.MANAGE_ALLIANCE, alliance_code)
    with store.unit_of_work() as uow:
        alliance, _case, case_id = load(uow, alliance_code, number, principal)
        check_writable(alliance.code, alliance.status, Write.MEMBER_EXIT)
        uow.exits.hold(alliance.id)
        case = reload(uow, alliance.id, number)  # as it stands once held: a concurrent erasure is seen
        member = uow.members.get(alliance.id, alliance.code, alliance.currency, case.member)
        assert member is not None
        today = local_today(clock, alliance.timezone)
        er.check_erasable(case, member.left_on, today)
        repository = ErasureRepository(uow.connection)
        inputs = repository.inputs(alliance.id, case.member)
        erasure = er.plan(inputs)
        now = clock.now()
        repository.apply(alliance.id, inputs, erasure, now)
        summary = {"case": number, **erasure.summary()}
        ledger.record(uow, alliance.id, alliance.code, events.MEMBER_DATA_ERASED, principal.actor, now, summary)
        _record_staff_items(uow, alliance, erasure, principal.actor, now)
        step = case.step(StepKey.DATA)
        step = replace(step, status=Status.DONE, reason=N_("erased what the alliance no longer needs; kept what the "
                                                           "law requires"),
                       detail={**step.detail, "erasure": {**erasure.summary(), "erased_on": today.isoformat()}})
        save_step(uow, alliance, case, case_id, step, principal.actor, clock)
        uow.commit()
        after = reload(uow, alliance.id, number)
    for key in inputs.keys:  # this process read them lately: they stop working now, not a second later
        access.forget_key(store, key.prefix)
    return after


def _record_staff_items(uow: UnitOfWork, alliance: Any, erasure: er.Erasure, actor: str, now: Any) -> None:
    """Each pseudonymised staff item's row again, as its entry states it (coverage.ExitItemKind reads
    the latest entry of an item: the row with the pseudonym)."""
    for kind, key in erasure.targets:
        if kind != "staff_names":
            continue
        case_number, item_number = (int(part) for part in key.split("."))
        case = reload(uow, alliance.id, case_number)
        item = next(i for i in case.items if i.step is StepKey.STAFF and i.number == item_number)
        ledger.record(uow, alliance.id, alliance.code, events.EXIT_ITEM, actor, now, {
            "case": case_number, "step": item.step.value, "item": item.number,
            "sha256": value_digest(item_record(case_number, item))})
