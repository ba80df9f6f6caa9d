"""Settling business days: T+1, closed days never rewritten, late lines as adjustments, one winner."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from alliance.core.clock import FrozenClock
from alliance.core.errors import Conflict, InvalidInput
from alliance.registry import service as registry
from alliance.settlement import service
from alliance.sharing import service as sharing
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from tests.support.factories import admin_of, credit_code, make_alliance

AGREEMENT = """
agreement: hw-split
effective_from: 2026-12-01
parties: [SW, HW]
rules:
  - {id: hw-profit, kind: fixed_split, select: {product_owner: HW}, base: revenue, shares: {SW: 0.30, HW: 0.70}}
"""
HEADER = "line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,refund_of,currency"


def at(day: int, hour: int = 2) -> FrozenClock:
    return FrozenClock(datetime(2026, 12, day, hour, tzinfo=UTC))


@pytest.fixture
def setup(store: Store, clock: FrozenClock, tmp_path: Path) -> FactStore:
    make_alliance(store, clock, code="cloud-hw")
    for n, code in ((1, "SW"), (2, "HW")):
        registry.add_member(store, "cloud-hw", {"code": code, "name": f"{code} 公司", "credit_code": credit_code(n)}, clock)
    sharing.propose_version(store, "cloud-hw", AGREEMENT, "秘书长", clock)
    for member in ("SW", "HW"):
        sharing.sign(store, "cloud-hw", "hw-split", 1, member, "代表", clock, principal=admin_of("cloud-hw", member))
    facts = FactStore(tmp_path / "facts.duckdb")
    yield facts  # type: ignore[misc]
    facts.close()


def ingest(stores: Stores, tmp_path: Path, rows: list[str], clock: FrozenClock, name: str) -> None:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    report = service.import_order_lines(stores, "cloud-hw", path, None, clock)
    assert report.kept and report.rejected_count == 0, report.rejected


def test_settle_yesterday_statement_and_closed_day(store: Store, setup: FactStore, tmp_path: Path) -> None:
    facts = setup
    stores = Stores(store, facts)
    ingest(stores, tmp_path, ["L1,O1,2026-12-05T10:00:00+08:00,HW,HW,store,HW-1,1,1000.01,,CNY",
                                    "L2,O2,2026-12-05T11:00:00+08:00,SW,SW,store,SW-1,1,50.00,,CNY"], at(5, 12), "d5.csv")
    result = service.settle(stores, "cloud-hw", None, "财务", at(6))  # T+1: yesterday, the 5th
    assert result.day == date(2026, 12, 5) and result.lines == 2
    assert {k: v.amount_text() for k, v in result.net.items()} == {"HW": "-300.00", "SW": "300.00"}
    sw = service.statement(store, "cloud-hw", "SW", date(2026, 12, 5))
    assert sw.total.amount_text() == "300.00"
    assert [(l.rule_id, l.rate, l.amount_minor) for l in sw.lines] == [("hw-profit", "0.3", 30000)]
    with pytest.raises(service.DayClosed):
        service.settle(stores, "cloud-hw", date(2026, 12, 5), "财务", at(7))
    with pytest.raises(InvalidInput, match="not over yet"):
        service.settle(stores, "cloud-hw", date(2026, 12, 6), "财务", at(6))


def test_a_late_refund_is_an_adjustment_in_the_next_run_once(store: Store, setup: FactStore, tmp_path: Path) -> None:
    facts = setup
    stores = Stores(store, facts)
    ingest(stores, tmp_path, ["L1,O1,2026-12-05T10:00:00+08:00,HW,HW,store,HW-1,1,1000.01,,CNY"], at(5, 12), "a.csv")
    service.settle(stores, "cloud-hw", date(2026, 12, 5), "财务", at(6, 1))
    # The refund of the 5th arrives after the 5th closed.
    ingest(stores, tmp_path, ["R1,O1,2026-12-05T20:00:00+08:00,HW,HW,store,HW-1,1,-1000.01,L1,CNY"], at(6, 3), "r.csv")
    sixth = service.settle(stores, "cloud-hw", date(2026, 12, 6), "财务", at(7, 1))
    assert sixth.lines == 0 and sixth.late_lines == 1
    assert {k: v.amount_text() for k, v in sixth.net.items()} == {"HW": "300.00", "SW": "-300.00"}
    (adjustment,) = service.statement(store, "cloud-hw", "SW", date(2026, 12, 6)).lines
    assert adjustment.adjustment_of == date(2026, 12, 5) and adjustment.amount_minor == -30000
    # The closed 5th is unchanged, and the 7th does not adjust the refund a second time.
    assert service.statement(store, "cloud-hw", "SW", date(2026, 12, 5)).total.amount_text() == "300.00"
    assert service.settle(stores, "cloud-hw", date(2026, 12, 7), "财务", at(8, 1)).late_lines == 0


def test_two_runs_of_the_same_day_at_once_save_exactly_one(store: Store, setup: FactStore, tmp_path: Path) -> None:
    facts = setup
    stores = Stores(store, facts)
    ingest(stores, tmp_path, ["L1,O1,2026-12-05T10:00:00+08:00,HW,HW,store,HW-1,1,10.00,,CNY"], at(5, 12), "c.csv")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def run() -> None:
        barrier.wait()
        try:
            service.settle(stores, "cloud-hw", date(2026, 12, 5), "财务", at(6))
            outcomes.append("saved")
        except Conflict:
            outcomes.append("refused")

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["refused", "saved"]
    assert service.statement(store, "cloud-hw", "HW", date(2026, 12, 5)).total.amount_text() == "-3.00"


def test_journal_exports_balance_and_pass_bean_check(store: Store, setup: FactStore, tmp_path: Path) -> None:
    import csv
    import io
    import shutil
    import subprocess
    import sys

    from alliance.settlement.journal import beancount, to_csv

    facts = setup
    stores = Stores(store, facts)
    ingest(stores, tmp_path, ["L1,O1,2026-12-05T10:00:00+08:00,HW,HW,store,HW-1,1,1000.01,,CNY"], at(5, 12), "a.csv")
    service.settle(stores, "cloud-hw", date(2026, 12, 5), "财务", at(6, 1))
    ingest(stores, tmp_path, ["R1,O1,2026-12-05T20:00:00+08:00,HW,HW,store,HW-1,1,-1000.01,L1,CNY",
                                    "L2,O2,2026-12-06T09:00:00+08:00,HW,HW,store,HW-2,1,99.99,,CNY"], at(6, 3), "b.csv")
    service.settle(stores, "cloud-hw", date(2026, 12, 6), "财务", at(7, 1))
    currency, entries = service.journal(store, "cloud-hw", date(2026, 12, 1), date(2026, 12, 31))
    assert [(e.day, e.adjustment_of) for e in entries] == [
        (date(2026, 12, 5), None), (date(2026, 12, 6), None), (date(2026, 12, 6), date(2026, 12, 5))]
    rows = list(csv.DictReader(io.StringIO(to_csv(entries))))
    assert sum(money_minor(r["amount"]) for r in rows) == 0
    ledger = tmp_path / "journal.beancount"
    ledger.write_text(beancount("cloud-hw", currency, entries), encoding="utf-8")
    bean_check = shutil.which("bean-check", path=str(Path(sys.executable).parent))
    assert bean_check, "beancount is a test dependency"
    done = subprocess.run([bean_check, str(ledger)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    with pytest.raises(InvalidInput):
        service.journal(store, "cloud-hw", date(2026, 12, 31), date(2026, 12, 1))


def test_accounts_that_clean_to_one_name_stay_apart_in_beancount(tmp_path: Path) -> None:
    import shutil
    import subprocess
    import sys

    from alliance.core.money import Money
    from alliance.settlement.journal import JournalEntry, beancount, components

    names = components(["sh.hw", "sh_hw", "sw", "SW", "HW", "成长基金"])
    assert len(set(names.values())) == 6 and names["HW"] == "HW"
    assert names["sh.hw"].startswith("SH-HW-") and names["sh_hw"].startswith("SH-HW-")
    assert components(["sh.hw", "HW"])["sh.hw"] == "SH-HW"  # no clash, no suffix
    postings = (("sh.hw", Money(-100, "CNY")), ("sh_hw", Money(60, "CNY")), ("sw", Money(20, "CNY")),
                ("SW", Money(10, "CNY")), ("成长基金", Money(10, "CNY")))
    entry = JournalEntry(date(2026, 12, 5), "split", 1, "s", "fixed_split", None, postings)
    ledger = tmp_path / "clash.beancount"
    ledger.write_text(beancount("cloud-hw", "CNY", [entry]), encoding="utf-8")
    bean_check = shutil.which("bean-check", path=str(Path(sys.executable).parent))
    assert bean_check, "beancount is a test dependency"
    done = subprocess.run([bean_check, str(ledger)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def money_minor(text: str) -> int:
    from alliance.core.money import Money

    return Money.parse(text, "CNY").minor


def test_sandbox_replays_candidates_and_flags_expectations(store: Store, setup: FactStore, tmp_path: Path) -> None:
    facts = setup
    stores = Stores(store, facts)
    ingest(stores, tmp_path, ["L1,O1,2026-12-05T10:00:00+08:00,HW,HW,store,HW-1,1,1000.00,,CNY",
                                    "L2,O2,2026-12-06T10:00:00+08:00,HW,HW,store,HW-2,1,1000.00,,CNY"], at(6, 12), "s.csv")
    base = AGREEMENT + 'expectations: {SW: "600.00", HW: "-600.00"}\n'
    generous = base.replace("SW: 0.30, HW: 0.70", "SW: 0.40, HW: 0.60")
    scenarios = service.simulate(stores, "cloud-hw", [("a.yaml", base), ("b.yaml", generous)],
                                 date(2026, 12, 1), date(2026, 12, 31))
    a, b = scenarios
    assert {k: v.amount_text() for k, v in a.totals.items()} == {"HW": "-600.00", "SW": "600.00"} and a.flagged == {}
    assert {k: v.amount_text() for k, v in b.totals.items()} == {"HW": "-800.00", "SW": "800.00"}
    assert set(b.flagged) == {"SW", "HW"} and "beyond ±5%" in b.flagged["SW"]
    # Nothing was written: the days are still open.
    assert service.settle(stores, "cloud-hw", date(2026, 12, 5), "财务", at(7)).lines == 1
    with pytest.raises(InvalidInput) as caught:
        service.simulate(stores, "cloud-hw", [("c.yaml", AGREEMENT.replace("[SW, HW]", "[SW, ZZ]"))],
                         date(2026, 12, 1), date(2026, 12, 2))
    assert any("'ZZ' is not a current member" in p.reason for p in caught.value.problems)


def test_the_daily_loop_settles_due_days_and_reports_failures(store: Store, setup: FactStore, tmp_path: Path) -> None:
    from datetime import time, timedelta

    from alliance.settlement.scheduler import DailySettlement

    facts = setup
    ingest(Stores(store, facts), tmp_path, ["L1,O1,2026-12-05T10:00:00+08:00,HW,HW,store,HW-1,1,10.00,,CNY"], at(5, 12), "d.csv")
    facts.close()
    make_alliance(store, at(5), code="no-agreement")  # nothing to settle there
    early = DailySettlement(store, tmp_path / "facts.duckdb", time(2, 0), FrozenClock(datetime(2026, 12, 5, 17, tzinfo=UTC)))
    assert early.tick() == []  # 01:00 on the 6th in Shanghai: not yet
    daily = DailySettlement(store, tmp_path / "facts.duckdb", time(2, 0), at(6, 3), interval=timedelta(milliseconds=50))
    (run,) = daily.tick()
    assert (run.alliance, run.day, run.error) == ("cloud-hw", date(2026, 12, 5), None)
    assert daily.tick() == []  # closed now
    daily.start()
    daily.stop()  # the loop starts and stops cleanly


THREE_AND_DYNAMIC = """
agreement: pools
effective_from: 2026-12-01
parties: [SW, HW]
rules:
  - id: three
    kind: three_level
    select: {channel: mini-program}
    pool_rate: 0.10
    parts: {base: 0.40, incremental: 0.30, long_term: 0.30}
    members: [SW, HW]
    baseline: {SW: "0.00", HW: "0.00"}
    long_term_metric: user_assets
  - id: members-club
    kind: dynamic
    select: {channel: membership}
    initial: {SW: 0.50, HW: 0.50}
    metrics: {repurchase_rate: 1}
    max_change: 0.10
