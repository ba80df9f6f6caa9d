"""Milestones over HTTP, in the pages (in Chinese) and on the command line: recorded with evidence,
decided by whom the rule names, the tranche booked by the next run; refusals are problem+json or a
page saying why, and store nothing; another alliance sees nothing."""

from __future__ import annotations

import hashlib
import html
import json
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
from alliance.sharing import milestone_service, service as sharing
from alliance.store.database import Store
from tests.support.factories import admin_of, credit_code, make_alliance
from tests.support.http import problem
from tests.support.web import add_user, sign_in

NOW = FrozenClock(datetime(2026, 12, 8, 2, tzinfo=UTC))
PROJECT = """
agreement: rd
effective_from: 2026-12-08
parties: [A, B, C]
rules:
  - {id: proto, kind: milestone_release, milestone: 样机通过测试, evidence: 检测报告, confirmed_by: C,
     amount: "200000.00", payer: A, payee: B}
  - {id: pilot, kind: milestone_release, milestone: 试产合格, evidence: 审计报告, confirmed_by: auditor,
     amount: "150000.00", payer: A, payee: B}
"""
API = "/api/v1/alliances/tea"
HASH = "ab" * 32


@pytest.fixture
def app(store: Store, tmp_path: Path) -> Iterator[TestClient]:
    for code in ("tea", "other"):
        make_alliance(store, NOW, code=code)
        for n, member in enumerate(("A", "B", "C"), start=1):
            registry.add_member(store, code, {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n)}, NOW)
    sharing.propose_version(store, "tea", PROJECT, "秘书长", NOW)
    for member in ("A", "B", "C"):
        sharing.sign(store, "tea", "rd", 1, member, "代表", NOW, principal=admin_of("tea", member))
    with TestClient(create_app(store, NOW, tmp_path / "facts.duckdb"), base_url="https://testserver") as client:
        yield client


def key(store: Store, role: Role, alliance: str = "tea", member: str | None = None) -> dict[str, str]:
    issued = create_api_key(store, role=role, alliance=alliance, member=member, name="t", created_by="t", clock=NOW)
    return {"Authorization": f"Bearer {issued.key}"}


def test_record_and_decide_over_the_api(app: TestClient, store: Store) -> None:
    coordinator, lab, developer = key(store, Role.COORDINATOR), key(store, Role.MEMBER_ADMIN, member="C"), \
        key(store, Role.MEMBER_ADMIN, member="B")
    listed = app.get(f"{API}/milestones", headers=key(store, Role.MEMBER_ANALYST, member="A")).json()
    assert [(m["rule"], m["confirmed_by"], m["amount"], m["current"]) for m in listed["milestones"]] == [
        ("proto", "C", "200000.00", None), ("pilot", "auditor", "150000.00", None)]
    problem(app.post(f"{API}/agreements/rd/milestones/proto", json={"evidence": [{"name": "r.pdf", "sha256": "x" * 64}]},
                     headers=coordinator), 422, "invalid_input")
    problem(app.post(f"{API}/agreements/rd/milestones/proto", json={"evidence": []}, headers=coordinator), 422,
            "invalid_request")
    problem(app.post(f"{API}/agreements/rd/milestones/proto", json={"evidence": [{"name": "r.pdf", "sha256": HASH}]},
                     headers=key(store, Role.MEMBER_ANALYST, member="A")), 403, "forbidden")
    problem(app.post(f"{API}/agreements/rd/milestones/nope", json={"evidence": [{"name": "r.pdf", "sha256": HASH}]},
                     headers=coordinator), 404, "milestone_not_found")
    assert milestone_service.history(store, "tea") == []
    recorded = app.post(f"{API}/agreements/rd/milestones/proto", json={"evidence": [{"name": "r.pdf", "sha256": HASH}]},
                        headers=developer)
    assert recorded.status_code == 201 and recorded.json()["status"] == "recorded"
    problem(app.post(f"{API}/agreements/rd/milestones/proto/decision", json={"confirm": True}, headers=coordinator),
            403, "forbidden")
    problem(app.post(f"{API}/agreements/rd/milestones/proto/decision", json={"confirm": False}, headers=lab), 422,
            "invalid_input")
    decided = app.post(f"{API}/agreements/rd/milestones/proto/decision", json={"confirm": True}, headers=lab)
    assert decided.status_code == 200 and decided.json()["status"] == "confirmed"
    problem(app.post(f"{API}/agreements/rd/milestones/proto/decision", json={"confirm": True}, headers=lab), 409,
            "milestone_conflict")
    # The auditor confirms its own milestone and no other.
    app.post(f"{API}/agreements/rd/milestones/pilot", json={"evidence": [{"name": "a.pdf", "sha256": HASH}]},
             headers=coordinator)
    auditor = key(store, Role.AUDITOR)
    assert app.post(f"{API}/agreements/rd/milestones/pilot/decision", json={"confirm": True},
                    headers=auditor).json()["status"] == "confirmed"
    # Another alliance finds nothing.
    stranger = key(store, Role.COORDINATOR, alliance="other")
    assert app.get(f"{API}/milestones", headers=stranger).status_code == 404
    assert app.post(f"{API}/agreements/rd/milestones/proto/decision", json={"confirm": True},
                    headers=stranger).status_code == 404


