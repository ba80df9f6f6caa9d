"""The inventory board over HTTP: the board and turnover as JSON, a member off the board seeing only
its own stock, another alliance's key 404, bad query parameters a problem+json naming the field."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from alliance.access.roles import Role
from alliance.access.service import create_api_key
from alliance.core.clock import FrozenClock
from alliance.datashare import service as sharing
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.store.database import Store
from tests.integration.test_inventory_board import SHARED_STOCK
from tests.support.factories import make_alliance, member_values

B = "/api/v1/alliances/nb/inventory/board"
T = "/api/v1/alliances/nb/inventory/turnover"
D = "/api/v1/alliances/nb/members/{member}/datasets/inventory"
ROWS = {"M0001": [{"snapshot_day": "2026-11-20", "sku": "SKU-1", "location": "WH", "region": "浙江", "quantity": 40,
                   "age_days": 120, "unit_cost": "18.50"},
                  {"snapshot_day": "2026-11-20", "sku": "SKU-2", "location": "WH", "region": "浙江", "quantity": 5,
                   "age_days": 10, "unit_cost": "2.00"}],
        "M0002": [{"snapshot_day": "2026-11-18", "sku": "SKU-1", "location": "SH", "region": "上海", "quantity": 3,
                   "age_days": 5, "unit_cost": "18.50"}]}


@pytest.fixture
def world(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    for code in ("nb", "other"):
        make_alliance(store, clock, code=code)
        for n in (1, 2):
            registry.add_member(store, code, member_values(n), clock)

    def key(role: Role, member: str | None = None, alliance: str = "nb") -> dict[str, str]:
        issued = create_api_key(store, role=role, alliance=alliance, member=member, name=role.value, created_by="t",
                                clock=clock)
        return {"Authorization": f"Bearer {issued.key}"}

    keys = {"a": key(Role.MEMBER_ADMIN, "M0001"), "b": key(Role.MEMBER_ANALYST, "M0002"),
            "b_admin": key(Role.MEMBER_ADMIN, "M0002"), "coordinator": key(Role.COORDINATOR),
            "other": key(Role.COORDINATOR, None, "other")}
    with TestClient(create_app(store, clock, tmp_path / "facts.duckdb")) as client:
        for member, rows in ROWS.items():
            admin = keys["a"] if member == "M0001" else keys["b_admin"]
            assert client.post(D.format(member=member), json={"rows": rows}, headers=admin).status_code == 200
        sharing.publish(store, "nb", "M0001", "stock", "inventory", SHARED_STOCK, 10,
                        "M0001", clock)  # M0002 publishes no inventory view: it is not on the board
        yield client, keys


def test_the_board_and_turnover_as_json(world) -> None:  # type: ignore[no-untyped-def]
    client, keys = world
    r = client.get(B, params={"as_of": "2026-11-21", "slow_after": "90"}, headers=keys["coordinator"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["participants"] == ["M0001"] and body["scope"] == "alliance"
    assert body["totals"] == {"quantity": 45, "value": "750.00", "value_minor": 75000, "slow_quantity": 40,
                              "slow_value": "740.00", "slow_value_minor": 74000}
    assert body["rows"][0]["sku"] == "SKU-1" and body["rows"][0]["slow"] is True
    assert body["rows_page"] == {"offset": 0, "limit": 200, "total": 2, "has_more": False}
    r = client.get(T, params={"as_of": "2026-11-21", "months": "3"}, headers=keys["coordinator"])
    assert r.status_code == 200, r.text
    assert r.json()["months"] == ["2026-09-01", "2026-10-01", "2026-11-01"]


def test_a_member_off_the_board_sees_only_its_own_stock(world) -> None:  # type: ignore[no-untyped-def]
    client, keys = world
    body = client.get(B, params={"as_of": "2026-11-21"}, headers=keys["b"]).json()
    assert body["scope"] == "own" and {r["member"] for r in body["rows"]} == {"M0002"}
    assert body["suggestions"] == []
    body = client.get(B, params={"as_of": "2026-11-21"}, headers=keys["a"]).json()
    assert {r["member"] for r in body["rows"]} == {"M0001"}  # M0002 is not on the board


def test_another_alliance_gets_404(world) -> None:  # type: ignore[no-untyped-def]
    client, keys = world
    for path in (B, T):
        r = client.get(path, headers=keys["other"])
        assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(("path", "params", "field"), [(B, {"as_of": "2026-02-30"}, "as_of"),
                                                       (B, {"slow_after": "-1"}, "slow_after"),
                                                       (B, {"limit": "5000"}, "offset"),
                                                       (T, {"months": "0"}, "months"),
                                                       (T, {"as_of": "nope"}, "as_of")])
def test_bad_query_parameters_are_a_problem(world, path: str, params: dict[str, str], field: str) -> None:  # type: ignore[no-untyped-def]
    client, keys = world
    before = client.get(B, params={"as_of": "2026-11-21"}, headers=keys["coordinator"]).json()
    r = client.get(path, params=params, headers={**keys["coordinator"], "Accept-Language": "zh-CN"})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["code"] == "inventory_query_invalid"
    assert field in str(problem)
    assert client.get(B, params={"as_of": "2026-11-21"}, headers=keys["coordinator"]).json() == before


# M0002's latest snapshot: a cost and an age no other figure has, so any trace of them is found in a body.
HIDDEN_COST = {"snapshot_day": "2026-11-19", "sku": "SKU-9", "location": "SH", "region": "上海", "quantity": 3,
               "age_days": 321, "unit_cost": "98.76"}
HIDDEN_TRACES = ("98.76", "9876", "296.28", "29628", "321", "上海")


def test_a_member_hiding_its_cost_age_and_region_shows_none_of_them(world, store: Store,  # type: ignore[no-untyped-def]
                                                                     clock: FrozenClock) -> None:
    client, keys = world
    assert client.post(D.format(member="M0002"), json={"rows": [HIDDEN_COST]}, headers=keys["b_admin"]).status_code == 200
    sharing.publish(store, "nb", "M0002", "stock", "inventory", {"snapshot_day": "visible", "sku": "visible",
                                                                 "quantity": "visible", "unit_cost": "aggregate"},
                    10, "M0002", clock)  # unit_cost aggregate-only, age and region hidden: none on the board
    for who in ("coordinator", "a"):
        r = client.get(B, params={"as_of": "2026-11-21", "slow_after": "90"}, headers=keys[who])
        assert r.status_code == 200, r.text
        assert not [t for t in HIDDEN_TRACES if t in r.text], who
        body = r.json()
        assert body["cost_withheld"] == body["age_withheld"] == body["region_withheld"] == ["M0002"]
        row = next(x for x in body["rows"] if x["member"] == "M0002")
        assert row["value"] is row["value_minor"] is row["slow_value"] is row["oldest_age_days"] is None
        assert row["slow"] is False and row["region"] == "" and row["quantity"] == 3
        assert body["totals"]["value"] == "750.00" and body["totals"]["quantity"] == 48  # M0001's cost only
    own = client.get(B, params={"as_of": "2026-11-21", "slow_after": "90"}, headers=keys["b"]).json()
    row = next(x for x in own["rows"] if x["member"] == "M0002")  # its own data in full
    assert row["value"] == "296.28" and row["oldest_age_days"] == 321 and row["slow"] is True and row["region"] == "上海"
    assert own["cost_withheld"] == [] and own["totals"]["value"] == "1046.28"
