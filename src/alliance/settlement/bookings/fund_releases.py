"""A fund's release (settlement.fund_releases): the fund pays each part out to its member."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, ClassVar

from alliance.core.messages import Message
from alliance.ledger import events
from alliance.settlement.bookings.base import Booking, BookingContext
from alliance.settlement.fund_release_service import pending_for_booking
from alliance.settlement.fund_releases import FundRelease, statement_lines
from alliance.store.fund_release_repository import FundReleaseRepository
from alliance.store.unit_of_work import UnitOfWork


class FundReleases(Booking):
    raced: ClassVar[Message] = Message("a fund's release")

    def pending(self, uow: UnitOfWork, alliance_id: int, alliance_code: str) -> Sequence[FundRelease]:
        return pending_for_booking(uow, alliance_id)

    def lines(self, item: FundRelease, ctx: BookingContext) -> list[dict[str, Any]]:
        return statement_lines(item)

    def mark_booked(self, uow: UnitOfWork, alliance_id: int, items: Sequence[FundRelease], day: date) -> int:
        return FundReleaseRepository(uow.connection).mark_booked(alliance_id, [r.id for r in items], day)

    def booked_event(self, item: FundRelease, day: date) -> tuple[str, dict[str, Any]]:
        return events.FUND_RELEASE_BOOKED, {"release": item.id, "fund": item.fund, "day": day.isoformat()}
