"""An alliance's lifecycle over HTTP: the coordinator (or platform admin) edits details and changes
the status; members and outsiders cannot; a dissolved alliance answers writes with 409
`alliance_not_writable` and still answers reads; bad input changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from alliance.access.roles import Role
from alliance.access.service import create_api_key
from alliance.core.clock import FrozenClock
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.store.database import Store
from tests.support.factories import hardware_split, member_values
from tests.support.http import problem

V1 = "/api/v1/alliances/cloud-hw"
HEADER = "line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,currency\n"
LINE = "L1,O1,2026-12-05T10:00:00+08:00,HW,HW,store,HW-1,1,1000.01,CNY\n"
LATER = FrozenClock(datetime(2026, 12, 6, 2, tzinfo=UTC))  # 2026-12-06 10:00 in Asia/Shanghai


def key(store: Store, role: Role, alliance: str | None = "cloud-hw", member: str | None = None) -> dict[str, str]:
    issued = create_api_key(store, role=role, alliance=alliance, member=member, name=role.value, created_by="t",
                            clock=LATER)
    return {"Authorization": f"Bearer {issued.key}"}


@pytest.fixture
def client(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[TestClient]:
    hardware_split(store, clock)
    with TestClient(create_app(store, LATER, tmp_path / "facts.duckdb")) as c:
        c.headers.update(key(store, Role.COORDINATOR))
        yield c


def test_the_coordinator_edits_details_and_moves_the_status_logged_in_the_history(client: TestClient) -> None:
    r = client.patch(V1, json={"name": "云硬件联盟", "planned_end": "2027-06-30", "charter": "章程"})
    assert r.status_code == 200, r.text
    assert (r.json()["name"], r.json()["planned_end"]) == ("云硬件联盟", "2027-06-30")
    r = client.post(f"{V1}/status", json={"status": "suspended", "reason": "dispute", "decided_by": "proposal 1"})
    assert r.status_code == 200 and r.json()["status"] == "suspended"
    r = client.patch(V1, json={"planned_end": None, "status": "active", "decided_by": "proposal 2"})
    assert r.status_code == 200 and r.json()["planned_end"] is None and r.json()["status"] == "active"
    history = client.get(f"{V1}/history").json()["items"]
    assert [(h["field"], h["old"], h["new"]) for h in history] == [
        ("status", "suspended", "active"), ("planned_end", "2027-06-30", None), ("status", "active", "suspended"),
        ("planned_end", None, "2027-06-30"), ("charter", "", "章程"), ("name", "宁波精密零部件企业联盟", "云硬件联盟")]
    assert history[0]["decided_by"] == "proposal 2" and history[2]["reason"] == "dispute"
    assert history[0]["actor"].endswith("(coordinator of cloud-hw)")


def test_bad_input_is_refused_and_changes_nothing(client: TestClient, store: Store) -> None:
    before = client.get(V1).json()
    problem(client.post(f"{V1}/status", json={"status": "paused"}), 422, "invalid_input")
    problem(client.patch(V1, json={"name": "新", "planned_end": "2026-12-05"}), 422, "invalid_input")  # yesterday there
    problem(client.patch(V1, json={"name": "新", "status": "dissolved"}), 409, "status_change_not_allowed")
    problem(client.patch(V1, json={"name": " "}), 422, "invalid_input")
    assert client.patch(V1, json={"colour": "red"}).status_code == 422
    assert client.get(V1).json() == before
    assert client.get(f"{V1}/history").json()["items"] == []


def test_a_dissolved_alliance_refuses_writes_with_409_and_answers_reads(client: TestClient, store: Store) -> None:
    for state in ("dissolving", "dissolved"):
        assert client.post(f"{V1}/status", json={"status": state, "decided_by": "proposal 9"}).status_code == 200
    body = problem(client.post(f"{V1}/order-lines", content=HEADER + LINE, headers={"Content-Type": "text/csv"}),
                   409, "alliance_not_writable")
    assert "dissolved" in body["detail"] and "order lines" in body["detail"]
    problem(client.post(f"{V1}/agreements", content="agreement: x\n", headers={"Content-Type": "application/yaml"}),
            409, "alliance_not_writable")
    problem(client.post(f"{V1}/settlements", json={"day": "2026-12-05"}), 409, "alliance_not_writable")
    problem(client.post(f"{V1}/status", json={"status": "active"}), 409, "status_change_not_allowed")
    problem(client.patch(V1, json={"name": "复活"}), 409, "alliance_not_writable")
    assert client.get(V1).json()["status"] == "dissolved"
    assert [m["code"] for m in client.get(f"{V1}/members").json()["items"]] == ["HW", "SW"]
    assert client.get(f"{V1}/agreements").status_code == 200
    assert client.get(f"{V1}/ledger/entries").status_code == 200
    assert client.get(f"{V1}/history").json()["items"][0]["new"] == "dissolved"
    assert registry.get_alliance(store, "cloud-hw").name == "宁波精密零部件企业联盟"


def test_the_answer_is_in_the_readers_language(client: TestClient) -> None:
    for state in ("dissolving", "dissolved"):
        client.post(f"{V1}/status", json={"status": state, "decided_by": "proposal 5"})
    r = client.patch(V1, json={"name": "x"}, headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 409 and "已解散" in r.json()["detail"]


@pytest.mark.parametrize("role", [Role.MEMBER_ADMIN, Role.MEMBER_ANALYST, Role.AUDITOR])
def test_members_and_the_auditor_may_not_change_the_alliance(client: TestClient, store: Store, role: Role) -> None:
    member = "HW" if role in (Role.MEMBER_ADMIN, Role.MEMBER_ANALYST) else None
    headers = key(store, role, member=member)
    problem(client.patch(V1, json={"name": "夺权"}, headers=headers), 403, "forbidden")
    problem(client.post(f"{V1}/status", json={"status": "suspended"}, headers=headers), 403, "forbidden")
    assert client.get(f"{V1}/history", headers=headers).status_code == 200  # the history is read as the directory is
    assert registry.get_alliance(store, "cloud-hw").status.value == "active"


def test_another_alliance_and_no_key_get_nothing(client: TestClient, store: Store) -> None:
    outsider = key(store, Role.COORDINATOR, alliance="other")
    problem(client.patch(V1, json={"name": "夺权"}, headers=outsider), 404, "alliance_not_found")
    problem(client.post(f"{V1}/status", json={"status": "dissolving"}, headers=outsider), 404, "alliance_not_found")
    problem(client.get(f"{V1}/history", headers=outsider), 404, "alliance_not_found")
    anonymous = TestClient(client.app)
    assert anonymous.post(f"{V1}/status", json={"status": "dissolving"}).status_code == 401
    assert registry.get_alliance(store, "cloud-hw").status.value == "active"


def test_the_platform_admin_may_change_any_alliance(client: TestClient, store: Store) -> None:
    admin = key(store, Role.PLATFORM_ADMIN, alliance=None)
    r = client.post("/api/v1/alliances/other/status", json={"status": "suspended", "decided_by": "court order"},
                    headers=admin)
    assert r.status_code == 200 and r.json()["status"] == "suspended"
    registry.add_member(store, "cloud-hw", member_values(9), LATER)  # the other alliance is untouched
