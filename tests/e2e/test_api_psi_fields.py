"""The overlap list with chosen fields over HTTP (list mode, messages 4-7), levels with fields, and
session expiry. Both sides' lists equal a plain join the test computes; the platform's tables hold
no identifier, normalised identifier, token preimage or field value; the steps keep their order."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from alliance.access.roles import Role
from alliance.access.service import create_api_key
from alliance.core.clock import FrozenClock
from alliance.privacy import fields, protocol
from alliance.privacy.normalise import Kind, normalise_all, salted
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.store.database import Store
from alliance.store.tables import metadata, psi_levels, psi_messages
from tests.e2e.test_api_psi import base, levels, put
from tests.support.factories import make_alliance, member_values
from tests.support.http import problem

Keys = dict[str, dict[str, str]]


@pytest.fixture
def api(store: Store, clock: FrozenClock) -> Iterator[tuple[TestClient, Keys]]:
    make_alliance(store, clock, code="nb")
    for n in (1, 2, 3):
        registry.add_member(store, "nb", member_values(n), clock)
    keys = {m: {"Authorization": "Bearer " + create_api_key(store, role=Role.MEMBER_ADMIN, alliance="nb", member=m,
                                                             name=m, created_by="t", clock=clock).key}
            for m in ("M0001", "M0002", "M0003")}
    with TestClient(create_app(store, clock)) as client:
        yield client, keys


def set_level(client: TestClient, keys: Keys, member: str, partner: str, level: str, names: list[str]) -> Any:
    return client.put(f"{base(member)}/levels/{partner}", json={"level": level, "fields": names}, headers=keys[member])


def test_levels_carry_field_names_and_bad_names_change_nothing(api, store: Store) -> None:  # type: ignore[no-untyped-def]
    client, keys = api
    done = set_level(client, keys, "M0001", "M0002", "list", ["会员等级", "城市"])
    assert done.status_code == 200 and done.json()["fields"] == ["会员等级", "城市"]
    assert set_level(client, keys, "M0002", "M0001", "full", []).json()["fields"] == "all"
    row = client.get(f"{base('M0001')}/levels", headers=keys["M0001"]).json()["levels"][0]
    assert (row["my_fields"], row["their_fields"], row["effective"]) == (["会员等级", "城市"], "all", "list")
    with store.engine.connect() as connection:
        before = connection.execute(select(psi_levels).order_by(psi_levels.c.id)).all()
    for level, names in (("list", [f"f{n}" for n in range(11)]), ("list", ["x" * 41]), ("list", ["城市", "城市"]),
                         ("list", ["a\x00b"]), ("list", [" "]), ("count", ["城市"]), ("full", ["城市"])):
        problem(set_level(client, keys, "M0001", "M0002", level, names), 422, "invalid_input")
    with store.engine.connect() as connection:
        assert connection.execute(select(psi_levels).order_by(psi_levels.c.id)).all() == before


def _file(start: int, count: int, tier: str) -> dict[str, dict[str, str]]:
    """A member's rows by e-mail: its own columns, typed its own way."""
    return {f"Customer.{n}@Example.com": {"会员等级": f"{tier}{n}", "城市": f"城{n % 7}", "私密": f"secret-{tier}-{n}"}
            for n in range(start, start + count)}


def _norm(values: list[str]) -> list[str]:
    return normalise_all(Kind.EMAIL, [("", v) for v in values]).values


