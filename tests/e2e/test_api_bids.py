"""Joint bids over HTTP: the lead drafts, the consortium confirms, the lead submits, wins and proposes the
project agreement; outsiders see no terms; another alliance's key finds nothing; bad input is
problem+json with nothing stored."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from alliance.access.roles import Role
from alliance.access.service import create_api_key
from alliance.core.clock import FrozenClock
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.store.database import Store
from alliance.store.tables import metadata
from tests.support.factories import credit_code, make_alliance
from tests.support.http import problem

A = "/api/v1/alliances/nb/bids"
BID = {"customer": "宁波港集团", "title": "智慧码头改造", "reference": "NBG-88", "due_on": "2026-12-20",
       "currency": "CNY", "offered": "1000000.00", "scope": "总包与集成", "share": "0.5"}


def _key(store: Store, clock: FrozenClock, role: Role, alliance: str, member: str | None = None) -> dict[str, str]:
    key = create_api_key(store, role=role, alliance=alliance, member=member, name=f"{role.value} {member}",
                         created_by="t", clock=clock).key
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def world(store: Store, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, dict[str, str]], FrozenClock]]:
    clock = FrozenClock(datetime(2026, 12, 1, 2, tzinfo=UTC))
    for code in ("nb", "other"):
        make_alliance(store, clock, code=code)
        for n, member in enumerate(("M1", "M2", "M3"), start=1):
            registry.add_member(store, code, {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n)},
                                clock)
    keys = {
        "coordinator": _key(store, clock, Role.COORDINATOR, "nb"),
        "m1": _key(store, clock, Role.MEMBER_ADMIN, "nb", "M1"),
        "m2": _key(store, clock, Role.MEMBER_ADMIN, "nb", "M2"),
        "m3": _key(store, clock, Role.MEMBER_ADMIN, "nb", "M3"),
        "outsider": _key(store, clock, Role.COORDINATOR, "other"),
        "other_m1": _key(store, clock, Role.MEMBER_ADMIN, "other", "M1"),
    }
    with TestClient(create_app(store, clock, tmp_path / "facts.duckdb")) as client:
        yield client, keys, clock


def rows(store: Store) -> dict[str, list[str]]:
    with store.engine.connect() as c:
        return {t.name: sorted(map(repr, c.execute(select(t)).all())) for t in metadata.sorted_tables
                if t.name.startswith("bid") or t.name in ("evidence_files", "agreement_versions")}


def _draft(client: TestClient, keys: dict[str, Any]) -> None:
    assert client.post(A, json=BID, headers=keys["m1"]).status_code == 201
    r = client.put(f"{A}/1/members/M2", json={"role": "partner", "scope": "软件", "share": "0.5"}, headers=keys["m1"])
    assert r.status_code == 200, r.text


def test_draft_confirm_submit_win_and_propose(world: Any) -> None:
    client, keys, _ = world
    _draft(client, keys)
    pdf = base64.b64encode(b"%PDF-1.7 proposal").decode()
    r = client.post(f"{A}/1/documents", json={"name": "方案.pdf", "content_base64": pdf}, headers=keys["m2"])
    assert r.status_code == 201, r.text
    for who in ("m1", "m2"):
        assert client.post(f"{A}/1/confirm", headers=keys[who]).status_code == 200
    assert client.post(f"{A}/1/submit", headers=keys["m1"]).json()["state"] == "submitted"
    r = client.post(f"{A}/1/outcome", json={"outcome": "won", "awarded": "950000.00"}, headers=keys["m1"])
    assert (r.json()["state"], r.json()["awarded_minor"]) == ("won", 95_000_000)
    r = client.post(f"{A}/1/agreement", json={"effective_from": "2026-12-02"}, headers=keys["m1"])
    assert r.status_code == 201, r.text
    assert r.json()["agreement"]["code"] == "bid-1" and r.json()["agreement"]["parties"] == ["M1", "M2"]
    seen = client.get(f"{A}/1", headers=keys["m2"]).json()
    assert [m["price_minor"] for m in seen["members"]] == [50_000_000, 50_000_000]
    assert [h["what"] for h in seen["history"]][-3:] == ["submitted", "won", "agreement"]
    sha = seen["documents"][0]["sha256"]
    got = client.get(f"{A}/1/documents/{sha}", headers=keys["m2"])
    assert got.status_code == 200 and got.content == b"%PDF-1.7 proposal"


def test_outsiders_see_no_terms_and_another_alliance_nothing(world: Any) -> None:
    client, keys, _ = world
    _draft(client, keys)
    seen = client.get(f"{A}/1", headers=keys["m3"]).json()
    assert seen["sees_terms"] is False
    assert seen["customer"] is None and seen["offered_minor"] is None and seen["documents"] is None
    assert all(m["share"] is None and m["scope"] is None for m in seen["members"])
    listed = client.get(A, headers=keys["m3"]).json()["bids"]
    assert listed[0]["members"][1]["share"] is None
    assert client.get(f"{A}/1", headers=keys["coordinator"]).json()["members"][1]["share"] == "0.5"
    for who in ("outsider", "other_m1"):
        assert client.get(f"{A}/1", headers=keys[who]).status_code == 404
        assert client.get(A, headers=keys[who]).status_code == 404


def test_bad_input_is_problem_json_and_stores_nothing(world: Any, store: Store) -> None:
    client, keys, _ = world
    _draft(client, keys)
    before = rows(store)
    big = base64.b64encode(b"%PDF-" + b"0" * (20 * 1024 * 1024)).decode()
    cases = [
        (client.put, f"{A}/1/members/M3", {"role": "partner", "scope": "x", "share": "1.5"}, "m1", 422, "bid_invalid"),
        (client.put, f"{A}/1/members/M3", {"role": "partner", "scope": "x", "share": "0.1"}, "m2", 403, "forbidden"),
        (client.post, f"{A}/1/documents", {"name": "a.exe", "content_base64": "TVo="}, "m2", 422,
         "bid_document_invalid"),
        (client.post, f"{A}/1/documents", {"name": "a.pdf", "content_base64": big}, "m2", 422,
         "bid_document_invalid"),
        (client.post, f"{A}/1/documents", {"name": "a.pdf", "content_base64": "%%%"}, "m2", 422,
         "bid_document_invalid"),
        (client.post, f"{A}/1/documents", {"name": "a.pdf", "content_base64": "JVBERi0="}, "m3", 404,
         "bid_not_found"),
        (client.post, f"{A}/1/outcome", {"outcome": "won", "awarded": "1.00"}, "m1", 409, "bid_state"),
        (client.post, f"{A}/1/confirm", None, "coordinator", 403, "forbidden"),
        (client.post, A, {**BID, "offered": "12.345"}, "m1", 422, "bid_invalid"),
    ]
    for method, url, body, who, status, code in cases:
        r = method(url, json=body, headers=keys[who]) if body is not None else method(url, headers=keys[who])
        problem(r, status, code)
    client.put(f"{A}/1/members/M2", json={"role": "partner", "scope": "软件", "share": "0.4"}, headers=keys["m1"])
    for who in ("m1", "m2"):
        client.post(f"{A}/1/confirm", headers=keys[who])
    after_change = rows(store)
    r = client.post(f"{A}/1/submit", headers=keys["m1"])
    assert "0.9" in problem(r, 422, "bid_shares_sum")["detail"]
    assert rows(store) == after_change
    assert before != after_change
