"""A warehouse month bills three members (the issue's scenario), on SQLite and PostgreSQL with a frozen
clock: A's warehouse in Hangzhou (30 pallet positions; day 10.00, week 60.00, month 200.00; the first
day of each stay free; +10% on the days of a stay beyond 20) holds, in November 2026,

- B: 5 pallets, 3–10 November: 8 days, 7 billed = 1 week 60.00, × 5 = 300.00;
- C: 2 pallets, 5–30 November: 26 days, 25 billed = 1 month 200.00 (cheaper than 3 weeks + 4 days,
  220.00), × 2 = 400.00, and 6 days beyond 20 at +10% of 400.00 × 6/25 = 9.60: 409.60;
- D: 3 pallets, 20 November – 5 December: 16 days, 15 billed = 2 weeks + 1 day 130.00, × 3 = 390.00,
  spread over its 15 billed days (26.00 a day): November's 10 of them are 260.00.

November is billed on 2 December as one charge; the settlement run that closes 1 December books it:
each member's statement shows its line to the cent, naming the warehouse month, and A receives the
sum, 969.60. December then bills D's remaining 130.00, and D's stay is billed exactly 390.00."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from alliance.access.roles import Principal, Role
from alliance.core.clock import FrozenClock
from alliance.ledger import service as ledger
from alliance.operations.warehouse import service as warehouse
from alliance.registry import service as registry
from alliance.settlement import service as settlement
from alliance.sharing import service as sharing
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from tests.support.factories import admin_of, credit_code, make_alliance

AGREEMENT = """
agreement: split
effective_from: 2026-11-01
parties: [A, B]
rules:
  - {id: even, kind: fixed_split, select: {channel: store}, base: revenue, shares: {A: 0.5, B: 0.5}}
"""
HEADER = "line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,currency"
NOV_1 = FrozenClock(datetime(2026, 11, 1, 2, tzinfo=UTC))  # 10:00 in Asia/Shanghai
DEC_2 = FrozenClock(datetime(2026, 12, 2, 2, tzinfo=UTC))
JAN_2 = FrozenClock(datetime(2027, 1, 2, 2, tzinfo=UTC))
COORDINATOR = Principal("秘书长", Role.COORDINATOR, "cang", kind="user")


@pytest.fixture
def facts(store: Store, tmp_path: Path) -> Iterator[FactStore]:
    make_alliance(store, NOV_1, code="cang")
    for n, code in enumerate(("A", "B", "C", "D"), start=1):
        registry.add_member(store, "cang", {"code": code, "name": f"{code} 公司", "credit_code": credit_code(n)}, NOV_1)
    sharing.propose_version(store, "cang", AGREEMENT, "秘书长", NOV_1)
    for member in ("A", "B"):
        sharing.sign(store, "cang", "split", 1, member, "代表", NOV_1, principal=admin_of("cang", member))
    found = FactStore(tmp_path / "facts.duckdb")
    path = tmp_path / "lines.csv"
    path.write_text(HEADER + "\nL1,O1,2026-12-01T10:00:00+08:00,A,A,store,S-1,1,100.00,CNY\n", encoding="utf-8")
    settlement.import_order_lines(Stores(store, found), "cang", path, None, DEC_2)
    yield found
    found.close()


def _stay(store: Store, member: str, quantity: int, start: date, end: date) -> int:
    return warehouse.book(store, "cang", admin_of("cang", member), 1, member, quantity, start, end,
                          NOV_1).booking.number


def _warehouse_lines(store: Store, member: str, day: date) -> list[tuple[str, int, str, str]]:
    return [(line.kind, line.amount_minor, line.correction_of, line.rule_id)
            for line in settlement.statement(store, "cang", member, day).lines if line.kind == "warehouse"]


def test_a_warehouse_month_bills_three_members_to_the_cent(store: Store, stores: Stores) -> None:
    warehouse.save_warehouse(store, "cang", admin_of("cang", "A"), {
        "name": "Hangzhou", "owner": "A", "location": "杭州萧山", "capacity": "30", "unit": "pallet",
        "price_day": "10.00", "price_week": "60.00", "price_month": "200.00", "free_days": "1",
        "surcharge_after": "20", "surcharge_percent": "10"}, NOV_1)
    _stay(store, "B", 5, date(2026, 11, 3), date(2026, 11, 10))
    _stay(store, "C", 2, date(2026, 11, 5), date(2026, 11, 30))
    d = _stay(store, "D", 3, date(2026, 11, 20), date(2026, 12, 5))

    (november,) = warehouse.bill_month(store, "cang", COORDINATOR, "2026-11", DEC_2)
    assert dict(november.totals) == {"B": 30000, "C": 40960, "D": 26000}
    assert november.owner_minor == 96960
    explained = {line.member: line.explanation for line in november.lines}
    assert "7 d = 1×7 d 60.00; 1 free; × 5 = 300.00" in explained["B"]
    assert "25 d = 1×30 d 200.00; 1 free; × 2; +10% × 6 d > 20 d 9.60 = 409.60" in explained["C"]
    assert "2026-11: 11 d 260.00" in explained["D"]

    result = settlement.settle(stores, "cang", date(2026, 12, 1), "财务", DEC_2)
    title, reference = "#1 Hangzhou 2026-11", "warehouse-1/2026-11"
    assert _warehouse_lines(store, "B", date(2026, 12, 1)) == [("warehouse", -30000, title, reference)]
    assert _warehouse_lines(store, "C", date(2026, 12, 1)) == [("warehouse", -40960, title, reference)]
    assert _warehouse_lines(store, "D", date(2026, 12, 1)) == [("warehouse", -26000, title, reference)]
    assert _warehouse_lines(store, "A", date(2026, 12, 1)) == [("warehouse", 96960, title, reference)]
    assert {m: result.net[m].minor for m in ("C", "D")} == {"C": -40960, "D": -26000}
    assert ledger.verify_store(store, "cang").ok

    # December: the rest of D's stay, so that it is billed exactly its 390.00 over the two months
    (december,) = warehouse.bill_month(store, "cang", COORDINATOR, "2026-12", JAN_2)
    assert dict(december.totals) == {"D": 13000}
    assert sum(line.amount_minor for inv in (november, december) for line in inv.lines if line.booking == d) == 39000
