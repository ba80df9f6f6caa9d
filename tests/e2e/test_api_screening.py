"""Screening over HTTP: runs, prospects, due diligence with evidence, pilots; problems; isolation."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from alliance.core.clock import FrozenClock
from alliance.registry.demo import load_demo
from alliance.server import create_app
from alliance.store.database import Store
from tests.support.http import admin_headers, problem
from tests.support.factories import make_alliance

V1 = "/api/v1/alliances/nb"
CANDIDATES = [
    {"name": "伙伴A", "values": {"战略匹配度": 8, "资源互补性": 9, "财务健康度": 7, "市场声誉": 8, "文化兼容性": 6}},
    {"name": "伙伴B", "values": {"战略匹配度": 9, "资源互补性": 7, "财务健康度": 9, "市场声誉": 9, "文化兼容性": 8}},
    {"name": "伙伴C", "values": {"战略匹配度": 7, "资源互补性": 8, "财务健康度": 6, "市场声誉": 7, "文化兼容性": 9}},
]


@pytest.fixture
def client(store: Store, clock: FrozenClock) -> Iterator[TestClient]:
    make_alliance(store, clock, code="nb")
    make_alliance(store, clock, code="other")
    with TestClient(create_app(store, clock)) as c:
        c.headers.update(admin_headers(store))
        yield c



def test_ahp_endpoint(client: TestClient) -> None:
    r = client.post("/api/v1/ahp", json={"criteria": ["A", "B", "C"], "matrix": [[1, 3, 5], ["1/3", 1, 2], ["1/5", "1/2", 1]]})
    assert r.status_code == 422  # fractions must be numbers in JSON
    r = client.post("/api/v1/ahp", json={"criteria": ["A", "B", "C"], "matrix": [[1, 3, 5], [0.3333333333, 1, 2], [0.2, 0.5, 1]]})
    assert r.status_code == 200, r.text
    assert r.json()["consistent"] is True
    body = problem(client.post("/api/v1/ahp", json={"criteria": ["A", "B", "C"],
                                                      "matrix": [[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]]}),
                   422, "inconsistent_judgements")
    assert " vs " in body["detail"]


def test_screening_run_saved_listed_recomputed(client: TestClient) -> None:
    r = client.post(f"{V1}/screenings", json={"criteria": "article", "candidates": CANDIDATES, "draws": 300})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["run"]["id"] == 1 and body["run"]["leader"] == "伙伴B"
    assert body["ranking"][0]["score"] == pytest.approx(8.4)
    assert body["sensitivity"]["draws"] == 300
    assert client.get(f"{V1}/screenings").json()["total"] == 1
    again = client.get(f"{V1}/screenings/1", params={"recompute": "true"}).json()
    assert again["identical"] is True and again["inputs"]["candidates"]["names"] == ["伙伴A", "伙伴B", "伙伴C"]


def test_runs_and_prospects_are_listed_a_page_at_a_time(client: TestClient) -> None:
    for _ in range(3):
        assert client.post(f"{V1}/screenings", json={"criteria": "article", "candidates": CANDIDATES, "draws": 50}
                           ).status_code == 201
    page = client.get(f"{V1}/screenings", params={"limit": 2}).json()
    assert [r["id"] for r in page["items"]] == [1, 2] and (page["total"], page["limit"], page["offset"]) == (3, 2, 0)
    rest = client.get(f"{V1}/screenings", params={"limit": 2, "offset": 2}).json()
    assert [r["id"] for r in rest["items"]] == [3] and rest["total"] == 3
    assert client.get(f"{V1}/screenings", params={"offset": 9}).json()["items"] == []
    for name in ("甲", "乙", "丙"):
        client.post(f"{V1}/prospects", json={"name": name, "source": "referral"})
    prospects = client.get(f"{V1}/prospects", params={"limit": 2, "offset": 1}).json()
    assert [p["name"] for p in prospects["items"]] == ["乙", "丙"] and prospects["total"] == 3
    assert client.get(f"{V1}/prospects", params={"stage": "pilot"}).json()["total"] == 0
    for bad in ({"limit": 0}, {"limit": 1001}, {"offset": -1}, {"limit": "x"}):
        problem(client.get(f"{V1}/screenings", params=bad), 422, "invalid_request")
        problem(client.get(f"{V1}/prospects", params=bad), 422, "invalid_request")


def test_screening_input_problems(client: TestClient) -> None:
    weights = {"战略匹配度": 3, "资源互补性": 2, "财务健康度": 2, "市场声誉": 2, "文化兼容性": 1}
    body = problem(client.post(f"{V1}/screenings", json={"criteria": weights, "candidates": CANDIDATES}), 422, "invalid_input")
    assert "sum to 10" in body["detail"]
    assert client.post(f"{V1}/screenings", json={"criteria": weights, "candidates": CANDIDATES,
                                                 "normalize": True}).json()["notes"]
    missing = [{"name": "X", "values": {"战略匹配度": 5}}]
    body = problem(client.post(f"{V1}/screenings", json={"criteria": "article", "candidates": missing}), 422, "invalid_input")
    assert {e["field"] for e in body["errors"]} == {"资源互补性", "财务健康度", "市场声誉", "文化兼容性"}
    bad = [{"name": "X", "values": {**CANDIDATES[0]["values"], "战略匹配度": "high"}}]  # type: ignore[dict-item]
    body = problem(client.post(f"{V1}/screenings", json={"criteria": "article", "candidates": bad}), 422, "invalid_input")
    assert [(e["where"], e["field"]) for e in body["errors"]] == [("row 2", "战略匹配度")]
    problem(client.post(f"{V1}/screenings", json={"criteria": "nonesuch", "candidates": CANDIDATES}), 422, "invalid_input")
    problem(client.post("/api/v1/alliances/nope/screenings", json={"criteria": "article", "candidates": CANDIDATES}),
            404, "alliance_not_found")
    assert client.get(f"{V1}/screenings").json()["total"] == 1  # only the normalised run was saved


def test_members_as_candidates(store: Store, clock: FrozenClock) -> None:
    load_demo(store, clock)
    with TestClient(create_app(store, clock)) as c:
        c.headers.update(admin_headers(store))
        r = c.post("/api/v1/alliances/nb-precision/screenings", json={"criteria": "financial", "method": "topsis"})
        assert r.status_code == 201, r.text
        assert len(r.json()["ranking"]) == 7


def test_pipeline_over_http(client: TestClient) -> None:
    client.post(f"{V1}/screenings", json={"criteria": "article", "candidates": CANDIDATES, "draws": 100})
    added = client.post(f"{V1}/screenings/1/shortlist", json={"top": 1}).json()["items"]
    pid = added[0]["id"]
    assert client.post(f"{V1}/prospects/{pid}/stage", json={"to": "due_diligence"}).json()["stage"] == "due_diligence"
    body = problem(client.post(f"{V1}/prospects/{pid}/pilot", json={"name": "试点", "starts_on": "2026-12-01",
                                                                   "ends_on": "2027-01-31"}), 409, "stage_refused")
    assert "required due-diligence" in body["detail"]
    checklist = client.get(f"{V1}/prospects/{pid}").json()["checklist"]
    first = next(i for i in checklist if i["required"])
    pdf = b"%PDF-1.4 licence"
    r = client.put(f"{V1}/dd-items/{first['id']}/evidence", params={"filename": "营业执照.pdf"}, content=pdf)
    assert r.status_code == 200 and r.json()["evidence"]["sha256"] == hashlib.sha256(pdf).hexdigest()
    download = client.get(f"{V1}/dd-items/{first['id']}/evidence")
    assert download.content == pdf and download.headers["x-content-sha256"] == hashlib.sha256(pdf).hexdigest()
    problem(client.patch(f"{V1}/dd-items/{first['id']}", json={"status": "waived"}), 422, "invalid_input")
    for item in checklist:
        if item["required"]:
            assert client.patch(f"{V1}/dd-items/{item['id']}", json={"status": "done"}).status_code == 200
    pilot = client.post(f"{V1}/prospects/{pid}/pilot", json={"name": "试点", "starts_on": "2026-12-01",
                                                            "ends_on": "2027-01-31", "cadence": "monthly"}).json()
    body = problem(client.post(f"{V1}/pilots/{pilot['id']}/decision", json={"decision": "go"}), 422, "pilot_without_kpis")
    assert "no KPI" in body["detail"]
    kpi = client.post(f"{V1}/pilots/{pilot['id']}/kpis", json={"name": "转化率", "unit": "%", "target": "3.5"}).json()
    assert kpi["target"] == "3.5"
    client.post(f"{V1}/kpis/{kpi['id']}/measurements", json={"measured_on": "2027-01-15", "value": "3.85"})
    review = client.get(f"{V1}/pilots/{pilot['id']}/review").json()
    assert review["kpis"][0]["attainment"] == "1.1000" and review["all_met"] is True
    assert review["meetings"] == ["2026-12-01", "2027-01-01"]
    decided = client.post(f"{V1}/pilots/{pilot['id']}/decision", json={"decision": "go", "note": "达标"}).json()
    assert decided["prospect"]["stage"] == "partner" and decided["pilot"]["decided_by"].endswith("(platform_admin of platform)")
    problem(client.post(f"{V1}/pilots/{pilot['id']}/decision", json={"decision": "go"}), 409, "conflict")


def test_another_alliance_sees_none_of_it(client: TestClient) -> None:
    """Every screening route, called with another alliance's code, answers 404 and changes nothing."""
    client.post(f"{V1}/screenings", json={"criteria": "article", "candidates": CANDIDATES, "draws": 50})
    pid = client.post(f"{V1}/prospects", json={"name": "宁波某模具", "source": "referral"}).json()["id"]
    item = client.get(f"{V1}/prospects/{pid}").json()["checklist"][0]["id"]
    other = "/api/v1/alliances/other"
    calls = [
        ("get", f"{other}/screenings/1", None),
        ("post", f"{other}/screenings/1/shortlist", {"top": 1}),
        ("get", f"{other}/prospects/{pid}", None),
        ("post", f"{other}/prospects/{pid}/stage", {"to": "rejected"}),
        ("post", f"{other}/prospects/{pid}/checklist", {"area": "legal", "title": "x"}),
        ("patch", f"{other}/dd-items/{item}", {"status": "done"}),
        ("get", f"{other}/dd-items/{item}/evidence", None),
        ("post", f"{other}/prospects/{pid}/pilot", {"name": "x", "starts_on": "2026-12-01", "ends_on": "2026-12-02"}),
        ("get", f"{other}/pilots/1/review", None),
        ("post", f"{other}/pilots/1/kpis", {"name": "x", "target": "1"}),
        ("post", f"{other}/kpis/1/measurements", {"measured_on": "2026-12-01", "value": "1"}),
        ("post", f"{other}/pilots/1/decision", {"decision": "go"}),
    ]
    for method, url, body in calls:
        response = client.request(method.upper(), url, json=body)
        assert response.status_code == 404, (url, response.text)
    assert client.get(f"{other}/screenings").json()["total"] == 0
    assert client.get(f"{other}/prospects").json()["total"] == 0
    mine = client.get(f"{V1}/prospects/{pid}").json()
    assert mine["stage"] == "screened" and all(i["status"] == "open" for i in mine["checklist"])
