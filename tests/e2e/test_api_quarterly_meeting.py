"""A quarterly meeting of the joint committee over HTTP, end to end (issue 19): the coordinator sets
the investment shares, schedules the meeting and its agenda with the budget proposal, records the
attendance; members vote with their own keys under the weighted rule, one through a proxy; the
secretary writes the minutes and an action item; the reminder goes to the member that has not
voted; the vote closes by itself at the end of its window; the ledger has the outcome with its
frozen weights; the action item done, the budget is implemented."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from alliance.access.roles import Role
from alliance.access.service import create_api_key
from alliance.core.clock import FrozenClock
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.store.database import Store
from tests.support.factories import credit_code, make_alliance

START = datetime(2027, 1, 4, 2, tzinfo=UTC)   # Monday 10:00 in Shanghai
V1 = "/api/v1/alliances/nb"


@pytest.fixture
def world(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[tuple[TestClient, FrozenClock]]:
    make_alliance(store, clock, code="nb")
    for n, (member, name) in enumerate((("HUB", "核心企业"), ("LOG", "物流伙伴"), ("PAK", "包装厂"),
                                        ("SHOP", "门店")), start=1):
        registry.add_member(store, "nb", {"code": member, "name": name, "credit_code": credit_code(n)}, clock)
    now = FrozenClock(START)
    with TestClient(create_app(store, now, tmp_path / "facts.duckdb"), base_url="https://testserver") as client:
        yield client, now


def key(store: Store, role: Role, member: str | None = None) -> dict[str, str]:
    issued = create_api_key(store, role=role, alliance="nb", member=member, name="t", created_by="t",
                            clock=FrozenClock(START))
    return {"Authorization": f"Bearer {issued.key}"}


def test_a_quarterly_meeting_decides_the_budget_by_weighted_vote(world, store: Store) -> None:  # type: ignore[no-untyped-def]
    client, now = world
    coordinator = key(store, Role.COORDINATOR)
    hub, log, pak, shop = (key(store, Role.MEMBER_ADMIN, m) for m in ("HUB", "LOG", "PAK", "SHOP"))

    weights = {"weights": [{"member": "HUB", "weight": "45"}, {"member": "LOG", "weight": "30"},
                           {"member": "PAK", "weight": "15"}, {"member": "SHOP", "weight": "10"}]}
    assert client.put(f"{V1}/weights", json=weights, headers=coordinator).status_code == 200
    body = client.post(f"{V1}/bodies", headers=coordinator, json={
        "name": "联合管理委员会", "kind": "joint_committee", "term_from": "2027-01-01", "cadence": "quarterly",
        "seats": [{"member": "HUB", "role": "chair"}, {"member": "LOG", "role": "secretary"},
                  {"member": "PAK", "role": "member"}, {"member": "SHOP", "role": "member"}],
        "rules": {"approve_budget": {"rule": "weighted", "params": {
            "threshold": "1/2", "quorum": "50%", "weights": "table", "must_total": "100"}}}})
    assert body.status_code == 201, body.text
    body_id = body.json()["id"]
    meetings = client.post(f"{V1}/bodies/{body_id}/schedule", json={"first": "2027-01-15", "count": 4},
                           headers=coordinator)
    assert meetings.status_code == 201, meetings.text
    meeting = meetings.json()["meetings"][0]["id"]

    # The budget proposal, discussed until the meeting and voted for a week after it.
    draft = client.post(f"{V1}/proposals", headers=coordinator, json={
        "body": body_id, "type": "approve_budget", "title": "2027 年度联合采购预算", "text": "预算 120 万元。",
        "discussion_until": "2027-01-15T10:00:00+08:00", "voting_until": "2027-01-22T18:00:00+08:00",
        "reminder_hours": 24, "secrecy": "open"})
    assert draft.status_code == 201, draft.text
    number = draft.json()["number"]
    assert client.post(f"{V1}/proposals/{number}/submission", headers=coordinator).json()["status"] == "discussion"
    item = client.post(f"{V1}/meetings/{meeting}/agenda", headers=coordinator,
                       json={"title": "2027 预算", "time_box": 30, "owner": "HUB", "proposal": str(number)})
    assert item.status_code == 201, item.text
    # SHOP cannot attend: it gives its vote in the budget to the packer.
    assert client.post(f"{V1}/proposals/{number}/proxies", json={"holder": "PAK"}, headers=shop).status_code == 201

    now.advance(datetime(2027, 1, 15, 2, 30, tzinfo=UTC) - now.now())   # the meeting, half an hour in
    attendance = client.put(f"{V1}/meetings/{meeting}/attendance", headers=coordinator, json={"entries": [
        {"member": "HUB", "presence": "present"}, {"member": "LOG", "presence": "present"},
        {"member": "PAK", "presence": "present"}, {"member": "SHOP", "presence": "proxy", "proxy": "PAK"}]})
    assert attendance.status_code == 200, attendance.text
    shown = client.get(f"{V1}/proposals/{number}", headers=hub).json()
    assert shown["status"] == "voting" and shown["electorate"] == {"HUB": "45", "LOG": "30", "PAK": "15", "SHOP": "10"}
    assert {m["member"] for m in shown["power"]["members"]} == {"HUB", "LOG", "PAK", "SHOP"}
    assert client.post(f"{V1}/proposals/{number}/ballots", json={"choice": "yes"}, headers=hub).status_code == 201
    assert client.post(f"{V1}/proposals/{number}/ballots", json={"choice": "yes"}, headers=pak).status_code == 201
    assert client.post(f"{V1}/proposals/{number}/ballots", json={"choice": "no", "for": "SHOP"},
                       headers=pak).status_code == 201
    minutes = client.put(f"{V1}/meetings/{meeting}/agenda/{item.json()['id']}/minutes", headers=coordinator,
                         json={"minutes": "讨论预算，会后一周内投票。"})
    assert minutes.status_code == 200, minutes.text
    action = client.post(f"{V1}/meetings/{meeting}/actions", headers=coordinator, json={
        "title": "下达采购预算", "owner": "LOG", "due_on": "2027-01-31", "decision": f"proposal {number}"})
    assert action.status_code == 201, action.text

    # A day before the close, the member that has not voted is reminded (the serve loop's job).
    now.advance(datetime(2027, 1, 21, 11, tzinfo=UTC) - now.now())
    from alliance.governance.service_proposals import advance_due

    advance_due(store, now)
    assert client.get(f"{V1}/reminders", headers=log).json()["reminders"][0]["proposal"] == number
    assert client.get(f"{V1}/reminders", headers=hub).json()["reminders"] == []

    now.advance(datetime(2027, 1, 22, 10, tzinfo=UTC) - now.now())   # the window has ended
    advance_due(store, now)
    closed = client.get(f"{V1}/proposals/{number}", headers=key(store, Role.AUDITOR)).json()
    outcome = closed["outcome"]
    assert closed["status"] == "closed" and outcome["status"] == "passed"
    assert outcome["figures"]["yes"] == "60" and outcome["figures"]["no"] == "10"
    assert outcome["figures"]["participation"] == "7/10" and outcome["by_proxy"] == [["SHOP", "PAK"]]
    entries = client.get(f"{V1}/ledger/entries", params={"limit": 1000}, headers=coordinator).json()
    (recorded,) = [e["entry"]["payload"] for e in entries if e["type"] == "proposal.closed"]
    assert recorded["electorate"] == {"HUB": "45", "LOG": "30", "PAK": "15", "SHOP": "10"}
    assert recorded["status"] == "passed" and recorded["text_sha256"] == closed["text_sha256"]

    refused = client.post(f"{V1}/proposals/{number}/implementation", headers=coordinator)
    assert refused.status_code == 409 and "still open" in refused.json()["detail"]
    assert client.patch(f"{V1}/actions/{action.json()['id']}", json={"status": "done"},
                        headers=coordinator).status_code == 200
    done = client.post(f"{V1}/proposals/{number}/implementation", headers=hub)   # the chair
    assert done.status_code == 200 and done.json()["status"] == "implemented"
    assert now.now() - START > timedelta(days=17)
