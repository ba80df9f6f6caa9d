"""Loading and saving joint purchasing: campaigns, their supplier quotes, members' commitments (with
every change kept) and deliveries. Every query is scoped by alliance_id (or a campaign of it). Two
writers saving the same key at once (a campaign's number, a member's first commitment): the second
gets AlreadyStored (409), not the driver's error."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.engine import Row

from alliance.operations.purchasing.tiers import Quote, Tier
from alliance.store.duplicates import refuses_duplicates
from alliance.store.tables import (
    purchase_campaigns, purchase_commitment_changes, purchase_commitments, purchase_deliveries, purchase_quotes,
)


def quote_of(row: Row[Any]) -> Quote:
    return Quote(row.supplier, row.account, tuple(Tier(int(n), Decimal(p)) for n, p in row.tiers))


def tiers_json(quote: Quote) -> list[list[Any]]:
    return [[t.min_quantity, str(t.unit_price)] for t in quote.tiers]


class PurchasingRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    # -- campaigns ----------------------------------------------------------------------------------
    def next_number(self, alliance_id: int) -> int:
        found = self._c.execute(select(func.max(purchase_campaigns.c.number))
                                .where(purchase_campaigns.c.alliance_id == alliance_id)).scalar_one_or_none()
        return int(found or 0) + 1

    @refuses_duplicates
    def add_campaign(self, alliance_id: int, values: Mapping[str, Any]) -> int:
        return int(self._c.execute(insert(purchase_campaigns).values(alliance_id=alliance_id, **values)
                                   .returning(purchase_campaigns.c.id)).scalar_one())

    def campaign(self, alliance_id: int, number: int, *, lock: bool = False) -> Row[Any] | None:
        """The campaign; `lock`: its row FOR UPDATE (PostgreSQL), so that two writers of one campaign (two
        closes, a delivery recorded twice, a member's commitment changed from two tabs) run one after the
        other and the second sees what the first wrote, instead of both booking from the same old state."""
        query = select(purchase_campaigns).where(purchase_campaigns.c.alliance_id == alliance_id,
                                                 purchase_campaigns.c.number == number)
        return self._c.execute(query.with_for_update() if lock else query).first()

    def campaigns(self, alliance_id: int, state: str | None = None) -> list[Row[Any]]:
        query = select(purchase_campaigns).where(purchase_campaigns.c.alliance_id == alliance_id)
        if state is not None:
            query = query.where(purchase_campaigns.c.state == state)
        return list(self._c.execute(query.order_by(purchase_campaigns.c.number.desc())))

    def due(self, now: datetime) -> list[tuple[int, int]]:
        """(alliance_id, number) of every open campaign whose deadline has passed, in every alliance."""
        return [(r.alliance_id, r.number) for r in self._c.execute(
            select(purchase_campaigns.c.alliance_id, purchase_campaigns.c.number)
            .where(purchase_campaigns.c.state == "open", purchase_campaigns.c.deadline <= now)
            .order_by(purchase_campaigns.c.alliance_id, purchase_campaigns.c.number))]

    def update_campaign(self, campaign_id: int, values: Mapping[str, Any]) -> None:
        self._c.execute(update(purchase_campaigns).where(purchase_campaigns.c.id == campaign_id).values(**values))

    # -- quotes -------------------------------------------------------------------------------------
    @refuses_duplicates
    def add_quote(self, alliance_id: int, campaign_id: int, quote: Quote, at: datetime, by: str) -> int:
        number = int(self._c.execute(select(func.count()).select_from(purchase_quotes)
                                     .where(purchase_quotes.c.campaign_id == campaign_id)).scalar_one()) + 1
        self._c.execute(insert(purchase_quotes).values(
            alliance_id=alliance_id, campaign_id=campaign_id, number=number, supplier=quote.supplier,
            account=quote.account, tiers=tiers_json(quote), created_at=at, created_by=by))
        return number

    def quotes(self, campaign_id: int) -> list[Quote]:
        return [quote_of(r) for r in self._c.execute(select(purchase_quotes)
                                                     .where(purchase_quotes.c.campaign_id == campaign_id)
                                                     .order_by(purchase_quotes.c.number))]

    # -- commitments --------------------------------------------------------------------------------
    def commitments(self, campaign_id: int) -> dict[str, Row[Any]]:
        """member → its commitment row, in the order members first committed."""
        return {r.member: r for r in self._c.execute(select(purchase_commitments)
                                                     .where(purchase_commitments.c.campaign_id == campaign_id)
                                                     .order_by(purchase_commitments.c.id))}

    @refuses_duplicates
    def save_commitment(self, alliance_id: int, campaign_id: int, member: str, old: int, new: int, deposit: int,
                        at: datetime, by: str) -> None:
        """Set a member's quantity and deposit held, keeping the change (who, when, old → new)."""
        changed = self._c.execute(update(purchase_commitments).where(
            purchase_commitments.c.campaign_id == campaign_id, purchase_commitments.c.member == member)
            .values(quantity=new, deposit_minor=deposit, updated_at=at, updated_by=by)).rowcount
        if not changed:
            self._c.execute(insert(purchase_commitments).values(
                alliance_id=alliance_id, campaign_id=campaign_id, member=member, quantity=new, deposit_minor=deposit,
                delivered=0, updated_at=at, updated_by=by))
        self._c.execute(insert(purchase_commitment_changes).values(
            alliance_id=alliance_id, campaign_id=campaign_id, member=member, old=old, new=new, at=at, by=by))

    def set_deposit(self, campaign_id: int, member: str, deposit: int) -> None:
        self._c.execute(update(purchase_commitments).where(
            purchase_commitments.c.campaign_id == campaign_id, purchase_commitments.c.member == member)
            .values(deposit_minor=deposit))

    def set_delivered(self, campaign_id: int, delivered: Mapping[str, int]) -> None:
        for member, quantity in delivered.items():
            self._c.execute(update(purchase_commitments).where(
                purchase_commitments.c.campaign_id == campaign_id, purchase_commitments.c.member == member)
                .values(delivered=quantity))

    def changes(self, campaign_id: int, member: str | None = None) -> list[Row[Any]]:
        query = select(purchase_commitment_changes).where(purchase_commitment_changes.c.campaign_id == campaign_id)
        if member is not None:
            query = query.where(purchase_commitment_changes.c.member == member)
        return list(self._c.execute(query.order_by(purchase_commitment_changes.c.id)))

    # -- deliveries ---------------------------------------------------------------------------------
    @refuses_duplicates
    def add_delivery(self, alliance_id: int, campaign_id: int, total: int, per_member: Mapping[str, int], note: str,
                     charge_id: int | None, at: datetime, by: str) -> int:
        number = int(self._c.execute(select(func.count()).select_from(purchase_deliveries)
                                     .where(purchase_deliveries.c.campaign_id == campaign_id)).scalar_one()) + 1
        self._c.execute(insert(purchase_deliveries).values(
            alliance_id=alliance_id, campaign_id=campaign_id, number=number, total=total, per_member=dict(per_member),
            note=note, charge_id=charge_id, at=at, by=by))
        return number

    def deliveries(self, campaign_id: int) -> list[Row[Any]]:
        return list(self._c.execute(select(purchase_deliveries).where(purchase_deliveries.c.campaign_id == campaign_id)
                                    .order_by(purchase_deliveries.c.number)))

    # -- what the ledger speaks of ------------------------------------------------------------------
    def recorded(self, alliance_id: int) -> list[dict[str, Any]]:
        """Every campaign as plain values for ledger coverage: its terms, state and figures, its quotes,
        its commitments (member, quantity) and its cumulative deliveries (member, delivered)."""
        found = []
        for r in self.campaigns(alliance_id):
            quotes = [{"supplier": q.supplier, "account": q.account, "tiers": tiers_json(q)} for q in self.quotes(r.id)]
            commitments = self.commitments(r.id)
            found.append({
                "number": r.number, "title": r.title, "organiser": r.organiser, "deadline": r.deadline,
                "minimum": r.minimum, "split_rule": r.split_rule, "fee_rate": r.fee_rate,
                "deposit_per_unit": r.deposit_per_unit, "state": r.state, "quantity": r.quantity,
                "unit_price": r.unit_price, "invoice_minor": r.invoice_minor, "fee_minor": r.fee_minor,
                "quotes": quotes,
                "commitments": [(m, int(c.quantity)) for m, c in commitments.items()],
                "delivered": [(m, int(c.delivered)) for m, c in commitments.items()],
            })
        return sorted(found, key=lambda c: c["number"])
