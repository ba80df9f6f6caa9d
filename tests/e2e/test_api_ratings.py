"""Star ratings over HTTP: the coordinator sets weights (a table not summing to 1 is 422 with nothing
stored), imports reviews (all or none), runs and another coordinator approves; a member reads the
table of stars and its own rating only; another member's rating is 404, another alliance's too."""

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
from alliance.store.tables import rating_reviews, rating_settings, ratings
from tests.support.factories import credit_code, make_alliance
from tests.support.http import problem

R = "/api/v1/alliances/nb/ratings"
WEIGHTS = {"groups": {"reviews": "0.5", "fulfilment": "0.3", "innovation": "0.2"},
           "parts": {"delivery": "0.7", "disputes": "0.3"}}


def _key(store: Store, clock: FrozenClock, role: Role, alliance: str | None, member: str | None = None) -> dict[str, str]:
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
    keys = {
        "coordinator": _key(store, clock, Role.COORDINATOR, "nb"),
        "deputy": _key(store, clock, Role.COORDINATOR, "nb"),
        "auditor": _key(store, clock, Role.AUDITOR, "nb"),
        "m1": _key(store, clock, Role.MEMBER_ADMIN, "nb", "M1"),
        "m3": _key(store, clock, Role.MEMBER_ADMIN, "nb", "M3"),
        "other_coordinator": _key(store, clock, Role.COORDINATOR, "other"),
        "other_member": _key(store, clock, Role.MEMBER_ADMIN, "other", "M1"),
    }
    with TestClient(create_app(store, clock)) as client:
        yield client, keys


def _count(store: Store, table: object) -> int:
    with store.engine.connect() as c:
        return c.execute(select(func.count()).select_from(table)).scalar_one()  # type: ignore[arg-type]


def test_ratings_over_http_with_approval_and_isolation(world: Any, store: Store) -> None:
    client, keys = world
    bad = {"groups": {"reviews": "0.5", "fulfilment": "0.4", "innovation": "0.2"}, "parts": WEIGHTS["parts"]}
    body = problem(client.put(f"{R}/settings/weights", json=bad, headers=keys["coordinator"]), 422,
                   "rating_weights_invalid")
    assert "sum to 1.1, not 1" in body["detail"]
    problem(client.put(f"{R}/settings/weights", json={**WEIGHTS, "groups": {**WEIGHTS["groups"], "reviews": 0.5}},
                       headers=keys["coordinator"]), 422, "rating_weights_invalid")
    problem(client.put(f"{R}/settings/weights", json=WEIGHTS, headers=keys["m1"]), 403, "forbidden")
    assert _count(store, rating_settings) == 0
    assert client.put(f"{R}/settings/weights", json=WEIGHTS, headers=keys["coordinator"]).status_code == 200
    assert client.put(f"{R}/settings/policy", json={"improvement_days": 30, "grace_days": 0, "appeal_days": 7},
                      headers=keys["coordinator"]).status_code == 200

    rows = [{"member": "M3", "date": "2026-11-01", "stars": 1}, {"member": "M9", "date": "2026-11-01", "stars": 6}]
    refused = problem(client.post(f"{R}/reviews", json={"reviews": rows}, headers=keys["coordinator"]), 422,
                      "review_import_invalid")
    assert "row 2" in refused["detail"]
    assert _count(store, rating_reviews) == 0
    made = client.post(f"{R}/reviews", json={"reviews": rows[:1] * 2}, headers=keys["coordinator"])
    assert made.status_code == 201 and made.json() == {"imported": 2}
    assert client.post(f"{R}/innovation", json={"member": "M3", "period": "2026Q4", "score": "0"},
                       headers=keys["coordinator"]).status_code == 201

    run = client.post(f"{R}/runs", json={"period": "2026Q4"}, headers=keys["coordinator"])
    assert run.status_code == 201, run.text
    by_member = {r["member"]: r for r in run.json()["items"]}
    assert by_member["M3"]["status"] == "pending" and by_member["M1"]["status"] == "effective"
    pending_id = by_member["M3"]["id"]
    assert [r["id"] for r in client.get(f"{R}/pending", headers=keys["coordinator"]).json()["items"]] == [pending_id]
    problem(client.post(f"{R}/approvals/{pending_id}", json={"approve": True}, headers=keys["coordinator"]), 409,
            "rating_decision_refused")
    problem(client.post(f"{R}/approvals/{pending_id}", json={"approve": True}, headers=keys["m1"]), 403, "forbidden")
    approved = client.post(f"{R}/approvals/{pending_id}", json={"approve": True}, headers=keys["deputy"])
    assert approved.status_code == 200 and approved.json()["status"] == "effective"

    # The table: every role of the alliance, stars only.
    table = client.get(R, headers=keys["m1"]).json()["items"]
    assert {r["member"]: r["stars"] for r in table} == {"M1": 3, "M2": 3, "M3": 1}
    assert all(set(r) == {"member", "name", "stars", "period", "trend", "pending", "procedure"} for r in table)
    assert not any(r["procedure"] or r["pending"] for r in table)   # a member does not see others' procedures
    assert next(r for r in client.get(R, headers=keys["coordinator"]).json()["items"]
                if r["member"] == "M3")["procedure"] == "improvement"
    # A member's own rating with its explanation; another member's is 404, as is another alliance's.
    own = client.get(f"{R}/members/M3", headers=keys["m3"]).json()
    assert own["current"]["stars"] == 1 and own["current"]["explanation"]["lines"][0]["input"] == "reviews"
    assert own["next_tier"]["stars"] == 2 and own["procedure"]["stage"] == "improvement" and own["may_appeal"]
    problem(client.get(f"{R}/members/M3", headers=keys["m1"]), 404, "not_found")
    assert client.get(f"{R}/members/M3", headers=keys["auditor"]).status_code == 200
    for outsider in ("other_coordinator", "other_member"):
        problem(client.get(R, headers=keys[outsider]), 404, "alliance_not_found")
        problem(client.get(f"{R}/members/M3", headers=keys[outsider]), 404, "alliance_not_found")
    problem(client.get(f"{R}/procedures", headers=keys["m3"]), 403, "forbidden")
    problem(client.get(f"{R}/entitlements", headers=keys["m3"]), 403, "forbidden")
    assert client.get(f"{R}/entitlements", headers=keys["coordinator"]).json() == {"items": []}

    # The member appeals; another member cannot appeal for it.
    problem(client.post(f"{R}/members/M3/appeal", json={"reason": "x"}, headers=keys["m1"]), 404, "not_found")
    appealed = client.post(f"{R}/members/M3/appeal", json={"reason": "差评来自竞争对手"}, headers=keys["m3"])
    assert appealed.status_code == 200 and appealed.json()["stage"] == "appealed"
    problem(client.post(f"{R}/members/M3/appeal", json={"reason": "again"}, headers=keys["m3"]), 409,
            "rating_appeal_refused")
    procedure = client.get(f"{R}/procedures", headers=keys["coordinator"]).json()["items"][0]
    refused_appeal = client.post(f"{R}/procedures/{procedure['id']}/appeal-decision", json={"grant": False},
                                 headers=keys["coordinator"])
    assert refused_appeal.json()["stage"] == "improvement"
    assert client.post(f"{R}/procedures/review", headers=keys["coordinator"]).json() == {"items": []}
    before = _count(store, ratings)
    problem(client.post(f"{R}/runs", json={"period": "2026Q5"}, headers=keys["coordinator"]), 422,
            "rating_period_invalid")
    assert _count(store, ratings) == before
