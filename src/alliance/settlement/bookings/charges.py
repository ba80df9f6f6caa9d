"""A shared operation's charge (operations.charges): a campaign's delivery, a warehouse's month, a deposit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, ClassVar

from alliance.core.messages import Message
from alliance.ledger import events
from alliance.operations.charge_service import pending_for_booking
from alliance.operations.charges import Charge, statement_lines
from alliance.settlement.bookings.base import Booking, BookingContext
from alliance.store.charge_repository import ChargeRepository
from alliance.store.unit_of_work import UnitOfWork


class Charges(Booking):
    raced: ClassVar[Message] = Message("a shared operation's charge")

    def pending(self, uow: UnitOfWork, alliance_id: int, alliance_code: str) -> Sequence[Charge]:
        return pending_for_booking(uow, alliance_id)

    def lines(self, item: Charge, ctx: BookingContext) -> list[dict[str, Any]]:
        return statement_lines(item)

    def mark_booked(self, uow: UnitOfWork, alliance_id: int, items: Sequence[Charge], day: date) -> int:
        return ChargeRepository(uow.connection).mark_booked(alliance_id, [c.id for c in items], day)

    def booked_event(self, item: Charge, day: date) -> tuple[str, dict[str, Any]]:
        return events.CHARGE_BOOKED, {"charge": item.id, "source": item.source, "day": day.isoformat()}
