"""The IP register over HTTP: a member registers its background IP (not another member's: 404; the
coordinator: 403), the coordinator and a contributor register foreground IP with exact shares, a change
is a new version; bad input is 422 problem+json with nothing stored; a repeated Idempotency-Key
replays; another alliance's accounts see nothing (404)."""

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
from alliance.sharing import service as sharing
from alliance.store.database import Store
from alliance.store.tables import ip_versions
from tests.support.factories import credit_code, make_alliance
from tests.support.http import problem

R = "/api/v1/alliances/rd/ip"
LICENCE = {"text": "非独占许可", "exclusive": False, "territory": "中国", "starts_on": "2026-12-01",
           "until": "2028-12-31"}


def _key(store: Store, clock: FrozenClock, role: Role, alliance: str | None, member: str | None = None) -> dict[str, str]:
    key = create_api_key(store, role=role, alliance=alliance, member=member, name=f"{role.value} {member}",
                         created_by="t", clock=clock).key
    return {"Authorization": f"Bearer {key}"}
PROJECT = """
agreement: rd-project-1
effective_from: 2026-12-01
parties: [A, B]
rules:
  - {id: r, kind: fixed_split, select: {channel: store}, base: revenue, shares: {A: 0.5, B: 0.5}}
"""


@pytest.fixture
def world(store: Store, clock: FrozenClock) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    for code in ("rd", "other"):
        make_alliance(store, clock, code=code)
        for n, member in enumerate(("A", "B", "C"), start=1):
            registry.add_member(store, code, {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n)},
                                clock)
    sharing.propose_version(store, "rd", PROJECT, "秘书长", clock)
    keys = {
        "coordinator": _key(store, clock, Role.COORDINATOR, "rd"),
        "auditor": _key(store, clock, Role.AUDITOR, "rd"),
        "a": _key(store, clock, Role.MEMBER_ADMIN, "rd", "A"),
        "b": _key(store, clock, Role.MEMBER_ADMIN, "rd", "B"),
        "other_coordinator": _key(store, clock, Role.COORDINATOR, "other"),
        "other_member": _key(store, clock, Role.MEMBER_ADMIN, "other", "A"),
    }
    with TestClient(create_app(store, clock)) as client:
        yield client, keys


def _count(store: Store) -> int:
    with store.engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(ip_versions)).scalar_one())


def test_register_change_and_read_over_http(world: Any, store: Store) -> None:
    client, k = world
    background = {"owner": "A", "kind": "patent", "title": "热处理方法", "number": "CN1", "licence": LICENCE}
    made = client.post(f"{R}/background", json=background, headers={**k["a"], "Idempotency-Key": "bg-1"})
    assert made.status_code == 201, made.text
    assert made.json()["current"]["licence"]["until"] == "2028-12-31"
    again = client.post(f"{R}/background", json=background, headers={**k["a"], "Idempotency-Key": "bg-1"})
    assert again.status_code == 201 and again.json() == made.json() and _count(store) == 1  # replayed, not stored twice
    joint = client.post(f"{R}/foreground", headers=k["coordinator"], json={
        "kind": "patent", "title": "密封结构", "number": "CN2", "project": "rd-project-1",
        "contributors": [{"member": "A", "share": "1/3"}, {"member": "B", "share": "2/3"}]})
    assert joint.status_code == 201, joint.text
    assert [c["share"] for c in joint.json()["current"]["contributors"]] == ["1/3", "2/3"]
    assert joint.json()["current"]["contributors"][0]["percent"] == "33.33%"
    changed = client.post(f"{R}/2/versions", headers=k["b"], json={
        "contributors": [{"member": "A", "share": "0.5"}, {"member": "B", "share": "0.25"},
                         {"member": "C", "share": "25%"}], "note": "C joined"})
    assert changed.status_code == 201, changed.text
    assert [v["version"] for v in changed.json()["versions"]] == [1, 2]
    assert [c["share"] for c in changed.json()["versions"][0]["contributors"]] == ["1/3", "2/3"]
    listed = client.get(R, headers=k["auditor"]).json()
    assert [a["asset"] for a in listed["assets"]] == [1, 2] and listed["joint_patents"] == 1
    assert [a["asset"] for a in client.get(f"{R}?member=C", headers=k["a"]).json()["assets"]] == [2]
    assert [a["asset"] for a in client.get(f"{R}?origin=background", headers=k["a"]).json()["assets"]] == [1]
    assert client.get(f"{R}/1", headers=k["b"]).json()["current"]["owner"] == "A"
    problem(client.get(f"{R}?kind=poem", headers=k["a"]), 422, "ip_unknown_kind")


