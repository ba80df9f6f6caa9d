"""Late lines and the order of days: every unit of a month's volume is counted once.

Days close in order; a line of a closed day that the runs before did not see is settled by the
next run as an adjustment, on top of what its month (or day) had accounted. These tests run the
sequences a reviewer found losing or double-counting money, on SQLite and PostgreSQL, and a
property over random sequences of imports and runs (SQLite).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alliance.core.clock import FrozenClock
from alliance.registry import service as registry
from alliance.settlement import service
from alliance.settlement.engine import _round, tier_amount
from alliance.sharing import service as sharing
from alliance.sharing.agreement import load_agreement_text
from alliance.store.database import Store
from alliance.store.facts import FactStore
from tests.support.factories import credit_code, make_alliance

HEADER = "line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,refund_of,currency"
TIERS = """
agreement: tiers
effective_from: 2026-12-01
parties: [SW, HW]
rules:
  - {id: volume, kind: tiered, volume_of: seller, payer: HW, mode: marginal,
     tiers: [{up_to: "1000.00", rate: 0}, {rate: 0.10}]}
"""
COST = """
agreement: campaign
effective_from: 2026-12-01
parties: [SW, HW]
rules:
  - {id: split, kind: fixed_split, shares: {SW: 0.50, HW: 0.50}}
  - {id: campaign, kind: cost_share, amount: "1000.00", incurred_on: 2026-12-05, paid_by: SW, ratios: {SW: 0.50, HW: 0.50}}
"""
DAILY_FUND = """
agreement: fund
effective_from: 2026-12-01
parties: [SW, HW]
accounts: {fund: 成长基金}
rules:
  - {id: g, kind: growth_fund, rate: 0.10, target: "1000.00", period: day, fund: fund}
"""
SPLIT = """
agreement: hw-split
effective_from: 2026-12-01
parties: [SW, HW]
rules:
  - {id: hw-profit, kind: fixed_split, select: {product_owner: HW}, shares: {SW: 0.30, HW: 0.70}}
