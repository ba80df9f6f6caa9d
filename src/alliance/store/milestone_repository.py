"""Milestones in the relational store; every query scoped by alliance.

Made per unit of work by the services that need it (`MilestoneRepository(uow.connection)`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from alliance.sharing.milestones import Evidence, Milestone, Status
from alliance.store.tables import milestones


def _milestone(r: Any) -> Milestone:
    return Milestone(r.id, r.agreement, r.rule_id, r.version, Status(r.status),
                     tuple(Evidence(e["name"], e["sha256"]) for e in r.evidence), r.recorded_by, r.recorded_at,
                     r.decided_by, r.decided_at, r.note, r.booked_on)


class MilestoneRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, alliance_id: int, agreement: str, rule_id: str, version: int, evidence: Sequence[Evidence],
            actor: str, at: datetime) -> int:
        result = self._c.execute(insert(milestones).values(
            alliance_id=alliance_id, agreement=agreement, rule_id=rule_id, version=version,
            status=Status.RECORDED.value, evidence=[{"name": e.name, "sha256": e.sha256} for e in evidence],
            recorded_by=actor[:200], recorded_at=at))
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def of_alliance(self, alliance_id: int, agreement: str | None = None) -> list[Milestone]:
        query = select(milestones).where(milestones.c.alliance_id == alliance_id).order_by(milestones.c.id)
        if agreement is not None:
            query = query.where(milestones.c.agreement == agreement)
        return [_milestone(r) for r in self._c.execute(query)]

    def current(self, alliance_id: int, agreement: str, rule_id: str) -> Milestone | None:
        """The rule's milestone that is open or confirmed (at most one), if any."""
        row = self._c.execute(select(milestones).where(
            milestones.c.alliance_id == alliance_id, milestones.c.agreement == agreement,
            milestones.c.rule_id == rule_id,
            milestones.c.status.in_([Status.RECORDED.value, Status.CONFIRMED.value]))).first()
        return _milestone(row) if row is not None else None

    def decide(self, alliance_id: int, milestone_id: int, status: Status, actor: str, at: datetime,
               note: str | None) -> int:
        """Confirm or reject an open milestone; how many were still open (0: decided meanwhile)."""
        done = self._c.execute(update(milestones).where(
            milestones.c.alliance_id == alliance_id, milestones.c.id == milestone_id,
            milestones.c.status == Status.RECORDED.value).values(
            status=status.value, decided_by=actor[:200], decided_at=at, note=note))
        return int(done.rowcount)

    def pending(self, alliance_id: int) -> list[Milestone]:
        """The confirmed milestones whose tranche no run has booked yet."""
        return [_milestone(r) for r in self._c.execute(select(milestones).where(
            milestones.c.alliance_id == alliance_id, milestones.c.status == Status.CONFIRMED.value,
            milestones.c.booked_on.is_(None)).order_by(milestones.c.id))]

    def mark_booked(self, alliance_id: int, ids: Sequence[int], day: date) -> int:
        """Book the pending milestones `ids` on `day`; how many were still pending (a run that raced
        another and lost finds fewer: the caller then rolls back)."""
        if not ids:
            return 0
        done = self._c.execute(update(milestones).where(
            milestones.c.alliance_id == alliance_id, milestones.c.id.in_(list(ids)),
            milestones.c.status == Status.CONFIRMED.value, milestones.c.booked_on.is_(None)).values(booked_on=day))
        return int(done.rowcount)
