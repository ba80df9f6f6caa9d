"""The shared warehouse over HTTP (SQLite and PostgreSQL): a member's key books for its own member and
sees its own bookings and the free capacity, never another member's booking (404); a booking beyond
capacity answers 409 naming the first full day with other members' space; the coordinator bills the
month; a member's key sees its own invoice lines only."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from alliance.access.roles import Role
from alliance.access.service import create_api_key
from alliance.core.clock import FrozenClock
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.store.database import Store
from tests.support.factories import make_alliance, member_values

NOV_1 = datetime(2026, 11, 1, 2, tzinfo=UTC)  # 10:00 in Asia/Shanghai


@pytest.fixture
def api(store: Store) -> Iterator[tuple[TestClient, dict[str, dict[str, str]], FrozenClock]]:
    clock = FrozenClock(NOV_1)
    make_alliance(store, clock, code="nb")
    for n in (1, 2, 3):
        registry.add_member(store, "nb", member_values(n), clock)
    keys = {"coordinator": create_api_key(store, role=Role.COORDINATOR, alliance="nb", member=None, name="c",
                                          created_by="t", clock=clock).key}
    for member in ("M0001", "M0002", "M0003"):
        keys[member] = create_api_key(store, role=Role.MEMBER_ADMIN, alliance="nb", member=member, name=member,
                                      created_by="t", clock=clock).key
    headers = {who: {"Authorization": f"Bearer {key}"} for who, key in keys.items()}
    with TestClient(create_app(store, clock)) as client:
        yield client, headers, clock


def test_members_see_their_own_bookings_and_invoice_lines(api) -> None:  # type: ignore[no-untyped-def]
    client, as_, clock = api
    base = "/api/v1/alliances/nb"
    r = client.post(f"{base}/warehouses", headers=as_["M0001"], json={
        "name": "北仑仓", "owner": "M0001", "capacity": "10", "price_day": "10.00", "price_week": "60.00"})
    assert r.status_code == 201, r.text
    assert r.json()["price_lines"][1] == {"period": "week", "days": 7, "price_minor": 6000, "price": "60.00"}
    r = client.post(f"{base}/warehouses", headers=as_["M0002"], json={
        "name": "别人的仓", "owner": "M0001", "capacity": "10", "price_day": "1.00"})
    assert r.status_code == 403  # a member adds its own member's warehouses only
    mine = {"member": "M0002", "quantity": 6, "starts_on": "2026-11-03", "ends_on": "2026-11-10"}
    r = client.post(f"{base}/warehouses/1/bookings", headers=as_["M0002"], json=mine)
    assert r.status_code == 201 and r.json()["booking"]["estimate"] == "420.00", r.text
    r = client.post(f"{base}/warehouses/1/bookings", headers=as_["M0002"], json={**mine, "member": "M0003"})
    assert r.status_code == 404  # not for another member
    r = client.post(f"{base}/warehouses/1/bookings", headers=as_["M0003"],
                    json={"member": "M0003", "quantity": 5, "starts_on": "2026-11-08", "ends_on": "2026-11-09"})
    assert r.status_code == 409 and r.json()["code"] == "warehouse_over_capacity"
    assert "2026-11-08" in r.json()["detail"]
    listed = client.get(f"{base}/warehouse-bookings", headers=as_["M0003"]).json()["items"]
    assert listed == []
    assert client.get(f"{base}/warehouse-bookings/1", headers=as_["M0003"]).status_code == 404
    free = client.get(f"{base}/warehouses/1/availability?start=2026-11-09&end=2026-11-11", headers=as_["M0003"])
    assert [d["free"] for d in free.json()["days"]] == [4, 4, 10]
    owner = client.get(f"{base}/warehouse-bookings", headers=as_["M0001"]).json()["items"]
    assert [b["member"] for b in owner] == ["M0002"]

    clock.advance(datetime(2026, 12, 2, 2, tzinfo=UTC) - NOV_1)
    r = client.post(f"{base}/warehouse-invoices", headers=as_["M0002"], json={"month": "2026-11"})
    assert r.status_code == 403  # billing is the coordinator's
    r = client.post(f"{base}/warehouse-invoices", headers=as_["coordinator"], json={"month": "2026-11"})
    assert r.status_code == 201, r.text
    (invoice,) = r.json()["items"]
    assert (invoice["title"], invoice["total"], invoice["owner"]) == ("#1 北仑仓 2026-11", "420.00", "420.00")
    seen = client.get(f"{base}/warehouse-invoices", headers=as_["M0003"]).json()["items"]
    assert seen == []
    seen = client.get(f"{base}/warehouse-invoices", headers=as_["M0002"]).json()["items"]
    assert [line["member"] for line in seen[0]["lines"]] == ["M0002"] and seen[0]["owner_minor"] is None
