"""Bodies and meetings over HTTP: a quarterly meeting run through the API, problem+json for bad
input with nothing stored, the calendar file, and who sees what (seated members, members without a
seat, auditors, another alliance's roles)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from alliance.access.roles import Role
from alliance.access.service import create_api_key
from alliance.core.clock import FrozenClock
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.store.database import Store
from tests.support.factories import credit_code, make_alliance
from tests.support.http import problem

V1 = "/api/v1/alliances/nb"
BODY = {"name": "联合管理委员会", "kind": "joint_committee", "term_from": "2026-12-01", "term_to": "2028-11-30",
        "cadence": "quarterly", "meeting_time": "10:00", "duration_minutes": 120,
        "seats": [{"member": "M1", "role": "chair"}, {"member": "M2", "role": "secretary"},
                  {"member": "M3", "role": "member"}],
        "rules": {"approve_budget": {"rule": "two_thirds", "params": {"quorum": "0.5"}}}}


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
        "auditor": _key(store, clock, Role.AUDITOR, "nb"),
        "chair": _key(store, clock, Role.MEMBER_ADMIN, "nb", "M1"),
        "seated": _key(store, clock, Role.MEMBER_ADMIN, "nb", "M3"),
        "unseated": _key(store, clock, Role.MEMBER_ADMIN, "nb", "M4"),
        "other_coordinator": _key(store, clock, Role.COORDINATOR, "other"),
        "other_member": _key(store, clock, Role.MEMBER_ADMIN, "other", "M1"),
    }
    with TestClient(create_app(store, clock)) as client:
        yield client, keys


def _meeting(client: TestClient, keys: dict[str, dict[str, str]]) -> tuple[int, int]:
    made = client.post(f"{V1}/bodies", json=BODY, headers=keys["coordinator"])
    assert made.status_code == 201, made.text
    body_id = made.json()["id"]
    scheduled = client.post(f"{V1}/bodies/{body_id}/schedule", json={"first": "2027-01-15", "count": 4},
                            headers=keys["coordinator"])
    assert scheduled.status_code == 201, scheduled.text
    assert [m["starts_at"] for m in scheduled.json()["meetings"]] == [
        "2027-01-15T02:00:00+00:00", "2027-04-15T02:00:00+00:00", "2027-07-15T02:00:00+00:00",
        "2027-10-15T02:00:00+00:00"]
    return body_id, scheduled.json()["meetings"][0]["id"]


def test_a_quarterly_meeting_over_the_api(world: Any, clock: FrozenClock) -> None:
    client, keys = world
    body_id, meeting = _meeting(client, keys)
    chair = keys["chair"]
    item = client.post(f"{V1}/meetings/{meeting}/agenda", json={"title": "2027 预算", "time_box": 30, "owner": "M1",
                                                                "proposal": "17"}, headers=chair)
    assert item.status_code == 201, item.text
    item_id = item.json()["id"]
    attendance = client.put(f"{V1}/meetings/{meeting}/attendance", headers=chair, json={"entries": [
        {"member": "M1", "presence": "present"}, {"member": "M2", "presence": "present"},
        {"member": "M3", "presence": "proxy", "proxy": "M2"}]})
    assert attendance.status_code == 200, attendance.text
    minutes = client.put(f"{V1}/meetings/{meeting}/agenda/{item_id}/minutes", json={"minutes": "预算通过。"}, headers=chair)
    assert minutes.status_code == 200 and minutes.json()["minutes"] == "预算通过。"
    action = client.post(f"{V1}/meetings/{meeting}/actions", headers=chair, json={
        "title": "提交预算明细", "owner": "M2", "due_on": "2027-01-31", "agenda_item": item_id, "decision": "17"})
    assert action.status_code == 201, action.text
    shown = client.get(f"{V1}/meetings/{meeting}", headers=keys["seated"]).json()
    assert shown["local_start"] == "2027-01-15T10:00:00+08:00"
    assert shown["agenda"][0]["minutes"] == "预算通过。" and shown["actions"][0]["agenda_item"] == item_id
    assert {a["member"]: a["presence"] for a in shown["attendance"]} == {"M1": "present", "M2": "present",
                                                                          "M3": "proxy"}

    clock.advance(datetime(2027, 2, 1, 1, tzinfo=UTC) - clock.now())  # 1 February in Shanghai
    actions = client.get(f"{V1}/actions", headers=keys["auditor"]).json()
    assert actions["actions"][0]["overdue"] is True and actions["by_member"] == {"M2": {"open": 1, "overdue": 1}}
    done = client.patch(f"{V1}/actions/{action.json()['id']}", json={"status": "done"}, headers=chair)
    assert done.status_code == 200 and done.json()["status"] == "done"
    assert client.get(f"{V1}/actions", headers=keys["coordinator"]).json()["actions"] == []

    ics = client.get(f"{V1}/bodies/{body_id}/calendar.ics", headers=keys["seated"])
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    assert ics.content.count(b"BEGIN:VEVENT") == 3  # the three meetings still ahead
    assert b"\r\nDTSTART:20270415T020000Z\r\n" in ics.content


def test_bad_input_is_refused_with_problem_json_and_nothing_stored(world: Any) -> None:
    client, keys = world
    coordinator = keys["coordinator"]
    body_id, meeting = _meeting(client, keys)
    client.put(f"{V1}/meetings/{meeting}/attendance", json={"entries": [{"member": "M1", "presence": "present"},
                                                                        {"member": "M2", "presence": "absent"}]},
               headers=coordinator)

    def state() -> Any:
        return (client.get(f"{V1}/bodies", headers=coordinator).json(),
                client.get(f"{V1}/bodies/{body_id}/meetings", headers=coordinator).json(),
                client.get(f"{V1}/meetings/{meeting}", headers=coordinator).json())

    before = state()
    cases = [
        ("POST", f"{V1}/bodies", {**BODY, "name": "工作组", "seats": [{"member": "M9", "role": "chair"}]}, "M9"),
        ("POST", f"{V1}/bodies", {**BODY, "name": "工作组", "seats": [{"member": "M1", "role": "boss"}]}, "boss"),
        ("POST", f"{V1}/bodies", {**BODY, "name": "工作组", "term_to": "2026-01-01"}, "before it starts"),
        ("POST", f"{V1}/bodies", {**BODY, "name": "工作组", "rules": {"approve_budget": {"rule": "dice"}}}, "dice"),
        ("POST", f"{V1}/bodies/{body_id}/schedule", {"first": "2026-11-01", "count": 2}, "not after now"),
        ("POST", f"{V1}/meetings/{meeting}/agenda", {"title": "x", "time_box": 0}, "time box"),
        ("PUT", f"{V1}/meetings/{meeting}/attendance", {"entries": [{"member": "M4", "presence": "present"}]},
         "no seat"),
        ("PUT", f"{V1}/meetings/{meeting}/attendance",
         {"entries": [{"member": "M3", "presence": "proxy", "proxy": "M2"}]}, "not recorded as present"),
        ("PUT", f"{V1}/meetings/{meeting}/attendance",
         {"entries": [{"member": "M3", "presence": "proxy", "proxy": "M3"}]}, "own proxy"),
        ("POST", f"{V1}/meetings/{meeting}/actions", {"title": "x", "owner": "M1", "due_on": "2027-01-14"},
         "before the meeting"),
        ("POST", f"{V1}/meetings/{meeting}/actions", {"title": "x", "owner": "M9", "due_on": "2027-02-14"}, "no seat"),
    ]
    for method, path, body, said in cases:
        answer = client.request(method, path, json=body, headers=coordinator)
        assert answer.status_code == 422, (path, body, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert said in answer.json()["detail"], answer.json()
        assert state() == before, (path, body)
    past = problem(client.post(f"{V1}/bodies/{body_id}/meetings", json={"day": "2026-11-22", "at": "09:00"},
                               headers=coordinator), 422, "meeting_in_past")
    assert "2026-11-22 09:00" in past["detail"]  # said in the alliance's time zone
    assert state() == before


def test_who_sees_and_runs_which_meetings(world: Any) -> None:
    client, keys = world
    body_id, meeting = _meeting(client, keys)
    # Every role of the alliance sees that the body exists, with its seats.
    for who in ("auditor", "chair", "seated", "unseated"):
        assert [b["id"] for b in client.get(f"{V1}/bodies", headers=keys[who]).json()["bodies"]] == [body_id]
    # Its meetings and calendar: the seated members, the auditor; a member without a seat gets 404.
    for who in ("auditor", "chair", "seated"):
        assert client.get(f"{V1}/meetings/{meeting}", headers=keys[who]).status_code == 200
        assert client.get(f"{V1}/bodies/{body_id}/calendar.ics", headers=keys[who]).status_code == 200
    problem(client.get(f"{V1}/meetings/{meeting}", headers=keys["unseated"]), 404, "meeting_not_found")
    problem(client.get(f"{V1}/bodies/{body_id}/meetings", headers=keys["unseated"]), 404, "not_found")
    problem(client.get(f"{V1}/bodies/{body_id}/calendar.ics", headers=keys["unseated"]), 404, "not_found")
    assert client.get(f"{V1}/actions", headers=keys["unseated"]).json()["actions"] == []
    # Running it: the chair yes; a seated member, the auditor no (403); nobody sets up bodies but the coordinator.
    item = {"title": "议题", "time_box": 10}
    assert client.post(f"{V1}/meetings/{meeting}/agenda", json=item, headers=keys["chair"]).status_code == 201
    problem(client.post(f"{V1}/meetings/{meeting}/agenda", json=item, headers=keys["seated"]), 403, "forbidden")
    problem(client.post(f"{V1}/meetings/{meeting}/agenda", json=item, headers=keys["auditor"]), 403, "forbidden")
    problem(client.post(f"{V1}/meetings/{meeting}/agenda", json=item, headers=keys["unseated"]), 404,
            "meeting_not_found")
    problem(client.post(f"{V1}/bodies", json={**BODY, "name": "x"}, headers=keys["chair"]), 403, "forbidden")
    # Another alliance's coordinator and members: the alliance does not exist for them.
    for who in ("other_coordinator", "other_member"):
        for path in (f"{V1}/bodies", f"{V1}/meetings/{meeting}", f"{V1}/bodies/{body_id}/calendar.ics", f"{V1}/actions"):
            problem(client.get(path, headers=keys[who]), 404, "alliance_not_found")
        problem(client.post(f"{V1}/meetings/{meeting}/agenda", json=item, headers=keys[who]), 404, "alliance_not_found")
    # Its own alliance's ids do not reach this one's rows.
    other = "/api/v1/alliances/other"
    problem(client.get(f"{other}/meetings/{meeting}", headers=keys["other_coordinator"]), 404, "meeting_not_found")
    problem(client.get(f"{other}/bodies/{body_id}", headers=keys["other_coordinator"]), 404, "body_not_found")
