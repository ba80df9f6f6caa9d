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
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from alliance.core.clock import FrozenClock
from alliance.registry import service as registry
from alliance.settlement import service
from alliance.settlement.engine import round_half_even as _round, tier_amount
from alliance.sharing import service as sharing
from alliance.sharing.agreement import load_agreement_text
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from tests.support.factories import HW_SPLIT, admin_of, credit_code, make_alliance

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
SPLIT = HW_SPLIT  # the 30/70 hardware-profit split: SW gets 30% of HW's lines
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
        sharing.sign(store, "late", agreement.code, 1, member, "代表", clock, principal=admin_of("late", member))


def line(day: date, seller: str, amount: str, owner: str | None = None) -> str:
    n = next(_ids)
    return f"L{n},O{n},{day.isoformat()}T10:00:00+08:00,{seller},{owner or seller},store,S-1,1,{amount},,CNY"


def ingest(stores: Stores, tmp_path: Path, rows: list[str], clock: FrozenClock) -> None:
    path = tmp_path / f"batch-{next(_ids)}.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    report = service.import_order_lines(stores, "late", path, None, clock)
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


def test_a_late_line_does_not_share_the_days_cost_again(store: Store, stores: Stores, tmp_path: Path) -> None:
    alliance_with(store, COST)
    ingest(stores, tmp_path, [line(D5, "HW", "10.00")], at(5, 12))
    service.settle(stores, "late", D5, "财务", at(6, 1))
    ingest(stores, tmp_path, [line(D5, "HW", "10.00")], at(6, 3))
    sixth = service.settle(stores, "late", D6, "财务", at(7, 1))
    assert sixth.late_lines == 1
    hw = service.statement(store, "late", "HW", D6).lines
    # HW sold the late 10.00 and keeps half of it: only the split moves, all of it for the 5th.
    assert {l.rule_id for l in hw} == {"split"} and {l.adjustment_of for l in hw} == {D5}
    assert sum(l.amount_minor for l in hw) == -500
    assert paid_for(store, "HW", "campaign", D5, D5) == -50000  # shared once, with the day


def test_a_late_line_pays_tiers_on_top_of_the_days_settled_volume(store: Store, stores: Stores,
                                                                  tmp_path: Path) -> None:
    alliance_with(store, TIERS)
    ingest(stores, tmp_path, [line(D5, "SW", "1000.00")], at(5, 12))
    service.settle(stores, "late", D5, "财务", at(6, 1))
    ingest(stores, tmp_path, [line(D5, "SW", "500.00"), line(D6, "SW", "100.00")], at(6, 3))
    list(service.settle_through(stores, "late", date(2026, 12, 31), "财务", at(1, 1, month=1, year=2027)))
    # December: 1,600.00 sold, 10% above 1,000.00 = 60.00, whatever arrived late.
    assert paid_for(store, "SW", "volume", date(2026, 12, 1), date(2026, 12, 31)) == 6000
    assert paid_for(store, "HW", "volume", date(2026, 12, 1), date(2026, 12, 31)) == -6000


def test_a_late_line_meets_the_daily_target_with_the_days_settled_profit(store: Store, stores: Stores,
                                                                         tmp_path: Path) -> None:
    alliance_with(store, DAILY_FUND)
    ingest(stores, tmp_path, [line(D5, "SW", "500.00")], at(5, 12))
    service.settle(stores, "late", D5, "财务", at(6, 1))
    ingest(stores, tmp_path, [line(D5, "SW", "800.00")], at(6, 3))
    service.settle(stores, "late", D6, "财务", at(7, 1))
    assert paid_for(store, "fund", "g", D5, D5) == 3000  # 10% of 1,300.00 above 1,000.00


