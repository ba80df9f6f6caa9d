"""Over HTTP: signing off a meeting's minutes (`POST .../meetings/{id}/signoff`, `GET .../signoffs`) with
its refusals as problem+json and nothing stored, and the escalation ladder's levels naming a body of
the alliance (checked on `PUT .../disputes/ladder`, shown on the dispute)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from alliance.core.clock import FrozenClock
from alliance.store.database import Store
from alliance.store.tables import dispute_ladders, gov_minutes_signoffs, ledger_entries
from tests.e2e import test_api_governance as governance_api
from tests.e2e.test_api_governance import BODY, V1, _meeting
from tests.support.http import problem


world = governance_api.world  # the fixture: two alliances, their members and keys


def _counts(store: Store) -> tuple[int, int]:
    with store.engine.connect() as c:
        return tuple(c.execute(select(func.count()).select_from(t)).scalar_one()  # type: ignore[return-value]
                     for t in (gov_minutes_signoffs, ledger_entries))


def test_signing_off_the_minutes_over_the_api(world: Any, store: Store, clock: FrozenClock) -> None:
    client, keys = world
    body_id, meeting = _meeting(client, keys)
    item = client.post(f"{V1}/meetings/{meeting}/agenda", json={"title": "预算", "time_box": 30},
                       headers=keys["coordinator"]).json()
    assert client.put(f"{V1}/meetings/{meeting}/agenda/{item['id']}/minutes", json={"minutes": "通过。"},
                      headers=keys["coordinator"]).status_code == 200
    before = _counts(store)
    # Before the meeting: 409, nothing stored.
    problem(client.post(f"{V1}/meetings/{meeting}/signoff", headers=keys["chair"]), 409, "meeting_not_held")
    clock.advance(timedelta(days=60))  # the meeting of 2027-01-15 has been held
    # Refusals: a coordinator (not a member's own act), a member without a seat, for another member, an
    # auditor, another alliance's people.
    problem(client.post(f"{V1}/meetings/{meeting}/signoff", headers=keys["coordinator"]), 403, "forbidden")
    problem(client.post(f"{V1}/meetings/{meeting}/signoff", headers=keys["unseated"]), 404, "meeting_not_found")
    assert client.post(f"{V1}/meetings/{meeting}/signoff", json={"member": "M3"},
                       headers=keys["chair"]).status_code == 404
    problem(client.post(f"{V1}/meetings/{meeting}/signoff", headers=keys["auditor"]), 403, "forbidden")
    for outsider in ("other_coordinator", "other_member"):
        assert client.post(f"{V1}/meetings/{meeting}/signoff", headers=keys[outsider]).status_code == 404
        assert client.get(f"{V1}/meetings/{meeting}/signoffs", headers=keys[outsider]).status_code == 404
    assert _counts(store) == before

    signed = client.post(f"{V1}/meetings/{meeting}/signoff", headers=keys["chair"])
    assert signed.status_code == 201, signed.text
    assert signed.json()["member"] == "M1" and signed.json()["current"] is True
    problem(client.post(f"{V1}/meetings/{meeting}/signoff", headers=keys["chair"]), 409, "minutes_already_signed")
    assert client.post(f"{V1}/meetings/{meeting}/signoff", json={"member": "M3"},
                       headers=keys["seated"]).status_code == 201
    listed = client.get(f"{V1}/meetings/{meeting}/signoffs", headers=keys["seated"]).json()
    assert listed["sha256"] == signed.json()["sha256"]
    assert [(s["member"], s["current"]) for s in listed["signoffs"]] == [("M1", True), ("M3", True)]
    assert _counts(store) == (before[0] + 2, before[1] + 2)  # each sign-off is a ledger entry
    # The minutes change: both sign-offs are now of an earlier version.
    client.put(f"{V1}/meetings/{meeting}/agenda/{item['id']}/minutes", json={"minutes": "通过，另附意见。"},
               headers=keys["coordinator"])
    listed = client.get(f"{V1}/meetings/{meeting}/signoffs", headers=keys["auditor"]).json()
    assert listed["sha256"] != signed.json()["sha256"]
    assert [s["current"] for s in listed["signoffs"]] == [False, False]
    assert client.get(f"{V1}/meetings/{meeting}/signoffs", headers=keys["unseated"]).status_code == 404


def test_ladder_levels_name_a_body_of_the_alliance(world: Any, store: Store) -> None:
    client, keys = world
    body_id, _ = _meeting(client, keys)
    other = client.post("/api/v1/alliances/other/bodies", json={**BODY, "rules": {}},
                        headers=keys["other_coordinator"]).json()["id"]
    with store.engine.connect() as c:
        stored = c.execute(select(func.count()).select_from(dispute_ladders)).scalar_one()
    ladder = {"levels": [{"key": "committee", "name": "联合管理委员会", "days": 14, "body": body_id},
                         {"key": "external", "name": "外部仲裁", "days": None, "body": None}]}
    # Another alliance's body, a body that does not exist, a name for an id: each level named, nothing stored.
    for bad, words in ((other, f"level 1 (联合管理委员会): body {other} is not a body of alliance 'nb'"),
                       (999, "level 1 (联合管理委员会): body 999 is not a body"),
                       ("委员会", "level 1: body '委员会' is not a body's id")):
        refused = client.put(f"{V1}/disputes/ladder", headers=keys["coordinator"], json={
            **ladder, "levels": [{**ladder["levels"][0], "body": bad}, ladder["levels"][1]]})
        assert words in problem(refused, 422, "invalid_input")["detail"], refused.text
    with store.engine.connect() as c:
        assert c.execute(select(func.count()).select_from(dispute_ladders)).scalar_one() == stored
    saved = client.put(f"{V1}/disputes/ladder", json=ladder, headers=keys["coordinator"])
    assert saved.status_code == 200, saved.text
    assert client.get(f"{V1}/disputes/ladder", headers=keys["seated"]).json()["levels"][0]["body"] == body_id
    assert client.put(f"{V1}/disputes/ladder", json=ladder, headers=keys["chair"]).status_code == 403
