"""Proposals and votes over HTTP: the coordinator drafts and submits, members vote and give proxies
with their own keys, the window closes by the clock, the outcome is answered; refused requests
answer problem+json and change no ballot and no ledger entry; anonymous votes name no voter to anyone;
another alliance's proposals do not exist."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from alliance.access.roles import Principal, Role
from alliance.access.service import create_api_key
from alliance.core.clock import FrozenClock
from alliance.governance import service_meetings as meetings
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.store.database import Store
from alliance.store.tables import gov_ballots, gov_vote_proxies, ledger_entries
from tests.support.factories import credit_code, make_alliance
from tests.support.http import problem

START = datetime(2026, 12, 8, 2, tzinfo=UTC)


@pytest.fixture
def world(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[tuple[TestClient, FrozenClock, int]]:
    for code in ("nb", "other"):
        make_alliance(store, clock, code=code)
        for n, member in enumerate(("M1", "M2", "M3", "M4"), start=1):
            registry.add_member(store, code, {"code": member, "name": f"{member} 公司",
                                              "credit_code": credit_code(n)}, clock)
    body = meetings.create_body(
        store, "nb", Principal("c", Role.COORDINATOR, "nb"), name="联合管理委员会", kind="joint_committee",
        term_from=date(2026, 11, 1), term_to=None, cadence="quarterly", meeting_time=time(10, 0),
        duration_minutes=120, seats=[("M1", "chair", None), ("M2", "member", None), ("M3", "member", None)],
        rules={"other": {"rule": "simple_majority", "params": {"quorum": "1/2"}}}, clock=clock)
    now = FrozenClock(START)
    with TestClient(create_app(store, now, tmp_path / "facts.duckdb"), base_url="https://testserver") as client:
        yield client, now, body.id


def key(store: Store, role: Role, alliance: str = "nb", member: str | None = None) -> dict[str, str]:
    issued = create_api_key(store, role=role, alliance=alliance, member=member, name="t", created_by="t",
                            clock=FrozenClock(START))
    return {"Authorization": f"Bearer {issued.key}"}


def counts(store: Store) -> tuple[int, ...]:
    with store.engine.connect() as c:
        return tuple(c.execute(select(func.count()).select_from(t)).scalar_one()
                     for t in (gov_ballots, gov_vote_proxies, ledger_entries))


def _proposal(client: TestClient, headers: dict[str, str], body_id: int, **extra: object) -> int:
    payload = {"body": body_id, "type": "other", "title": "年度计划", "text": "通过 2027 年度计划。",
               "no_discussion": True, "voting_until": (START + timedelta(days=7)).isoformat(), **extra}
    made = client.post("/api/v1/alliances/nb/proposals", json=payload, headers=headers)
    assert made.status_code == 201, made.text
    number = made.json()["number"]
    assert client.post(f"/api/v1/alliances/nb/proposals/{number}/submission", headers=headers).status_code == 200
    return number


def test_a_vote_over_http_from_draft_to_outcome(world, store: Store) -> None:  # type: ignore[no-untyped-def]
    client, now, body_id = world
    coordinator = key(store, Role.COORDINATOR)
    number = _proposal(client, coordinator, body_id)
    m1, m2, m3 = (key(store, Role.MEMBER_ADMIN, member=m) for m in ("M1", "M2", "M3"))
    assert client.post(f"/api/v1/alliances/nb/proposals/{number}/proxies", json={"holder": "M1"},
                       headers=m3).status_code == 201
    assert client.post(f"/api/v1/alliances/nb/proposals/{number}/ballots", json={"choice": "yes"},
                       headers=m1).status_code == 201
    assert client.post(f"/api/v1/alliances/nb/proposals/{number}/ballots", json={"choice": "no"},
                       headers=m2).status_code == 201
    shown = client.get(f"/api/v1/alliances/nb/proposals/{number}", headers=m2).json()
    assert shown["status"] == "voting" and shown["turnout"] == 2
    assert shown["running"]["heads"]["yes"] == 2 and shown["you"] == {
        "member": "M2", "voted": True, "choice": "no", "holds_proxies_of": [], "may_vote": True, "may_run": False}
    assert {(b["voter"], b["choice"]) for b in shown["ballots"]} == {("M1", "yes"), ("M2", "no")}

    now.advance(timedelta(days=7))
    closed = client.get(f"/api/v1/alliances/nb/proposals/{number}", headers=key(store, Role.AUDITOR)).json()
    assert closed["status"] == "closed" and closed["outcome"]["status"] == "passed"
    assert closed["outcome"]["by_proxy"] == [["M3", "M1"]]
    listed = client.get("/api/v1/alliances/nb/proposals", headers=m1).json()
    assert listed["total"] == 1 and listed["proposals"][0]["outcome"] == "passed"


def test_refused_requests_answer_problems_and_change_nothing(world, store: Store) -> None:  # type: ignore[no-untyped-def]
    client, now, body_id = world
    coordinator = key(store, Role.COORDINATOR)
    number = _proposal(client, coordinator, body_id, vote_changes=False)
    m1, m4 = key(store, Role.MEMBER_ADMIN, member="M1"), key(store, Role.MEMBER_ADMIN, member="M4")
    client.post(f"/api/v1/alliances/nb/proposals/{number}/ballots", json={"choice": "yes"}, headers=m1)
    before = counts(store)
    url = f"/api/v1/alliances/nb/proposals/{number}"
    problem(client.post(f"{url}/ballots", json={"choice": "no"}, headers=m1), 409, "already_voted")
    problem(client.post(f"{url}/ballots", json={"choice": "perhaps"}, headers=key(store, Role.MEMBER_ADMIN,
                                                                                 member="M2")), 422, "invalid_input")
    problem(client.post(f"{url}/ballots", json={"choice": "yes", "member": "M2"}, headers=m1), 404, "not_found")
    problem(client.post(f"{url}/ballots", json={"choice": "yes", "member": "M2"}, headers=coordinator), 403,
            "forbidden")
    problem(client.get(url, headers=m4), 404, "proposal_not_found")          # no seat in the body
    problem(client.post(f"{url}/proxies", json={"holder": "M1"}, headers=m1), 422, "proxy_refused")
    problem(client.get(f"/api/v1/alliances/other/proposals/{number}", headers=m1), 404, "alliance_not_found")
    problem(client.get(f"/api/v1/alliances/other/proposals/{number}",
                       headers=key(store, Role.COORDINATOR, alliance="other")), 404, "proposal_not_found")
    problem(client.patch(url, json={"title": "改"}, headers=coordinator), 409, "proposal_state")
    problem(client.post("/api/v1/alliances/nb/proposals", json={"body": body_id, "type": "other", "title": "t",
                                                                 "text": "t", "voting_until": "2026-12-09T10:00:00",
                                                                 "discussion_until": "tomorrow"}, headers=coordinator),
            422, "invalid_request")
    now.advance(timedelta(days=8))
    problem(client.post(f"{url}/ballots", json={"choice": "yes"}, headers=key(store, Role.MEMBER_ADMIN, member="M2")),
            409, "voting_closed")
    assert counts(store)[:2] == before[:2]


def test_an_anonymous_vote_names_no_voter_to_anyone(world, store: Store) -> None:  # type: ignore[no-untyped-def]
    client, now, body_id = world
    number = _proposal(client, key(store, Role.COORDINATOR), body_id, secrecy="anonymous")
    for member, choice in (("M1", "yes"), ("M2", "no")):
        client.post(f"/api/v1/alliances/nb/proposals/{number}/ballots", json={"choice": choice},
                    headers=key(store, Role.MEMBER_ADMIN, member=member))
    now.advance(timedelta(days=8))
    admin = key(store, Role.PLATFORM_ADMIN, alliance=None)  # type: ignore[arg-type]
    for headers in (admin, key(store, Role.COORDINATOR), key(store, Role.AUDITOR),
                    key(store, Role.MEMBER_ADMIN, member="M1")):
        answer = client.get(f"/api/v1/alliances/nb/proposals/{number}", headers=headers).json()
        assert answer["ballots"] == [] and answer["outcome"]["choices"] == {} and answer["you"]["choice"] is None
        assert answer["outcome"]["voters"] == 2
        text = json.dumps(answer)
        assert '"yes"' not in text.replace('"yes": 1', "") or "M1" not in json.dumps(answer["outcome"])
