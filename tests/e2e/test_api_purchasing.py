"""Joint purchasing over HTTP: the coordinator opens a campaign (every problem named as problem+json,
nothing stored), members commit for themselves only and see only their own commitment, the coordinator
sees every member's; the deadline and the states refuse with stable codes; another alliance's
campaigns do not exist."""

from __future__ import annotations

from collections.abc import Iterator
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
from alliance.store.tables import purchase_campaigns
from tests.support.factories import credit_code, make_alliance
from tests.support.http import problem

A = "/api/v1/alliances/nb/purchasing/campaigns"
CAMPAIGN = {"title": "A4 paper", "item": "A4", "organiser": "M1", "deadline": "2026-11-25T18:00", "minimum": 100,
            "fee_rate": "0.1", "deposit_per_unit": "0.50",
            "quotes": [{"supplier": "Paper Co", "tiers": [{"min_quantity": 1, "unit_price": "4.00"},
                                                          {"min_quantity": 100, "unit_price": "3.40"}]}]}


def _key(store: Store, clock: FrozenClock, role: Role, alliance: str, member: str | None = None) -> dict[str, str]:
    key = create_api_key(store, role=role, alliance=alliance, member=member, name=f"{role.value} {member}",
                         created_by="t", clock=clock).key
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def world(store: Store, clock: FrozenClock) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    for code in ("nb", "other"):
        make_alliance(store, clock, code=code)
        for n, member in enumerate(("M1", "M2", "M3"), start=1):
            registry.add_member(store, code, {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n)},
                                clock)
    keys = {"coordinator": _key(store, clock, Role.COORDINATOR, "nb"),
            "m1": _key(store, clock, Role.MEMBER_ADMIN, "nb", "M1"),
            "m2": _key(store, clock, Role.MEMBER_ADMIN, "nb", "M2"),
            "analyst": _key(store, clock, Role.MEMBER_ANALYST, "nb", "M2"),
            "outsider": _key(store, clock, Role.COORDINATOR, "other")}
    with TestClient(create_app(store, clock)) as client:
        yield client, keys


def _campaigns(store: Store) -> int:
    with store.engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(purchase_campaigns)).scalar_one())


def test_open_commit_and_isolation(world: Any, store: Store) -> None:
    client, keys = world
    bad = {**CAMPAIGN, "organiser": "M9", "deadline": "soon",
           "quotes": [{"supplier": "Paper Co", "tiers": [{"min_quantity": 1, "unit_price": "4.00"},
                                                         {"min_quantity": 100, "unit_price": "4.50"},
                                                         {"min_quantity": 200, "unit_price": "x"}]}]}
    body = problem(client.post(A, json=bad, headers=keys["coordinator"]), 422, "campaign_invalid")
    named = {(p["where"], p["field"]) for p in body["errors"]}
    assert {("campaign", "organiser"), ("campaign", "deadline"), ("quote 1 row 2", "unit_price"),
            ("quote 1 row 3", "unit_price")} <= named, named
    assert _campaigns(store) == 0
    problem(client.post(A, json=CAMPAIGN, headers=keys["m1"]), 403, "forbidden")
    made = client.post(A, json=CAMPAIGN, headers=keys["coordinator"])
    assert made.status_code == 201, made.text
    assert (made.json()["number"], made.json()["deadline"]) == (1, "2026-11-25T10:00:00+00:00")

    mine = client.put(f"{A}/1/commitments/M1", json={"quantity": 40}, headers=keys["m1"])
    assert mine.status_code == 200 and mine.json()["deposit"] == "0.00"  # the organiser pays itself nothing
    problem(client.put(f"{A}/1/commitments/M2", json={"quantity": 5}, headers=keys["m1"]), 404, "not_found")
    problem(client.put(f"{A}/1/commitments/M2", json={"quantity": 5}, headers=keys["analyst"]), 403, "forbidden")
    theirs = client.put(f"{A}/1/commitments/M2", json={"quantity": 70}, headers=keys["m2"])
    assert theirs.status_code == 200 and theirs.json()["deposit"] == "35.00"

    as_m2 = client.get(f"{A}/1", headers=keys["m2"]).json()
    assert [p["member"] for p in as_m2["positions"]] == ["M2"] and as_m2["quantity"] == 110
    assert all(line["account"] == "M2" for charge in as_m2["charges"] for line in charge["lines"])
    problem(client.get(f"{A}/1/commitments/M1", headers=keys["m2"]), 404, "campaign_position_not_found")
    as_m1 = client.get(f"{A}/1", headers=keys["m1"]).json()  # the organiser sees every member's
    assert {p["member"] for p in as_m1["positions"]} == {"M1", "M2"}
    listed = client.get(A, headers=keys["analyst"]).json()
    assert [c["number"] for c in listed] == [1] and "positions" not in listed[0]
    problem(client.post(f"{A}/1/close", headers=keys["coordinator"]), 409, "campaign_state")
    problem(client.post(f"{A}/1/order", json={}, headers=keys["m2"]), 403, "forbidden")
    problem(client.get(f"{A}/1", headers=keys["outsider"]), 404, "alliance_not_found")
    problem(client.get(f"{A}/9", headers=keys["m1"]), 404, "campaign_not_found")
