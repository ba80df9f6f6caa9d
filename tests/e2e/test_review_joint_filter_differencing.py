"""Review: two joint queries that differ only by a filter isolate fewer than k lines of a publisher
(the differencing attack the single-view rule "no filters" exists to stop)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient

from alliance.access.roles import Role
from alliance.access.service import create_api_key
from alliance.core.clock import FrozenClock
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.settlement.service import import_order_lines
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from tests.support.factories import make_alliance, member_values

V = "/api/v1/alliances/nb/views"
HEADER = "line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,cost,currency"


def test_a_filter_difference_isolates_one_line(store: Store, clock: FrozenClock, tmp_path: Path) -> None:
    make_alliance(store, clock, code="nb")
    for n in (1, 2):
        registry.add_member(store, "nb", member_values(n), clock)
    rows = []
    for i in range(10):  # M0001: ten ordinary lines on the 10th, M0002 sells the same SKUs
        rows.append(f"A{i},OA{i},2027-01-10T10:00:00+08:00,M0001,M0001,store,SKU-{i % 5},1,100.00,1.00,CNY")
        rows.append(f"B{i},OB{i},2027-01-10T10:00:00+08:00,M0002,M0002,store,SKU-{i % 5},1,100.00,1.00,CNY")
    rows.append("T,OT,2027-01-11T10:00:00+08:00,M0001,M0001,store,SKU-1,1,9876.54,1.00,CNY")  # the target line
    path = tmp_path / "lines.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    facts = FactStore(tmp_path / "facts.duckdb")
    import_order_lines(Stores(store, facts), "nb", path, None, clock)
    facts.close()
    keys = {m: {"Authorization": "Bearer " + create_api_key(store, role=Role.MEMBER_ADMIN, alliance="nb", member=m,
                                                              name=m, created_by="t", clock=clock).key}
            for m in ("M0001", "M0002")}
    with TestClient(create_app(store, FrozenClock(datetime(2027, 1, 20, tzinfo=UTC)), tmp_path / "facts.duckdb")) as c:
        a = c.post(V, headers=keys["M0001"], json={"member": "M0001", "name": "a", "k": 3, "fields": {
            "sku": "join", "business_day": "dimension", "amount": "aggregate"}}).json()["id"]
        b = c.post(V, headers=keys["M0002"], json={"member": "M0002", "name": "b", "k": 3, "fields": {
            "sku": "join", "amount": "aggregate"}}).json()["id"]
        asked = {"views": [a, b], "join": "sku", "aggregates": [f"sum:{a}.amount"]}
        everything = c.post(f"{V}/joint-query", headers=keys["M0002"], json=asked).json()["groups"]
        filtered = c.post(f"{V}/joint-query", headers=keys["M0002"],
                          json={**asked, "filter": [f"{a}.business_day<=2027-01-10"]})
    # M0002 must not learn one line of M0001's by subtracting a filtered answer: no filter is taken
    assert everything and filtered.status_code == 422 and "takes no filters" in filtered.text
