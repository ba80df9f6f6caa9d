"""PSI sessions over HTTP: levels (the stricter side wins), consent, the relay's order, the limits
against small-list probing, other members' and other alliances' sessions, and what the platform
holds while messages are relayed."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from alliance.access.roles import Role
from alliance.access.service import create_api_key
from alliance.core.clock import FrozenClock
from alliance.privacy import protocol
from alliance.privacy.normalise import Kind, normalise_all, salted
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.store.database import Store
from alliance.store.tables import metadata
from tests.support.factories import make_alliance, member_values
from tests.support.http import problem


def base(member: str, alliance: str = "nb") -> str:
    return f"/api/v1/alliances/{alliance}/members/{member}/psi"


@pytest.fixture
def api(store: Store, clock: FrozenClock) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    for code in ("nb", "other"):
        make_alliance(store, clock, code=code)
        for n in (1, 2, 3):
            registry.add_member(store, code, member_values(n), clock)
    keys = {}
    for code in ("nb", "other"):
        for m in ("M0001", "M0002", "M0003"):
            issued = create_api_key(store, role=Role.MEMBER_ADMIN, alliance=code, member=m, name=m, created_by="t",
                                    clock=clock)
            keys[m if code == "nb" else f"{code}:{m}"] = {"Authorization": f"Bearer {issued.key}"}
    keys["coordinator"] = {"Authorization": "Bearer " + create_api_key(
        store, role=Role.COORDINATOR, alliance="nb", member=None, name="c", created_by="t", clock=clock).key}
    with TestClient(create_app(store, clock)) as client:
        yield client, keys


def levels(client: TestClient, keys: dict[str, dict[str, str]], one: str, other: str, mine: str, theirs: str) -> None:
    assert client.put(f"{base(one)}/levels/{other}", json={"level": mine}, headers=keys[one]).status_code == 200
    assert client.put(f"{base(other)}/levels/{one}", json={"level": theirs}, headers=keys[other]).status_code == 200


def open_(client: TestClient, keys: dict[str, dict[str, str]], one: str = "M0001", other: str = "M0002",
          mode: str = "count") -> Any:
    return client.post(f"{base(one)}/sessions", json={"partner": other, "mode": mode, "kind": "email"}, headers=keys[one])


def consented(client: TestClient, keys: dict[str, dict[str, str]], mode: str = "count") -> dict[str, Any]:
    r = open_(client, keys, mode=mode)
    assert r.status_code == 201, r.text
    session = r.json()
    r = client.post(f"{base('M0002')}/sessions/{session['id']}/answer", json={"consent": True}, headers=keys["M0002"])
    assert r.status_code == 200 and r.json()["status"] == "consented", r.text
    return session


def emails(start: int, count: int) -> list[str]:
    return [f"Customer.{n}@Example.com" for n in range(start, start + count)]


def put(client: TestClient, keys: dict[str, dict[str, str]], member: str, session: int, seq: int, body: bytes) -> Any:
    return client.put(f"{base(member)}/sessions/{session}/messages/{seq}", content=body, headers=keys[member])


def test_levels_default_hidden_and_the_stricter_side_wins(api) -> None:  # type: ignore[no-untyped-def]
    client, keys = api
    problem(open_(client, keys), 409, "psi_not_shared")  # hidden toward everyone by default
    levels(client, keys, "M0001", "M0002", "full", "count")
    shown = client.get(f"{base('M0001')}/levels", headers=keys["M0001"]).json()["levels"]
    assert shown[0] == {"partner": "M0002", "mine": "full", "theirs": "count", "effective": "count",
                        "my_fields": "all", "their_fields": None}
    problem(open_(client, keys, mode="list"), 409, "psi_not_shared")  # the partner allows counts only
    assert open_(client, keys).status_code == 201
    problem(client.put(f"{base('M0001')}/levels/M0001", json={"level": "count"}, headers=keys["M0001"]), 422,
            "invalid_input")
    # A coordinator does not set a member's level, nor open its sessions; another member's key finds nothing.
    assert client.put(f"{base('M0001')}/levels/M0002", json={"level": "full"}, headers=keys["coordinator"]).status_code == 403
    assert open_(client, {**keys, "M0001": keys["M0002"]}).status_code == 404


def test_a_relayed_run_holds_no_identifier_and_keeps_its_order(api, store: Store) -> None:  # type: ignore[no-untyped-def]
    client, keys = api
    levels(client, keys, "M0001", "M0002", "count", "count")
    session = consented(client, keys)
    sid, salt = session["id"], session["salt"]
    mine, theirs = emails(0, 200), emails(150, 120)  # 50 shared
    a = normalise_all(Kind.EMAIL, [(f"line {i}", v) for i, v in enumerate(mine)]).values
    b = normalise_all(Kind.EMAIL, [(f"line {i}", v.upper()) for i, v in enumerate(theirs)]).values
    side_b, side_a = protocol.Client(False), protocol.Server(False)
    request = side_b.request(salted(salt, Kind.EMAIL, b))
    problem(put(client, keys, "M0001", sid, 1, request), 409, "psi_wrong_state")  # the partner's to send
    problem(put(client, keys, "M0002", sid, 2, request), 409, "psi_wrong_state")
    problem(put(client, keys, "M0002", sid, 1, b"not a protobuf \xff\xff"), 422, "psi_bad_message")
    problem(put(client, keys, "M0001", sid, 3, b""), 409, "psi_out_of_order")
    assert put(client, keys, "M0002", sid, 1, request).json() == {"seq": 1, "bytes": len(request)}
    problem(put(client, keys, "M0002", sid, 1, request), 409, "psi_replayed")
    got = client.get(f"{base('M0001')}/sessions/{sid}/messages/1", headers=keys["M0001"])
    assert got.content == request and got.headers["content-type"] == "application/octet-stream"
    problem(client.get(f"{base('M0002')}/sessions/{sid}/messages/2", headers=keys["M0002"]), 404,
            "psi_session_not_found")  # not yet posted
    setup = side_a.setup(salted(salt, Kind.EMAIL, a), protocol.request_size(request))
    response = side_a.respond(request)
    problem(put(client, keys, "M0001", sid, 3, response), 409, "psi_out_of_order")
    assert put(client, keys, "M0001", sid, 2, setup).status_code == 200
    assert put(client, keys, "M0001", sid, 3, response).status_code == 200
    # A session of another member, or of another alliance, is not there.
    problem(client.get(f"{base('M0003')}/sessions/{sid}", headers=keys["M0003"]), 404, "psi_session_not_found")
    r = client.get(f"{base('M0002', 'other')}/sessions/{sid}/messages/1", headers=keys["other:M0002"])
    problem(r, 404, "psi_session_not_found")

    _no_identifier(store, [*mine, *theirs, *a, *b, *salted(salt, Kind.EMAIL, a)])  # while the messages are held

    overlap = side_b.size(setup, response)
    assert overlap == len(set(a) & set(b)) == 50
    problem(client.post(f"{base('M0002')}/sessions/{sid}/result", json={"overlap": 121}, headers=keys["M0002"]), 422,
            "invalid_input")
    problem(client.post(f"{base('M0001')}/sessions/{sid}/result", json={"overlap": 50}, headers=keys["M0001"]), 409,
            "psi_wrong_state")
    done = client.post(f"{base('M0002')}/sessions/{sid}/result", json={"overlap": overlap}, headers=keys["M0002"]).json()
    assert (done["status"], done["overlap"], done["partner_list_size"]) == ("done", 50, 120)
    problem(client.get(f"{base('M0001')}/sessions/{sid}/messages/1", headers=keys["M0001"]), 404,
            "psi_session_not_found")  # emptied once done
    log = client.get(f"{base('M0001')}/access-log", headers=keys["M0001"]).json()
    assert [e["event"] for e in log] == ["result", "message", "message", "message", "consented", "proposed"]
    assert log[0]["detail"] == {"overlap": 50, "by": "M0002"}


def test_without_consent_nothing_runs(api) -> None:  # type: ignore[no-untyped-def]
    client, keys = api
    levels(client, keys, "M0001", "M0002", "count", "count")
    sid = open_(client, keys).json()["id"]
    request = protocol.Client(False).request([f"x{i}" for i in range(100)])
    problem(put(client, keys, "M0002", sid, 1, request), 409, "psi_wrong_state")  # proposed, not consented
    problem(client.post(f"{base('M0001')}/sessions/{sid}/answer", json={"consent": True}, headers=keys["M0001"]), 409,
            "psi_wrong_state")  # the initiator cannot consent for its partner
    refused = client.post(f"{base('M0002')}/sessions/{sid}/answer", json={"consent": False}, headers=keys["M0002"])
    assert refused.json()["status"] == "refused"
    problem(put(client, keys, "M0002", sid, 1, request), 409, "psi_wrong_state")
    problem(client.post(f"{base('M0002')}/sessions/{sid}/answer", json={"consent": True}, headers=keys["M0002"]), 409,
            "psi_wrong_state")
    # Lowering a level after the proposal stops the consent.
    sid = open_(client, keys).json()["id"]
    client.put(f"{base('M0001')}/levels/M0002", json={"level": "hidden"}, headers=keys["M0001"])
    problem(client.post(f"{base('M0002')}/sessions/{sid}/answer", json={"consent": True}, headers=keys["M0002"]), 409,
            "psi_not_shared")


def test_small_lists_and_repeated_runs_are_refused(api, store: Store) -> None:  # type: ignore[no-untyped-def]
    client, keys = api
    levels(client, keys, "M0001", "M0002", "list", "list")
    session = consented(client, keys)
    sid = session["id"]
    small = protocol.Client(False).request([f"x{i}" for i in range(99)])
    body = problem(put(client, keys, "M0002", sid, 1, small), 422, "psi_list_too_small")
    assert "99" in body["detail"] and "100" in body["detail"]
    wrong_mode = protocol.Client(True).request([f"x{i}" for i in range(100)])
    problem(put(client, keys, "M0002", sid, 1, wrong_mode), 422, "psi_bad_message")
    request = protocol.Client(False).request([f"x{i}" for i in range(100)])
    assert put(client, keys, "M0002", sid, 1, request).status_code == 200
    crafted = protocol.Server(False).setup([f"x{i}" for i in range(5)], 100)  # one customer and four decoys
    problem(put(client, keys, "M0001", sid, 2, crafted), 422, "psi_list_too_small")
    # Three sessions a pair a day, whoever opens them; the next day, three more.
    assert open_(client, keys).status_code == 201
    assert open_(client, keys, "M0002", "M0001").status_code == 201
    problem(open_(client, keys), 429, "psi_rate_limited")
    levels(client, keys, "M0001", "M0003", "count", "count")
    assert open_(client, keys, "M0001", "M0003").status_code == 201  # another pair has its own allowance
    tomorrow = FrozenClock(datetime(2026, 11, 22, 2, tzinfo=UTC) + timedelta(days=1))
    with TestClient(create_app(store, tomorrow)) as later:
        assert open_(later, keys).status_code == 201


def _no_identifier(store: Store, values: list[str]) -> None:
    needles = {form for v in values for form in (v.encode(), hashlib.sha256(v.encode()).digest(),
                                                  hashlib.sha256(v.encode()).hexdigest().encode())}
    blob = []
    with store.engine.connect() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(select(table)):
                blob += [v if isinstance(v, bytes) else str(v).encode() for v in row if v is not None]
    held = b"\n".join(blob)
    assert any(len(b) > 1000 for b in blob)  # the blinded messages are there
    assert [n for n in needles if n in held] == []


def test_three_members_pairwise_match_plain_intersections(api) -> None:  # type: ignore[no-untyped-def]
    client, keys = api
    lists = {"M0001": emails(0, 200), "M0002": emails(120, 200), "M0003": emails(250, 150)}
    for one, other in (("M0001", "M0002"), ("M0001", "M0003"), ("M0002", "M0003")):
        levels(client, keys, one, other, "count", "count")
        session = client.post(f"{base(one)}/sessions", json={"partner": other, "kind": "email"}, headers=keys[one]).json()
        sid, salt = session["id"], session["salt"]
        client.post(f"{base(other)}/sessions/{sid}/answer", json={"consent": True}, headers=keys[other])
        ours = normalise_all(Kind.EMAIL, [("", v) for v in lists[one]]).values
        theirs = normalise_all(Kind.EMAIL, [("", v) for v in lists[other]]).values
        side_b, side_a = protocol.Client(False), protocol.Server(False)
        request = side_b.request(salted(salt, Kind.EMAIL, theirs))
        assert put(client, keys, other, sid, 1, request).status_code == 200
        setup, response = side_a.answer(client.get(f"{base(one)}/sessions/{sid}/messages/1", headers=keys[one]).content,
                                        salted(salt, Kind.EMAIL, ours))
        assert setup is not None
        assert put(client, keys, one, sid, 2, setup).status_code == 200
        assert put(client, keys, one, sid, 3, response).status_code == 200
        got = [client.get(f"{base(other)}/sessions/{sid}/messages/{n}", headers=keys[other]).content for n in (2, 3)]
        overlap = side_b.size(*got)
        r = client.post(f"{base(other)}/sessions/{sid}/result", json={"overlap": overlap}, headers=keys[other])
        assert r.json()["overlap"] == len(set(lists[one]) & set(lists[other])), (one, other)
    counts = {(s["initiator"], s["partner"]): s["overlap"]
              for s in client.get(f"{base('M0001')}/sessions", headers=keys["M0001"]).json()["items"]}
    assert counts == {("M0001", "M0002"): 80, ("M0001", "M0003"): 0}


def test_either_side_cancels_a_session_that_is_not_done(api) -> None:  # type: ignore[no-untyped-def]
    client, keys = api
    levels(client, keys, "M0001", "M0002", "count", "count")
    sid = consented(client, keys)["id"]
    request = protocol.Client(False).request([f"x{i}" for i in range(100)])
    assert put(client, keys, "M0002", sid, 1, request).status_code == 200
    problem(client.post(f"{base('M0003')}/sessions/{sid}/cancel", headers=keys["M0003"]), 404, "psi_session_not_found")
    done = client.post(f"{base('M0001')}/sessions/{sid}/cancel", headers=keys["M0001"])
    assert done.status_code == 200 and done.json()["status"] == "cancelled"
    problem(client.get(f"{base('M0001')}/sessions/{sid}/messages/1", headers=keys["M0001"]), 404,
            "psi_session_not_found")  # emptied
    problem(put(client, keys, "M0001", sid, 2, b"x"), 409, "psi_wrong_state")
    problem(client.post(f"{base('M0002')}/sessions/{sid}/cancel", headers=keys["M0002"]), 409, "psi_wrong_state")
    assert client.get(f"{base('M0002')}/access-log", headers=keys["M0002"]).json()[0]["event"] == "cancelled"