def test_the_page_records_with_files_and_decides_in_chinese(app: TestClient, store: Store) -> None:
    add_user(store, NOW, "coord", Role.COORDINATOR, "tea")
    add_user(store, NOW, "lab", Role.MEMBER_ADMIN, "tea", "C")
    add_user(store, NOW, "stranger", Role.COORDINATOR, "other")
    zh = {"Accept-Language": "zh-CN"}
    token = sign_in(app, "coord")
    page = app.get("/alliances/tea/milestones", headers=zh)
    assert page.status_code == 200 and "样机通过测试" in page.text and "里程碑" in page.text
    report = "检测报告内容".encode()
    recorded = app.post("/alliances/tea/milestones/rd/proto", data={"csrf_token": token},
                        files=[("evidence", ("报告.pdf", report, "application/pdf"))], follow_redirects=False)
    assert recorded.status_code == 303, recorded.text
    stored = milestone_service.history(store, "tea")[0]
    assert [(e.name, e.sha256) for e in stored.evidence] == [("报告.pdf", hashlib.sha256(report).hexdigest())]
    # The coordinator may not confirm the lab's milestone: a page says why, nothing changes.
    refused = app.post("/alliances/tea/milestones/rd/proto/decision", data={"csrf_token": token, "decision": "confirm"},
                       headers=zh, follow_redirects=False)
    assert refused.status_code in (403, 404) and milestone_service.history(store, "tea")[0].status.value == "recorded"
    token = sign_in(app, "lab")
    no_reason = app.post("/alliances/tea/milestones/rd/proto/decision", data={"csrf_token": token, "decision": "reject"},
                         headers=zh, follow_redirects=False)
    assert no_reason.status_code == 422 and "请说明驳回该里程碑的理由" in html.unescape(no_reason.text)
    done = app.post("/alliances/tea/milestones/rd/proto/decision",
                    data={"csrf_token": token, "decision": "reject", "note": "缺少跌落测试"}, follow_redirects=False)
    assert done.status_code == 303
    shown = html.unescape(app.get("/alliances/tea/milestones?done=rejected", headers=zh).text)
    assert "缺少跌落测试" in shown and "驳回" in shown
    sign_in(app, "stranger")
    assert app.get("/alliances/tea/milestones").status_code == 404


def test_the_command_line(app: TestClient, store: Store, database_url: str, tmp_path: Path,
                          monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from alliance.access.service import create_user, grant_role
    from alliance.cli.main import app as cli
    from alliance.core.clock import SystemClock

    monkeypatch.setenv("ALLIANCE_DATABASE_URL", database_url)
    for name, role, member in (("coord", Role.COORDINATOR, None), ("lab", Role.MEMBER_ADMIN, "C")):
        create_user(store, name, "a long password 1", name, SystemClock())
        grant_role(store, name, role, "tea", member)
    evidence = tmp_path / "报告.pdf"
    evidence.write_bytes(b"%PDF report")
    runner = CliRunner()
    r = runner.invoke(cli, ["milestone", "record", "rd", "proto", "-a", "tea", "--as", "coord", "-e", str(evidence)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli, ["milestone", "confirm", "rd", "proto", "-a", "tea", "--as", "coord"])
    assert r.exit_code != 0 and "only C's own accounts act for C" in r.output
    r = runner.invoke(cli, ["milestone", "confirm", "rd", "proto", "-a", "tea", "--as", "lab"])
    assert r.exit_code == 0 and "confirmed" in r.output
    listed = json.loads(runner.invoke(cli, ["milestone", "list", "-a", "tea", "--json"]).stdout)
    assert listed["records"][0]["evidence"] == [{"name": "报告.pdf", "sha256": hashlib.sha256(b"%PDF report").hexdigest()}]
    r = runner.invoke(cli, ["milestone", "record", "rd", "proto", "-a", "tea", "--as", "coord", "-e", str(tmp_path / "x")])
    assert r.exit_code != 0 and "cannot read the evidence file" in r.output
