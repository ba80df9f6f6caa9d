"""Contract sets over HTTP: the tree, the clauses in force in the caller's language, the clause
library; a contradiction is problem+json naming each conflict and stores nothing; another
alliance's key finds nothing."""

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
from alliance.sharing.clauses import ClauseKind
from alliance.store.database import Store
from tests.support.factories import credit_code, make_alliance
from tests.support.http import problem

NOW = FrozenClock(datetime(2026, 12, 8, 2, tzinfo=UTC))
API = "/api/v1/alliances/tea"
FRAMEWORK = """agreement: frame
kind: framework
effective_from: 2027-01-01
parties: [A, B, C]
clauses:
  - {clause: exit, text: 提前九十日通知, notice_days: 90, survives: [confidentiality]}
"""
PROJECT = """agreement: p1
kind: project
under: frame
effective_from: 2027-02-01
parties: [A, B]
clauses:
  - {clause: exit, text: 提前通知, notice_days: NOTICE, survives: [confidentiality, ip]}
rules:
  - {id: split, kind: fixed_split, shares: {A: 0.5, B: 0.5}}
"""


@pytest.fixture
def app(store: Store, tmp_path: Path) -> Iterator[TestClient]:
    for code in ("tea", "other"):
        make_alliance(store, NOW, code=code)
        for n, member in enumerate(("A", "B", "C"), start=1):
            registry.add_member(store, code, {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n)}, NOW)
    with TestClient(create_app(store, NOW, tmp_path / "facts.duckdb"), base_url="https://testserver") as client:
        yield client


def key(store: Store, role: Role, alliance: str = "tea", member: str | None = None) -> dict[str, str]:
    issued = create_api_key(store, role=role, alliance=alliance, member=member, name="t", created_by="t", clock=NOW)
    return {"Authorization": f"Bearer {issued.key}"}


def propose(app: TestClient, headers: dict[str, str], document: str):  # noqa: ANN201
    return app.post(f"{API}/agreements", content=document.encode(), headers={**headers, "Content-Type": "application/yaml"})


def test_the_contract_set_over_the_api(app: TestClient, store: Store) -> None:
    coordinator = key(store, Role.COORDINATOR)
    assert propose(app, coordinator, FRAMEWORK).status_code == 201
    refused = problem(propose(app, {**coordinator, "Accept-Language": "zh-CN"}, PROJECT.replace("NOTICE", "30")), 422,
                      "agreement_layer_conflict")
    assert any("短于框架协议的 90 天" in p["reason"] for p in refused["errors"]), refused
    assert [a["agreement"] for a in app.get(f"{API}/agreements", headers=coordinator).json()["items"]] == ["frame"]
    assert propose(app, coordinator, PROJECT.replace("NOTICE", "120")).status_code == 201

    tree = app.get(f"{API}/contract-set", headers=coordinator).json()["agreements"]
    assert [(n["agreement"], n["kind"], [(c["agreement"], c["kind"], c["under"]) for c in n["children"]])
            for n in tree] == [("frame", "framework", [("p1", "project", "frame")])]

    for member in ("A", "B"):  # signed by both parties, the project's clauses bind from its first day
        signed = app.post(f"{API}/agreements/p1/versions/1/signatures", json={"member": member},
                          headers=key(store, Role.MEMBER_ADMIN, member=member))
        assert signed.status_code == 200, signed.text
    assert app.get(f"{API}/agreements/p1/clauses?day=2027-02-01", headers=coordinator).json()["clauses"] != []
    answer = app.get(f"{API}/agreements/p1/clauses?day=2027-02-01", headers={**coordinator, "Accept-Language": "zh-CN"})
    exit_clause = answer.json()["clauses"][0]
    assert answer.headers["content-language"] == "zh-CN"
    assert (exit_clause["clause"], exit_clause["label"], exit_clause["fields"]) == (
        "exit", "退出条款", {"notice_days": 120, "survives": ["confidentiality", "ip"]})
    assert {"label": "退出通知期", "value": "120 天"} in exit_clause["described"]
    assert app.get(f"{API}/agreements/p1/clauses?day=2027-01-31", headers=coordinator).json()["clauses"] == []
    problem(app.get(f"{API}/agreements/nope/clauses", headers=coordinator), 404, "agreement_not_found")
    problem(app.get(f"{API}/agreements/p1/clauses?day=2027-13-01", headers=coordinator), 422, "invalid_request")


def test_the_clause_library_speaks_the_callers_language(app: TestClient, store: Store) -> None:
    member = key(store, Role.MEMBER_ANALYST, member="A")
    library = app.get("/api/v1/clause-library", headers={**member, "Accept-Language": "zh-CN"}).json()["clauses"]
    assert [c["clause"] for c in library] == [k.value for k in ClauseKind]
    disputes = next(c for c in library if c["clause"] == "disputes")
    assert disputes["label"] == "争议解决" and "仲裁" in disputes["text"]
    assert disputes["typical"]["seat"] == "上海"
    english = app.get("/api/v1/clause-library", headers=member).json()["clauses"]
    assert next(c for c in english if c["clause"] == "disputes")["typical"]["seat"] == "Shanghai"
    assert app.get("/api/v1/clause-library").status_code == 401


def test_another_alliance_finds_nothing(app: TestClient, store: Store) -> None:
    assert propose(app, key(store, Role.COORDINATOR), FRAMEWORK).status_code == 201
    stranger = key(store, Role.COORDINATOR, alliance="other")
    for path in ("contract-set", "agreements/frame/clauses"):
        assert app.get(f"{API}/{path}", headers=stranger).status_code == 404
    assert app.get("/api/v1/alliances/other/contract-set", headers=stranger).json() == {"agreements": []}
