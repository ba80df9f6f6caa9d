"""Disputes over HTTP and in the browser's pages: a member's admin opens one, the other party and the
coordinator read it and its neutral report, anyone else gets a 404; refused requests change nothing."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from alliance.access.roles import Role
from alliance.access.service import create_api_key
from alliance.core.clock import FrozenClock
from alliance.ledger import service as ledger
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.settlement import service as settlement
from alliance.sharing import service as sharing
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from alliance.store.tables import disputes, evidence_files, ledger_entries
from tests.integration.test_disputes import AGREEMENT, HEADER, LINES
from tests.support.factories import admin_of, credit_code, make_alliance
from tests.support.http import problem
from tests.support.web import add_user, csrf_of, sign_in

NOW = FrozenClock(datetime(2026, 12, 8, 2, tzinfo=UTC))
CLAIM = {"claimant": "A", "respondents": ["B"], "agreement": "referrals", "version": 1, "rule": "refer",
         "days": ["2026-12-05"], "amount": "12.50", "statement": "推荐分成有误",
         "evidence": [{"name": "合同.pdf", "content_base64": base64.b64encode(b"%PDF contract").decode()}]}


@pytest.fixture
def app(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[TestClient]:
    make_alliance(store, clock, code="refer")
    make_alliance(store, clock, code="other")
    for n, code in enumerate(("A", "B", "C"), start=1):
        registry.add_member(store, "refer", {"code": code, "name": f"{code} 公司", "credit_code": credit_code(n)}, clock)
    registry.add_member(store, "other", {"code": "A", "name": "外联盟 A", "credit_code": credit_code(9)}, clock)
    sharing.propose_version(store, "refer", AGREEMENT, "秘书长", clock)
    for member in ("A", "B", "C"):
        sharing.sign(store, "refer", "referrals", 1, member, "代表", clock, principal=admin_of("refer", member))
    facts = FactStore(tmp_path / "facts.duckdb")
    stores = Stores(store, facts)
    path = tmp_path / "lines.csv"
    path.write_text("\n".join([HEADER, *LINES]) + "\n", encoding="utf-8")
    try:
        settlement.import_order_lines(stores, "refer", path, None, FrozenClock(datetime(2026, 12, 6, 12, tzinfo=UTC)))
        settlement.settle(stores, "refer", date(2026, 12, 5), "财务", FrozenClock(datetime(2026, 12, 7, tzinfo=UTC)))
    finally:
        facts.close()
    with TestClient(create_app(store, NOW, tmp_path / "facts.duckdb"), base_url="https://testserver") as client:
        yield client


def key(store: Store, role: Role, alliance: str = "refer", member: str | None = None) -> dict[str, str]:
    issued = create_api_key(store, role=role, alliance=alliance, member=member, name="t", created_by="t", clock=NOW)
    return {"Authorization": f"Bearer {issued.key}"}


def counts(store: Store) -> tuple[int, ...]:
    with store.engine.connect() as c:
        return tuple(c.execute(select(func.count()).select_from(t)).scalar_one()
                     for t in (disputes, evidence_files, ledger_entries))


URL = "/api/v1/alliances/refer/disputes"


def test_open_read_answer_withdraw_over_the_api(app: TestClient, store: Store) -> None:
    a, b, c = (key(store, Role.MEMBER_ADMIN, member=m) for m in ("A", "B", "C"))
    opened = app.post(URL, json=CLAIM, headers=a)
    assert opened.status_code == 201, opened.text
    body = opened.json()
    assert body["number"] == 1 and body["amount"] == "12.50" and body["level"]["key"] == "working_group"
    assert body["level"]["due"] == "2026-12-22T02:00:00.000000Z"
    for reader in (b, key(store, Role.COORDINATOR), key(store, Role.AUDITOR),
                   key(store, Role.MEMBER_ANALYST, member="A")):
        assert app.get(f"{URL}/1", headers=reader).status_code == 200
        report = app.get(f"{URL}/1/report", headers=reader)
        assert report.status_code == 200
        assert hashlib.sha256(report.content).hexdigest() == report.headers["x-report-sha256"] == body["report_sha256"]
    sha = body["evidence"][0]["sha256"]
    assert app.get(f"{URL}/1/evidence/{sha}", headers=b).content == b"%PDF contract"
    # Another member of the alliance, another alliance's keys: nothing is there.
    problem(app.get(f"{URL}/1", headers=c), 404, "dispute_not_found")
    problem(app.get(f"{URL}/1/report", headers=c), 404, "dispute_not_found")
    problem(app.get(f"{URL}/1/evidence/{sha}", headers=c), 404, "dispute_not_found")
    assert app.get(URL, headers=c).json() == {"disputes": []}
    problem(app.get(f"{URL}/1", headers=key(store, Role.COORDINATOR, "other")), 404, "alliance_not_found")
    problem(app.get(f"{URL}/1", headers=key(store, Role.MEMBER_ADMIN, "other", "A")), 404, "alliance_not_found")
    # The parties' acts.
    problem(app.post(f"{URL}/1/answer", json={"respondent": "B", "answer": "不同意"}, headers=a), 404, "not_found")
    answered = app.post(f"{URL}/1/answer", json={"respondent": "B", "answer": "依据第 2 条"}, headers=b)
    assert answered.status_code == 200 and answered.json()["status"] == "answered"
    problem(app.post(f"{URL}/1/withdrawal", headers=b), 404, "not_found")
    assert app.post(f"{URL}/1/withdrawal", headers=a).json()["status"] == "withdrawn"
    problem(app.post(f"{URL}/1/withdrawal", headers=a), 409, "dispute_closed")
    assert ledger.verify_store(store, "refer").ok


@pytest.mark.parametrize("change, status, code", [
    ({"days": ["2026-12-06"]}, 422, "invalid_input"),
    ({"rule": "nope"}, 422, "invalid_input"),
    ({"amount": "-1"}, 422, "invalid_input"),
    ({"amount": "1.2.3"}, 422, "invalid_input"),
    ({"respondents": ["A"]}, 422, "invalid_input"),
    ({"respondents": ["Q"]}, 422, "invalid_input"),
    ({"evidence": [{"name": "x", "content_base64": "***"}]}, 422, "invalid_input"),
    ({"claimant": "B"}, 404, "not_found"),  # A's admin does not act for B
])
def test_bad_openings_change_nothing(app: TestClient, store: Store, change: dict[str, object], status: int,
                                     code: str) -> None:
    before = counts(store)
    problem(app.post(URL, json={**CLAIM, **change}, headers=key(store, Role.MEMBER_ADMIN, member="A")), status, code)
    assert counts(store) == before


def test_only_a_members_own_admin_opens(app: TestClient, store: Store) -> None:
    before = counts(store)
    problem(app.post(URL, json=CLAIM, headers=key(store, Role.COORDINATOR)), 403, "forbidden")
    problem(app.post(URL, json=CLAIM, headers=key(store, Role.AUDITOR)), 403, "forbidden")
    problem(app.post(URL, json=CLAIM, headers=key(store, Role.MEMBER_ANALYST, member="A")), 403, "forbidden")
    problem(app.post("/api/v1/alliances/other/disputes", json=CLAIM, headers=key(store, Role.MEMBER_ADMIN, member="A")),
            404, "alliance_not_found")
    assert counts(store) == before


def test_the_ladder_is_configurable_by_the_coordinator(app: TestClient, store: Store) -> None:
    ladder = {"levels": [{"key": "wg", "name": "工作组", "days": 7}, {"key": "panel", "name": "仲裁庭", "days": None}],
              "response_days": 5, "ruling_days": 30}
    problem(app.put(f"{URL}/ladder", json=ladder, headers=key(store, Role.MEMBER_ADMIN, member="A")), 403, "forbidden")
    problem(app.put(f"{URL}/ladder", json={**ladder, "response_days": 0}, headers=key(store, Role.COORDINATOR)),
            422, "invalid_input")
    assert app.put(f"{URL}/ladder", json=ladder, headers=key(store, Role.COORDINATOR)).status_code == 200
    assert app.get(f"{URL}/ladder", headers=key(store, Role.MEMBER_ADMIN, member="C")).json()["levels"][0]["days"] == 7
    opened = app.post(URL, json=CLAIM, headers=key(store, Role.MEMBER_ADMIN, member="A")).json()
    assert opened["level"]["due"] == "2026-12-15T02:00:00.000000Z" and opened["response_due"].startswith("2026-12-13")


def test_the_pages(app: TestClient, store: Store, clock: FrozenClock) -> None:
    add_user(store, clock, "a-admin", Role.MEMBER_ADMIN, "refer", "A")
    add_user(store, clock, "b-admin", Role.MEMBER_ADMIN, "refer", "B")
    add_user(store, clock, "c-admin", Role.MEMBER_ADMIN, "refer", "C")
    add_user(store, clock, "coord", Role.COORDINATOR, "refer")
    sign_in(app, "a-admin")
    form = app.get("/alliances/refer/disputes/new").text
    assert 'id="dispute-form"' in form and "referrals:1:refer" in form
    fields = {"csrf_token": csrf_of(form), "claimant": "A", "respondents": "B", "rule": "referrals:1:refer",
              "days": "2026-12-05", "amount": "-3", "statement": "有误"}
    before = counts(store)
    refused = app.post("/alliances/refer/disputes/new", data=fields, files={"evidence": ("e.txt", b"x")},
                       headers={"Accept-Language": "en"})
    assert refused.status_code == 422 and "more than zero" in refused.text and counts(store) == before
    done = app.post("/alliances/refer/disputes/new", data={**fields, "amount": "12.50"},
                    files={"evidence": ("证据.txt", "证据".encode())}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].endswith("/alliances/refer/disputes/1")
    page = app.get("/alliances/refer/disputes/1").text
    assert 'id="neutral-report"' in page and 'id="dispute-chart"' in page and 'id="withdraw-form"' in page
    assert "2026-12-22 10:00 +08:00" in page and 'id="answer-form"' not in page
    sign_in(app, "b-admin")
    page = app.get("/alliances/refer/disputes/1", headers={"Accept-Language": "zh-CN"}).text
    assert 'id="answer-form"' in page and 'id="withdraw-form"' not in page
    answered = app.post("/alliances/refer/disputes/1/answer", data={"csrf_token": csrf_of(page), "respondent": "B",
                                                                     "answer": "不同意"}, follow_redirects=False)
    assert answered.status_code == 303
    assert "不同意" in app.get("/alliances/refer/disputes/1").text
    sign_in(app, "coord")
    listing = app.get("/alliances/refer/disputes").text
    assert re.search(r'href="/alliances/refer/disputes/1"', listing) and 'id="ladder"' in listing
    assert 'id="open-dispute"' not in listing  # the coordinator does not open disputes for members
    sign_in(app, "c-admin")
    assert app.get("/alliances/refer/disputes/1").status_code == 404
    assert 'id="no-disputes"' in app.get("/alliances/refer/disputes").text
