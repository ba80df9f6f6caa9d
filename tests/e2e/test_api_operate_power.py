"""The `operate` power of attorney over HTTP: a member's admin grants it (`power` in the grant's body;
`sign` without it, as before), the coordinator's key then commits to a joint purchase and drafts a joint
bid for the member, another member's admin key commits for it through the path naming the member; each
refusal (no power, the `sign` power, a revoked power) is problem+json and stores nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from alliance.access.roles import Role
from alliance.access.service import create_api_key
from alliance.core.clock import FrozenClock
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.store.database import Store
from alliance.store.tables import metadata
from tests.support.factories import credit_code, make_alliance
from tests.support.http import problem

API = "/api/v1/alliances/nb"
CAMPAIGN = {"title": "A4 paper", "item": "A4", "organiser": "M3", "deadline": "2026-11-25T18:00", "minimum": 100,
            "fee_rate": "0.1", "deposit_per_unit": "0",
            "quotes": [{"supplier": "Paper Co", "tiers": [{"min_quantity": 1, "unit_price": "4.00"}]}]}
BID = {"customer": "宁波港集团", "title": "智慧码头改造", "due_on": "2026-12-20", "currency": "CNY",
       "offered": "1000000.00", "scope": "总包", "share": "1"}


@pytest.fixture
def world(store: Store, clock: FrozenClock) -> Iterator[tuple[TestClient, dict[str, dict[str, str]], str]]:
    make_alliance(store, clock, code="nb")
    for n, member in enumerate(("M1", "M2", "M3"), start=1):
        registry.add_member(store, "nb", {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n)},
                            clock)
    made = {name: create_api_key(store, role=role, alliance="nb", member=member, name=name, created_by="t", clock=clock)
            for name, role, member in (("coordinator", Role.COORDINATOR, None), ("m1", Role.MEMBER_ADMIN, "M1"),
                                       ("m2", Role.MEMBER_ADMIN, "M2"))}
    keys = {name: {"Authorization": f"Bearer {k.key}"} for name, k in made.items()}
    with TestClient(create_app(store, clock)) as client:
        assert client.post(f"{API}/purchasing/campaigns", json=CAMPAIGN, headers=keys["coordinator"]).status_code == 201
        yield client, keys, made["m2"].prefix


def rows(store: Store) -> dict[str, list[str]]:
    """Every stored row but the keys' own (a key's use is noted on it)."""
    with store.engine.connect() as c:
        return {t.name: sorted(map(repr, c.execute(select(t)).all())) for t in metadata.sorted_tables
                if t.name != "api_keys"}


def grant(client: TestClient, keys: dict[str, dict[str, str]], grantee: str, power: str | None) -> dict[str, Any]:
    body = {"grantee": grantee} | ({"power": power} if power else {})
    r = client.post(f"{API}/members/M1/powers-of-attorney", json=body, headers=keys["m1"])
    assert r.status_code == 201, r.text
    return r.json()


def test_the_coordinator_commits_and_bids_for_a_member_only_by_its_operate_power(world: Any, store: Store) -> None:
    client, keys, _prefix = world
    commit = lambda: client.put(f"{API}/purchasing/campaigns/1/commitments/M1", json={"quantity": 40},  # noqa: E731
                                headers=keys["coordinator"])
    bid = lambda: client.post(f"{API}/bids?as_member=M1", json=BID, headers=keys["coordinator"])  # noqa: E731
    before = rows(store)
    problem(commit(), 403, "forbidden")
    problem(bid(), 403, "forbidden")
    assert rows(store) == before
    sign = grant(client, keys, "coordinator", None)
    assert sign["power"] == "sign"  # the default, as before
    before = rows(store)
    problem(commit(), 403, "forbidden")
    problem(bid(), 403, "forbidden")
    assert rows(store) == before
    power = grant(client, keys, "coordinator", "operate")
    assert (power["power"], power["in_force"]) == ("operate", True)
    assert commit().status_code == 200
    made = bid()
    assert made.status_code == 201 and made.json()["lead_member"] == "M1", made.text
    r = client.delete(f"{API}/members/M1/powers-of-attorney/{power['id']}", headers=keys["m1"])
    assert r.status_code == 200 and r.json()["in_force"] is False
    before = rows(store)
    problem(commit(), 403, "forbidden")
    problem(bid(), 403, "forbidden")
    assert rows(store) == before


def test_another_members_admin_commits_for_it_only_with_the_power(world: Any, store: Store) -> None:
    client, keys, prefix = world
    commit = lambda: client.put(f"{API}/purchasing/campaigns/1/commitments/M1", json={"quantity": 7},  # noqa: E731
                                headers=keys["m2"])
    before = rows(store)
    problem(commit(), 404, "not_found")  # M1's commitment is not there for M2's key
    assert rows(store) == before
    grant(client, keys, f"key:{prefix}", "operate")
    assert commit().status_code == 200
    mine = client.get(f"{API}/purchasing/campaigns/1", headers=keys["m1"]).json()
    assert [(p["member"], p["quantity"]) for p in mine["positions"]] == [("M1", 7)]


def test_an_unknown_power_is_refused(world: Any, store: Store) -> None:
    client, keys, _prefix = world
    before = rows(store)
    problem(client.post(f"{API}/members/M1/powers-of-attorney", json={"grantee": "coordinator", "power": "all"},
                        headers=keys["m1"]), 422, "invalid_input")
    assert rows(store) == before
