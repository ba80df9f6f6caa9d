"""Fund releases that touch the stores: schedule one, check the pending ones against the ledger, read
them (docs/settlement.md, "Fund releases").

`schedule_fund_release` runs inside the caller's unit of work (a dissolution or an exit case sharing
out a fund: the release is stored and recorded in the same transaction as the step that decided it,
or not at all). The settlement run books every pending release on the next day it closes
(`settlement.bookings.fund_releases`, with `pending_for_booking` below).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from alliance.core.clock import Clock
from alliance.core.errors import Conflict, InvalidInput, Problem
from alliance.core.messages import Message
from alliance.ledger import events
from alliance.ledger import service as ledger
from alliance.registry.model import Alliance
from alliance.settlement.fund_releases import FundRelease, Part, check_cause, check_parts, parts_digest
from alliance.sharing.agreement import load_agreement_text
from alliance.store.database import Store
from alliance.store.fund_release_repository import FundReleaseRepository
from alliance.store.unit_of_work import UnitOfWork


class FundReleaseNotAsRecorded(Conflict):
    """A pending release is not what the ledger recorded when it was scheduled: booking it would pay
    out what nobody decided."""

    code = "fund_release_not_as_recorded"
    title = Message("Fund release differs from what was recorded")


def fund_agreement(uow: UnitOfWork, alliance: Alliance, fund: str) -> str | None:
    """The agreement whose latest version declares `fund` among its accounts (the first by code)."""
    for code in sorted(uow.sharing.codes(alliance.id)):
        stored = uow.sharing.versions(alliance.id, code)
        if stored and fund in load_agreement_text(stored[-1].document).accounts:
            return code
    return None


def available(uow: UnitOfWork, alliance: Alliance, fund: str) -> int:
    """What `fund` holds over every closed day, less what its pending releases will take (minor units)."""
    repository = FundReleaseRepository(uow.connection)
    pending = sum(r.total_minor for r in repository.pending(alliance.id) if r.fund == fund)
    return repository.account_balance(alliance.id, fund) - pending


def schedule_fund_release(uow: UnitOfWork, alliance: Alliance, *, fund: str, cause: str,
                          parts: Sequence[tuple[str, int]], receivers: Collection[str], actor: str,
                          clock: Clock) -> int:
    """Release `parts` (member, minor units > 0) of `fund` for `cause`, to be booked on the next day a
    settlement run closes; returns the release's id. `receivers`: the members that may receive.

    Runs in the caller's unit of work and does not commit. Refused with every problem at once
    (InvalidInput; nothing stored, nothing recorded): a fund no agreement declares, a cause that
    names nothing, and every problem `check_parts` finds (a part above what the fund holds among
    them). Records `fund.release_scheduled` (release id, fund, cause, the parts' count and digest)."""
    problems: list[Problem] = []
    why = check_cause(cause)
    if why is not None:
        problems.append(Problem(Message("the release"), "cause", why))
    agreement = fund_agreement(uow, alliance, fund)
    if agreement is None:
        problems.append(Problem(Message("the release"), "fund", Message(
            "{fund!r} is not an account any agreement of {alliance!r} declares", fund=fund, alliance=alliance.code)))
        holds = None
    else:
        holds = available(uow, alliance, fund)
    problems += check_parts(parts, receivers, holds, alliance.currency)
    if problems:
        raise InvalidInput(Message("the fund release has {count} problem(s); nothing was scheduled",
                                   count=len(problems)), problems)
    assert agreement is not None
    cause = cause.strip()
    repository = FundReleaseRepository(uow.connection)
    release_id = repository.add(alliance.id, fund, agreement, cause, alliance.currency, clock.now(), actor,
                                list(parts))
    stored = [Part(m, a) for m, a in parts]
    ledger.record(uow, alliance.id, alliance.code, events.FUND_RELEASE_SCHEDULED, actor, clock.now(), {
        "release": release_id, "fund": fund, "agreement": agreement, "cause": cause, "parts": len(stored),
        "parts_sha256": parts_digest(stored, alliance.currency)})
    return release_id


def pending_for_booking(uow: UnitOfWork, alliance_id: int) -> list[FundRelease]:
    """The alliance's pending releases, each checked against what the ledger recorded when it was
    scheduled. Raises FundReleaseNotAsRecorded naming the first that differs; the day then stays open."""
    pending = FundReleaseRepository(uow.connection).pending(alliance_id)
    if not pending:
        return []
    recorded = ledger.payloads_by_key(uow, alliance_id, [events.FUND_RELEASE_SCHEDULED], "release")
    for r in pending:
        claim = recorded.get(r.id)
        if claim is None or (claim.get("fund"), claim.get("agreement"), claim.get("cause"),
                             claim.get("parts_sha256")) != (r.fund, r.agreement, r.cause,
                                                            parts_digest(r.parts, r.currency)):
            raise FundReleaseNotAsRecorded(Message(
                "fund release {release} ({cause}) is not what the ledger recorded when it was scheduled; the day "
                "stays open (`alliance ledger verify` names what differs)", release=r.id, cause=r.cause))
    return pending


def list_fund_releases(store: Store, alliance_code: str) -> list[FundRelease]:
    """Every release of the alliance, pending and booked, in the order they were scheduled (for the
    alliance's officers; a member's part is also on its own statement of the day it was booked)."""
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        return FundReleaseRepository(uow.connection).of_alliance(alliance.id)


def fund_balance(store: Store, alliance_code: str, fund: str) -> int:
    """What `fund` holds now, less its pending releases (minor units)."""
    with store.unit_of_work() as uow:
        return available(uow, uow.alliances.require(alliance_code), fund)
