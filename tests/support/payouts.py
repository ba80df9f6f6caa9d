"""An alliance with closed days to pay out, for the payout tests: `cloud-hw`, members SW and HW, a
30/70 split of HW's sales; 10000.00 CNY sold on 2026-12-05 and 13744.67 on the 6th, both settled
(SW is owed 7123.40, HW owes as much); the 7th is open; USD (7.2) and JPY (0.047512) rates on the 8th."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from alliance.access.roles import Principal, Role
from alliance.core.clock import FrozenClock
from alliance.registry import service as registry
from alliance.settlement import service
from alliance.settlement.fx import service as fx
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
COORDINATOR = Principal("coord", Role.COORDINATOR, "cloud-hw", kind="user")


def at(day: int, hour: int = 2) -> FrozenClock:
    return FrozenClock(datetime(2026, 12, day, hour, tzinfo=UTC))


def settled_alliance(store: Store, clock: FrozenClock, tmp_path: Path) -> FactStore:
    """Build it (see the module's docstring); the caller closes the fact store it returns."""
    make_alliance(store, clock, code="cloud-hw")
    for n, code in ((1, "SW"), (2, "HW")):
        registry.add_member(store, "cloud-hw", {"code": code, "name": f"{code} 公司", "credit_code": credit_code(n)},
                            clock)
    sharing.propose_version(store, "cloud-hw", AGREEMENT, "秘书长", clock)
    for member in ("SW", "HW"):
        sharing.sign(store, "cloud-hw", "hw-split", 1, member, "代表", clock, principal=admin_of("cloud-hw", member))
    facts = FactStore(tmp_path / "facts.duckdb")
    stores = Stores(store, facts)
    path = tmp_path / "lines.csv"
    path.write_text("\n".join([HEADER, "L1,O1,2026-12-05T10:00:00+08:00,HW,HW,store,HW-1,1,10000.00,,CNY",
                               "L2,O2,2026-12-06T10:00:00+08:00,HW,HW,store,HW-1,1,13744.67,,CNY"]) + "\n")
    assert service.import_order_lines(stores, "cloud-hw", path, None, at(6, 12)).kept
    for day in (5, 6):
        service.settle(stores, "cloud-hw", datetime(2026, 12, day).date(), "财务", at(7, 1))
    fx.import_items(store, "cloud-hw", COORDINATOR, [
        {"day": "2026-12-08", "currency": "USD", "rate": "7.2", "source": "PBOC central parity"},
        {"day": "2026-12-08", "currency": "JPY", "rate": "0.047512", "source": "PBOC central parity"}], at(8))
    return facts
