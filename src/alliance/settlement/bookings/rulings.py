"""A ruling's correction (settlement.corrections): transfers between members, naming the ruling."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, ClassVar

from alliance.core.messages import Message
from alliance.ledger import events
from alliance.settlement import corrections as correcting
from alliance.settlement.bookings.base import Booking, BookingContext
from alliance.settlement.service_corrections import pending_for_booking, stored_transfers
from alliance.store.correction_repository import CorrectionRepository, StoredCorrection
from alliance.store.unit_of_work import UnitOfWork


class RulingCorrections(Booking):
    raced: ClassVar[Message] = Message("a ruling's correction")

    def pending(self, uow: UnitOfWork, alliance_id: int, alliance_code: str) -> Sequence[StoredCorrection]:
        return pending_for_booking(uow, alliance_id, alliance_code)

    def lines(self, item: StoredCorrection, ctx: BookingContext) -> list[dict[str, Any]]:
        return correcting.statement_lines(item.dispute_number, item.ruling_ref, stored_transfers(item))

    def mark_booked(self, uow: UnitOfWork, alliance_id: int, items: Sequence[StoredCorrection], day: date) -> int:
        return CorrectionRepository(uow.connection).mark_booked(alliance_id, [c.id for c in items], day)

    def booked_event(self, item: StoredCorrection, day: date) -> tuple[str, dict[str, Any]]:
        return events.CORRECTION_BOOKED, {"correction": item.id, "dispute": item.dispute_number,
                                          "ruling": item.ruling_ref, "day": day.isoformat()}

    def listed(self, item: StoredCorrection) -> tuple[int, str]:
        """(correction id, "dispute 3, ruling proposal 12"): a run's result lists the corrections it booked."""
        return item.id, correcting.reference(item.dispute_number, item.ruling_ref)
