"""Voting weights over HTTP: the coordinator puts the table, every role of the alliance reads it and
each source's weights, problem+json for bad input and refused roles with the stored table and the
ledger unchanged, and another alliance's roles answered 404."""

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
from alliance.store.tables import ledger_entries, vote_weights
from tests.support.factories import credit_code, make_alliance
from tests.support.http import problem

W = "/api/v1/alliances/nb/weights"
TABLE = {"weights": [{"member": "M1", "weight": 45}, {"member": "M2", "weight": "30.5"}, {"member": "M3", "weight": "24.50"}]}


def _key(store: Store, clock: FrozenClock, role: Role, alliance: str | None, member: str | None = None) -> dict[str, str]:
    key = create_api_key(store, role=role, alliance=alliance, member=member, name=f"{role.value} {member}",
                         created_by="t", clock=clock).key
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def world(store: Store, clock: FrozenClock) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    for code in ("nb", "other"):
        make_alliance(store, clock, code=code)
        for n, member in enumerate(("M1", "M2", "M3", "M4"), start=1):
            registry.add_member(store, code, {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n)},
                                clock)
    keys = {
        "coordinator": _key(store, clock, Role.COORDINATOR, "nb"),
        "admin": _key(store, clock, Role.PLATFORM_ADMIN, None),
        "auditor": _key(store, clock, Role.AUDITOR, "nb"),
        "member": _key(store, clock, Role.MEMBER_ADMIN, "nb", "M4"),
        "analyst": _key(store, clock, Role.MEMBER_ANALYST, "nb", "M2"),
        "other_coordinator": _key(store, clock, Role.COORDINATOR, "other"),
        "other_member": _key(store, clock, Role.MEMBER_ADMIN, "other", "M1"),
    }
    with TestClient(create_app(store, clock)) as client:
        yield client, keys


def _stored(store: Store) -> tuple[list[tuple[str, str]], int]:
    with store.engine.connect() as c:
        return ([(r.member_code, r.weight) for r in c.execute(select(vote_weights).order_by(vote_weights.c.id))],
                c.execute(select(func.count()).select_from(ledger_entries)).scalar_one())


def test_the_coordinator_sets_the_table_and_every_role_reads_the_weights(world: Any, store: Store) -> None:
    client, keys = world
    put = client.put(W, json=TABLE, headers=keys["coordinator"])
    assert put.status_code == 200, put.text
    assert [(w["member"], w["weight"]) for w in put.json()["table"]] == [("M1", "45"), ("M2", "30.5"), ("M3", "24.5")]
    for reader in ("coordinator", "auditor", "member", "analyst", "admin"):
        got = client.get(W, headers=keys[reader])
        assert got.status_code == 200, (reader, got.text)
    body = got.json()
    assert body["sources"]["table"]["weights"] == {"M1": "45", "M2": "30.5", "M3": "24.5"}
    assert body["sources"]["table"]["shares"] == {"M1": "0.45", "M2": "0.305", "M3": "0.245"}
    assert body["sources"]["equal"]["weights"] == {"M1": "1", "M2": "1", "M3": "1", "M4": "1"}
    assert body["sources"]["settled"]["weights"] is None and "nothing was paid out" in body["sources"]["settled"]["unavailable"]
    assert body["unweighted"] == ["M4"]
    assert [(h["before"], len(h["weights"])) for h in body["history"]] == [([], 3)]
    assert "coordinator" in body["history"][0]["actor"] and body["table"][0]["set_by"] == body["history"][0]["actor"]
    one = client.get(W, params={"source": "table"}, headers=keys["member"])
    assert one.json() == {"source": "table", "weights": {"M1": "45", "M2": "30.5", "M3": "24.5"}}
    # A platform admin sets it too; the history shows old -> new.
    assert client.put(W, json={"weights": [{"member": "M1", "weight": "1"}]}, headers=keys["admin"]).status_code == 200
    history = client.get(W, headers=keys["auditor"]).json()["history"]
    assert history[0]["before"] == [{"member": "M1", "weight": "45"}, {"member": "M2", "weight": "30.5"},
                                    {"member": "M3", "weight": "24.5"}]
    assert history[0]["weights"] == [{"member": "M1", "weight": "1"}]


