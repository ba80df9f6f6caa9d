"""A day with order lines but no agreement in force never closes by accident: settling it asks for
a confirmation, the run keeps why nothing was shared, the ledger covers it, the scheduler leaves
such a day open, and the calendar knows which days can never be settled and which comes next."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
from sqlalchemy import update

from alliance.core.clock import FrozenClock
from alliance.ledger import events
from alliance.ledger import service as ledger
from alliance.registry import service as registry
from alliance.settlement import service
from alliance.settlement.scheduler import DailySettlement
from alliance.settlement.unshared import NO_AGREEMENT_IN_FORCE, UnsharedDay
from alliance.settlement.window import settlement_window
from alliance.sharing import service as sharing
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from alliance.store.tables import settlement_runs
from tests.support.factories import admin_of, credit_code, make_alliance

# In force from 2026-11-25: the lines of the 23rd and 24th have no agreement in force.
AGREEMENT = """
agreement: split
effective_from: 2026-11-25
parties: [SW, HW]
rules:
  - {id: r, kind: fixed_split, select: {product_owner: HW}, base: revenue, shares: {SW: 0.30, HW: 0.70}}
"""
HEADER = "line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,currency"


def at(day: int, hour: int = 3) -> FrozenClock:
    return FrozenClock(datetime(2026, 11, day, hour, tzinfo=UTC))


@pytest.fixture
def facts(store: Store, clock: FrozenClock, tmp_path: Path) -> FactStore:
    make_alliance(store, clock, code="nb")  # founded 2026-11-22 (Asia/Shanghai)
    for n, code in ((1, "SW"), (2, "HW")):
        registry.add_member(store, "nb", {"code": code, "name": f"{code} 公司", "credit_code": credit_code(n)}, clock)
    sharing.propose_version(store, "nb", AGREEMENT, "秘书长", clock)
    for member in ("SW", "HW"):
        sharing.sign(store, "nb", "split", 1, member, "代表", clock, principal=admin_of("nb", member))
    path = tmp_path / "lines.csv"
    path.write_text("\n".join([HEADER,
                               "L1,O1,2026-11-23T10:00:00+08:00,SW,HW,store,S1,1,100.00,CNY",
                               "L2,O2,2026-11-23T11:00:00+08:00,HW,HW,store,S1,1,276.00,CNY",
                               "L3,O3,2026-11-25T10:00:00+08:00,SW,HW,store,S1,1,10.00,CNY"]) + "\n", encoding="utf-8")
    found = FactStore(tmp_path / "facts.duckdb")
    assert service.import_order_lines(Stores(store, found), "nb", path, None, clock).kept
    yield found  # type: ignore[misc]
    found.close()


def test_a_day_with_lines_and_no_agreement_is_refused_until_confirmed(store: Store, stores: Stores) -> None:
    with pytest.raises(UnsharedDay) as refused:
        service.settle(stores, "nb", date(2026, 11, 23), "财务", at(26))
    assert refused.value.status == 409 and refused.value.code == "day_unshared" and refused.value.lines == 2
    assert "2026-11-23 has 2 order line(s) but no agreement" in refused.value.message
    assert "nothing shared" in refused.value.message
    # Nothing was saved, not even as a failed attempt: the day is open, as it was.
    assert service.day_totals(store, "nb", date(2026, 11, 23)) is None
    assert service.period_totals(store, "nb", date(2026, 11, 1), date(2026, 11, 30)).failures == {}

    result = service.settle(stores, "nb", date(2026, 11, 23), "财务", at(26), allow_unshared=True)
    assert (result.lines, result.net, result.unshared_reason) == (2, {}, NO_AGREEMENT_IN_FORCE)
    totals = service.day_totals(store, "nb", date(2026, 11, 23))
    assert totals is not None and totals.unshared_reason == NO_AGREEMENT_IN_FORCE and totals.unshared_confirmed
    (entry,) = [e["entry"] for e in ledger.entries(store, "nb") if e["type"] == events.DAY_SETTLED]
    assert NO_AGREEMENT_IN_FORCE in json.dumps(entry)
    assert ledger.verify_store(store, "nb").ok

    # A day without lines needs no confirmation; a day with an agreement in force shares and asks nothing.
    assert service.settle(stores, "nb", date(2026, 11, 24), "财务", at(26)).unshared_reason is None
    shared = service.settle(stores, "nb", date(2026, 11, 25), "财务", at(26))
    assert shared.unshared_reason is None and shared.net
    assert service.day_totals(store, "nb", date(2026, 11, 25)).unshared_reason is None  # type: ignore[union-attr]


def test_the_ledger_catches_a_reason_cleared_or_forged(store: Store, stores: Stores) -> None:
    service.settle(stores, "nb", date(2026, 11, 23), "财务", at(26), allow_unshared=True)
    service.settle(stores, "nb", date(2026, 11, 24), "财务", at(26))
    for day, forged in ((date(2026, 11, 23), None), (date(2026, 11, 24), NO_AGREEMENT_IN_FORCE)):
        with store.engine.begin() as c:
            original = c.execute(settlement_runs.select().where(settlement_runs.c.day == day)).one().unshared_reason
            c.execute(update(settlement_runs).where(settlement_runs.c.day == day).values(unshared_reason=forged))
        report = ledger.verify_store(store, "nb")
        assert not report.ok and f"settled day {day} differs from what was recorded: unshared_reason" \
            in str(report.first_mismatch)
        with store.engine.begin() as c:
            c.execute(update(settlement_runs).where(settlement_runs.c.day == day).values(unshared_reason=original))
    assert ledger.verify_store(store, "nb").ok


def test_settling_through_stops_at_an_unshared_day_unless_confirmed(store: Store, stores: Stores) -> None:
    with pytest.raises(UnsharedDay):
        list(service.settle_through(stores, "nb", date(2026, 11, 25), "财务", at(26)))
    assert service.day_totals(store, "nb", date(2026, 11, 23)) is None
    runs = list(service.settle_through(stores, "nb", date(2026, 11, 25), "财务", at(26), allow_unshared=True))
    assert [(r.day.day, r.unshared_reason) for r in runs] == [(23, NO_AGREEMENT_IN_FORCE), (24, None), (25, None)]


def test_the_scheduler_leaves_an_unshared_day_open_and_says_why_once(store: Store, facts: FactStore,
                                                                     tmp_path: Path) -> None:
    facts.close()
    daily = DailySettlement(store, tmp_path / "facts.duckdb", time(2, 0), at(26))
    for _ in range(3):  # it tries every minute
        (run,) = daily.tick()
        assert run.day == date(2026, 11, 23) and run.result is None and run.waiting and "no agreement" in run.error
    assert service.day_totals(store, "nb", date(2026, 11, 23)) is None  # still open, nothing closed after it
    assert service.day_totals(store, "nb", date(2026, 11, 25)) is None
    failures = service.period_totals(store, "nb", date(2026, 11, 1), date(2026, 11, 30)).failures
    assert list(failures) == [date(2026, 11, 23)] and "left open by the scheduler" in failures[date(2026, 11, 23)].reason
    with store.unit_of_work() as uow:  # recorded once, not once a tick
        aid = uow.alliances.require("nb").id
    from sqlalchemy import func, select

    from alliance.store.tables import settlement_failures
    with store.engine.connect() as c:
        assert c.execute(select(func.count()).select_from(settlement_failures)
                         .where(settlement_failures.c.alliance_id == aid)).scalar_one() == 1
    # A coordinator confirms by hand; the scheduler then catches up with the days after it.
    reopened = FactStore(tmp_path / "facts.duckdb")
    try:
        service.settle(Stores(store, reopened), "nb", date(2026, 11, 23), "coordinator", at(26), allow_unshared=True)
    finally:
        reopened.close()
    assert [(r.day.day, r.error) for r in daily.tick()] == [(24, None), (25, None)]


def window(stores: Stores, code: str, clock: FrozenClock) -> tuple[date | None, date | None]:
    found = settlement_window(stores, code, clock)
    return found.first, found.next


def test_the_window_names_the_first_settleable_day_and_the_next(stores: Stores) -> None:
    # Founded on the 22nd with lines from the 23rd: the 22nd can never be settled; the 23rd is next.
    assert window(stores, "nb", at(26)) == (date(2026, 11, 23), date(2026, 11, 23))
    service.settle(stores, "nb", date(2026, 11, 23), "财务", at(26), allow_unshared=True)
    assert window(stores, "nb", at(26)) == (date(2026, 11, 23), date(2026, 11, 24))
    service.settle(stores, "nb", date(2026, 11, 24), "财务", at(26))
    service.settle(stores, "nb", date(2026, 11, 25), "财务", at(26))
    assert settlement_window(stores, "nb", at(26)).next is None  # the 26th is not over yet
    assert settlement_window(stores, "nb", at(27)).next == date(2026, 11, 26)


def test_the_window_of_an_alliance_without_lines(store: Store, clock: FrozenClock, tmp_path: Path) -> None:
    make_alliance(store, clock, code="empty")
    facts = FactStore(tmp_path / "facts.duckdb")
    stores = Stores(store, facts)
    try:
        # Founded today: nothing is over yet; later, any finished day from the founding on may be the first.
        assert window(stores, "empty", clock) == (date(2026, 11, 22), None)
        assert window(stores, "empty", at(30)) == (date(2026, 11, 22), date(2026, 11, 29))
    finally:
        facts.close()