"""


def test_period_metrics_feed_three_level_and_dynamic_rules(store: Store, setup: FactStore, tmp_path: Path) -> None:
    facts = setup
    stores = Stores(store, facts)
    sharing.propose_version(store, "cloud-hw", THREE_AND_DYNAMIC, "秘书长", FrozenClock(datetime(2026, 11, 22, tzinfo=UTC)))
    for member in ("SW", "HW"):
        sharing.sign(store, "cloud-hw", "pools", 1, member, "代表", at(1), principal=admin_of("cloud-hw", member))
    ingest(stores, tmp_path, ["L1,O1,2026-12-05T10:00:00+08:00,HW,HW,mini-program,S,1,1000.00,,CNY",
                                    "L2,O2,2027-01-05T10:00:00+08:00,HW,HW,membership,S,1,100.00,,CNY"], at(5, 12), "m.csv")
    with pytest.raises(service.SettlementInputMissing, match="user_assets"):
        service.settle(stores, "cloud-hw", date(2026, 12, 5), "财务", at(6))
    december_period = (date(2026, 12, 1), date(2026, 12, 31))
    (failure,) = service.period_totals(store, "cloud-hw", *december_period).failures.values()
    assert failure.day == date(2026, 12, 5) and failure.actor == "财务" and "user_assets" in failure.reason
    with pytest.raises(InvalidInput, match="not over yet"):  # a refused request is not a failed run
        service.settle(stores, "cloud-hw", date(2026, 12, 6), "财务", at(6))
    assert set(service.period_totals(store, "cloud-hw", *december_period).failures) == {date(2026, 12, 5)}
    header = ["period", "metric", "member", "value"]
    rows = [["2026-12", "user_assets", "SW", "3"], ["2026-12", "user_assets", "HW", "1"],
            ["2026-12", "repurchase_rate", "SW", "0.9"], ["2026-12", "repurchase_rate", "HW", "0.1"]]
    with pytest.raises(InvalidInput) as caught:
        service.record_metrics(store, "cloud-hw", header, [*rows, ["2026-13", "x", "ZZ", "abc"]], at(6))
    assert {p.field for p in caught.value.problems} == {"period", "member", "value"}
    assert service.record_metrics(store, "cloud-hw", header, rows, at(6)) == 4
    with pytest.raises(InvalidInput, match="nothing was recorded"):
        service.record_metrics(store, "cloud-hw", header, rows[:1], at(6))  # never rewritten
    december = service.settle(stores, "cloud-hw", date(2026, 12, 5), "财务", at(6))
    assert service.period_totals(store, "cloud-hw", *december_period).failures == {}  # settled since: no longer failed
    # Pool 100.00 from HW: base 40.00 by sales and incremental 30.00 by growth (all HW's: SW gets
    # none of them), long-term 30.00 by user assets 3:1: SW's one line says what each part gave.
    three = [l for l in service.statement(store, "cloud-hw", "SW", date(2026, 12, 5)).lines if l.rule_id == "three"]
    assert [(l.rate, l.amount_minor) for l in three] == [
        ("0.225 of pool: base 0 + incremental 0 + long_term 0.225", 2250)]
    # January's dynamic shares: from 50:50 towards 90:10, capped at +0.10 -> SW 0.60, HW 0.40.
    with pytest.raises(service.DayOutOfOrder, match="settles 2026-12-06 first"):
        service.settle(stores, "cloud-hw", date(2027, 1, 5), "财务", FrozenClock(datetime(2027, 1, 6, 2, tzinfo=UTC)))
    *_, january = service.settle_through(stores, "cloud-hw", date(2027, 1, 5), "财务",
                                         FrozenClock(datetime(2027, 1, 6, 2, tzinfo=UTC)))
    club = [l for l in service.statement(store, "cloud-hw", "SW", date(2027, 1, 5)).lines if l.rule_id == "members-club"]
    assert [(l.rate, l.amount_minor) for l in club] == [("0.6", 6000)]
    assert december.day == date(2026, 12, 5) and january.day == date(2027, 1, 5)