"""
_ids = itertools.count(1)


def at(day: int, hour: int = 2, month: int = 12, year: int = 2026) -> FrozenClock:
    return FrozenClock(datetime(year, month, day, hour, tzinfo=UTC))


def alliance_with(store: Store, document: str) -> None:
    clock = at(1, 0, month=11)
    make_alliance(store, clock, code="late")
    for n, code in ((1, "SW"), (2, "HW")):
        registry.add_member(store, "late", {"code": code, "name": f"{code} 公司", "credit_code": credit_code(n)}, clock)
    agreement = load_agreement_text(document)
    sharing.propose_version(store, "late", document, "秘书长", clock)
    for member in ("SW", "HW"):
        sharing.sign(store, "late", agreement.code, 1, member, "代表", clock)


def line(day: date, seller: str, amount: str, owner: str | None = None) -> str:
    n = next(_ids)
    return f"L{n},O{n},{day.isoformat()}T10:00:00+08:00,{seller},{owner or seller},store,S-1,1,{amount},,CNY"


def ingest(store: Store, facts: FactStore, tmp_path: Path, rows: list[str], clock: FrozenClock) -> None:
    path = tmp_path / f"batch-{next(_ids)}.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    report = service.import_order_lines(store, facts, "late", path, None, clock)
    assert report.kept and report.rejected_count == 0, report.rejected


def paid_for(store: Store, account: str, rule: str, first: date, last: date) -> int:
    """What `account` got from `rule` for the days first..last: their runs and later adjustments of them."""
    total = 0
    for run_day in service.period_totals(store, "late", first, last + timedelta(days=40)).runs:
        for l in service.statement(store, "late", account, run_day).lines:
            of = l.adjustment_of or run_day
            if l.rule_id == rule and first <= of <= last:
                total += l.amount_minor
    return total


@pytest.fixture
def facts(tmp_path: Path) -> Iterator[FactStore]:
    f = FactStore(tmp_path / "facts.duckdb")
    yield f
    f.close()


D5, D6, D7 = date(2026, 12, 5), date(2026, 12, 6), date(2026, 12, 7)


def test_a_late_line_does_not_share_the_days_cost_again(store: Store, facts: FactStore, tmp_path: Path) -> None:
    alliance_with(store, COST)
    ingest(store, facts, tmp_path, [line(D5, "HW", "10.00")], at(5, 12))
    service.settle(store, facts, "late", D5, "财务", at(6, 1))
    ingest(store, facts, tmp_path, [line(D5, "HW", "10.00")], at(6, 3))
    sixth = service.settle(store, facts, "late", D6, "财务", at(7, 1))
    assert sixth.late_lines == 1
    hw = service.statement(store, "late", "HW", D6).lines
    # HW sold the late 10.00 and keeps half of it: only the split moves, all of it for the 5th.
    assert {l.rule_id for l in hw} == {"split"} and {l.adjustment_of for l in hw} == {D5}
    assert sum(l.amount_minor for l in hw) == -500
    assert paid_for(store, "HW", "campaign", D5, D5) == -50000  # shared once, with the day


def test_a_late_line_pays_tiers_on_top_of_the_days_settled_volume(store: Store, facts: FactStore,
                                                                  tmp_path: Path) -> None:
    alliance_with(store, TIERS)
    ingest(store, facts, tmp_path, [line(D5, "SW", "1000.00")], at(5, 12))
    service.settle(store, facts, "late", D5, "财务", at(6, 1))
    ingest(store, facts, tmp_path, [line(D5, "SW", "500.00"), line(D6, "SW", "100.00")], at(6, 3))
    list(service.settle_through(store, facts, "late", date(2026, 12, 31), "财务", at(1, 1, month=1, year=2027)))
    # December: 1,600.00 sold, 10% above 1,000.00 = 60.00, whatever arrived late.
    assert paid_for(store, "SW", "volume", date(2026, 12, 1), date(2026, 12, 31)) == 6000
    assert paid_for(store, "HW", "volume", date(2026, 12, 1), date(2026, 12, 31)) == -6000


def test_a_late_line_meets_the_daily_target_with_the_days_settled_profit(store: Store, facts: FactStore,
                                                                         tmp_path: Path) -> None:
    alliance_with(store, DAILY_FUND)
    ingest(store, facts, tmp_path, [line(D5, "SW", "500.00")], at(5, 12))
    service.settle(store, facts, "late", D5, "财务", at(6, 1))
    ingest(store, facts, tmp_path, [line(D5, "SW", "800.00")], at(6, 3))
    service.settle(store, facts, "late", D6, "财务", at(7, 1))
    assert paid_for(store, "fund", "g", D5, D5) == 3000  # 10% of 1,300.00 above 1,000.00


def test_days_close_in_order_from_the_first_day_with_lines(store: Store, facts: FactStore, tmp_path: Path) -> None:
    alliance_with(store, SPLIT)
    ingest(store, facts, tmp_path, [line(D5, "HW", "100.00"), line(D6, "HW", "100.00")], at(6, 12))
    with pytest.raises(service.DayOutOfOrder, match="settles 2026-12-05 first") as refused:
        service.settle(store, facts, "late", D6, "财务", at(7, 1))
    assert refused.value.status == 409
    assert service.period_totals(store, "late", D5, D7).failures == {}  # a refusal is not a failed run
    assert [r.day for r in service.settle_through(store, facts, "late", D6, "财务", at(7, 1))] == [D5, D6]
    with pytest.raises(service.DayOutOfOrder, match="2026-12-04 comes before 2026-12-06"):
        service.settle(store, facts, "late", date(2026, 12, 4), "财务", at(7, 1))
    with pytest.raises(service.DayClosed):
        service.settle(store, facts, "late", D6, "财务", at(7, 1))
    assert list(service.settle_through(store, facts, "late", D6, "财务", at(7, 1))) == []
    # A line of a day before the first closed one is late like any other.
    ingest(store, facts, tmp_path, [line(date(2026, 12, 3), "HW", "100.00")], at(7, 3))
    seventh = service.settle(store, facts, "late", D7, "财务", at(8, 1))
    assert seventh.late_lines == 1
    assert paid_for(store, "SW", "hw-profit", date(2026, 12, 1), D7) == 9000


def test_a_line_imported_while_its_day_is_read_is_settled_by_the_next_run(store: Store, facts: FactStore,
                                                                         tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    alliance_with(store, SPLIT)
    ingest(store, facts, tmp_path, [line(D5, "HW", "100.00")], at(5, 12))
    real = service.settle_totals
    landed: list[int] = []

    def import_meanwhile(*args, **kwargs):  # type: ignore[no-untyped-def]
        if not landed:  # another request's import commits while the run is reading the store
            landed.append(1)
            ingest(store, facts, tmp_path, [line(D5, "HW", "100.00")], FrozenClock(datetime(2026, 12, 6, 0, 59, 59, tzinfo=UTC)))
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "settle_totals", import_meanwhile)
    fifth = service.settle(store, facts, "late", D5, "财务", at(6, 1))
    monkeypatch.setattr(service, "settle_totals", real)
    assert fifth.lines == 1  # the run's snapshot: the line that landed meanwhile is not half seen
    sixth = service.settle(store, facts, "late", D6, "财务", at(7, 1))
    assert sixth.late_lines == 1
    assert paid_for(store, "SW", "hw-profit", D5, D5) == 6000


# -- the property: whatever arrives when, a month's tiers pay the month's volume once ---------------

def _run_schedule(tmp_path: Path, batches: list[list[tuple[int, int]]], settle_after: list[int]) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'alliance.db'}")
    facts = FactStore(tmp_path / "facts.duckdb")
    try:
        alliance_with(store, TIERS)
        volume = 0
        closed = date(2026, 11, 30)
        for batch, runs in zip(batches, settle_after, strict=True):
            rows = [line(date(2026, 12, day), "SW", f"{cents // 100}.{cents % 100:02d}") for day, cents in batch]
            volume += sum(cents for _day, cents in batch)
            ingest(store, facts, tmp_path, rows, FrozenClock(datetime(2027, 1, 1, tzinfo=UTC)))
            if runs:
                closed = min(date(2026, 12, 31), closed + timedelta(days=runs))
                list(service.settle_through(store, facts, "late", closed, "财务", at(1, 1, month=1, year=2027)))
        list(service.settle_through(store, facts, "late", date(2027, 1, 1), "财务", at(2, 1, month=1, year=2027)))
        rule = load_agreement_text(TIERS).rules[0]
        owed = _round(tier_amount(rule.params["tiers"], rule.params["mode"], volume))
        assert paid_for(store, "SW", "volume", date(2026, 12, 1), date(2026, 12, 31)) == owed
    finally:
        facts.close()
        store.close()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(st.lists(st.tuples(st.integers(1, 31), st.integers(1, 90_000)), min_size=1, max_size=4),
                        min_size=1, max_size=5),
       settle_after=st.lists(st.integers(0, 12), min_size=5, max_size=5))
def test_tiers_pay_the_months_volume_once_whatever_arrives_late(tmp_path_factory: pytest.TempPathFactory,
                                                                 batches: list[list[tuple[int, int]]],
                                                                 settle_after: list[int]) -> None:
    _run_schedule(tmp_path_factory.mktemp("late"), batches, settle_after[:len(batches)])
