"""Resources and needs over HTTP: a member's admin declares its own (another member's are 404), the
coordinator any member's and the directory's; an analyst reads but declares nothing; another
alliance's data does not exist; bad input is problem+json with nothing stored; imports all or nothing."""

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
from alliance.store.tables import directory_entries, directory_resources, member_resources, resource_kinds
from tests.support.factories import credit_code, make_alliance

A = "/api/v1/alliances/nb"
COLD = {"side": "resource", "kind": "warehouse/cold_chain", "description": "宁波冷库", "capacity": "2000",
        "unit": "m2", "region": "宁波", "starts_on": "2026-01-01", "priority": 2}


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
        "m2admin": _key(store, clock, Role.MEMBER_ADMIN, "nb", "M2"),
        "outsider": _key(store, clock, Role.COORDINATOR, "other"),
    }
    with TestClient(create_app(store, clock)) as client:
        yield client, keys


def _counts(store: Store) -> tuple[int, ...]:
    with store.engine.connect() as c:
        return tuple(int(c.execute(select(func.count()).select_from(t)).scalar_one())
                     for t in (member_resources, resource_kinds, directory_entries, directory_resources))


def test_a_member_declares_its_own_and_only_its_own(world: Any, store: Store) -> None:
    client, keys = world
    made = client.post(f"{A}/members/M1/declarations", json=COLD, headers=keys["m1"])
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["holder"], body["kind"], body["capacity"], body["starts_on"]) == ("M1", "warehouse/cold_chain",
                                                                                  "2000", "2026-01-01")
    number = body["id"]
    edited = client.patch(f"{A}/members/M1/declarations/{number}", json={"capacity": "1500", "ends_on": "2026-12-31"},
                          headers=keys["m1"])
    assert edited.status_code == 200 and edited.json()["capacity"] == "1500", edited.text
    # Another member's declarations: not there for M1's admin, nor M2's own admin via M1's path.
    assert client.post(f"{A}/members/M2/declarations", json=COLD, headers=keys["m1"]).status_code == 404
    assert client.patch(f"{A}/members/M1/declarations/{number}", json={"priority": 1},
                        headers=keys["m2admin"]).status_code == 404
    assert client.delete(f"{A}/members/M2/declarations/{number}", headers=keys["m2admin"]).status_code == 404
    assert client.post(f"{A}/members/M2/declarations", json=COLD, headers=keys["m2"]).status_code == 403  # analyst
    # Everyone of the alliance reads members' declarations; another alliance's keys find nothing.
    listed = client.get(f"{A}/members/M1/declarations", headers=keys["m2"])
    assert [d["capacity"] for d in listed.json()["items"]] == ["1500"]
    assert client.get(f"{A}/members/M1/declarations", headers=keys["outsider"]).status_code == 404
    assert client.post(f"{A}/members/M1/declarations", json=COLD, headers=keys["outsider"]).status_code == 404
    other = client.get("/api/v1/alliances/other/declarations", headers=keys["outsider"]).json()["items"]
    assert other == []
    # Whoever acts for a member is its own account: the coordinator declares, edits and removes none of M1's.
    assert client.post(f"{A}/members/M1/declarations", json=COLD, headers=keys["coordinator"]).status_code == 403
    assert client.patch(f"{A}/members/M1/declarations/{number}", json={"priority": 1},
                        headers=keys["coordinator"]).status_code == 403
    assert client.delete(f"{A}/members/M1/declarations/{number}", headers=keys["coordinator"]).status_code == 403
    assert [d["capacity"] for d in client.get(f"{A}/members/M1/declarations", headers=keys["m1"]).json()["items"]] \
        == ["1500"]
    assert client.delete(f"{A}/members/M1/declarations/{number}", headers=keys["m1"]).status_code == 204
    assert _counts(store) == (0, 0, 0, 0)


@pytest.mark.parametrize(("change", "field"), [
    ({"kind": "spaceships"}, "kind"),
    ({"capacity": "-5"}, "capacity"),
    ({"starts_on": "2027-02-01", "ends_on": "2027-01-01"}, "ends_on"),
    ({"priority": 7}, "priority"),
    ({"capacity": 12.5}, "capacity"),
])
def test_bad_input_is_problem_json_and_nothing_is_stored(world: Any, store: Store, change: dict[str, Any],
                                                         field: str) -> None:
    client, keys = world
    got = client.post(f"{A}/members/M1/declarations", json={**COLD, **change}, headers=keys["m1"])
    assert got.status_code == 422 and got.headers["content-type"].startswith("application/problem+json"), got.text
    assert field in got.text
    assert _counts(store) == (0, 0, 0, 0)


def test_an_answer_in_chinese(world: Any) -> None:
    client, keys = world
    got = client.post(f"{A}/members/M1/declarations", json={**COLD, "capacity": "-5"},
                      headers={**keys["m1"], "Accept-Language": "zh-CN"})
    assert got.status_code == 422 and "负" in got.text, got.text


