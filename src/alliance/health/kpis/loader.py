"""The thin loader: what the computed indicators read, for a range of days, in one unit of work.

One query per source for the whole range (every period of a series is computed from the same
load), instants turned into days of the alliance's time zone, nothing computed here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from alliance.core.money import minor_digits
from alliance.health.kpis.catalogue import Catalogue, from_document, DEFAULT
from alliance.health.kpis.indicators.base import (
    AccessRow, AccountDay, ActionRow, AgendaRow, AttendanceRow, BallotRow, DisputeRow, IndicatorData, MeetingRow,
    PatentRow,
    ProposalRow, SoldDay, StockDay, ViewRow, WarehouseDay,
)
from alliance.health.kpis.pledges import Delivery, Pledge, PledgeKind
from alliance.ip.exit import joint_since
from alliance.health.kpis.scorecard import EnteredValues, Entry
from alliance.registry.model import Alliance
from alliance.store.ip_repository import IpRepository
from alliance.store.kpis_repository import KpisRepository, StoredDelivery, StoredPledge
from alliance.store.unit_of_work import UnitOfWork

SECONDS_A_DAY = Decimal(86400)


def repo(uow: UnitOfWork) -> KpisRepository:
    return KpisRepository(uow.connection)


def current_catalogue(uow: UnitOfWork, alliance_id: int) -> Catalogue:
    stored = repo(uow).latest_catalogue(alliance_id)
    return DEFAULT if stored is None else Catalogue(stored.version, from_document(stored.definitions))


def active_members(uow: UnitOfWork, alliance: Alliance, start: date, end: date) -> list[str]:
    everyone = uow.members.of_alliance(alliance.id, alliance.code, alliance.currency, include_left=True)
    return [m.code for m in everyone if m.joined_on < end and (m.left_on is None or m.left_on > start)]


def _instant(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def _amount(kind: str, quantity: Decimal | None, minor: int | None, unit: str) -> Decimal:
    if kind == PledgeKind.MONEY.value and minor is not None:
        return Decimal(minor).scaleb(-minor_digits(unit))
    return quantity if quantity is not None else Decimal(0)


def pledge_of(stored: StoredPledge, deliveries: Sequence[StoredDelivery]) -> Pledge:
    return Pledge(stored.number, stored.member, PledgeKind(stored.kind),
                  _amount(stored.kind, stored.quantity, stored.amount_minor, stored.unit), stored.unit, stored.due_on,
                  stored.description, stored.pledged_by, stored.pledged_at,
                  tuple(Delivery(d.id, stored.number, _amount(stored.kind, d.quantity, d.amount_minor, stored.unit),
                                 d.delivered_on, d.recorded_by, d.recorded_at, d.note) for d in deliveries))


def pledges(uow: UnitOfWork, alliance_id: int, member: str | None = None) -> list[Pledge]:
    return [pledge_of(p, ds) for p, ds in repo(uow).pledges(alliance_id, member=member)]


def entered_values(uow: UnitOfWork, alliance_id: int, kpis: Sequence[str] | None = None,
                   until: date | None = None) -> EnteredValues:
    return EnteredValues(Entry(v.kpi, v.member, v.start, v.id, v.value)
                         for v in repo(uow).values(alliance_id, kpis=kpis, until=until))


def load(uow: UnitOfWork, alliance: Alliance, first: date, end: date, members: Sequence[str]) -> IndicatorData:
    """Every row the computed indicators read for the days [first, end) of the alliance's calendar."""
    zone = ZoneInfo(alliance.timezone)
    since, until = _instant(first, zone), _instant(end, zone)
    r = repo(uow)

    def day(moment: datetime | None) -> date | None:
        return None if moment is None else moment.astimezone(zone).date()

    meetings = tuple(MeetingRow(i, t, day(s)) for i, t, s in r.meetings(alliance.id, since, until))
    proposals = []
    for number, author, status, submitted, closed, implemented in r.proposals(alliance.id, since):
        decided = implemented or closed
        days = None if decided is None else Decimal(int((decided - submitted).total_seconds())) / SECONDS_A_DAY
        proposals.append(ProposalRow(number, author, status, day(submitted), day(decided), days))
    account_days = uow.settlement.account_totals(alliance.id, first, end - timedelta(days=1))
    return IndicatorData(
        members=tuple(members),
        meetings=meetings,
        attendance=tuple(AttendanceRow(*row) for row in r.attendance(alliance.id, since, until)),
        agenda=tuple(AgendaRow(i, m, t, o, p, bool(has)) for i, m, t, o, p, has in r.agenda(alliance.id, since, until)),
        actions=tuple(ActionRow(i, m, a, o, due, status, day(closed)) for i, m, a, o, due, status, closed
                      in r.actions(alliance.id, first, end - timedelta(days=1), since, until)),
        proposals=tuple(proposals),
        ballots=tuple(BallotRow(v, day(at)) for v, at in r.ballots(alliance.id, since, until)),
        views=tuple(ViewRow(i, m, day(c), day(rv)) for i, m, c, rv in r.views(alliance.id, until)),
        accesses=tuple(AccessRow(v, day(at)) for v, at in r.accesses(alliance.id, since, until)),
        disputes=tuple(DisputeRow(n, (c, *(resp or [])), day(at)) for n, c, resp, at in r.disputes(alliance.id, since, until)),
        settled_lines={run.day: run.lines for run in uow.settlement.runs_between(alliance.id, first, end - timedelta(days=1))},
        accounts=tuple(AccountDay(d, a, net, n) for d, a, net, n in account_days),
        pledges=tuple(pledges(uow, alliance.id)),
        patents=tuple(PatentRow(asset, at.astimezone(zone).date(), holders)
                      for asset, at, holders in joint_since(IpRepository(uow.connection).register(alliance.id))),
        warehouse_days=_warehouse_days(uow, alliance.id, first, end, zone),
        **_inventory_days(uow, alliance, first, end),
    )


