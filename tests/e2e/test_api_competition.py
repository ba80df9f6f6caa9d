"""Competition-law screening over HTTP: the coordinator screens (shares as text, exact figures back,
verdicts in the language Accept-Language asks for), members read, a forming alliance's activation is
refused with `competition_justification_required` until the justification is recorded; bad input is
422 problem+json naming the row, with nothing stored; another alliance's accounts see nothing (404)."""

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
from alliance.registry.model import AllianceStatus
from alliance.server import create_app
from alliance.store.database import Store
from alliance.store.tables import competition_screenings
from tests.support.factories import credit_code, make_alliance
from tests.support.http import problem

R = "/api/v1/alliances/rd/competition"
HIGH = {"occasion": "forming", "markets": [{"product": "精密轴承", "region": "中国大陆", "participants": [
    {"name": "A", "share": "20"}, {"name": "B", "share": "20"},
    {"name": "X", "role": "other", "share": "30"}, {"name": "Y", "role": "other", "share": "30"}]}]}


def _key(store: Store, clock: FrozenClock, role: Role, alliance: str | None, member: str | None = None) -> dict[str, str]:
    key = create_api_key(store, role=role, alliance=alliance, member=member, name=f"{role.value} {member}",
                         created_by="t", clock=clock).key
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def world(store: Store, clock: FrozenClock) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    for code in ("rd", "other"):
        make_alliance(store, clock, code=code, status=AllianceStatus.FORMING)
        for n, member in enumerate(("A", "B", "C"), start=1):
            registry.add_member(store, code, {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n)},
                                clock)
    keys = {
        "coordinator": _key(store, clock, Role.COORDINATOR, "rd"),
        "a": _key(store, clock, Role.MEMBER_ADMIN, "rd", "A"),
        "other_coordinator": _key(store, clock, Role.COORDINATOR, "other"),
        "other_member": _key(store, clock, Role.MEMBER_ADMIN, "other", "A"),
    }
    with TestClient(create_app(store, clock)) as client:
        yield client, keys


def _count(store: Store) -> int:
    with store.engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(competition_screenings)).scalar_one())


def test_screen_read_block_activation_and_justify(world: Any, store: Store) -> None:
    client, k = world
    made = client.post(f"{R}/screenings", json=HIGH, headers=k["coordinator"])
    assert made.status_code == 201, made.text
    body = made.json()
    market = body["markets"][0]
    assert (market["pre_hhi"], market["post_hhi"], market["delta_hhi"]) == (["2600", "2600"], ["3400", "3400"], "800")
    assert market["post_hhi_shown"] == "3,400" and body["flagged"] and body["needs_justification"]
    assert {s["set"]: s["verdict"] for s in market["sets"]} == {"cn_samr_2023": "crossed", "eu_2004": "crossed",
                                                               "us_2023": "crossed"}
    assert "not legal advice" in body["notice"]
    chinese = client.get(f"{R}/screenings/1", headers={**k["a"], "Accept-Language": "zh-CN"}).json()
    assert chinese["markets"][0]["sets"][0]["name"].startswith("中国") and "法律意见" in chinese["notice"]
    listed = client.get(R, headers=k["a"]).json()
    assert listed["pending_justification"] == 1 and listed["screened"]
    refused = client.post("/api/v1/alliances/rd/status", json={"status": "active"}, headers=k["coordinator"])
    body = problem(refused, 409, "competition_justification_required")
    assert "screening 1" in body["detail"]
    problem(client.post(f"{R}/screenings/1/justification", json={"text": "x"}, headers=k["a"]), 403, "forbidden")
    justified = client.post(f"{R}/screenings/1/justification", json={"text": "限于联合研发。"}, headers=k["coordinator"])
    assert justified.status_code == 201 and justified.json()["justification"]["text"] == "限于联合研发。"
    problem(client.post(f"{R}/screenings/1/justification", json={"text": "again"}, headers=k["coordinator"]), 409,
            "competition_nothing_to_justify")
    assert client.post("/api/v1/alliances/rd/status", json={"status": "active"},
                       headers=k["coordinator"]).status_code == 200
    assert client.put(f"{R}/sets", json={"sets": ["us_2023"]}, headers=k["coordinator"]).json() == {"sets": ["us_2023"]}
    assert client.get("/api/v1/competition/threshold-sets", headers=k["a"]).json()["sets"][0]["url"].startswith("https")


@pytest.mark.parametrize("market, code, where", [
    ({"participants": [{"name": "A", "share": "101"}]}, "competition_shares_over_100", "market 1, row 1"),
    ({"participants": [{"name": "A", "share": "60"}, {"name": "X", "role": "other", "share": "50"}]},
     "competition_shares_over_100", "market 1"),
    ({"size": "-5", "participants": [{"name": "A", "sales": "1"}]}, "competition_negative_amount", "market 1"),
    ({"participants": []}, "competition_empty_market", "market 1"),
    ({"participants": [{"name": "Z", "share": "5"}]}, "competition_unknown_member", "market 1, row 1"),
    ({"participants": [{"name": "A", "share": "5"}, {"name": "A", "share": "6"}]},
     "competition_duplicate_participant", "market 1, row 2"),
    ({"participants": [{"name": "A", "share": "abc"}]}, "competition_not_a_number", "market 1, row 1"),
])
def test_bad_input_is_422_naming_the_row_and_nothing_is_stored(world: Any, store: Store, market: dict[str, Any],
                                                                code: str, where: str) -> None:
    client, k = world
    body = {"occasion": "forming", "markets": [{"product": "p", "region": "r", **market}]}
    found = problem(client.post(f"{R}/screenings", json=body, headers=k["coordinator"]), 422, code)
    assert where in str(found)
    assert _count(store) == 0


def test_a_number_as_json_number_is_refused(world: Any, store: Store) -> None:
    client, k = world
    body = {"occasion": "forming", "markets": [{"product": "p", "region": "r",
                                               "participants": [{"name": "A", "share": 20.5}]}]}
    assert client.post(f"{R}/screenings", json=body, headers=k["coordinator"]).status_code == 422
    assert _count(store) == 0


def test_members_may_not_screen_and_another_alliance_sees_nothing(world: Any, store: Store) -> None:
    client, k = world
    problem(client.post(f"{R}/screenings", json=HIGH, headers=k["a"]), 403, "forbidden")
    assert client.post(f"{R}/screenings", json=HIGH, headers=k["coordinator"]).status_code == 201
    for key in ("other_coordinator", "other_member"):
        problem(client.get(R, headers=k[key]), 404, "alliance_not_found")
        problem(client.get(f"{R}/screenings/1", headers=k[key]), 404, "alliance_not_found")
        problem(client.post(f"{R}/screenings/1/justification", json={"text": "x"}, headers=k[key]), 404,
                "alliance_not_found")
        problem(client.post(f"{R}/screenings", json=HIGH, headers=k[key]), 404, "alliance_not_found")
    problem(client.get(f"{R}/screenings/9", headers=k["a"]), 404, "competition_screening_not_found")
    assert client.get("/api/v1/alliances/other/competition", headers=k["other_member"]).json()["screenings"] == []
