"""The KPI scorecard over HTTP: every route as the coordinator, an auditor, a member's accounts (its
own scorecard, values and pledges; another member's are 404), another alliance's roles (404), and
bad input answered problem+json with the stored rows unchanged."""

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
from alliance.store.tables import health_deliveries, health_kpi_catalogues, health_kpi_values, health_pledges
from tests.support.factories import credit_code, make_alliance

H = "/api/v1/alliances/nb/health"


def _key(store: Store, clock: FrozenClock, role: Role, alliance: str | None, member: str | None = None) -> dict[str, str]:
    key = create_api_key(store, role=role, alliance=alliance, member=member, name=f"{role.value} {member}",
                         created_by="t", clock=clock).key
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def world(store: Store, clock: FrozenClock) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    for code in ("nb", "other"):
        make_alliance(store, clock, code=code)
        for n, member in enumerate(("M1", "M2"), start=1):
            registry.add_member(store, code, {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n)},
                                clock)
    keys = {
        "coordinator": _key(store, clock, Role.COORDINATOR, "nb"),
        "auditor": _key(store, clock, Role.AUDITOR, "nb"),
        "m1": _key(store, clock, Role.MEMBER_ADMIN, "nb", "M1"),
        "m2": _key(store, clock, Role.MEMBER_ANALYST, "nb", "M2"),
        "outsider": _key(store, clock, Role.COORDINATOR, "other"),
    }
    with TestClient(create_app(store, clock)) as client:
        yield client, keys


def _counts(store: Store) -> tuple[int, ...]:
    with store.engine.connect() as c:
        return tuple(int(c.execute(select(func.count()).select_from(t)).scalar_one())
                     for t in (health_kpi_catalogues, health_kpi_values, health_pledges, health_deliveries))


def test_the_coordinator_runs_the_scorecard(world: Any, store: Store) -> None:
    client, keys = world
    c = keys["coordinator"]
    got = client.get(f"{H}/kpis", headers=c)
    assert got.status_code == 200 and got.json()["version"] == 0 and len(got.json()["kpis"]) == 18
    put = client.put(f"{H}/kpis/learning", json={"weight": "2", "note": "learning matters"}, headers=c)
    assert put.status_code == 200, put.text
    assert put.json()["version"] == 1
    history = client.get(f"{H}/kpis/history", headers=keys["auditor"]).json()["versions"]
    assert [v["version"] for v in history] == [1, 0] and history[0]["note"] == "learning matters"
    made = client.post(f"{H}/values", json={"kpi": "market_influence", "period": "2026Q4", "value": "7.5",
                                            "member": "M1", "evidence": "https://example.org/survey"}, headers=c)
    assert made.status_code == 201, made.text
    assert made.json()["value"] == "7.5" and made.json()["member"] == "M1"
    pledge = client.post(f"{H}/pledges", json={"member": "M1", "kind": "money", "amount": "5000.00",
                                               "due_on": "2026-11-01", "description": "营销基金"}, headers=c)
    assert pledge.status_code == 201, pledge.text
    assert pledge.json()["status"] == "short" and pledge.json()["unit"] == "CNY"
    delivered = client.post(f"{H}/pledges/1/deliveries", json={"amount": "5000", "delivered_on": "2026-10-30"},
                            headers=c)
    assert delivered.status_code == 201 and delivered.json()["status"] == "on_time"
    card = client.get(f"{H}/scorecard?period=2026Q4", headers=c).json()
    assert card["catalogue_version"] == 1 and card["period"] == "2026Q4"
    rows = {r["code"]: r for r in card["kpis"]}
    assert rows["resource_contribution"]["value"] == "100.00" and rows["resource_contribution"]["band"] == "green"
    assert rows["market_influence"]["value"] == "7.50" and [t["period"] for t in card["trend"]][-1] == "2026Q4"
    mine = client.get(f"{H}/members/M1/scorecard", headers=keys["m1"]).json()
    assert {r["code"]: r for r in mine["kpis"]}["market_influence"]["value"] == "7.5"
    series = client.get(f"{H}/series", params={"kpi": ["market_influence"], "granularity": "quarter",
                                               "since": "2026-07-01", "until": "2027-01-01"}, headers=c).json()
    points = {(s["kpi"], s["member"]): s["points"] for s in series["series"]}
    assert points[("market_influence", "M1")] == [{"start": "2026-07-01", "value": None},
                                                  {"start": "2026-10-01", "value": "7.5"}]