def test_a_source_with_nothing_to_give_or_unknown_is_a_clear_problem(world: Any) -> None:
    client, keys = world
    found = problem(client.get(W, params={"source": "settled"}, headers=keys["member"]), 422, "weights_unavailable")
    assert "settle days first" in found["detail"]
    found = problem(client.get(W, params={"source": "table"}, headers=keys["member"]), 422, "weights_unavailable")
    assert "has no weight table" in found["detail"]
    found = problem(client.get(W, params={"source": "shares"}, headers=keys["member"]), 422, "weight_source_unknown")
    assert "the sources are table, settled, equal" in found["detail"]
    equal = client.get(W, params={"source": "equal", "on": "2026-11-22"}, headers=keys["auditor"])
    assert equal.status_code == 200 and equal.json()["weights"] == {m: "1" for m in ("M1", "M2", "M3", "M4")}


@pytest.mark.parametrize(("weights", "said"), [
    ([{"member": "M1", "weight": 0.45}], "0.45 is not an exact number"),
    ([{"member": "M1", "weight": "-5"}, {"member": "M9", "weight": "5"}], "M9 is not an active member"),
    ([{"member": "M1", "weight": "10.12345"}], "at most 4 decimal places"),
    ([{"member": "M1", "weight": "0"}], "every weight is zero"),
    ([{"member": "M1", "weight": "1"}, {"member": "M1", "weight": "2"}], "listed twice"),
    ([], "at least one member"),
])
def test_bad_input_is_refused_and_changes_nothing(world: Any, store: Store, weights: list[dict[str, Any]],
                                                  said: str) -> None:
    client, keys = world
    assert client.put(W, json=TABLE, headers=keys["coordinator"]).status_code == 200
    before = _stored(store)
    found = problem(client.put(W, json={"weights": weights}, headers=keys["coordinator"]), 422, "vote_weights_invalid")
    assert said in found["detail"]
    assert _stored(store) == before


@pytest.mark.parametrize(("who", "status"), [("auditor", 403), ("member", 403), ("analyst", 403),
                                             ("other_coordinator", 404), ("other_member", 404)])
def test_only_the_coordinator_sets_the_table_and_outsiders_see_nothing(world: Any, store: Store, who: str,
                                                                       status: int) -> None:
    client, keys = world
    assert client.put(W, json=TABLE, headers=keys["coordinator"]).status_code == 200
    before = _stored(store)
    assert client.put(W, json={"weights": [{"member": "M1", "weight": "99"}]}, headers=keys[who]).status_code == status
    assert _stored(store) == before
    if status == 404:
        for params in ({}, {"source": "table"}):
            got = client.get(W, params=params, headers=keys[who])
            assert got.status_code == 404 and "45" not in got.text
    assert client.get("/api/v1/alliances/other/weights", headers=keys["coordinator"]).status_code == 404


def test_a_dissolved_alliance_refuses_a_new_table_with_409(world: Any, store: Store) -> None:
    client, keys = world
    assert client.put(W, json=TABLE, headers=keys["coordinator"]).status_code == 200
    for status in ("dissolving", "dissolved"):
        assert client.post("/api/v1/alliances/nb/status", json={"status": status, "decided_by": "proposal 1"},
                           headers=keys["coordinator"]).status_code == 200
    before = _stored(store)
    problem(client.put(W, json=TABLE | {"weights": TABLE["weights"][:1]}, headers=keys["coordinator"]), 409,
            "alliance_not_writable")
    assert _stored(store) == before
    assert client.get(W, headers=keys["member"]).json()["table"][0]["weight"] == "45"  # still read
