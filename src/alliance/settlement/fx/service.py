"""Exchange-rate use cases: import (a CSV file or an API push), list, the series a chart draws, and
the rates of some days for settlement. Each opens its own unit of work.

Who may do what (access.policy, no new actions):
- import (`IMPORT_ORDERS`, as order lines): the coordinator and the platform; the alliance must
  accept order lines (registry.lifecycle: active, suspended or dissolving);
- read (`READ_RECORDS`): every role of the alliance; another alliance's people see nothing (404).

An import stores all its new rates or none. Its new rates and its ledger entry
(`fx.rates_imported`, with their SHA-256) are written in the same transaction; an import that adds
nothing (every rate already stored) writes nothing, not even an entry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from alliance.access.policy import Action, authorize
from alliance.access.roles import Principal
from alliance.core.clock import Clock
from alliance.core.errors import Conflict, InvalidInput
from alliance.core.messages import Message
from alliance.core.money import check_currency
from alliance.core.paging import Page
from alliance.ledger import events
from alliance.ledger import service as ledger
from alliance.ledger.coverage import rates_sha256
from alliance.registry.lifecycle import Write, check_writable
from alliance.settlement.fx import rates as fx_rates
from alliance.settlement.fx.rates import Rate
from alliance.store.database import Store, on_duplicate
from alliance.store.fx_repository import FxRepository, StoredRate

CHART_DAYS = 90  # the latest rates a currency's chart draws
# Bounds on a read, so no request reads the whole register at once (docs/formats/exchange-rates.md):
MAX_PAGE = 1000        # rates on one page of the list (the API's `limit` bound too)
MAX_RANGE_DAYS = 366   # days in one `rates_between` (a settlement period is at most a year, leap day included)


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did: the rates it added and how many it found stored already."""

    number: int | None  # the import's number (None: it added nothing)
    added: list[Rate]
    duplicates: int
    settlement_currency: str

    def as_json(self) -> dict[str, Any]:
        return {"import": self.number, "added": len(self.added), "duplicates": self.duplicates,
                "settlement_currency": self.settlement_currency, "rates": [r.as_json() for r in self.added]}


@dataclass(frozen=True, slots=True)
class Register:
    """A page of an alliance's rates, with what the page needs around it."""

    settlement_currency: str
    page: Page[StoredRate]
    currencies: list[str] = field(default_factory=list)


def import_csv(store: Store, alliance_code: str, principal: Principal, data: bytes, clock: Clock, *,
               shown_as: str = "") -> ImportReport:
    """Import a CSV file of rates (docs/formats/exchange-rates.md): all new rates or none.
    RatesInvalid naming each bad row (422), RatesConflict naming both rates of each conflict (409)."""
    return _import(store, alliance_code, principal, clock, lambda: fx_rates.read_csv(data),
                   shown_as or "CSV")


def import_items(store: Store, alliance_code: str, principal: Principal, items: Sequence[Mapping[str, Any]],
                 clock: Clock) -> ImportReport:
    """Import rates pushed as a list of {day, currency, rate, source} objects (items counted from 1)."""
    return _import(store, alliance_code, principal, clock, lambda: fx_rates.read_items(items), "API")


def _import(store: Store, alliance_code: str, principal: Principal, clock: Clock,
            read: Callable[[], list[tuple[Message, Mapping[str, Any]]]], shown_as: str) -> ImportReport:
    authorize(principal, Action.IMPORT_ORDERS, alliance_code)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        check_writable(alliance.code, alliance.status, Write.ORDERS)
        rows = fx_rates.check_rows(read(), alliance.currency)
        # Imports of one alliance one after the other: the second sees the first's rates (its equal
        # rates are duplicates, its different ones conflicts) and takes the next import number.
        repo = FxRepository(uow.connection)
        repo.hold(alliance.id)
        merged = fx_rates.merge(repo.known(alliance.id, (r.rate.key for r in rows)), rows)
        if not merged.added:
            return ImportReport(None, [], merged.duplicates, alliance.currency)
        number = repo.next_import(alliance.id)
        now = clock.now()
        with on_duplicate(Conflict(Message("another import stored rates of the same days at the same moment: "
                                           "import again (rates stored by then count as duplicates)"))):
            repo.add(alliance.id, number, merged.added, principal.account, now)
        added = [r.as_json() for r in merged.added]
        ledger.record(uow, alliance.id, alliance.code, events.FX_RATES_IMPORTED, principal.account, now, {
            "import": number, "rates": len(added), "duplicates": merged.duplicates, "file": shown_as,
            "currencies": sorted({r.currency for r in merged.added}),
            "first_day": merged.added[0].day.isoformat(), "last_day": max(r.day for r in merged.added).isoformat(),
            "sha256": rates_sha256(added)})
        uow.commit()
    return ImportReport(number, merged.added, merged.duplicates, alliance.currency)


def _currency(text: str | None) -> str | None:
    """The currency a list is filtered by; MoneyError (422 `invalid_money`) for an unknown code."""
    return check_currency(text) if text else None


def list_rates(store: Store, alliance_code: str, principal: Principal, *, currency: str | None = None,
               limit: int = 100, offset: int = 0) -> Register:
    """A page of the alliance's rates, newest day first (of one currency when named): at most
    `MAX_PAGE` rates. InvalidInput (422) for a limit outside 1..MAX_PAGE or a negative offset."""
    authorize(principal, Action.READ_RECORDS, alliance_code)
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(Message("a page of exchange rates holds 1 to {most} rates, not {limit}: page through "
                                   "the rest with the offset", most=MAX_PAGE, limit=limit))
    if offset < 0:
        raise InvalidInput(Message("the offset counts rates to skip: 0 or more, not {offset}", offset=offset))
    wanted = _currency(currency)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        repo = FxRepository(uow.connection)
        found, total = repo.page(alliance.id, wanted, limit, offset)
        return Register(alliance.currency, Page(found, total, limit, offset), repo.currencies(alliance.id))


def series(store: Store, alliance_code: str, principal: Principal, count: int = CHART_DAYS) -> dict[str, list[Rate]]:
    """Each currency's latest `count` rates, oldest first: what the page's charts draw."""
    authorize(principal, Action.READ_RECORDS, alliance_code)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        repo = FxRepository(uow.connection)
        return {c: repo.latest(alliance.id, c, count) for c in repo.currencies(alliance.id)}


def rates_between(store: Store, alliance_code: str, first: date, last: date) -> dict[tuple[date, str], Decimal]:
    """The rates of the business days first..last, as `conversion.rate_on` reads them. For settlement
    (no principal: the caller has authorised the run). InvalidInput (422) when `last` is before
    `first` or the range spans more than `MAX_RANGE_DAYS` days (a run reads its period, never the
    whole register)."""
    check_range(first, last)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        return {r.key: r.rate for r in FxRepository(uow.connection).between(alliance.id, first, last)}


def check_range(first: date, last: date) -> None:
    """Refuse a range of days ending before it starts, or longer than `MAX_RANGE_DAYS` (both days counted)."""
    if last < first:
        raise InvalidInput(Message("the range of days ends ({last}) before it starts ({first})",
                                   first=first.isoformat(), last=last.isoformat()))
    days = (last - first).days + 1
    if days > MAX_RANGE_DAYS:
        raise InvalidInput(Message("{first} to {last} spans {days} days: ask for at most {most} days at a time",
                                   first=first.isoformat(), last=last.isoformat(), days=days, most=MAX_RANGE_DAYS))
