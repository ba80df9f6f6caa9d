"""Fund releases and their parts, in the relational store; every query scoped by alliance.

Made per unit of work by the services that need it (`FundReleaseRepository(uow.connection)`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import Connection, func, insert, select, update

from alliance.settlement.fund_releases import FundRelease, Part
from alliance.store.tables import fund_release_parts, fund_releases, statement_lines


class FundReleaseRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, alliance_id: int, fund: str, agreement: str, cause: str, currency: str, at: datetime, actor: str,
            parts: Sequence[tuple[str, int]]) -> int:
        result = self._c.execute(insert(fund_releases).values(
            alliance_id=alliance_id, fund=fund, agreement=agreement, cause=cause, currency=currency, created_at=at,
            created_by=actor[:200], booked_on=None))
        release_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        self._c.execute(insert(fund_release_parts), [
            {"alliance_id": alliance_id, "release_id": release_id, "position": n, "member": member,
             "amount_minor": minor} for n, (member, minor) in enumerate(parts, start=1)])
        return release_id

    def of_alliance(self, alliance_id: int, *, pending_only: bool = False) -> list[FundRelease]:
        """The alliance's releases in the order they were scheduled, with their parts."""
        query = select(fund_releases).where(fund_releases.c.alliance_id == alliance_id).order_by(fund_releases.c.id)
        if pending_only:
            query = query.where(fund_releases.c.booked_on.is_(None))
        rows = self._c.execute(query).all()
        parts: dict[int, list[Part]] = {r.id: [] for r in rows}
        if rows:
            for p in self._c.execute(select(fund_release_parts).where(
                    fund_release_parts.c.alliance_id == alliance_id,
                    fund_release_parts.c.release_id.in_(list(parts)))
                    .order_by(fund_release_parts.c.release_id, fund_release_parts.c.position)):
                parts[p.release_id].append(Part(p.member, int(p.amount_minor)))
        return [FundRelease(r.id, r.fund, r.agreement, r.cause, r.currency, r.created_at, r.created_by, r.booked_on,
                            tuple(parts[r.id])) for r in rows]

    def pending(self, alliance_id: int) -> list[FundRelease]:
        return self.of_alliance(alliance_id, pending_only=True)

    def mark_booked(self, alliance_id: int, ids: Sequence[int], day: date) -> int:
        """Book the pending releases `ids` on `day`; how many were still pending (a run that raced
        another and lost finds fewer: the caller then rolls back)."""
        if not ids:
            return 0
        done = self._c.execute(update(fund_releases).where(
            fund_releases.c.alliance_id == alliance_id, fund_releases.c.id.in_(list(ids)),
            fund_releases.c.booked_on.is_(None)).values(booked_on=day))
        return int(done.rowcount)

    def account_balance(self, alliance_id: int, account: str) -> int:
        """The sum of every statement line of `account` over all closed days (minor units)."""
        total = self._c.execute(select(func.coalesce(func.sum(statement_lines.c.amount_minor), 0)).where(
            statement_lines.c.alliance_id == alliance_id, statement_lines.c.account == account)).scalar_one()
        return int(total)