def test_days_close_in_order_from_the_first_day_with_lines(store: Store, stores: Stores, tmp_path: Path) -> None:
    alliance_with(store, SPLIT)
    ingest(stores, tmp_path, [line(D5, "HW", "100.00"), line(D6, "HW", "100.00")], at(6, 12))
    with pytest.raises(service.DayOutOfOrder, match="settles 2026-12-05 first") as refused:
        service.settle(stores, "late", D6, "财务", at(7, 1))  # (no cost is shared before the 5th)
    assert refused.value.status == 409
    assert service.period_totals(store, "late", D5, D7).failures == {}  # a refusal is not a failed run
    assert [r.day for r in service.settle_through(stores, "late", D6, "财务", at(7, 1))] == [D5, D6]
    with pytest.raises(service.DayOutOfOrder, match="2026-12-04 comes before 2026-12-06"):
        service.settle(stores, "late", date(2026, 12, 4), "财务", at(7, 1))
    with pytest.raises(service.DayClosed):
        service.settle(stores, "late", D6, "财务", at(7, 1))
    assert list(service.settle_through(stores, "late", D6, "财务", at(7, 1))) == []
    # A line of a day before the first closed one is late like any other.
    ingest(stores, tmp_path, [line(date(2026, 12, 3), "HW", "100.00")], at(7, 3))
    seventh = service.settle(stores, "late", D7, "财务", at(8, 1))
    assert seventh.late_lines == 1
    assert paid_for(store, "SW", "hw-profit", date(2026, 12, 1), D7) == 9000


def test_a_line_imported_while_its_day_is_read_is_settled_by_the_next_run(store: Store, stores: Stores,
                                                                         tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    alliance_with(store, SPLIT)
    ingest(stores, tmp_path, [line(D5, "HW", "100.00")], at(5, 12))
    real = service.settle_totals
    landed: list[int] = []

    def import_meanwhile(*args, **kwargs):  # type: ignore[no-untyped-def]
        if not landed:  # another request's import commits while the run is reading the store
            landed.append(1)
            ingest(stores, tmp_path, [line(D5, "HW", "100.00")], FrozenClock(datetime(2026, 12, 6, 0, 59, 59, tzinfo=UTC)))
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "settle_totals", import_meanwhile)
    fifth = service.settle(stores, "late", D5, "财务", at(6, 1))
    monkeypatch.setattr(service, "settle_totals", real)
    assert fifth.lines == 1  # the run's snapshot: the line that landed meanwhile is not half seen
    sixth = service.settle(stores, "late", D6, "财务", at(7, 1))
    assert sixth.late_lines == 1
    assert paid_for(store, "SW", "hw-profit", D5, D5) == 6000



def test_a_late_line_of_a_months_last_day_counts_that_months_volume_only(store: Store, stores: Stores,
                                                                        tmp_path: Path) -> None:
    dec31, jan1, jan2 = date(2026, 12, 31), date(2027, 1, 1), date(2027, 1, 2)
    alliance_with(store, TIERS)  # 0% up to 1,000.00 of a month's volume, 10% above
    ingest(stores, tmp_path, [line(dec31, "SW", "500.00")], at(31, 12))
    list(service.settle_through(stores, "late", dec31, "财务", at(1, 1, month=1, year=2027)))
    ingest(stores, tmp_path, [line(jan1, "SW", "1000.00")], at(1, 12, month=1, year=2027))
    service.settle(stores, "late", jan1, "财务", at(2, 1, month=1, year=2027))
    ingest(stores, tmp_path, [line(dec31, "SW", "400.00")], at(2, 3, month=1, year=2027))  # late, after Jan 1 closed
    assert service.settle(stores, "late", jan2, "财务", at(3, 1, month=1, year=2027)).late_lines == 1
    # December: 900.00 sold, January 1,000.00: neither month passes 1,000.00, nothing is owed.
    assert paid_for(store, "SW", "volume", date(2026, 12, 1), dec31) == 0
    assert paid_for(store, "SW", "volume", jan1, date(2027, 1, 31)) == 0