def _warehouse_days(uow: UnitOfWork, alliance_id: int, first: date, end: date,
                    zone: ZoneInfo) -> tuple[WarehouseDay, ...]:
    """Each shared warehouse's capacity and use on the days [first, end) since it was added
    (operations.warehouse)."""
    from alliance.operations.warehouse.capacity import used_by_day
    from alliance.store.warehouse_repository import WarehouseRepository

    if end <= first:
        return ()
    repo = WarehouseRepository(uow.connection)
    last = end - timedelta(days=1)
    rows: list[WarehouseDay] = []
    for w in repo.warehouses(alliance_id):
        since = max(first, w.created_at.astimezone(zone).date())
        if since > last:
            continue
        held = repo.bookings(alliance_id, w.id, overlapping=(since, last))
        rows += [WarehouseDay(w.owner, since + timedelta(days=i), w.capacity, used)
                 for i, used in enumerate(used_by_day(held, since, last))]
    return tuple(rows)


def _inventory_days(uow: UnitOfWork, alliance: Alliance, first: date, end: date) -> dict[str, Any]:
    """The inventory board's members' stock on their snapshot days and units sold per day in [first, end)
    (operations.inventory), read from the fact store (store.shared_facts: the server's one connection).
    On the board: a live inventory view; sales read: a live sales view without differential privacy.
    Read only when the alliance's current KPI catalogue has a KPI whose source is this indicator.
    No fact store file yet, or the file held by another process past the wait: no rows, so the
    indicator has no reading rather than the scorecard failing."""
    from alliance.core.settings import get_settings
    from alliance.store.facts import FactStoreError, inventory_sql
    from alliance.store.shared_facts import shared_facts

    # Read only for an alliance whose KPI catalogue sources a KPI from this indicator: every other
    # scorecard still never opens DuckDB.
    if not any(d.source == "inventory_turnover_days" for d in current_catalogue(uow, alliance.id).definitions):
        return {}
    live = uow.datashare.views(alliance.id)
    on_board = sorted({v.member for v in live if v.dataset == "inventory"})
    sales = frozenset(v.member for v in live if v.dataset == "sales" and not v.privacy) & set(on_board)
    path = get_settings().resolved_facts_path()
    if not on_board or end <= first or not path.exists():
        return {}
    last = end - timedelta(days=1)
    try:
        with shared_facts(path).using() as facts:
            stock = inventory_sql.stock_days(facts, alliance.code, on_board, first, last)
            sold = inventory_sql.units_sold_days(facts, alliance.code, sorted(sales), first, last)
    except FactStoreError:
        return {}
    return {"stock_days": tuple(StockDay(*row) for row in stock), "sold_days": tuple(SoldDay(*row) for row in sold),
            "sales_shared": sales}
