"""Payouts and payout currencies in the relational store, append-only; every query is scoped by
alliance. Reached through the unit of work (`uow.payouts`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from alliance.settlement.payouts import Payout
from alliance.store.duplicates import refuses_duplicates
from alliance.store.tables import alliances, payout_currency_choices, payouts


@dataclass(frozen=True, slots=True)
class CurrencyChoice:
    member: str
    currency: str
    set_at: datetime
    set_by: str


@dataclass(frozen=True, slots=True)
class StoredPayout:
    number: int
    payout: Payout
    rate_source: str
    created_at: datetime
    actor: str


def _payout(r: Any) -> StoredPayout:
    return StoredPayout(int(r.number), Payout(
        r.member_code, r.first_day, r.last_day, r.payout_day, r.settlement_currency, int(r.owed_minor),
        r.payee_currency, Decimal(r.rate), int(r.paid_minor), int(r.value_back_minor), int(r.difference_minor)),
        r.rate_source, r.created_at, r.actor)


class PayoutRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def hold(self, alliance_id: int) -> None:
        """Make this alliance's payouts one at a time until the transaction ends, so that the days
        found unpaid stay unpaid until it commits (as `FxRepository.hold`: PostgreSQL locks the
        alliance's row; on SQLite an UPDATE that changes nothing takes the write lock now)."""
        if self._c.dialect.name == "sqlite":
            self._c.execute(update(alliances).where(alliances.c.id == alliance_id).values(id=alliances.c.id))
        else:
            self._c.execute(select(alliances.c.id).where(alliances.c.id == alliance_id).with_for_update())

    # -- currencies ----------------------------------------------------------------------------------
    def add_choice(self, alliance_id: int, member: str, currency: str, at: datetime, by: str) -> None:
        self._c.execute(insert(payout_currency_choices).values(alliance_id=alliance_id, member_code=member,
                                                               currency=currency, set_at=at, set_by=by[:200]))

    def choices(self, alliance_id: int, member: str | None = None) -> list[CurrencyChoice]:
        """Every choice made (of one member when named), oldest first: the last of a member is in force."""
        query = (select(payout_currency_choices).where(payout_currency_choices.c.alliance_id == alliance_id)
                 .order_by(payout_currency_choices.c.id))
        if member is not None:
            query = query.where(payout_currency_choices.c.member_code == member)
        return [CurrencyChoice(r.member_code, r.currency, r.set_at, r.set_by) for r in self._c.execute(query)]

    def currency_of(self, alliance_id: int, member: str) -> str | None:
        """The member's payout currency in force (None: never chosen)."""
        found = self.choices(alliance_id, member)
        return found[-1].currency if found else None

    # -- payouts ----------------------------------------------------------------------------------------
    def overlapping(self, alliance_id: int, member: str, first: date, last: date) -> list[StoredPayout]:
        """The member's payouts covering any day of first..last."""
        rows = self._c.execute(select(payouts).where(
            payouts.c.alliance_id == alliance_id, payouts.c.member_code == member, payouts.c.first_day <= last,
            payouts.c.last_day >= first).order_by(payouts.c.first_day))
        return [_payout(r) for r in rows]

    def next_number(self, alliance_id: int) -> int:
        last = self._c.execute(select(func.max(payouts.c.number))
                               .where(payouts.c.alliance_id == alliance_id)).scalar_one_or_none()
        return int(last or 0) + 1

    @refuses_duplicates
    def add(self, alliance_id: int, number: int, p: Payout, rate_source: str, at: datetime, actor: str) -> None:
        self._c.execute(insert(payouts).values(
            alliance_id=alliance_id, number=number, member_code=p.member, first_day=p.first_day,
            last_day=p.last_day, payout_day=p.payout_day, settlement_currency=p.settlement_currency,
            owed_minor=p.owed_minor, payee_currency=p.payee_currency, rate=p.rate_text, rate_source=rate_source[:200],
            paid_minor=p.paid_minor, value_back_minor=p.value_back_minor, difference_minor=p.difference_minor,
            created_at=at, actor=actor[:200]))

    def get(self, alliance_id: int, number: int) -> StoredPayout | None:
        r = self._c.execute(select(payouts).where(payouts.c.alliance_id == alliance_id,
                                                  payouts.c.number == number)).one_or_none()
        return None if r is None else _payout(r)

    def page(self, alliance_id: int, member: str | None, limit: int, offset: int) -> tuple[list[StoredPayout], int]:
        """Newest payout first (of one member when named), and how many in all."""
        where = [payouts.c.alliance_id == alliance_id]
        if member is not None:
            where.append(payouts.c.member_code == member)
        total = int(self._c.execute(select(func.count()).select_from(payouts).where(*where)).scalar_one())
        rows = self._c.execute(select(payouts).where(*where).order_by(payouts.c.number.desc())
                               .limit(limit).offset(offset))
        return [_payout(r) for r in rows], total

    def between(self, alliance_id: int, first: date, last: date) -> list[StoredPayout]:
        """The payouts paid on the days first..last, by payout day and number (for the journal)."""
        rows = self._c.execute(select(payouts).where(payouts.c.alliance_id == alliance_id,
                                                     payouts.c.payout_day >= first, payouts.c.payout_day <= last)
                               .order_by(payouts.c.payout_day, payouts.c.number))
        return [_payout(r) for r in rows]

    def recorded(self, alliance_id: int) -> list[dict[str, Any]]:
        """Every stored payout as verification reads it (ledger.coverage.PayoutKind)."""
        return [record_of(p) for p in (_payout(r) for r in self._c.execute(
            select(payouts).where(payouts.c.alliance_id == alliance_id).order_by(payouts.c.id)))]


def record_of(stored: StoredPayout) -> dict[str, Any]:
    """A payout as plain values: what its ledger entry's SHA-256 covers (written and verified alike)."""
    p = stored.payout
    return {"number": stored.number, "member": p.member, "first_day": p.first_day.isoformat(),
            "last_day": p.last_day.isoformat(), "payout_day": p.payout_day.isoformat(),
            "settlement_currency": p.settlement_currency, "owed_minor": p.owed_minor,
            "payee_currency": p.payee_currency, "rate": p.rate_text, "rate_source": stored.rate_source,
            "paid_minor": p.paid_minor, "value_back_minor": p.value_back_minor,
            "difference_minor": p.difference_minor, "actor": stored.actor}
