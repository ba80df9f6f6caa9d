"""What a dispute tells its parties through the platform's notifications (notify): opened, ruled.

Each party (the claimant and every respondent) hears it as a notice for its own member, so no
other member learns of the dispute; the coordinators hear it with each party's notice."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from alliance.core.messages import Message
from alliance.notify.notice import Audience, EventKind, Notice
from alliance.notify.outbox import publish
from alliance.store.unit_of_work import UnitOfWork


def tell_parties(uow: UnitOfWork, alliance_id: int, alliance_code: str, number: int, parties: Iterable[str],
                 event: EventKind, now: datetime) -> None:
    """Publish `event` (DISPUTE_OPENED or DISPUTE_RULED) of dispute `number` to each party, in `uow`."""
    if event is EventKind.DISPUTE_OPENED:
        title = Message("Dispute {number} opened", number=number)
        body = Message("Dispute {number} was opened; its neutral data report is ready and the respondents' answers "
                       "are awaited.", number=number)
    else:
        title = Message("Dispute {number} ruled", number=number)
        body = Message("Dispute {number} has a ruling; read it and the appeal window on its page.", number=number)
    for member in dict.fromkeys(parties):
        publish(uow, Notice(event, alliance_id, Audience.MEMBER, title, body,
                            link=f"/alliances/{alliance_code}/disputes/{number}", member=member,
                            key=f"dispute-{number}-{member}"), now)
