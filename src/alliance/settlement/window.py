"""Which days an alliance can settle: the first it ever may, and the one its next run settles.

The calendar shows the days before the first as never to be settled (rather than open forever)
and offers the next day in the settle form; both follow the rules `service.settle` enforces.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from alliance.core.clock import Clock, local_today
from alliance.settlement.service import _settleable, earliest_day, first_due
from alliance.store.stores import Stores


@dataclass(frozen=True, slots=True)
class SettlementWindow:
    first: date | None  # days before it can never be settled (None: not known, e.g. unsettleable lines)
    next: date | None   # the day the next run settles, if that day is over (None: nothing to settle yet)


def settlement_window(stores: Stores, alliance_code: str, clock: Clock) -> SettlementWindow:
    """The first day `alliance_code` may ever settle, and the next day it settles, as the runs decide.

    Days close in order: before any run, the first is the first day holding order lines (or a
    shared cost), or the founding day when none does; once a day closed, no day before the first
    closed one can close. A day earlier than an alliance's founding and its first line never can.
    """
    store, facts = stores.records, stores.facts
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        closed = set(uow.settlement.closed(alliance.id))
        versions = {} if closed else {code: uow.sharing.versions(alliance.id, code)
                                      for code in uow.sharing.codes(alliance.id)}
    yesterday = local_today(clock, alliance.timezone) - timedelta(days=1)
    first_line_day = facts.first_day(alliance.code)
    if not _settleable(first_line_day):
        return SettlementWindow(None, None)  # every run fails, and says why (the calendar lists it)
    earliest = earliest_day(alliance, first_line_day)
    if closed:
        first, upcoming = min(closed), max(closed) + timedelta(days=1)
    else:
        start = first_due(first_line_day, versions)
        first = max(start, earliest) if start is not None else earliest
        # With nothing to start from, any finished day may be the first: yesterday, by default.
        upcoming = first if start is not None else yesterday
    return SettlementWindow(first, upcoming if earliest <= upcoming <= yesterday else None)
