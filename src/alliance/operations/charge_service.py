"""Charges that touch the stores: schedule one, check the pending ones against the ledger, read them
(docs/shared-operations.md, "How the money reaches settlement").

`schedule_charge` runs inside the caller's unit of work (a campaign's delivery is stored and its
charge recorded in one transaction, or neither is). The settlement run books every pending charge on
the next day it closes (`settlement.bookings.charges`, with `pending_for_booking` below).
"""

from __future__ import annotations

from collections.abc import Sequence

from alliance.core.clock import Clock
from alliance.core.errors import Conflict, InvalidInput
from alliance.core.messages import Message
from alliance.ledger import events
from alliance.ledger import service as ledger
from alliance.operations.charges import Charge, ChargeLine, check_header, check_lines, lines_digest
from alliance.registry.model import Alliance
from alliance.store.charge_repository import ChargeRepository
from alliance.store.unit_of_work import UnitOfWork


class ChargeNotAsRecorded(Conflict):
    """A pending charge is not what the ledger recorded when it was scheduled: booking it would move
    money nobody decided."""

    code = "charge_not_as_recorded"
    title = Message("Charge differs from what was recorded")


def schedule_charge(uow: UnitOfWork, alliance: Alliance, *, source: str, reference: str, title: str,
                    lines: Sequence[ChargeLine], actor: str, clock: Clock) -> int:
    """Schedule `lines` (they sum to zero) to be booked on the next day a settlement run closes; returns
    the charge's id.

    Runs in the caller's unit of work and does not commit. Refused with every problem at once
    (InvalidInput; nothing stored, nothing recorded): see `charges.check_header` and `check_lines`
    (accounts: the alliance's members, past ones included, a deposit may be returned after a departure,
    and outside accounts). Records `operations.charge_scheduled` (the charge's id, source, reference,
    title, the lines' count and digest)."""
    members = set(uow.members.existing_keys(alliance.id).values())
    problems = check_header(source, reference, title) + check_lines(lines, members, alliance.currency)
    if problems:
        raise InvalidInput(Message("the charge has {count} problem(s); nothing was scheduled", count=len(problems)),
                           problems)
    reference, title = reference.strip(), title.strip()
    charge_id = ChargeRepository(uow.connection).add(alliance.id, source, reference, title, alliance.currency,
                                                     clock.now(), actor, list(lines))
    ledger.record(uow, alliance.id, alliance.code, events.CHARGE_SCHEDULED, actor, clock.now(), {
        "charge": charge_id, "source": source, "reference": reference, "title": title, "lines": len(lines),
        "lines_sha256": lines_digest(lines, alliance.currency)})
    return charge_id


def charges_of(uow: UnitOfWork, alliance_id: int, *, source: str | None = None, reference: str | None = None,
               reference_prefix: str | None = None) -> list[Charge]:
    """The alliance's charges (pending and booked) in the order they were scheduled, optionally of one
    source and one reference (or references starting with `reference_prefix`). Officers' view: a
    member's own lines are also on its statement of the day they were booked."""
    return ChargeRepository(uow.connection).of_alliance(alliance_id, source=source, reference=reference,
                                                        reference_prefix=reference_prefix)


def pending_for_booking(uow: UnitOfWork, alliance_id: int) -> list[Charge]:
    """The alliance's pending charges, each checked against what the ledger recorded when it was
    scheduled. Raises ChargeNotAsRecorded naming the first that differs; the day then stays open."""
    pending = ChargeRepository(uow.connection).pending(alliance_id)
    if not pending:
        return []
    recorded = ledger.payloads_by_key(uow, alliance_id, [events.CHARGE_SCHEDULED], "charge")
    for c in pending:
        claim = recorded.get(c.id)
        if claim is None or (claim.get("source"), claim.get("reference"), claim.get("title"),
                             claim.get("lines_sha256")) != (c.source, c.reference, c.title,
                                                            lines_digest(c.lines, c.currency)):
            raise ChargeNotAsRecorded(Message(
                "charge {charge} ({title}) is not what the ledger recorded when it was scheduled; the day stays "
                "open (`alliance ledger verify` names what differs)", charge=c.id, title=c.title))
    return pending
