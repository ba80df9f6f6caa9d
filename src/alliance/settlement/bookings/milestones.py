"""A confirmed milestone's tranche (sharing.milestones), booked by the version it was recorded under."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, ClassVar

from alliance.core.messages import Message
from alliance.ledger import events
from alliance.settlement.as_signed import AgreementNotAsSigned
from alliance.settlement.bookings.base import Booking, BookingContext
from alliance.sharing import milestone_service
from alliance.sharing.agreement import load_agreement_text
from alliance.sharing.milestones import Milestone
from alliance.store.milestone_repository import MilestoneRepository
from alliance.store.unit_of_work import UnitOfWork


class MilestoneTranches(Booking):
    raced: ClassVar[Message] = Message("a milestone's tranche")

    def pending(self, uow: UnitOfWork, alliance_id: int, alliance_code: str) -> Sequence[Milestone]:
        return milestone_service.pending_for_booking(uow, alliance_id)

    def lines(self, item: Milestone, ctx: BookingContext) -> list[dict[str, Any]]:
        # The version it was recorded under (not the version in force today: a later version may
        # change or drop the rule), first checked against what its parties signed.
        history = ctx.versions.get(item.agreement, [])
        version = next((v for v in history if v.version == item.version), None)
        if version is None:
            raise milestone_service.MilestoneNotAsRecorded(Message(
                "milestone {milestone}: version {version} of {agreement} is no longer stored; the day stays open",
                milestone=item.id, version=item.version, agreement=item.agreement))
        why = ctx.recorded.mismatch(version)
        if why is not None:
            raise AgreementNotAsSigned(version.agreement_code, version.version, why)
        return [{"account": line.account, "agreement": item.agreement, "version": item.version,
                 "rule_id": line.rule_id, "kind": line.kind.value, "base_minor": line.base.minor,
                 "rate": line.rate[:200], "amount_minor": line.amount.minor, "adjustment_of": None}
                for line in milestone_service.tranche_lines(item, load_agreement_text(version.document), ctx.day)]

    def mark_booked(self, uow: UnitOfWork, alliance_id: int, items: Sequence[Milestone], day: date) -> int:
        return MilestoneRepository(uow.connection).mark_booked(alliance_id, [m.id for m in items], day)

    def booked_event(self, item: Milestone, day: date) -> tuple[str, dict[str, Any]]:
        return events.MILESTONE_BOOKED, {"milestone": item.id, "day": day.isoformat()}