def test_bad_input_is_problem_json_and_stores_nothing(world: Any, store: Store) -> None:
    client, k = world
    good = {"owner": "A", "kind": "patent", "title": "t", "number": "CN1", "licence": LICENCE}
    assert client.post(f"{R}/background", json=good, headers=k["a"]).status_code == 201
    fg = {"kind": "patent", "title": "t", "number": "CN5", "contributors": [{"member": "A", "share": "1"}]}
    before = _count(store)
    for path, key, body, status, code in [
        ("background", "a", {**good, "number": "CN1"}, 409, "ip_duplicate_number"),
        ("background", "a", {**good, "number": "CN2", "licence": {**LICENCE, "until": "2026-01-01"}}, 422,
         "ip_licence_dates"),
        ("background", "a", {**good, "number": "CN2", "kind": "poem"}, 422, "ip_unknown_kind"),
        ("background", "a", {**good, "number": "CN2", "title": " "}, 422, "ip_invalid"),
        ("background", "a", {**good, "number": "CN2", "owner": "B"}, 404, "not_found"),  # acting for another member
        ("background", "coordinator", {**good, "number": "CN2"}, 403, "forbidden"),
        ("background", "auditor", {**good, "number": "CN2"}, 403, "forbidden"),
        ("foreground", "coordinator", {**fg, "contributors": [{"member": "A", "share": "0.3"},
                                                              {"member": "B", "share": "0.3"}]}, 422,
         "ip_shares_not_one"),
        ("foreground", "coordinator", {**fg, "contributors": [{"member": "Z", "share": "1"}]}, 422, "ip_not_a_member"),
        ("foreground", "b", fg, 403, "forbidden"),  # B is not a contributor
        ("foreground", "coordinator", {**fg, "project": "nope"}, 422, "ip_invalid"),  # no such agreement
        ("foreground", "coordinator", {**fg, "colour": "red"}, 422, "invalid_request"),
    ]:
        found = client.post(f"{R}/{path}", json=body, headers=k[key])
        assert found.status_code == status, (path, key, body, found.text)
        assert found.headers["content-type"] == "application/problem+json"
        if code != "invalid_request":
            assert found.json()["code"] == code, found.text
    problem(client.post(f"{R}/1/versions", json={"owner": "Z"}, headers=k["a"]), 422, "ip_not_a_member")
    problem(client.post(f"{R}/1/versions", json={"title": "x"}, headers=k["b"]), 404, "not_found")
    problem(client.post(f"{R}/9/versions", json={"title": "x"}, headers=k["a"]), 404, "ip_asset_not_found")
    assert _count(store) == before


def test_another_alliance_sees_nothing(world: Any, store: Store) -> None:
    client, k = world
    client.post(f"{R}/background", headers=k["a"], json={"owner": "A", "kind": "software", "title": "软件",
                                                         "number": "SR1", "licence": LICENCE})
    for key in ("other_coordinator", "other_member"):
        problem(client.get(R, headers=k[key]), 404, "alliance_not_found")
        problem(client.get(f"{R}/1", headers=k[key]), 404, "alliance_not_found")
        problem(client.post(f"{R}/1/versions", json={"title": "x"}, headers=k[key]), 404, "alliance_not_found")
        problem(client.post(f"{R}/foreground", headers=k[key], json={
            "kind": "patent", "title": "t", "number": "N", "contributors": [{"member": "A", "share": "1"}]}),
            404, "alliance_not_found")
    assert client.get("/api/v1/alliances/other/ip", headers=k["other_member"]).json()["assets"] == []
    assert _count(store) == 1
