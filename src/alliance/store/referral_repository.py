"""Loading and saving lead referral (operations.referrals): the programme, referrals, their linked
orders and the commission each run booked. Every query is scoped by alliance_id."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.engine import Row

from alliance.operations.referrals.leads import normal_contact, normal_name
from alliance.operations.referrals.model import (Consent, ConsentHow, Extension, LeadDraft, LeadKind, Programme,
                                                 Referral, State)
from alliance.store.duplicates import refuses_duplicates
from alliance.store.tables import referral_commissions, referral_orders, referral_programmes, referrals


def _referral(row: Row[Any], orders: Sequence[str]) -> Referral:
    return Referral(
        id=row.id, number=row.number, from_member=row.from_member, to_member=row.to_member, kind=LeadKind(row.kind),
        lead_name=row.lead_name, lead_contact=row.lead_contact, products=row.products,
        consent=Consent(row.consent_by, row.consent_at, ConsentHow(row.consent_how)), submitted_on=row.submitted_on,
        window_ends=row.window_ends, state=State(row.state), reason=row.reason, created_at=row.created_at,
        created_by=row.created_by, decided_at=row.decided_at, extension=Extension(row.extension),
        extension_days=row.extension_days, extended_days=row.extended_days, extension_reason=row.extension_reason,
        booked_minor=row.booked_minor, final_on=row.final_on, orders=tuple(orders))


class ReferralRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    # -- the programme ---------------------------------------------------------------------------------
    def programme(self, alliance_id: int) -> Programme:
        row = self._c.execute(select(referral_programmes).where(
            referral_programmes.c.alliance_id == alliance_id)).first()
        if row is None:
            return Programme()
        return Programme(row.commission_rate, row.hold_days, row.window_days, row.max_extension_days)

    def set_programme(self, alliance_id: int, programme: Programme, at: datetime, by: str) -> None:
        values = {"commission_rate": programme.commission_rate, "hold_days": programme.hold_days,
                  "window_days": programme.window_days, "max_extension_days": programme.max_extension_days,
                  "updated_at": at, "updated_by": by}
        done = self._c.execute(update(referral_programmes).where(
            referral_programmes.c.alliance_id == alliance_id).values(**values))
        if done.rowcount == 0:
            self._c.execute(insert(referral_programmes).values(alliance_id=alliance_id, **values))

    # -- referrals -----------------------------------------------------------------------------------------
    def _orders(self, alliance_id: int, ids: Sequence[int]) -> dict[int, list[str]]:
        found: dict[int, list[str]] = {}
        if not ids:
            return found
        rows = self._c.execute(select(referral_orders.c.referral_id, referral_orders.c.order_id).where(
            referral_orders.c.alliance_id == alliance_id, referral_orders.c.referral_id.in_(list(ids)))
            .order_by(referral_orders.c.id))
        for referral_id, order_id in rows:
            found.setdefault(referral_id, []).append(order_id)
        return found

    def all(self, alliance_id: int, *, member: str | None = None, states: Sequence[State] | None = None,
            final: bool | None = None) -> list[Referral]:
        """The alliance's referrals by number (those `member` sent or received, if given)."""
        query = select(referrals).where(referrals.c.alliance_id == alliance_id).order_by(referrals.c.number)
        if member is not None:
            query = query.where((referrals.c.from_member == member) | (referrals.c.to_member == member))
        if states is not None:
            query = query.where(referrals.c.state.in_([s.value for s in states]))
        if final is False:
            query = query.where(referrals.c.final_on.is_(None))
        rows = self._c.execute(query).all()
        orders = self._orders(alliance_id, [r.id for r in rows])
        return [_referral(r, orders.get(r.id, ())) for r in rows]

    def get(self, alliance_id: int, number: int, *, lock: bool = False) -> Referral | None:
        """The referral; `lock`: its row FOR UPDATE (PostgreSQL), so that two answers at once (accept and
        reject, two links) run one after the other, the second judged on what the first wrote."""
        query = select(referrals).where(referrals.c.alliance_id == alliance_id, referrals.c.number == number)
        row = self._c.execute(query.with_for_update() if lock else query).first()
        return None if row is None else _referral(row, self._orders(alliance_id, [row.id]).get(row.id, ()))

    def holding_window(self, alliance_id: int, to_member: str, name: str, contact: str) -> list[Referral]:
        """The referrals to `to_member` of the same normalised name or contact that hold a window."""
        name_key, contact_key = normal_name(name), normal_contact(contact)
        rows = self._c.execute(select(referrals).where(
            referrals.c.alliance_id == alliance_id, referrals.c.to_member == to_member,
            referrals.c.state.in_([State.SUBMITTED.value, State.ACCEPTED.value, State.CONVERTED.value]),
            (referrals.c.name_key == name_key) | (referrals.c.contact_key == contact_key))).all()
        return [_referral(r, ()) for r in rows]

    @refuses_duplicates
    def add(self, alliance_id: int, from_member: str, draft: LeadDraft, submitted_on: date, window_ends: date,
            at: datetime, by: str) -> int:
        """Store a new referral under the next number; its number."""
        number = (self._c.execute(select(func.max(referrals.c.number)).where(
            referrals.c.alliance_id == alliance_id)).scalar() or 0) + 1
        assert draft.consent is not None
        self._c.execute(insert(referrals).values(
            alliance_id=alliance_id, number=number, from_member=from_member, to_member=draft.to_member,
            kind=draft.kind.value, lead_name=draft.name, lead_contact=draft.contact,
            name_key=normal_name(draft.name), contact_key=normal_contact(draft.contact), products=draft.products,
            note=draft.note, consent_by=draft.consent.by, consent_at=draft.consent.at,
            consent_how=draft.consent.how.value, submitted_on=submitted_on, window_ends=window_ends,
            state=State.SUBMITTED.value, reason="", created_at=at, created_by=by, decided_at=None, decided_by=None,
            extension=Extension.NONE.value, extension_days=0, extended_days=0, extension_reason="", booked_minor=0,
            final_on=None))
        return number

    def change(self, alliance_id: int, number: int, **values: Any) -> None:
        for key, value in list(values.items()):
            if isinstance(value, (State, Extension)):
                values[key] = value.value
        self._c.execute(update(referrals).where(referrals.c.alliance_id == alliance_id,
                                                referrals.c.number == number).values(**values))

    # -- orders ----------------------------------------------------------------------------------------------
    def linked_elsewhere(self, alliance_id: int, order_ids: Sequence[str]) -> dict[str, int]:
        """order id -> the number of the referral it is linked to, for those linked."""
        if not order_ids:
            return {}
        rows = self._c.execute(select(referral_orders.c.order_id, referrals.c.number)
                               .join(referrals, referrals.c.id == referral_orders.c.referral_id)
                               .where(referral_orders.c.alliance_id == alliance_id,
                                      referral_orders.c.order_id.in_(list(order_ids))))
        return {order_id: number for order_id, number in rows}

    def all_linked(self, alliance_id: int) -> set[str]:
        return set(self._c.execute(select(referral_orders.c.order_id).where(
            referral_orders.c.alliance_id == alliance_id)).scalars())

    @refuses_duplicates
    def link(self, alliance_id: int, referral_id: int, order_ids: Sequence[str], at: datetime, by: str) -> None:
        self._c.execute(insert(referral_orders), [
            {"alliance_id": alliance_id, "referral_id": referral_id, "order_id": o, "linked_at": at, "linked_by": by}
            for o in order_ids])

    # -- commission ------------------------------------------------------------------------------------------
    def book(self, alliance_id: int, referral_id: int, day: date, booked_before: int, target: int,
             final_on: date | None) -> int:
        """Record the run's target if nobody booked this referral since `booked_before` was read: 1, else 0."""
        done = self._c.execute(update(referrals).where(
            referrals.c.alliance_id == alliance_id, referrals.c.id == referral_id,
            referrals.c.booked_minor == booked_before, referrals.c.final_on.is_(None))
            .values(booked_minor=target, final_on=final_on))
        if done.rowcount != 1:
            return 0
        self._c.execute(insert(referral_commissions).values(
            alliance_id=alliance_id, referral_id=referral_id, day=day, target_minor=target,
            delta_minor=target - booked_before))
        return 1

    def commissions(self, alliance_id: int, referral_id: int | None = None) -> list[Row[Any]]:
        query = select(referral_commissions).where(referral_commissions.c.alliance_id == alliance_id)
        if referral_id is not None:
            query = query.where(referral_commissions.c.referral_id == referral_id)
        return list(self._c.execute(query.order_by(referral_commissions.c.day, referral_commissions.c.id)))
