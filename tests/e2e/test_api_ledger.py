"""The ledger over HTTP: checkpoint, key, entries, proofs; problems for bad sizes and unknown alliances."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from alliance.core.clock import FrozenClock
from alliance.ledger.merkle import verify_consistency, verify_inclusion
from alliance.ledger.note import Verifier, open_checkpoint
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.store.database import Store
from tests.support.factories import make_alliance, member_values
from tests.support.http import admin_headers, problem

V1 = "/api/v1/alliances/nb/ledger"


@pytest.fixture
def client(store: Store, clock: FrozenClock) -> Iterator[TestClient]:
    make_alliance(store, clock, code="nb")
    for n in (1, 2, 3):
        registry.add_member(store, "nb", member_values(n), clock)
    with TestClient(create_app(store, clock)) as c:
        c.headers.update(admin_headers(store))
        yield c


def test_ledger_endpoints(client: TestClient) -> None:
    r = client.get(f"{V1}/checkpoint")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    key = client.get(f"{V1}/public-key").text.strip()
    checkpoint = open_checkpoint(r.text, Verifier.parse(key), "alliance.local/ledger/nb")
    assert checkpoint.size == 4
    entries = client.get(f"{V1}/entries", params={"from": 1, "limit": 2}).json()
    assert [e["index"] for e in entries] == [1, 2] and entries[0]["type"] == "member.joined"
    p = client.get(f"{V1}/proof", params={"index": 1}).json()
    assert p["root_hash"] == checkpoint.root.hex()
    assert verify_inclusion(1, 4, bytes.fromhex(p["leaf_hash"]), [bytes.fromhex(h) for h in p["proof"]], checkpoint.root)
    c = client.get(f"{V1}/consistency", params={"from": 2, "to": 4}).json()
    assert verify_consistency(2, 4, [bytes.fromhex(h) for h in c["proof"]], bytes.fromhex(c["from_root"]), checkpoint.root)


def test_ledger_problems(client: TestClient) -> None:
    problem(client.get(f"{V1}/proof", params={"index": 4}), 422, "invalid_input")
    problem(client.get(f"{V1}/consistency", params={"from": 3, "to": 9}), 422, "invalid_input")
    problem(client.get("/api/v1/alliances/nope/ledger/checkpoint"), 404, "alliance_not_found")
    assert client.get(f"{V1}/proof", params={"index": -1}).status_code == 422
