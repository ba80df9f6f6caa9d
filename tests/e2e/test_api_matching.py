"""Recommendations over HTTP: the heat map and a pair's explanation for every role of the alliance,
best partners (the directory only for pipeline readers), the coalition (answers, infeasible ones
included, and refusals as problem+json), and the pipeline hand-over for the coordinator only;
another alliance's data does not exist."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from alliance.access.roles import Principal, Role
from alliance.access.service import create_api_key
from alliance.core.clock import FrozenClock
from alliance.matching import service
from alliance.matching.entries import EntryDraft
from alliance.matching.model import Declaration, Side
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.store.database import Store
from alliance.store.tables import prospects
from tests.support.factories import admin_of, credit_code, make_alliance
from tests.support.http import problem

A = "/api/v1/alliances/nb/matching"
COORDINATOR = Principal("coord", Role.COORDINATOR, "nb")


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
    for holder, side, kind, capacity in (("M1", Side.NEED, "warehouse/cold_chain", "500"),
                                         ("M1", Side.NEED, "channel/online", None),
                                         ("M2", Side.RESOURCE, "warehouse/cold_chain", "300"),
                                         ("M3", Side.RESOURCE, "channel/online", None),
                                         ("M2", Side.NEED, "brand", None)):
        service.declare(store, "nb", admin_of("nb", holder), holder,  # a member's own account declares
                        Declaration(side, kind, "", None if capacity is None else Decimal(capacity),
                                    "m2" if capacity else ""), clock)
    service.add_entry(store, "nb", COORDINATOR, EntryDraft("X1", "冷链物流"), clock)
    service.declare(store, "nb", COORDINATOR, "X1", Declaration(Side.RESOURCE, "warehouse/cold_chain", "",
                                                                Decimal("900"), "m2"), clock)
    keys = {"coordinator": _key(store, clock, Role.COORDINATOR, "nb"),
            "auditor": _key(store, clock, Role.AUDITOR, "nb"),
            "m1": _key(store, clock, Role.MEMBER_ADMIN, "nb", "M1"),
            "outsider": _key(store, clock, Role.COORDINATOR, "other")}
    with TestClient(create_app(store, clock)) as client:
        yield client, keys


def test_heat_map_and_pair_for_every_role_of_the_alliance(world: Any) -> None:
    client, keys = world
    for who in ("coordinator", "auditor", "m1"):
        hm = client.get(f"{A}/heatmap", headers=keys[who])
        assert hm.status_code == 200, hm.text
        body = hm.json()
        assert body["codes"] == ["M1", "M2", "M3"] and body["directed"][0][0] is None
    pair = client.get(f"{A}/pairs/M1/M2", headers=keys["m1"]).json()
    # M1's two needs weigh 3 each; M2's 300 m2 cover 0.6 of the 500 m2 of cold chain: 3 * 0.6 / 6.
    assert pair["a_from_b"]["contributions"]["warehouse"] == pytest.approx(0.3)
    problem(client.get(f"{A}/pairs/M1/M1", headers=keys["m1"]), 404, "not_found")
    problem(client.get(f"{A}/heatmap", headers=keys["outsider"]), 404, "alliance_not_found")


def test_partners_and_the_directory_only_for_pipeline_readers(world: Any) -> None:
    client, keys = world
    mine = client.get(f"{A}/partners/M1", headers=keys["m1"]).json()
    assert {p["code"] for p in mine["partners"]} == {"M2", "M3"}  # a member admin reads no pipeline
    theirs = client.get(f"{A}/partners/M1?k=2", headers=keys["coordinator"]).json()
    assert {p["code"] for p in theirs["partners"]} == {"X1", "M3"}  # each covers one need in full
    x1 = next(p for p in theirs["partners"] if p["code"] == "X1")
    assert x1["why"]["needs"][0]["covered_by"][0]["capacity_share"] == 1.0  # 900 of 500 m2: capped at 1
    problem(client.get(f"{A}/partners/M3", headers=keys["m1"]), 409, "matching_no_needs")
    assert client.get(f"{A}/partners/M1?k=0", headers=keys["m1"]).status_code == 422


def test_coalitions_and_their_refusals(world: Any) -> None:
    client, keys = world
    answer = client.post(f"{A}/coalitions/M1", json={"k": 2}, headers=keys["coordinator"]).json()
    assert answer["outcome"] == "covered" and answer["partners"] == ["M3", "X1"]
    members = client.post(f"{A}/coalitions/M1", json={"k": 2, "members_only": True}, headers=keys["m1"]).json()
    assert members["outcome"] == "uncoverable" and members["partners"] == ["M2", "M3"]  # M2 covers 300 of 500
    assert members["explanation"] and "cold" in members["explanation"].lower() or members["uncoverable"]
    problem(client.post(f"{A}/coalitions/M1", json={"k": 2, "must_include": ["M2"], "must_exclude": ["M2"]},
                        headers=keys["coordinator"]), 422, "coalition_constraints_conflict")
    problem(client.post(f"{A}/coalitions/M1", json={"costs": {"M2": "cheap"}}, headers=keys["coordinator"]), 422,
            "matching_invalid")


def test_sending_to_the_pipeline_is_the_coordinators(world: Any, store: Store) -> None:
    client, keys = world
    problem(client.post(f"{A}/partners/M1/X1/prospect", headers=keys["m1"]), 403, "forbidden")
    made = client.post(f"{A}/partners/M1/X1/prospect", headers=keys["coordinator"])
    assert made.status_code == 201 and made.json()["source"] == "matching"
    problem(client.post(f"{A}/partners/M1/X1/prospect", headers=keys["coordinator"]), 409, "conflict")
    with store.engine.connect() as c:
        assert c.execute(select(func.count()).select_from(prospects)).scalar_one() == 1