def test_an_earlier_days_line_landing_as_the_first_run_starts_stops_the_run(store: Store, facts: FactStore,
                                                                           stores: Stores, tmp_path: Path,
                                                                           monkeypatch) -> None:  # type: ignore[no-untyped-def]
    alliance_with(store, SPLIT)
    ingest(stores, tmp_path, [line(D5, "HW", "100.00")], at(5, 12))
    real = facts.first_day
    landed: list[int] = []

    def import_meanwhile(alliance: str) -> date | None:
        found = real(alliance)
        if not landed:  # another request's import commits right after the run read the first day
            landed.append(1)
            ingest(stores, tmp_path, [line(date(2026, 12, 3), "HW", "100.00")],
                   FrozenClock(datetime(2026, 12, 6, 0, 59, 59, tzinfo=UTC)))
        return found

    monkeypatch.setattr(facts, "first_day", import_meanwhile)
    with pytest.raises(service.DayOutOfOrder, match="settles 2026-12-03 first"):
        service.settle(stores, "late", D5, "财务", at(6, 1))
    monkeypatch.setattr(facts, "first_day", real)
    list(service.settle_through(stores, "late", D7, "财务", at(8, 1)))
    assert paid_for(store, "SW", "hw-profit", date(2026, 12, 1), D7) == 6000  # both lines, once


def test_a_cost_shared_before_the_first_line_starts_the_first_run(store: Store, stores: Stores, tmp_path: Path) -> None:
    alliance_with(store, COST)  # 1,000.00 paid by SW on the 5th, shared 50/50
    ingest(stores, tmp_path, [line(D6, "HW", "10.00")], at(7, 3))
    with pytest.raises(service.DayOutOfOrder, match="settles 2026-12-05 first"):
        service.settle(stores, "late", D6, "财务", at(11, 1))
    days = [r.day for r in service.settle_through(stores, "late", date(2026, 12, 10), "财务", at(11, 1))]
    assert days[0] == D5 and days[-1] == date(2026, 12, 10)
    assert paid_for(store, "HW", "campaign", date(2026, 12, 1), date(2026, 12, 31)) == -50000


def test_a_day_an_older_version_left_open_is_settled_once_and_never_as_late(store: Store, stores: Stores,
                                                                           tmp_path: Path) -> None:
    from sqlalchemy import text

    alliance_with(store, SPLIT)
    ingest(stores, tmp_path, [line(d, "HW", "100.00") for d in (D5, D6, D7)], at(5, 12))
    service.settle(stores, "late", D5, "财务", at(8, 1))
    with store.unit_of_work() as uow:  # what a version before days closed in order could leave: the 7th closed, the 6th open
        uow.connection.execute(text(
            "INSERT INTO settlement_runs (alliance_id, day, currency, lines, late_lines, agreements, closed_at, actor, "
            "watermark_us) SELECT alliance_id, :day, currency, 0, 0, agreements, closed_at, actor, watermark_us "
            "FROM settlement_runs WHERE day = :closed"), {"day": D7, "closed": D5})
        uow.commit()
    eighth = service.settle(stores, "late", date(2026, 12, 8), "财务", at(9, 1))
    assert eighth.late_lines == 0  # the open 6th's lines are its own, not late lines of a closed day
    sixth = service.settle(stores, "late", D6, "财务", at(9, 1))  # once, out of order
    assert sixth.lines == 1
    with pytest.raises(service.DayClosed):
        service.settle(stores, "late", D6, "财务", at(9, 1))
    assert paid_for(store, "SW", "hw-profit", D6, D6) == 3000


# -- the property: whatever arrives when, each period pays its volume once ---------------------------
# (after a reviewer's property, which found late lines of a month's last day counting the next month)

MIX = """
agreement: mix
effective_from: 2026-11-02
parties: [SW, HW]
accounts: {mfund: 月基金, dfund: 日基金}
rules:
  - {id: volume, kind: tiered, volume_of: seller, payer: HW, mode: marginal,
     tiers: [{up_to: "1000.00", rate: 0}, {rate: 0.10}]}
  - {id: gm, kind: growth_fund, rate: 0.10, target: "800.00", period: month, fund: mfund}
  - {id: gd, kind: growth_fund, rate: 0.10, target: "300.00", period: day, fund: dfund}
"""
FIRST = date(2026, 11, 2)


def _posted(store: Store) -> list[tuple[str, str, int, date]]:
    """(account, rule, amount, the day it is for) of every statement line."""
    out = []
    for run_day in service.period_totals(store, "late", FIRST, date(2027, 3, 1)).runs:
        for account in ("SW", "mfund", "dfund"):
            try:
                found = service.statement(store, "late", account, run_day).lines
            except service.NotFound:
                found = []  # an account that has had no line yet
            out += [(account, l.rule_id, l.amount_minor, l.adjustment_of or run_day) for l in found]
    return out


