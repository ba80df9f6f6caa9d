"""Corrections of rulings and their transfers, in the relational store; every query scoped by alliance.

Made per unit of work by the services that need it (`CorrectionRepository(uow.connection)`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, insert, select, update

from alliance.store.tables import correction_transfers, corrections


@dataclass(frozen=True, slots=True)
class StoredTransfer:
    payer: str
    payee: str
    amount_minor: int


@dataclass(frozen=True, slots=True)
class StoredCorrection:
    id: int
    dispute_number: int
    ruling_ref: str
    currency: str
    created_at: datetime
    created_by: str
    booked_on: date | None
    transfers: tuple[StoredTransfer, ...]


class CorrectionRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, alliance_id: int, dispute_number: int, ruling_ref: str, currency: str, at: datetime, actor: str,
            transfers: Sequence[tuple[str, str, int]]) -> int:
        result = self._c.execute(insert(corrections).values(
            alliance_id=alliance_id, dispute_number=dispute_number, ruling_ref=ruling_ref, currency=currency,
            created_at=at, created_by=actor[:200], booked_on=None))
        correction_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        self._c.execute(insert(correction_transfers), [
            {"alliance_id": alliance_id, "correction_id": correction_id, "position": n, "payer": payer,
             "payee": payee, "amount_minor": minor} for n, (payer, payee, minor) in enumerate(transfers, start=1)])
        return correction_id

    def of_alliance(self, alliance_id: int, *, pending_only: bool = False) -> list[StoredCorrection]:
        """The alliance's corrections in the order they were scheduled, with their transfers."""
        query = select(corrections).where(corrections.c.alliance_id == alliance_id).order_by(corrections.c.id)
        if pending_only:
            query = query.where(corrections.c.booked_on.is_(None))
        rows = self._c.execute(query).all()
        transfers: dict[int, list[StoredTransfer]] = {r.id: [] for r in rows}
        if rows:
            for t in self._c.execute(select(correction_transfers).where(
                    correction_transfers.c.alliance_id == alliance_id,
                    correction_transfers.c.correction_id.in_(list(transfers)))
                    .order_by(correction_transfers.c.correction_id, correction_transfers.c.position)):
                transfers[t.correction_id].append(StoredTransfer(t.payer, t.payee, int(t.amount_minor)))
        return [StoredCorrection(r.id, r.dispute_number, r.ruling_ref, r.currency, r.created_at, r.created_by,
                                 r.booked_on, tuple(transfers[r.id])) for r in rows]

    def pending(self, alliance_id: int) -> list[StoredCorrection]:
        return self.of_alliance(alliance_id, pending_only=True)

    def mark_booked(self, alliance_id: int, ids: Sequence[int], day: date) -> int:
        """Book the pending corrections `ids` on `day`; how many were still pending (a run that
        raced another and lost finds fewer: the caller then rolls back)."""
        if not ids:
            return 0
        done = self._c.execute(update(corrections).where(
            corrections.c.alliance_id == alliance_id, corrections.c.id.in_(list(ids)),
            corrections.c.booked_on.is_(None)).values(booked_on=day))
        return int(done.rowcount)
