"""One kind of scheduled booking, as the settlement run sees it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from alliance.core.messages import Message
from alliance.ledger.coverage import RecordedAgreements
from alliance.settlement.facts import SettlementFacts
from alliance.sharing.versions import AgreementVersion
from alliance.store.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class BookingContext:
    """What a run knows when it books: its day, every agreement's stored versions and what the
    ledger recorded of them (a booking under a version checks it against its signatures first), and
    the fact store the run reads (a booking computed from order lines, a referral's commission, reads
    them here; `watermark` is what the run's snapshot saw)."""

    day: date
    versions: Mapping[str, list[AgreementVersion]]
    recorded: RecordedAgreements
    facts: SettlementFacts | None = None
    alliance_code: str = ""
    currency: str = ""
    watermark: int | None = None


class Booking(ABC):
    # What another run booked first, for the refusal: "a ruling's correction".
    raced: ClassVar[Message]

    @abstractmethod
    def pending(self, uow: UnitOfWork, alliance_id: int, alliance_code: str) -> Sequence[Any]:
        """The items scheduled and not booked yet, each checked against what the ledger recorded of
        it (raising the kind's own error, so that the day stays open)."""

    @abstractmethod
    def lines(self, item: Any, ctx: BookingContext) -> list[dict[str, Any]]:
        """The item's statement lines (they sum to zero)."""

    @abstractmethod
    def mark_booked(self, uow: UnitOfWork, alliance_id: int, items: Sequence[Any], day: date) -> int:
        """Mark the items booked on `day`; how many were still pending."""

    @abstractmethod
    def booked_event(self, item: Any, day: date) -> tuple[str, dict[str, Any]] | None:
        """The ledger entry saying the item was booked on `day` (None: the run changed nothing of it, as
        for a referral whose orders earned nothing new that day)."""

    def listed(self, item: Any) -> tuple[int, str] | None:
        """How the run's result lists the item ((id, reference)), if it lists it at all."""
        return None