def test_list_mode_gives_both_sides_the_plain_join_and_the_platform_no_value(api, store: Store) -> None:  # type: ignore[no-untyped-def]
    client, keys = api
    set_level(client, keys, "M0001", "M0002", "list", ["会员等级"])
    set_level(client, keys, "M0002", "M0001", "list", ["城市", "会员等级"])
    opened = client.post(f"{base('M0001')}/sessions", json={"partner": "M0002", "mode": "list", "kind": "email"},
                         headers=keys["M0001"]).json()
    sid, salt = opened["id"], opened["salt"]
    answered = client.post(f"{base('M0002')}/sessions/{sid}/answer", json={"consent": True}, headers=keys["M0002"])
    assert (answered.json()["initiator_fields"], answered.json()["partner_fields"]) == (["会员等级"], ["城市", "会员等级"])
    mine, theirs = _file(0, 200, "金"), _file(150, 130, "银")  # 50 shared
    a, b = _norm(list(mine)), _norm(list(theirs))
    lower_a = {k.lower(): v for k, v in mine.items()}
    lower_b = {k.lower(): v for k, v in theirs.items()}

    # The PSI (messages 1-3): the partner learns which of its rows are shared.
    side_b, side_a = protocol.Client(True), protocol.Server(True)
    request = side_b.request(salted(salt, Kind.EMAIL, b))
    assert put(client, keys, "M0002", sid, 1, request).status_code == 200
    setup, response = side_a.answer(request, salted(salt, Kind.EMAIL, a))
    assert setup is not None
    assert put(client, keys, "M0001", sid, 2, setup).status_code == 200
    assert put(client, keys, "M0001", sid, 3, response).status_code == 200
    shared_b = [b[i] for i in side_b.indices(setup, response)]
    problem(client.post(f"{base('M0002')}/sessions/{sid}/result", json={"overlap": 50}, headers=keys["M0002"]), 409,
            "psi_wrong_state")  # in list mode the result comes after the fields

    # 4 and 5: the session keys, in order, each by its side.
    key_b, key_a = fields.KeyPair.new(), fields.KeyPair.new()
    problem(put(client, keys, "M0002", sid, 6, fields.encode([])), 409, "psi_out_of_order")
    problem(put(client, keys, "M0001", sid, 4, key_a.public), 409, "psi_wrong_state")  # the partner's to send
    problem(put(client, keys, "M0002", sid, 4, b"short"), 422, "psi_bad_message")
    assert put(client, keys, "M0002", sid, 4, key_b.public).status_code == 200
    problem(put(client, keys, "M0002", sid, 4, key_b.public), 409, "psi_replayed")
    relayed_b = client.get(f"{base('M0001')}/sessions/{sid}/messages/4", headers=keys["M0001"]).content
    assert put(client, keys, "M0001", sid, 5, key_a.public).status_code == 200
    relayed_a = client.get(f"{base('M0002')}/sessions/{sid}/messages/5", headers=keys["M0002"]).content
    at_b = fields.derive(key_b, relayed_a, salt, sid)
    at_a = fields.derive(key_a, relayed_b, salt, sid)

    # 6: the partner's tokens and sealed fields of its shared rows; 7: the initiator's, for its matches.
    tokens_b = {fields.token(at_b, "email", v): v for v in shared_b}
    six = fields.encode([fields.seal(at_b, t, {n: lower_b[v][n] for n in ("城市", "会员等级")})
                         for t, v in tokens_b.items()])
    problem(put(client, keys, "M0001", sid, 7, fields.encode([])), 409, "psi_out_of_order")
    problem(put(client, keys, "M0002", sid, 6, b"PSIF1garbage"), 422, "psi_bad_message")
    assert put(client, keys, "M0002", sid, 6, six).status_code == 200
    problem(put(client, keys, "M0002", sid, 6, six), 409, "psi_replayed")
    got = fields.decode(client.get(f"{base('M0001')}/sessions/{sid}/messages/6", headers=keys["M0001"]).content)
    tokens_a = {fields.token(at_a, "email", v): v for v in a}
    matched = [(r, tokens_a[r.token]) for r in got if r.token in tokens_a]
    join_a = {v: fields.open_sealed(at_a, r) for r, v in matched}
    forged = fields.seal(at_a, fields.token(at_a, "email", a[0]), {"会员等级": "x"})  # a row the partner did not send
    problem(put(client, keys, "M0001", sid, 7, fields.encode([forged])), 422, "psi_bad_message")
    seven = fields.encode([fields.seal(at_a, r.token, {"会员等级": lower_a[v]["会员等级"]}) for r, v in matched])
    assert put(client, keys, "M0001", sid, 7, seven).status_code == 200
    back = fields.decode(client.get(f"{base('M0002')}/sessions/{sid}/messages/7", headers=keys["M0002"]).content)
    join_b = {tokens_b[r.token]: fields.open_sealed(at_b, r) for r in back}

    plain = sorted(set(lower_a) & set(lower_b))
    assert len(plain) == 50
    assert join_b == {k: {"会员等级": lower_a[k]["会员等级"]} for k in plain}          # the partner's list
    assert join_a == {k: {"城市": lower_b[k]["城市"], "会员等级": lower_b[k]["会员等级"]} for k in plain}  # the initiator's

    _holds_nothing_readable(store, [*mine, *theirs, *a, *b, *salted(salt, Kind.EMAIL, a)],
                            [v for row in [*mine.values(), *theirs.values()] for v in row.values()],
                            [f"email|{v}" for v in a + b], [at_a.token_key, at_a.seal_key])
    problem(client.post(f"{base('M0002')}/sessions/{sid}/result", json={"overlap": 49}, headers=keys["M0002"]), 422,
            "invalid_input")  # not the number of rows it sent
    done = client.post(f"{base('M0002')}/sessions/{sid}/result", json={"overlap": 50}, headers=keys["M0002"]).json()
    assert (done["status"], done["overlap"]) == ("done", 50)
    with store.engine.connect() as connection:  # every relayed body emptied; sizes stay
        assert connection.execute(select(func.count()).where(psi_messages.c.session_id == sid,
                                                             psi_messages.c.body.is_not(None))).scalar_one() == 0
    log = [e["event"] for e in client.get(f"{base('M0001')}/access-log", headers=keys["M0001"]).json()]
    assert log.count("message") == 7 and log[0] == "result"


