"""Corrections of rulings that touch the stores: schedule one, check the pending ones against the
ledger, and read them (docs/governance.md, "Rulings and correcting entries").

`schedule_correction` runs inside the caller's unit of work (the governance service accepting a
ruling proposal: the correction is stored and recorded in the same transaction as the outcome, or
not at all). The settlement run books every pending correction on the next day it closes
(`settlement.service.settle`, with `pending_for_booking` below).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from alliance.access.policy import Action, authorize
from alliance.access.roles import Principal, Role
from alliance.core.clock import Clock, local_today
from alliance.core.errors import Conflict, InvalidInput, Problem
from alliance.core.messages import Message
from alliance.core.money import Money
from alliance.ledger import events
from alliance.ledger import service as ledger
from alliance.registry.model import Alliance
from alliance.settlement.corrections import (
    Transfer, check_ruling, check_transfers, reference, transfers_digest, transfers_of,
)
from alliance.store.correction_repository import CorrectionRepository, StoredCorrection
from alliance.store.database import Store
from alliance.store.dispute_repository import DisputeRepository
from alliance.store.unit_of_work import UnitOfWork

# Who reads every correction of an alliance; a member's people read only those their member is in.
READ_ALL = frozenset({Role.PLATFORM_ADMIN, Role.COORDINATOR, Role.AUDITOR})


class CorrectionNotAsRecorded(Conflict):
    """A pending correction is not what the ledger recorded when it was scheduled (changed or added
    behind the platform's back): booking it would pay what no ruling ordered."""

    code = "correction_not_as_recorded"
    title = Message("Correction differs from what was recorded")


class CorrectionAlreadyBooked(Conflict):
    """Another settlement run booked the correction first (two runs at once): this run saved nothing."""

    code = "correction_already_booked"
    title = Message("Correction already booked")


def active_members(uow: UnitOfWork, alliance: Alliance, today: date) -> list[str]:
    """The alliance's members that have not left by `today` (a departure dated later is still to come)."""
    departures = uow.members.departures(alliance.id)
    return sorted(m for m in set(uow.members.existing_keys(alliance.id).values())
                  if m not in departures or departures[m] > today)


def schedule_correction(uow: UnitOfWork, alliance: Alliance, *, dispute: int, ruling: str,
                        transfers: Sequence[tuple[str, str, Decimal]], actor: str, clock: Clock) -> int:
    """Book `transfers` (payer member, payee member, amount > 0 in the alliance's currency) as a
    correction to be settled on the next day a settlement run closes; returns its id.

    Runs in the caller's unit of work and does not commit. Refused with every problem at once
    (InvalidInput; nothing stored, nothing recorded): a dispute the alliance does not have, an empty
    or over-long ruling reference, and every problem `check_transfers` finds. Records
    `settlement.correction_scheduled` (correction id, dispute, ruling, the transfers' count and
    digest: the ledger is read by every role, the transfers only by their parties and officers)."""
    problems: list[Problem] = []
    why = check_ruling(ruling)
    if why is not None:
        problems.append(Problem(Message("the ruling"), "ruling", why))
    if isinstance(dispute, bool) or not isinstance(dispute, int) or dispute < 1 \
            or DisputeRepository(uow.connection).get(alliance.id, dispute) is None:
        problems.append(Problem(Message("the ruling"), "dispute",
                                Message("alliance {alliance!r} has no dispute {number}", alliance=alliance.code,
                                        number=dispute)))
    members = active_members(uow, alliance, local_today(clock, alliance.timezone))
    problems += check_transfers(transfers, members, alliance.currency)
    if problems:
        raise InvalidInput(Message("the ruling's correction has {count} problem(s); nothing was scheduled",
                                   count=len(problems)), problems)
    ruling = ruling.strip()
    found = transfers_of(transfers, alliance.currency)
    correction_id = CorrectionRepository(uow.connection).add(
        alliance.id, dispute, ruling, alliance.currency, clock.now(), actor,
        [(t.payer, t.payee, t.amount.minor) for t in found])
    ledger.record(uow, alliance.id, alliance.code, events.CORRECTION_SCHEDULED, actor, clock.now(), {
        "correction": correction_id, "dispute": dispute, "ruling": ruling, "transfers": len(found),
        "transfers_sha256": transfers_digest(found)})
    return correction_id


def stored_transfers(correction: StoredCorrection) -> list[Transfer]:
    return [Transfer(t.payer, t.payee, Money(t.amount_minor, correction.currency)) for t in correction.transfers]


def pending_for_booking(uow: UnitOfWork, alliance_id: int, alliance_code: str) -> list[StoredCorrection]:
    """The alliance's pending corrections, each checked against what the ledger recorded when it was
    scheduled (as a run checks an agreement version against its signatures before applying it).
    Raises CorrectionNotAsRecorded naming the first that differs; the day then stays open."""
    pending = CorrectionRepository(uow.connection).pending(alliance_id)
    if not pending:
        return []
    recorded = ledger.payloads_by_key(uow, alliance_id, [events.CORRECTION_SCHEDULED], "correction")
    for c in pending:
        claim = recorded.get(c.id)
        if claim is None:
            # Corrections exist only since the ledger did: every one was recorded when it was made.
            raise CorrectionNotAsRecorded(Message("correction {correction} (dispute {dispute}) was never recorded in "
                                                  "the ledger; the day stays open (`alliance ledger verify`)",
                                                  correction=c.id, dispute=c.dispute_number))
        if (claim.get("dispute"), claim.get("ruling"), claim.get("transfers_sha256")) != (
                c.dispute_number, c.ruling_ref, transfers_digest(stored_transfers(c))):
            raise CorrectionNotAsRecorded(Message("correction {correction} (dispute {dispute}) is not what the ledger "
                                                  "recorded when it was scheduled; the day stays open (`alliance "
                                                  "ledger verify` names what differs)",
                                                  correction=c.id, dispute=c.dispute_number))
    return pending


@dataclass(frozen=True)
class CorrectionView:
    """A correction as one reader sees it (a member's people: only the transfers their member is in)."""

    id: int
    dispute: int
    ruling: str
    currency: str
    created_at: datetime
    created_by: str
    booked_on: date | None
    transfers: tuple[Transfer, ...]

    @property
    def reference(self) -> str:
        return reference(self.dispute, self.ruling)

    @property
    def status(self) -> str:
        return "pending" if self.booked_on is None else "booked"

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "dispute": self.dispute, "ruling": self.ruling, "correction_of": self.reference,
                "currency": self.currency, "status": self.status, "created_at": events.utc_text(self.created_at),
                "booked_on": None if self.booked_on is None else self.booked_on.isoformat(),
                "transfers": [t.as_json() for t in self.transfers]}


def list_corrections(store: Store, alliance_code: str, principal: Principal | None) -> list[CorrectionView]:
    """The alliance's corrections, pending and booked (with their day), in the order they were scheduled.

    The coordinator, auditors and the platform admin (and the operator's CLI: `principal` None) read
    all of them; a member's people only those their member pays or receives in, with only those
    transfers: the others are other members' money."""
    if principal is not None:
        authorize(principal, Action.READ_MEMBER_DATA, alliance_code)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        stored = CorrectionRepository(uow.connection).of_alliance(alliance.id)
    restricted = principal is not None and principal.role not in READ_ALL
    member = principal.member if principal is not None else None
    views = []
    for c in stored:
        transfers = tuple(t for t in stored_transfers(c) if not restricted or member in (t.payer, t.payee))
        if transfers:
            views.append(CorrectionView(c.id, c.dispute_number, c.ruling_ref, c.currency, c.created_at, c.created_by,
                                        c.booked_on, transfers))
    return views