def test_bad_input_is_refused_and_nothing_is_stored(world: Any, store: Store) -> None:
    client, keys = world
    c = keys["coordinator"]
    before = _counts(store)
    for path, body, method, code in [
        (f"{H}/kpis/meeting_attendance", {"amber": "90", "green": "80"}, "put", "kpi_catalogue_invalid"),
        (f"{H}/values", {"kpi": "nope", "period": "2026Q4", "value": "1"}, "post", "kpi_value_invalid"),
        (f"{H}/values", {"kpi": "learning", "period": "Q9", "value": "1"}, "post", "kpi_value_invalid"),
        (f"{H}/values", {"kpi": "learning", "period": "2026Q4", "value": 1.5}, "post", "kpi_value_invalid"),
        (f"{H}/values", {"kpi": "meeting_attendance", "period": "2026Q4", "value": "1"}, "post", "kpi_value_invalid"),
        (f"{H}/pledges", {"member": "M1", "kind": "gold", "amount": "1", "due_on": "2026-12-01"}, "post",
         "pledge_invalid"),
        (f"{H}/pledges", {"member": "M1", "kind": "money", "amount": "0.001", "due_on": "2026-12-01"}, "post",
         "pledge_invalid"),
    ]:
        answer = getattr(client, method)(path, json=body, headers=c)
        assert answer.status_code == 422, (path, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["code"] == code, answer.json()
        assert _counts(store) == before
    bad = client.get(f"{H}/scorecard?period=soon", headers=c)
    assert bad.status_code == 422 and bad.json()["code"] == "kpi_period_invalid"


ROUTES = [
    ("get", f"{H}/scorecard", None), ("get", f"{H}/members/M1/scorecard", None), ("get", f"{H}/kpis", None),
    ("get", f"{H}/kpis/history", None), ("put", f"{H}/kpis/learning", {"weight": "2"}),
    ("get", f"{H}/values", None), ("post", f"{H}/values", {"kpi": "learning", "period": "2026Q4", "value": "5"}),
    ("get", f"{H}/pledges", None),
    ("post", f"{H}/pledges", {"member": "M1", "kind": "channels", "amount": "2", "due_on": "2026-12-01"}),
    ("post", f"{H}/pledges/1/deliveries", {"amount": "1", "delivered_on": "2026-11-01"}),
    ("post", f"{H}/reviews", {"meeting": 1}),
    ("get", f"{H}/series?kpi=learning&since=2026-10-01&until=2027-01-01", None),
]


@pytest.mark.parametrize("method, path, body", ROUTES)
def test_another_alliance_gets_404_and_members_only_read(world: Any, store: Store, method: str, path: str,
                                                         body: Any) -> None:
    client, keys = world
    before = _counts(store)
    kwargs = {"json": body} if body is not None else {}
    answer = getattr(client, method)(path, headers=keys["outsider"], **kwargs)
    assert answer.status_code == 404 and answer.json()["code"] == "alliance_not_found"
    other = getattr(client, method)(path, headers=keys["m2"], **kwargs)
    if method != "get":
        assert other.status_code == 403 and other.json()["code"] == "forbidden"
    elif "/members/M1/" in path:
        assert other.status_code == 404  # another member's scorecard is not there for it
    elif "series" in path:
        assert other.status_code == 403
    else:
        assert other.status_code == 200, other.text
    assert _counts(store) == before


def test_a_member_reads_only_its_own(world: Any) -> None:
    client, keys = world
    c = keys["coordinator"]
    client.post(f"{H}/values", json={"kpi": "learning", "period": "2026Q4", "value": "6", "member": "M1"}, headers=c)
    client.post(f"{H}/values", json={"kpi": "learning", "period": "2026Q4", "value": "4", "member": "M2"}, headers=c)
    client.post(f"{H}/pledges", json={"member": "M1", "kind": "channels", "amount": "2", "due_on": "2026-12-01"},
                headers=c)
    assert {v["member"] for v in client.get(f"{H}/values", headers=keys["m2"]).json()["items"]} == {"M2"}
    assert client.get(f"{H}/pledges", headers=keys["m2"]).json()["items"] == []
    assert client.get(f"{H}/pledges?member=M1", headers=keys["m2"]).status_code == 404
    assert client.get(f"{H}/values?member=M1", headers=keys["m2"]).status_code == 404
    assert len(client.get(f"{H}/pledges", headers=keys["auditor"]).json()["items"]) == 1
