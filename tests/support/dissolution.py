"""The dissolution scenario's alliances (tests/integration/test_dissolution.py, tests/e2e/
test_dissolution_edges.py): `parent` (A, B, C) with a growth fund holding 18.00 after 5 December
(A paid in 15.00, B 3.00) and its sub-alliance `sub` (S1, S2)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from alliance.core.clock import Clock, FrozenClock
from alliance.registry import service as registry
from alliance.settlement import service as settlement
from alliance.sharing import service as sharing
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from tests.support.factories import admin_of, credit_code, make_alliance

AGREEMENT = """
agreement: fund
effective_from: 2026-12-01
parties: [A, B, C]
accounts: {growth-fund: 联合营销成长基金}
rules:
  - {id: growth, kind: growth_fund, select: {channel: store}, base: revenue, rate: 0.15, target: "0.00",
     period: day, fund: growth-fund}
"""
HEADER = "line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,currency"
LINES = [
    "L1,O1,2026-12-05T10:00:00+08:00,A,A,store,S-1,1,100.00,CNY",
    "L2,O2,2026-12-05T11:00:00+08:00,B,B,store,S-1,1,20.00,CNY",
]
LAST = date(2026, 12, 6)
NOW = FrozenClock(datetime(2026, 12, 7, 2, tzinfo=UTC))  # 10:00 in Asia/Shanghai


def build(store: Store, clock: Clock, tmp_path: Path) -> Stores:
    """Both alliances, 5 December settled in the parent; the caller closes the fact store."""
    make_alliance(store, clock, code="parent")
    make_alliance(store, clock, code="sub", name="宁波子联盟", parent_code="parent")
    for n, code in enumerate(("A", "B", "C"), start=1):
        registry.add_member(store, "parent", {"code": code, "name": f"{code} 公司", "credit_code": credit_code(n)},
                            clock)
    for n, code in enumerate(("S1", "S2"), start=4):
        registry.add_member(store, "sub", {"code": code, "name": f"{code} 公司", "credit_code": credit_code(n)}, clock)
    sharing.propose_version(store, "parent", AGREEMENT, "秘书长", clock)
    for member in ("A", "B", "C"):
        sharing.sign(store, "parent", "fund", 1, member, "代表", clock, principal=admin_of("parent", member))
    facts = FactStore(tmp_path / "facts.duckdb")
    both = Stores(store, facts)
    path = tmp_path / "lines.csv"
    path.write_text("\n".join([HEADER, *LINES]) + "\n", encoding="utf-8")
    settlement.import_order_lines(both, "parent", path, None, FrozenClock(datetime(2026, 12, 6, 12, tzinfo=UTC)))
    settlement.settle(both, "parent", date(2026, 12, 5), "财务", NOW)
    return both