def test_a_count_session_has_no_field_messages(api) -> None:  # type: ignore[no-untyped-def]
    client, keys = api
    levels(client, keys, "M0001", "M0003", "count", "count")
    sid = client.post(f"{base('M0001')}/sessions", json={"partner": "M0003", "kind": "email"},
                      headers=keys["M0001"]).json()["id"]
    client.post(f"{base('M0003')}/sessions/{sid}/answer", json={"consent": True}, headers=keys["M0003"])
    problem(put(client, keys, "M0003", sid, 4, fields.KeyPair.new().public), 422, "invalid_input")
    assert client.put(f"{base('M0003')}/sessions/{sid}/messages/8", content=b"x", headers=keys["M0003"]).status_code == 422


def _holds_nothing_readable(store: Store, identifiers: list[str], values: list[str], preimages: list[str],
                            secret_keys: list[bytes]) -> None:
    """No identifier (raw, normalised, salted, hashed), no field value, no token preimage and no session key
    in any column of any table (messages still held), in any encoding the platform could store."""
    needles: set[bytes] = set()
    for text in [*identifiers, *preimages]:
        needles |= {text.encode(), hashlib.sha256(text.encode()).digest(), hashlib.sha256(text.encode()).hexdigest().encode()}
    for text in values:
        needles |= {text.encode(), json.dumps(text).encode()}  # as stored, and JSON-escaped
    needles |= set(secret_keys) | {k.hex().encode() for k in secret_keys}
    for preimage in preimages:  # a token made with another key than the session's is not a leak; the preimage is
        needles.add(hmac.new(b"", preimage.encode(), hashlib.sha256).digest())
    blob = []
    with store.engine.connect() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(select(table)):
                blob += [v if isinstance(v, bytes) else json.dumps(v, default=str, ensure_ascii=False).encode()
                         for v in row if v is not None]
    held = b"\n".join(blob)
    assert any(len(b) > 1000 for b in blob)  # the relayed messages are there
    assert [n for n in needles if n in held] == []


def test_a_session_expires_24_hours_after_it_was_opened(api, store: Store, clock: FrozenClock) -> None:  # type: ignore[no-untyped-def]
    client, keys = api
    levels(client, keys, "M0001", "M0002", "count", "count")
    sid = client.post(f"{base('M0001')}/sessions", json={"partner": "M0002", "kind": "email"},
                      headers=keys["M0001"]).json()["id"]
    shown = client.post(f"{base('M0002')}/sessions/{sid}/answer", json={"consent": True}, headers=keys["M0002"]).json()
    request = protocol.Client(False).request(salted(shown["salt"], Kind.EMAIL, [f"c{n}@x.cn" for n in range(100)]))
    clock.advance(timedelta(hours=23, minutes=59))
    assert put(client, keys, "M0002", sid, 1, request).status_code == 200  # still in time
    clock.advance(timedelta(minutes=1))
    problem(client.get(f"{base('M0001')}/sessions/{sid}/messages/1", headers=keys["M0001"]), 409, "psi_session_expired")
    problem(put(client, keys, "M0001", sid, 2, b"setup"), 409, "psi_session_expired")
    problem(client.post(f"{base('M0001')}/sessions/{sid}/cancel", headers=keys["M0001"]), 409, "psi_session_expired")
    with store.engine.connect() as connection:  # nothing stored by the refused steps, and the request emptied
        held = connection.execute(select(psi_messages.c.seq, psi_messages.c.body).where(
            psi_messages.c.session_id == sid)).all()
    assert held == [(1, None)]
    assert client.get(f"{base('M0002')}/sessions/{sid}", headers=keys["M0002"]).json()["status"] == "expired"
    for member in ("M0001", "M0002"):
        log = client.get(f"{base(member)}/access-log", headers=keys[member]).json()
        assert [e["event"] for e in log].count("expired") == 1 and log[0]["actor"] == "platform"


def test_listing_sessions_expires_the_ones_due(api, clock: FrozenClock) -> None:  # type: ignore[no-untyped-def]
    client, keys = api
    levels(client, keys, "M0001", "M0002", "count", "count")
    sid = client.post(f"{base('M0001')}/sessions", json={"partner": "M0002", "kind": "email"},
                      headers=keys["M0001"]).json()["id"]
    clock.advance(timedelta(days=1))
    listed = client.get(f"{base('M0002')}/sessions", headers=keys["M0002"]).json()["items"]
    assert [(s["id"], s["status"]) for s in listed] == [(sid, "expired")]
    problem(client.post(f"{base('M0002')}/sessions/{sid}/answer", json={"consent": True}, headers=keys["M0002"]), 409,
            "psi_session_expired")
