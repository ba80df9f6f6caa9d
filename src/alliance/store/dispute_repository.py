"""Disputes, their evidence and each alliance's escalation ladder, in the relational store.

Made per unit of work by the dispute service (`DisputeRepository(uow.connection)`); the evidence
files themselves are kept by the screening repository's content-addressed store (`evidence_files`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, insert, select, update

from alliance.store.tables import dispute_evidence, dispute_ladders, disputes


@dataclass(frozen=True, slots=True)
class StoredEvidence:
    party: str
    name: str
    sha256: str
    size: int
    added_by: str
    added_at: datetime


@dataclass(frozen=True, slots=True)
class StoredDispute:
    id: int
    number: int
    claimant: str
    respondents: list[str]
    agreement: str
    version: int
    rule_id: str
    days: list[str]
    amount_minor: int
    currency: str
    statement: str
    status: str
    level: int
    level_since: datetime
    ladder: dict[str, Any]
    opened_by: str
    opened_at: datetime
    response_due: datetime
    ruling_due: datetime
    answer: str | None
    answered_by: str | None
    answered_at: datetime | None
    closed_at: datetime | None
    report: str
    report_sha256: str
    ruling_ref: str | None
    appeal_until: datetime | None = None


def _dispute(row: Row[Any]) -> StoredDispute:
    return StoredDispute(**{name: getattr(row, name) for name in StoredDispute.__slots__})  # type: ignore[attr-defined]


class DisputeRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    # -- the ladder ---------------------------------------------------------------------------------
    def ladder(self, alliance_id: int) -> dict[str, Any] | None:
        return self._c.execute(select(dispute_ladders.c.ladder)
                               .where(dispute_ladders.c.alliance_id == alliance_id)).scalar_one_or_none()

    def set_ladder(self, alliance_id: int, ladder: dict[str, Any], actor: str, at: datetime) -> None:
        values = {"ladder": ladder, "updated_by": actor, "updated_at": at}
        done = self._c.execute(update(dispute_ladders).where(dispute_ladders.c.alliance_id == alliance_id)
                               .values(**values))
        if not done.rowcount:
            self._c.execute(insert(dispute_ladders).values(alliance_id=alliance_id, **values))

    # -- disputes -----------------------------------------------------------------------------------
    def next_number(self, alliance_id: int) -> int:
        top = self._c.execute(select(func.max(disputes.c.number))
                              .where(disputes.c.alliance_id == alliance_id)).scalar_one_or_none()
        return int(top or 0) + 1

    def add(self, alliance_id: int, values: Mapping[str, Any]) -> int:
        result = self._c.execute(insert(disputes).values(alliance_id=alliance_id, **values))
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def get(self, alliance_id: int, number: int) -> StoredDispute | None:
        row = self._c.execute(select(disputes).where(disputes.c.alliance_id == alliance_id,
                                                     disputes.c.number == number)).one_or_none()
        return None if row is None else _dispute(row)

    def of_alliance(self, alliance_id: int) -> list[StoredDispute]:
        return [_dispute(r) for r in self._c.execute(
            select(disputes).where(disputes.c.alliance_id == alliance_id).order_by(disputes.c.number))]

    def running(self) -> Iterator[tuple[int, StoredDispute]]:
        """(alliance id, dispute) of every unresolved dispute of every alliance (the scheduler's)."""
        for row in self._c.execute(select(disputes).where(disputes.c.status.in_(("open", "answered", "escalated")))
                                   .order_by(disputes.c.alliance_id, disputes.c.number)):
            yield int(row.alliance_id), _dispute(row)

    def update(self, alliance_id: int, number: int, **values: Any) -> None:
        self._c.execute(update(disputes).where(disputes.c.alliance_id == alliance_id, disputes.c.number == number)
                        .values(**values))

    # -- evidence -----------------------------------------------------------------------------------
    def add_evidence(self, alliance_id: int, dispute_id: int, evidence: StoredEvidence) -> None:
        self._c.execute(insert(dispute_evidence).values(
            alliance_id=alliance_id, dispute_id=dispute_id, party=evidence.party, name=evidence.name,
            sha256=evidence.sha256, size=evidence.size, added_by=evidence.added_by, added_at=evidence.added_at))

    def evidence(self, alliance_id: int, dispute_id: int) -> list[StoredEvidence]:
        return [StoredEvidence(r.party, r.name, r.sha256, int(r.size), r.added_by, r.added_at)
                for r in self._c.execute(select(dispute_evidence).where(
                    dispute_evidence.c.alliance_id == alliance_id, dispute_evidence.c.dispute_id == dispute_id)
                    .order_by(dispute_evidence.c.id))]

    # -- rulings (for the governance service: an accepted ruling proposal) ---------------------------
    def mark_ruled(self, alliance_id: int, number: int, ruling_ref: str, at: datetime) -> bool:
        """Mark a running dispute (open, answered, escalated) `ruled` by `ruling_ref`, resolved at `at`
        (its clock stops: `running` no longer yields it). False if it was not running (already ruled,
        closed or withdrawn, or no such dispute): nothing changed. The caller records `dispute.ruled`."""
        done = self._c.execute(update(disputes).where(
            disputes.c.alliance_id == alliance_id, disputes.c.number == number,
            disputes.c.status.in_(("open", "answered", "escalated"))).values(
                status="ruled", ruling_ref=ruling_ref[:64], closed_at=at))
        return bool(done.rowcount)
