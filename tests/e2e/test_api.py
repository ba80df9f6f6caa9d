"""The HTTP API over both stores: payloads, pagination, problem+json errors, what is withheld."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine
from fastapi.testclient import TestClient

from alliance.core.clock import FrozenClock
from alliance.registry import service
from alliance.server import create_app
from alliance.store.database import Store
from tests.support.factories import make_alliance, member_values
from tests.support.http import admin_headers


@pytest.fixture
def client(store: Store, clock: FrozenClock) -> Iterator[TestClient]:
    make_alliance(store, clock)
    make_alliance(store, clock, code="nb-buy", parent_code="nb-precision", name="联合采购小组")
    for n in range(1, 4):
        service.add_member(store, "nb-precision", member_values(n, revenue="1000.10", debt_ratio="0.10"), clock)
    with TestClient(create_app(store, clock)) as c:
        c.headers.update(admin_headers(store))
        yield c


def assert_problem(response, status: int, code: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["code"] == code
    assert body["type"].endswith(code) and body["title"] and body["detail"]
    return body


def test_healthz_names_the_database(client: TestClient, store: Store) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"] == store.kind


def test_list_alliances(client: TestClient) -> None:
    body = client.get("/api/v1/alliances").json()
    assert body["total"] == 2
    by_code = {a["code"]: a for a in body["items"]}
    assert [a["code"] for a in body["items"]] == ["nb-buy", "nb-precision"]
    parent = by_code["nb-precision"]
    assert parent["member_count"] == 3 and parent["sub_alliances"] == ["nb-buy"]
    assert by_code["nb-buy"]["parent"] == "nb-precision"
    assert parent["created_at"].startswith("2026-11-22T02:00:00")


def test_get_alliance(client: TestClient) -> None:
    body = client.get("/api/v1/alliances/nb-precision").json()
    assert body["name"] == "宁波精密零部件企业联盟" and body["kind"] == "sme" and body["timezone"] == "Asia/Shanghai"


def test_members_are_paged_and_withhold_raw_profile_data(client: TestClient) -> None:
    body = client.get("/api/v1/alliances/nb-precision/members", params={"limit": 2}).json()
    assert body["total"] == 3 and body["limit"] == 2 and body["offset"] == 0
    assert [m["code"] for m in body["items"]] == ["M0001", "M0002"]
    rest = client.get("/api/v1/alliances/nb-precision/members", params={"limit": 2, "offset": 2}).json()
    assert [m["code"] for m in rest["items"]] == ["M0003"]
    member = body["items"][0]
    assert member["name"] == "测试企业1有限公司" and member["joined_on"] == "2026-11-22"
    for secret in ("revenue", "profit", "cash_flow", "debt_ratio", "contact_phone", "contact_email"):
        assert secret not in member
    assert "1000.10" not in client.get("/api/v1/alliances/nb-precision/members").text


@pytest.mark.parametrize(
    "path", ["/api/v1/alliances/nope", "/api/v1/alliances/nope/members"]
)
def test_unknown_alliance_is_a_404_problem(client: TestClient, path: str) -> None:
    body = assert_problem(client.get(path), 404, "alliance_not_found")
    assert "nope" in str(body["detail"])


def test_bad_query_is_a_422_problem(client: TestClient) -> None:
    body = assert_problem(client.get("/api/v1/alliances/nb-precision/members?limit=0"), 422, "invalid_request")
    assert body["errors"][0]["field"] == "limit"  # type: ignore[index]


def test_unknown_route_and_method_are_problems(client: TestClient) -> None:
    assert_problem(client.get("/api/v1/nothing-here"), 404, "not_found")
    assert_problem(client.delete("/api/v1/alliances"), 405, "method_not_allowed")


def test_openapi_is_served(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/alliances/{code}/members" in spec["paths"]


def test_database_down_gives_503_problem(clock: FrozenClock) -> None:
    dead = Store(create_engine("postgresql+psycopg://nobody@127.0.0.1:9/none", connect_args={"connect_timeout": 2}))
    with TestClient(create_app(dead, clock)) as c:
        body = assert_problem(c.get("/healthz"), 503, "store_unavailable")
        assert "127.0.0.1:9" in str(body["detail"])
        # A well-formed key cannot be checked without the database: 503, not 401.
        assert_problem(c.get("/api/v1/alliances", headers={"Authorization": "Bearer al_abcdefgh_" + "A" * 43}), 503,
                       "store_unavailable")


def test_demo_members_carry_resources_with_exact_capacity(store: Store, clock: FrozenClock) -> None:
    from alliance.registry.demo import DEMO_ALLIANCES, load_demo

    load_demo(store, clock)
    retail = DEMO_ALLIANCES[0]
    hub = next(m for m in retail.members if m.role.value == "hub")
    with TestClient(create_app(store, clock)) as c:
        c.headers.update(admin_headers(store))
        body = c.get(f"/api/v1/alliances/{retail.spec.code}/members").json()
    served = next(m for m in body["items"] if m["code"] == hub.code)
    assert served["role"] == "hub"
    assert {(r["direction"], r["category"], r["description"]) for r in served["resources"]} == {
        (r.direction.value, r.category.value, r.description) for r in hub.resources
    }
    for r in served["resources"]:
        assert r["capacity"] is None or "E" not in r["capacity"] and not r["capacity"].endswith(".0000")


def test_money_is_a_decimal_string_with_a_declared_pattern(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    statement = spec["components"]["schemas"]["StatementOut"]["properties"]
    assert statement["total"]["type"] == "string" and statement["total"]["pattern"] == r"^-?[0-9]+(\.[0-9]+)?$"
    line = spec["components"]["schemas"]["StatementLineOut"]["properties"]
    assert line["amount"]["pattern"] == statement["total"]["pattern"] and line["base"]["type"] == "string"
    net = spec["components"]["schemas"]["SettlementOut"]["properties"]["net"]["additionalProperties"]
    assert net["type"] == "string" and "pattern" in net