ANCHOR = "SALE-FOR-REFUNDS"


def _run_schedule(tmp_path: Path, batches: list[list[tuple[int, int]]], settle_after: list[int]) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'alliance.db'}")
    facts = FactStore(tmp_path / "facts.duckdb")
    stores = Stores(store, facts)
    try:
        alliance_with(store, MIX)
        sold: dict[date, int] = {}
        closed = FIRST - timedelta(days=1)
        moment = datetime(2027, 3, 1, tzinfo=UTC)
        for number, (batch, runs) in enumerate(zip(batches, settle_after, strict=True)):
            # A refund reverses a sale of its seller, within what is left of it (docs/formats/order-lines.md):
            # every refund here names one large sale of a day that no run reaches, so volumes are as drawn.
            rows = [f"{ANCHOR},OA,2027-06-01T10:00:00+08:00,SW,SW,store,S-1,1,100000000.00,,CNY"] if number == 0 else []
            for offset, cents in batch:
                day = FIRST + timedelta(days=offset)
                sold[day] = sold.get(day, 0) + cents
                text = line(day, "SW", f"{'-' if cents < 0 else ''}{abs(cents) // 100}.{abs(cents) % 100:02d}")
                rows.append(text.replace(",,CNY", f",{ANCHOR},CNY") if cents < 0 else text)
            moment += timedelta(minutes=1)
            ingest(stores, tmp_path, rows, FrozenClock(moment))
            if runs:
                closed = min(date(2027, 1, 31), closed + timedelta(days=runs))
                moment += timedelta(minutes=1)
                list(service.settle_through(stores, "late", closed, "财务", FrozenClock(moment)))
        moment += timedelta(minutes=1)
        list(service.settle_through(stores, "late", date(2027, 2, 1), "财务", FrozenClock(moment)))
        rules = {r.id: r for r in load_agreement_text(MIX).rules}
        posted = _posted(store)
        for month in sorted({(d.year, d.month) for d in sold}):
            volume = sum(v for d, v in sold.items() if (d.year, d.month) == month)
            owed_tiers = _round(tier_amount(rules["volume"].params.tiers, rules["volume"].params.mode, volume))
            owed_fund = _round(Fraction(max(0, volume - 80000)) * Fraction(rules["gm"].params.rate))
            paid_tiers = sum(a for acc, rule, a, of in posted if (acc, rule) == ("SW", "volume") and (of.year, of.month) == month)
            paid_fund = sum(a for acc, rule, a, of in posted if (acc, rule) == ("mfund", "gm") and (of.year, of.month) == month)
            assert (month, paid_tiers, paid_fund) == (month, owed_tiers, owed_fund)
        for day, volume in sold.items():
            owed = _round(Fraction(max(0, volume - 30000)) * Fraction(rules["gd"].params.rate))
            assert (day, sum(a for acc, rule, a, of in posted if (acc, rule, of) == ("dfund", "gd", day))) == (day, owed)
    finally:
        facts.close()
        store.close()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# Nov 30 sold, closed; Dec 1 sold, closed; then Nov 30's late line (the month boundary), and refunds.
@example(batches=[[(28, 50000)], [(29, 100000)], [(28, 40000)]], settle_after=[29, 1, 1, 0, 0, 0])
@example(batches=[[(3, 90000), (4, 30000)], [(3, -45000)], [(4, -60000), (40, 70000)]], settle_after=[3, 5, 40, 0, 0, 0])
@given(batches=st.lists(st.lists(st.tuples(st.integers(0, 70), st.integers(-60_000, 90_000).filter(bool)),
                                 min_size=1, max_size=4), min_size=1, max_size=6),
       settle_after=st.lists(st.integers(0, 40), min_size=6, max_size=6))
@pytest.mark.slow
def test_each_period_pays_its_volume_once_whatever_arrives_when(tmp_path_factory: pytest.TempPathFactory,
                                                                 batches: list[list[tuple[int, int]]],
                                                                 settle_after: list[int]) -> None:
    _run_schedule(tmp_path_factory.mktemp("late"), batches, settle_after[:len(batches)])