def test_kinds_directory_and_outside_holders(world: Any, store: Store) -> None:
    client, keys = world
    c = keys["coordinator"]
    assert client.post(f"{A}/resource-kinds", json={"key": "warehouse/bonded", "name_en": "Bonded", "name_zh": "保税仓"},
                       headers=keys["m1"]).status_code == 403
    made = client.post(f"{A}/resource-kinds", json={"key": "warehouse/bonded", "name_en": "Bonded", "name_zh": "保税仓"},
                       headers=c)
    assert made.status_code == 201, made.text
    kinds = {k["key"]: k for k in client.get(f"{A}/resource-kinds", headers=keys["m2"]).json()["items"]}
    assert kinds["warehouse/bonded"]["own"] and not kinds["warehouse"]["own"]
    assert client.post(f"{A}/directory", json={"code": "X1", "name": "杭州渠道公司"}, headers=keys["m1"]).status_code == 403
    entry = client.post(f"{A}/directory", json={"code": "X1", "name": "杭州渠道公司", "region": "杭州"}, headers=c)
    assert entry.status_code == 201 and entry.json()["kind"] == "candidate", entry.text
    assert client.post(f"{A}/directory", json={"code": "M1", "name": "x"}, headers=c).status_code == 422
    assert client.post(f"{A}/directory", json={"code": "X1", "name": "x"}, headers=c).status_code == 409
    declared = client.post(f"{A}/directory/X1/declarations", json={**COLD, "kind": "warehouse/bonded"}, headers=c)
    assert declared.status_code == 201 and declared.json()["holder_kind"] == "candidate", declared.text
    assert client.get(f"{A}/directory", headers=keys["m1"]).status_code == 403  # the pipeline's
    assert client.get(f"{A}/directory/X1/declarations", headers=keys["auditor"]).json()["items"][0]["kind"] == \
        "warehouse/bonded"
    seen = client.get(f"{A}/declarations", headers=keys["m1"]).json()["items"]
    assert all(d["holder_kind"] == "member" for d in seen)
    assert [d["holder"] for d in client.get(f"{A}/declarations", headers=c).json()["items"]] == ["X1"]
    assert client.patch(f"{A}/directory/X1", json={"note": "展会"}, headers=c).json()["note"] == "展会"
    assert client.get("/api/v1/alliances/other/directory", headers=keys["outsider"]).json()["items"] == []
    assert client.delete("/api/v1/alliances/other/directory/X1", headers=keys["outsider"]).status_code == 404
    assert client.delete(f"{A}/directory/X1", headers=c).status_code == 204
    assert _counts(store) == (0, 1, 0, 0)


def test_imports_are_all_or_nothing(world: Any, store: Store) -> None:
    client, keys = world
    bad = "holder,side,kind,capacity\nM1,资源,warehouse,10\nM1,需求,spaceships,1\nM2,need,brand,-1\n"
    got = client.post(f"{A}/declarations/import?format=csv", content=bad.encode(), headers=keys["m1"])
    assert got.status_code == 422 and got.headers["content-type"].startswith("application/problem+json")
    assert "row 3" in got.text and "row 4" in got.text
    assert _counts(store) == (0, 0, 0, 0)
    mine = "holder,side,kind\nM1,资源,warehouse\nM2,需求,brand\n"  # M1's admin may not import M2's
    assert client.post(f"{A}/declarations/import", content=mine.encode(), headers=keys["m1"]).status_code == 422
    assert _counts(store) == (0, 0, 0, 0)
    # The coordinator does not declare for members: a file of members' rows is refused as a whole.
    assert client.post(f"{A}/declarations/import", content=mine.encode(), headers=keys["coordinator"]).status_code == 403
    assert _counts(store) == (0, 0, 0, 0)
    good = client.post(f"{A}/declarations/import", content=mine.split("M2")[0].encode(), headers=keys["m1"])
    assert good.status_code == 200 and good.json() == {"imported": 1}, good.text
    also = client.post(f"{A}/declarations/import", content="holder,side,kind\nM2,需求,brand\n".encode(),
                       headers=keys["m2admin"])
    assert also.status_code == 200 and also.json() == {"imported": 1}, also.text
    directory = "code,name,side,kind\nX1,杭州渠道公司,resource,channel\nX2,上海数据公司,,\n"
    made = client.post(f"{A}/directory/import", content=directory.encode(), headers=keys["coordinator"])
    assert made.status_code == 200 and made.json() == {"entries": 2, "declarations": 1}, made.text
    assert _counts(store) == (2, 0, 2, 1)


def test_pledges_beside_declarations(world: Any) -> None:
    client, keys = world
    pledged = client.post(f"{A}/health/pledges", json={"member": "M1", "kind": "warehouse_space", "amount": "300",
                                                       "due_on": "2027-01-31"}, headers=keys["coordinator"])
    assert pledged.status_code == 201, pledged.text
    got = client.get(f"{A}/members/M1/pledges-and-uses", headers=keys["m1"])
    assert got.status_code == 200 and [p["amount"] for p in got.json()["pledges"]] == ["300"]
    assert got.json()["uses"] == []
    assert client.get(f"{A}/members/M1/pledges-and-uses", headers=keys["m2"]).status_code == 404
