"""Charges of shared operations and their lines, in the relational store; every query scoped by alliance.

Made per unit of work by the services that need it (`ChargeRepository(uow.connection)`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import Connection, insert, select, update

from alliance.operations.charges import Charge, ChargeLine
from alliance.store.tables import operation_charge_lines, operation_charges


class ChargeRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, alliance_id: int, source: str, reference: str, title: str, currency: str, at: datetime,
            actor: str, lines: Sequence[ChargeLine]) -> int:
        result = self._c.execute(insert(operation_charges).values(
            alliance_id=alliance_id, source=source, reference=reference, title=title, currency=currency,
            created_at=at, created_by=actor[:200], booked_on=None))
        charge_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        self._c.execute(insert(operation_charge_lines), [
            {"alliance_id": alliance_id, "charge_id": charge_id, "position": n, "account": l.account,
             "amount_minor": l.amount_minor, "base_minor": l.base_minor, "rate": l.rate}
            for n, l in enumerate(lines, start=1)])
        return charge_id

    def of_alliance(self, alliance_id: int, *, pending_only: bool = False, source: str | None = None,
                    reference: str | None = None, reference_prefix: str | None = None) -> list[Charge]:
        """The alliance's charges in the order they were scheduled, with their lines."""
        t = operation_charges
        query = select(t).where(t.c.alliance_id == alliance_id).order_by(t.c.id)
        if pending_only:
            query = query.where(t.c.booked_on.is_(None))
        if source is not None:
            query = query.where(t.c.source == source)
        if reference is not None:
            query = query.where(t.c.reference == reference)
        if reference_prefix is not None:
            query = query.where(t.c.reference.startswith(reference_prefix, autoescape=True))
        rows = self._c.execute(query).all()
        lines: dict[int, list[ChargeLine]] = {r.id: [] for r in rows}
        if rows:
            l = operation_charge_lines
            for chunk in _chunks(list(lines), 500):
                for row in self._c.execute(select(l).where(l.c.alliance_id == alliance_id, l.c.charge_id.in_(chunk))
                                           .order_by(l.c.charge_id, l.c.position)):
                    lines[row.charge_id].append(ChargeLine(row.account, int(row.amount_minor), int(row.base_minor),
                                                           row.rate))
        return [Charge(r.id, r.source, r.reference, r.title, r.currency, tuple(lines[r.id]), r.created_at,
                       r.created_by, r.booked_on) for r in rows]

    def pending(self, alliance_id: int) -> list[Charge]:
        return self.of_alliance(alliance_id, pending_only=True)

    def mark_booked(self, alliance_id: int, ids: Sequence[int], day: date) -> int:
        """Book the pending charges `ids` on `day`; how many were still pending (a run that raced
        another and lost finds fewer: the caller then rolls back)."""
        if not ids:
            return 0
        done = 0
        for chunk in _chunks(list(ids), 500):
            result = self._c.execute(update(operation_charges).where(
                operation_charges.c.alliance_id == alliance_id, operation_charges.c.id.in_(chunk),
                operation_charges.c.booked_on.is_(None)).values(booked_on=day))
            done += int(result.rowcount)
        return done


def _chunks(items: list[int], size: int) -> list[list[int]]:
    return [items[i:i + size] for i in range(0, len(items), size)]
