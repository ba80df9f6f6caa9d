"""Payout use cases: a member's payout currency, recording a payout of closed days, listing them and
a payout's statement (docs/payouts.md). Each opens its own unit of work.

Who may do what (access.policy, no new actions):
- choose a member's payout currency: the member's own admin (`ACT_FOR_MEMBER`: another member's is
  not there for it, 404; an analyst 403) or the coordinator (`MANAGE_ALLIANCE`);
- record a payout: the coordinator (`MANAGE_ALLIANCE`), while days are settled (lifecycle
  `Write.SETTLEMENT`);
- read payouts and statements (`READ_MEMBER_DATA`): the coordinator and the auditor every member's,
  a member's people only their own (another member's payout is answered as not found).

A choice of currency is stored with its ledger entry (`payout.currency_set`), a payout with its own
(`payout.recorded`), each in one transaction, or not at all: for a payout, an
open day in the period, a day already paid, a missing rate of the payout day, nothing owed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from alliance.access.policy import Action, authorize
from alliance.access.roles import Principal
from alliance.core.clock import Clock
from alliance.core.errors import Conflict, InvalidInput, MemberNotFound, NotFound
from alliance.core.messages import Message
from alliance.core.money import MoneyError, check_currency
from alliance.core.paging import Page
from alliance.ledger import events
from alliance.ledger import service as ledger
from alliance.ledger.coverage import value_digest
from alliance.registry.lifecycle import Write, check_writable
from alliance.settlement.fx.conversion import RateMissing
from alliance.settlement.payouts import FX_ACCOUNT, Payout, check_period, compute
from alliance.store.database import Store, on_duplicate
from alliance.store.fx_repository import FxRepository
from alliance.store.payout_repository import CurrencyChoice, StoredPayout, record_of
from alliance.store.unit_of_work import UnitOfWork

_ISO_CODE = re.compile(r"[A-Za-z]{3}", re.ASCII)
SAME_CURRENCY_SOURCE = "settlement currency"  # the "source" of rate 1 when nothing is converted


class PayoutDayOpen(Conflict):
    """A day of the period has not closed: only closed days are paid."""

    code = "payout_day_open"
    title = Message("Day not settled yet")

    def __init__(self, day: date) -> None:
        super().__init__(Message("{day} has not been settled: only closed days are paid (settle it first, or end the "
                                 "payout before it)", day=day.isoformat()))
        self.day = day


class PayoutDaysPaid(Conflict):
    """Some days of the period were paid to the member already: a day is paid at most once."""

    code = "payout_days_paid"
    title = Message("Days already paid")

    def __init__(self, member: str, found: list[StoredPayout]) -> None:
        super().__init__(Message("{member} was already paid for some of these days: {paid}", member=member,
                                 paid=", ".join(f"payout {s.number} ({s.payout.first_day} to {s.payout.last_day})"
                                                for s in found)))
        self.payouts = [s.number for s in found]


class PayoutNotFound(NotFound):
    code = "payout_not_found"
    title = Message("No such payout")


@dataclass(frozen=True, slots=True)
class Currencies:
    """Each member's payout currency in force (members shown: all, or the principal's own) and the
    history of choices, oldest first."""

    settlement_currency: str
    current: dict[str, str]
    history: list[CurrencyChoice]


def check_payee_currency(text: str) -> str:
    """An ISO 4217 code (three letters, known to CLDR), upper-cased; MoneyError otherwise."""
    cleaned = (text or "").strip()
    if not _ISO_CODE.fullmatch(cleaned):
        raise MoneyError(Message("{value!r} is not an ISO 4217 currency code (three letters, such as USD)",
                                 value=cleaned[:20]))
    return check_currency(cleaned)


def _member_exists(uow: UnitOfWork, alliance_id: int, alliance_code: str, member: str) -> None:
    if member not in uow.members.existing_keys(alliance_id).values():
        raise MemberNotFound(alliance_code, member)


def set_currency(store: Store, alliance_code: str, member: str, currency: str, clock: Clock, *,
                 principal: Principal) -> CurrencyChoice:
    """Choose the currency `member` is paid in from now on (its own admin or the coordinator). The
    settlement currency itself is a choice too (paid without conversion)."""
    if principal.member is not None:
        authorize(principal, Action.ACT_FOR_MEMBER, alliance_code, member)
    else:
        authorize(principal, Action.MANAGE_ALLIANCE, alliance_code)
    code = check_payee_currency(currency)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        check_writable(alliance.code, alliance.status, Write.SETTLEMENT)
        _member_exists(uow, alliance.id, alliance.code, member)
        now = clock.now()
        # One after another per alliance, so that each choice's number among the member's is its own.
        uow.payouts.hold(alliance.id)
        number = len(uow.payouts.choices(alliance.id, member)) + 1
        uow.payouts.add_choice(alliance.id, member, code, now, principal.account)
        ledger.record(uow, alliance.id, alliance.code, events.PAYOUT_CURRENCY_SET, principal.account, now,
                      {"member": member, "choice": number, "currency": code, "set_by": principal.account[:200]})
        uow.commit()
    return CurrencyChoice(member, code, now, principal.account)


def currencies(store: Store, alliance_code: str, principal: Principal) -> Currencies:
    """The payout currencies in force and their history (a member's people: their own only)."""
    authorize(principal, Action.READ_MEMBER_DATA, alliance_code)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        history = uow.payouts.choices(alliance.id, principal.member)
    return Currencies(alliance.currency, {c.member: c.currency for c in history}, history)


def record(store: Store, alliance_code: str, member: str, first_day: date, last_day: date, payout_day: date,
           clock: Clock, *, principal: Principal) -> StoredPayout:
    """Pay `member` its net over the closed days first_day..last_day, on `payout_day`, in its payout
    currency at that day's rate (docs/payouts.md). Nothing is stored unless all of it is.

    Raises PayoutDayOpen (naming the first open day), PayoutDaysPaid, RateMissing, MemberNotFound,
    InvalidInput (a bad period, nothing owed)."""
    authorize(principal, Action.MANAGE_ALLIANCE, alliance_code)
    check_period(first_day, last_day, payout_day)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        check_writable(alliance.code, alliance.status, Write.SETTLEMENT)
        _member_exists(uow, alliance.id, alliance.code, member)
        # Payouts of one alliance one after the other: the second sees the days the first paid.
        uow.payouts.hold(alliance.id)
        closed = uow.settlement.closed(alliance.id)
        day = first_day
        while day <= last_day:
            if day not in closed:
                raise PayoutDayOpen(day)
            day += timedelta(days=1)
        if paid := uow.payouts.overlapping(alliance.id, member, first_day, last_day):
            raise PayoutDaysPaid(member, paid)
        payee = uow.payouts.currency_of(alliance.id, member) or alliance.currency
        rate, source = _rate(uow, alliance.id, alliance.currency, payee, payout_day)
        owed = sum(net for _day, account, net, _count in uow.settlement.account_totals(alliance.id, first_day, last_day)
                   if account == member)
        if not owed:
            raise InvalidInput(Message("{member} is owed nothing over {first} to {last}: there is nothing to pay",
                                       member=member, first=first_day.isoformat(), last=last_day.isoformat()))
        payout = compute(member, first_day, last_day, payout_day, owed, alliance.currency, payee, rate)
        number = uow.payouts.next_number(alliance.id)
        now = clock.now()
        stored = StoredPayout(number, payout, source, now, principal.account)
        with on_duplicate(Conflict(Message("another payout was recorded at the same moment: record it again"))):
            uow.payouts.add(alliance.id, number, payout, source, now, principal.account)
        ledger.record(uow, alliance.id, alliance.code, events.PAYOUT_RECORDED, principal.account, now, {
            "payout": number, "member": member, "first_day": first_day.isoformat(), "last_day": last_day.isoformat(),
            "payout_day": payout_day.isoformat(), "payee_currency": payee, "sha256": value_digest(record_of(stored))})
        uow.commit()
    return stored


def _rate(uow: UnitOfWork, alliance_id: int, settlement: str, payee: str, day: date) -> tuple[Decimal, str]:
    """The payee currency's rate of exactly the payout day, and its source; RateMissing if none."""
    if payee == settlement:
        return Decimal(1), SAME_CURRENCY_SOURCE
    for rate in FxRepository(uow.connection).between(alliance_id, day, day):
        if rate.currency == payee:
            return rate.rate, rate.source
    raise RateMissing(payee, day, settlement)


def list_payouts(store: Store, alliance_code: str, principal: Principal, *, member: str | None = None,
                 limit: int = 100, offset: int = 0) -> tuple[str, Page[StoredPayout]]:
    """A page of payouts, newest first (the settlement currency beside): a member's people see only
    their own; the coordinator and the auditor every member's, or one's with `member`."""
    authorize(principal, Action.READ_MEMBER_DATA, alliance_code, member)
    wanted = principal.member if principal.member is not None else member
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        found, total = uow.payouts.page(alliance.id, wanted, limit, offset)
    return alliance.currency, Page(found, total, limit, offset)


def get(store: Store, alliance_code: str, number: int, principal: Principal) -> StoredPayout:
    """One payout; PayoutNotFound for one that does not exist or is another member's."""
    authorize(principal, Action.READ_MEMBER_DATA, alliance_code)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        found = uow.payouts.get(alliance.id, number)
    if found is None or (principal.member is not None and found.payout.member != principal.member):
        raise PayoutNotFound(Message("{alliance!r} has no payout {number} for this key", alliance=alliance_code,
                                     number=number))
    return found


def statement(alliance_code: str, stored: StoredPayout) -> dict[str, Any]:
    """A payout's statement, one shape for the API, the CLI and the page: amounts as exact decimal
    strings in their currencies, the rate as stored with its day and source, and the difference booked
    to the FX account."""
    p = stored.payout
    return {"alliance": alliance_code, "payout": stored.number, "member": p.member,
            "first_day": p.first_day.isoformat(), "last_day": p.last_day.isoformat(),
            "days": (p.last_day - p.first_day).days + 1, "payout_day": p.payout_day.isoformat(),
            "settlement_currency": p.settlement_currency, "owed": p.owed.amount_text(),
            "payee_currency": p.payee_currency, "rate": p.rate_text, "rate_day": p.payout_day.isoformat(),
            "rate_source": stored.rate_source, "paid": p.paid.amount_text(), "value_back": p.value_back.amount_text(),
            "difference": p.difference.amount_text(), "difference_account": FX_ACCOUNT,
            "recorded_at": stored.created_at.isoformat(), "recorded_by": stored.actor}


def journal_payouts(store: Store, alliance_code: str, first: date, last: date) -> list[tuple[int, Payout]]:
    """The payouts paid on the days first..last as (number, Payout), for `payout_journal.transactions`
    (no principal: the caller authorised the journal)."""
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        return [(s.number, s.payout) for s in uow.payouts.between(alliance.id, first, last)]
