"""House rule over the API: whoever acts for a member is that member's own account. A platform admin's
key (the operator's), and a coordinator's (an alliance admin holding no member's account), is refused every step taken in a member's name in the operations tools (403
forbidden, nothing stored): a bid, a referral, a warehouse booking, a purchase commitment, a member's
resources; the member's own admin key takes the same step; the platform key still
reads. The services decide (policy.authorize_member_step), so the command line and the pages refuse alike."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from alliance.access.roles import Role
from alliance.access.service import create_api_key
from alliance.core.clock import FrozenClock
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.store.database import Store
from alliance.store.tables import (bids, ledger_entries, member_resources, purchase_commitments, referrals,
                                   warehouse_bookings)
from tests.support.factories import credit_code, make_alliance
from tests.support.http import problem

A = "/api/v1/alliances/nb"
TABLES = (bids, referrals, warehouse_bookings, purchase_commitments, member_resources, ledger_entries)


@pytest.fixture
def world(store: Store, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    clock = FrozenClock(datetime(2026, 11, 2, 2, tzinfo=UTC))
    make_alliance(store, clock, code="nb")
    for n, member in enumerate(("M1", "M2"), start=1):
        registry.add_member(store, "nb", {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n)},
                            clock)

    def key(role: Role, alliance: str | None, member: str | None = None) -> dict[str, str]:
        made = create_api_key(store, role=role, alliance=alliance, member=member, name=f"{role.value} {member}",
                              created_by="t", clock=clock).key
        return {"Authorization": f"Bearer {made}"}

    keys = {"platform": key(Role.PLATFORM_ADMIN, None), "coordinator": key(Role.COORDINATOR, "nb"),
            "m1": key(Role.MEMBER_ADMIN, "nb", "M1"), "m2": key(Role.MEMBER_ADMIN, "nb", "M2")}
    with TestClient(create_app(store, clock, tmp_path / "facts.duckdb")) as client:
        yield client, keys


def counts(store: Store) -> tuple[int, ...]:
    with store.engine.connect() as c:
        return tuple(int(c.execute(select(func.count()).select_from(t)).scalar_one()) for t in TABLES)


@pytest.mark.parametrize("outsider", ["platform", "coordinator"])
def test_the_platform_key_takes_no_step_in_a_members_name(world: Any, store: Store, outsider: str) -> None:
    client, keys = world
    r = client.post(f"{A}/warehouses", headers=keys["m1"], json={
        "name": "北仑仓", "owner": "M1", "capacity": "10", "price_day": "10.00"})
    assert r.status_code == 201, r.text
    r = client.post(f"{A}/purchasing/campaigns", headers=keys["coordinator"], json={
        "title": "A4 paper", "item": "A4", "organiser": "M1", "deadline": "2026-11-25T18:00", "minimum": 100,
        "quotes": [{"supplier": "Paper Co", "tiers": [{"min_quantity": 1, "unit_price": "4.00"}]}]})
    assert r.status_code == 201, r.text
    steps = [
        ("post", f"{A}/bids", {"customer": "宁波港集团", "title": "码头", "due_on": "2026-12-20", "currency": "CNY",
                               "offered": "1000.00", "scope": "总包", "share": "1"}),
        ("post", f"{A}/referrals", {"from_member": "M1", "to_member": "M2", "name": "宁波悦佳", "contact": "138",
                                    "products": "纸", "consent": {"by": "王", "at": "2026-11-01", "how": "written"}}),
        ("post", f"{A}/warehouses/1/bookings", {"member": "M2", "quantity": 1, "starts_on": "2026-11-03",
                                                "ends_on": "2026-11-04"}),
        ("put", f"{A}/purchasing/campaigns/1/commitments/M2", {"quantity": 5}),
        ("post", f"{A}/members/M2/declarations", {"side": "resource", "kind": "brand"}),
    ]
    before = counts(store)
    for method, path, body in steps:
        problem(getattr(client, method)(path, json=body, headers=keys[outsider]), 403, "forbidden")
    assert counts(store) == before
    own = {f"{A}/bids": "m1", f"{A}/referrals": "m1"}
    for method, path, body in steps:
        r = getattr(client, method)(path, json=body, headers=keys[own.get(path, "m2")])
        assert r.status_code in (200, 201), (path, r.text)
    assert client.get(f"{A}/referrals/1", headers=keys[outsider]).json()["from_member"] == "M1"
    assert client.get(f"{A}/bids/1", headers=keys[outsider]).status_code == 200
    # The member's steps answered by the other member stay its own too: the outsider neither accepts
    # M1's referral for M2 nor withdraws M2's commitment; the coordinator's alliance steps stay its.
    before = counts(store)
    problem(client.post(f"{A}/referrals/1/accept", json={}, headers=keys[outsider]), 403, "forbidden")
    problem(client.put(f"{A}/purchasing/campaigns/1/commitments/M2", json={"quantity": 0},
                       headers=keys[outsider]), 403, "forbidden")
    assert counts(store) == before
