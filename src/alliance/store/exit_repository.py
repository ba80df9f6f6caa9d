"""Exit cases in the relational store: cases, their steps, entered items and acknowledgements; every
query scoped by alliance. Made per unit of work by the exit service (`uow.exits`).

`*_record` functions give each row as the plain values its ledger entry's SHA-256 covers: written and
verified alike (ledger.coverage.Exit*Kind), timestamps left out (they are in the entry itself).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from alliance.exits.model import Acknowledgement, Case, Item, Status, Step, StepKey, Trigger
from alliance.store.duplicates import refuses_duplicates
from alliance.store.tables import alliances, exit_acknowledgements, exit_cases, exit_items, exit_steps


def case_record(c: Case) -> dict[str, Any]:
    return {"number": c.number, "member": c.member, "trigger": c.trigger.value, "decided_on": c.decided_on.isoformat(),
            "end_date": c.end_date.isoformat(), "basis": c.basis, "reference": c.reference, "status": c.status,
            "opened_by": c.opened_by}


def step_record(case: int, s: Step) -> dict[str, Any]:
    return {"case": case, "step": s.key.value, "owner": s.owner, "due": s.due.isoformat(), "status": s.status.value,
            "reason": s.reason, "detail": s.detail, "waivable": s.waivable}


def item_record(case: int, i: Item) -> dict[str, Any]:
    return {"case": case, "step": i.step.value, "item": i.number, "fields": i.fields, "added_by": i.added_by}


def ack_record(case: int, a: Acknowledgement) -> dict[str, Any]:
    return {"case": case, "party": a.party, "account": a.account, "statement_sha256": a.statement_sha256}


def _case(r: Any) -> Case:
    return Case(int(r.number), r.member_code, Trigger(r.trigger), r.decided_on, r.end_date, r.basis, r.reference,
                r.status, r.opened_by, r.opened_at, r.closed_at)


def _step(r: Any) -> Step:
    return Step(StepKey(r.step_key), r.owner, r.due, Status(r.status), r.reason, dict(r.detail or {}), bool(r.waivable))


class ExitRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def hold(self, alliance_id: int) -> None:
        """One exit change of an alliance at a time until the transaction ends (as PayoutRepository.hold)."""
        if self._c.dialect.name == "sqlite":
            self._c.execute(update(alliances).where(alliances.c.id == alliance_id).values(id=alliances.c.id))
        else:
            self._c.execute(select(alliances.c.id).where(alliances.c.id == alliance_id).with_for_update())

    # -- cases ------------------------------------------------------------------------------------------
    def next_number(self, alliance_id: int) -> int:
        last = self._c.execute(select(func.max(exit_cases.c.number))
                               .where(exit_cases.c.alliance_id == alliance_id)).scalar_one_or_none()
        return int(last or 0) + 1

    def open_number(self, alliance_id: int, member: str) -> int | None:
        """The number of the member's open case, if it has one."""
        found = self._c.execute(select(exit_cases.c.number).where(
            exit_cases.c.alliance_id == alliance_id, exit_cases.c.open_member == member)).scalar_one_or_none()
        return None if found is None else int(found)

    @refuses_duplicates
    def add_case(self, alliance_id: int, c: Case) -> int:
        return int(self._c.execute(insert(exit_cases).values(
            alliance_id=alliance_id, number=c.number, member_code=c.member, open_member=c.member,
            trigger=c.trigger.value, decided_on=c.decided_on, end_date=c.end_date, basis=c.basis[:500],
            reference=c.reference[:200], status=c.status, opened_by=c.opened_by[:200], opened_at=c.opened_at,
            closed_at=None)).inserted_primary_key[0])

    def close(self, alliance_id: int, case_id: int, at: datetime) -> None:
        self._c.execute(update(exit_cases).where(exit_cases.c.alliance_id == alliance_id, exit_cases.c.id == case_id)
                        .values(status="closed", open_member=None, closed_at=at))

    def case_id(self, alliance_id: int, number: int) -> int | None:
        found = self._c.execute(select(exit_cases.c.id).where(exit_cases.c.alliance_id == alliance_id,
                                                              exit_cases.c.number == number)).scalar_one_or_none()
        return None if found is None else int(found)

    def get(self, alliance_id: int, number: int) -> Case | None:
        r = self._c.execute(select(exit_cases).where(exit_cases.c.alliance_id == alliance_id,
                                                     exit_cases.c.number == number)).one_or_none()
        if r is None:
            return None
        steps = tuple(_step(s) for s in self._c.execute(select(exit_steps).where(exit_steps.c.case_id == r.id)
                                                        .order_by(exit_steps.c.id)))
        items = tuple(Item(StepKey(i.step_key), int(i.number), dict(i.fields), i.added_by, i.added_at)
                      for i in self._c.execute(select(exit_items).where(exit_items.c.case_id == r.id)
                                               .order_by(exit_items.c.step_key, exit_items.c.number)))
        acks = tuple(Acknowledgement(a.party, a.account, a.statement_sha256, a.acknowledged_at)
                     for a in self._c.execute(select(exit_acknowledgements).where(
                         exit_acknowledgements.c.case_id == r.id).order_by(exit_acknowledgements.c.id)))
        return replace(_case(r), steps=steps, items=items, acknowledgements=acks)

    def cases(self, alliance_id: int, member: str | None = None) -> list[Case]:
        """The cases (of one member when named), newest first, without their steps."""
        query = select(exit_cases).where(exit_cases.c.alliance_id == alliance_id).order_by(exit_cases.c.number.desc())
        if member is not None:
            query = query.where(exit_cases.c.member_code == member)
        return [_case(r) for r in self._c.execute(query)]

    def erased(self, alliance_id: int, member: str) -> bool:
        """Whether the member's data was erased (a case of its whose data step records the erasure):
        what the erasure emptied must not be filled again (roles for it, its contact details)."""
        query = (select(exit_steps.c.detail).join(exit_cases, exit_cases.c.id == exit_steps.c.case_id)
                 .where(exit_cases.c.alliance_id == alliance_id, exit_cases.c.member_code == member,
                        exit_steps.c.step_key == StepKey.DATA.value))
        return any(isinstance(d, dict) and "erasure" in d for d in self._c.execute(query).scalars())

    def ends_due(self, today_of: Any) -> list[tuple[int, int]]:
        """(alliance id, case number) of every open case whose end date has come (`today_of(alliance_id)`
        gives the alliance's today) and whose end step is not done yet."""
        rows = self._c.execute(select(exit_cases.c.alliance_id, exit_cases.c.number, exit_cases.c.end_date)
                               .select_from(exit_cases.join(exit_steps, exit_steps.c.case_id == exit_cases.c.id))
                               .where(exit_cases.c.status == "open", exit_steps.c.step_key == StepKey.END.value,
                                      exit_steps.c.status == Status.OPEN.value))
        return [(int(r.alliance_id), int(r.number)) for r in rows if r.end_date <= today_of(int(r.alliance_id))]

    # -- steps, items, acknowledgements -------------------------------------------------------------------
    def add_step(self, alliance_id: int, case_id: int, s: Step, by: str, at: datetime) -> None:
        self._c.execute(insert(exit_steps).values(
            alliance_id=alliance_id, case_id=case_id, step_key=s.key.value, owner=s.owner, due=s.due,
            status=s.status.value, reason=s.reason[:1000], detail=s.detail, waivable=s.waivable, revision=1,
            changed_by=by[:200], changed_at=at))

    def update_step(self, alliance_id: int, case_id: int, s: Step, by: str, at: datetime) -> None:
        self._c.execute(update(exit_steps).where(exit_steps.c.alliance_id == alliance_id,
                                                 exit_steps.c.case_id == case_id,
                                                 exit_steps.c.step_key == s.key.value)
                        .values(owner=s.owner, due=s.due, status=s.status.value, reason=s.reason[:1000],
                                detail=s.detail, waivable=s.waivable, revision=exit_steps.c.revision + 1,
                                changed_by=by[:200], changed_at=at))

    def next_item(self, case_id: int, step: StepKey) -> int:
        last = self._c.execute(select(func.max(exit_items.c.number)).where(
            exit_items.c.case_id == case_id, exit_items.c.step_key == step.value)).scalar_one_or_none()
        return int(last or 0) + 1

    @refuses_duplicates
    def add_item(self, alliance_id: int, case_id: int, item: Item) -> None:
        self._c.execute(insert(exit_items).values(alliance_id=alliance_id, case_id=case_id, step_key=item.step.value,
                                                  number=item.number, fields=item.fields, added_by=item.added_by[:200],
                                                  added_at=item.added_at))

    @refuses_duplicates
    def add_ack(self, alliance_id: int, case_id: int, a: Acknowledgement) -> None:
        self._c.execute(insert(exit_acknowledgements).values(
            alliance_id=alliance_id, case_id=case_id, party=a.party, account=a.account[:200],
            statement_sha256=a.statement_sha256, acknowledged_at=a.at))

    # -- verification ---------------------------------------------------------------------------------
    def recorded(self, alliance_id: int) -> dict[str, list[dict[str, Any]]]:
        """Every stored case, step, item and acknowledgement as verification reads them."""
        numbers = {int(r.id): int(r.number) for r in self._c.execute(
            select(exit_cases.c.id, exit_cases.c.number).where(exit_cases.c.alliance_id == alliance_id))}
        cases = [case_record(_case(r)) for r in self._c.execute(
            select(exit_cases).where(exit_cases.c.alliance_id == alliance_id).order_by(exit_cases.c.id))]
        steps = [step_record(numbers.get(int(r.case_id), 0), _step(r)) for r in self._c.execute(
            select(exit_steps).where(exit_steps.c.alliance_id == alliance_id).order_by(exit_steps.c.id))]
        items = [item_record(numbers.get(int(r.case_id), 0), Item(StepKey(r.step_key), int(r.number), dict(r.fields),
                                                                   r.added_by, r.added_at))
                 for r in self._c.execute(select(exit_items).where(exit_items.c.alliance_id == alliance_id)
                                          .order_by(exit_items.c.id))]
        acks = [ack_record(numbers.get(int(r.case_id), 0), Acknowledgement(r.party, r.account, r.statement_sha256,
                                                                            r.acknowledged_at))
                for r in self._c.execute(select(exit_acknowledgements).where(
                    exit_acknowledgements.c.alliance_id == alliance_id).order_by(exit_acknowledgements.c.id))]
        return {"cases": cases, "steps": steps, "items": items, "acks": acks}


def recent_orders(facts: Any, alliance: str, seller: str, since: date, limit: int = 20) -> list[str]:
    """The member's most recent order ids as seller since `since` (newest first, at most `limit`):
    suggestions for the hand-over, read from the fact store."""
    rows = facts.query("SELECT order_id, max(business_day) AS last FROM order_lines WHERE alliance = ? AND seller = ? "
                       "AND business_day >= ? GROUP BY order_id ORDER BY last DESC, order_id LIMIT ?",
                       [alliance, seller, since, limit])
    return [str(r[0]) for r in rows]
