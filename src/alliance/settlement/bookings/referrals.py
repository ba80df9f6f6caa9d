"""Referral commission (operations.referrals): each run books, per converted referral not final yet,
what its linked orders have earned since the last run: target − booked so far, the seller paying and
the referrer receiving (a refund inside the hold period makes it negative: the claw-back). The
target is read from the run's fact store (`BookingContext.facts`); once the hold period of the
referral's last sale is over, the run marks it final and no run reads it again."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from alliance.core.messages import Message
from alliance.ledger import events
from alliance.operations.referrals import commission as pay
from alliance.operations.referrals.model import Programme, Referral
from alliance.settlement.bookings.base import Booking, BookingContext
from alliance.store.unit_of_work import UnitOfWork


@dataclass(slots=True)
class Due:
    """One referral as this run books it: `target` and `final_on` are set when its lines are made."""

    referral: Referral
    programme: Programme
    timezone: str
    target: int | None = None
    final_on: date | None = None

    @property
    def delta(self) -> int:
        assert self.target is not None, "lines() first"
        return self.target - self.referral.booked_minor


class ReferralCommissions(Booking):
    raced: ClassVar[Message] = Message("a referral's commission")

    def pending(self, uow: UnitOfWork, alliance_id: int, alliance_code: str) -> Sequence[Due]:
        from alliance.operations.referrals.service_orders import pending_for_booking

        programme, referrals = pending_for_booking(uow, alliance_id)
        zone = uow.alliances.require(alliance_code).timezone if referrals else "UTC"
        return [Due(r, programme, zone) for r in referrals]

    def lines(self, item: Due, ctx: BookingContext) -> list[dict[str, Any]]:
        r, programme = item.referral, item.programme
        assert ctx.facts is not None, "a run books referral commission from its fact store"
        found = pay.compute(ctx.facts.order_lines(ctx.alliance_code, ctx.currency, list(r.orders)), r.orders,
                            r.to_member, programme.commission_rate, programme.hold_days, through=ctx.day,
                            timezone=item.timezone)
        item.target = found.target_minor
        item.final_on = ctx.day if found.final_after is not None and ctx.day >= found.final_after else None
        return pay.booking_lines(seller=r.to_member, referrer=r.from_member, delta_minor=item.delta,
                                 base_minor=found.base_minor,
                                 rate=pay.rate_text(programme.commission_rate, found, programme.hold_days),
                                 number=r.number, title=r.title())

    def mark_booked(self, uow: UnitOfWork, alliance_id: int, items: Sequence[Due], day: date) -> int:
        from alliance.store.referral_repository import ReferralRepository

        repo = ReferralRepository(uow.connection)
        # A referral whose orders earned nothing new and that is not final yet changes nothing: no row, no entry.
        return sum(1 if _unchanged(d) else repo.book(alliance_id, d.referral.id, day, d.referral.booked_minor,
                                                     d.target or 0, d.final_on)
                   for d in items)

    def booked_event(self, item: Due, day: date) -> tuple[str, dict[str, Any]] | None:
        if _unchanged(item):
            return None
        return events.REFERRAL_COMMISSION_BOOKED, {
            "referral": str(item.referral.number), "day": day.isoformat(), "booked_minor": str(item.target or 0),
            "delta_minor": str(item.delta), "final_on": None if item.final_on is None else item.final_on.isoformat()}


def _unchanged(item: Due) -> bool:
    return item.delta == 0 and item.final_on is None
