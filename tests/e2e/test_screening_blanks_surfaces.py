"""Blank member metrics in screening through the API, the CLI and the web page (issue 17)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html import unescape

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from alliance.access.roles import Role
from alliance.access.service import create_user, grant_role
from alliance.cli.main import app as cli_app
from alliance.core.clock import FrozenClock
from alliance.registry import service as registry
from alliance.screening import service
from alliance.server import create_app
from alliance.store.database import Store
from tests.support.factories import make_alliance, member_values
from tests.support.http import admin_headers
from tests.support.web import sign_in_form

FULL = {"revenue": "1000000", "profit": "50000", "cash_flow": "80000", "debt_ratio": "0.4", "compliance_records": "1"}
PASSWORD = "a long enough password"
BASE = "/alliances/nb/screening"


def add_members(store: Store, clock: FrozenClock) -> None:
    make_alliance(store, clock, code="nb")
    make_alliance(store, clock, code="other")
    for n in (1, 2, 3):
        registry.add_member(store, "nb", member_values(n, **{**FULL, "revenue": str(1000000 * n)}), clock)
    registry.add_member(store, "nb", member_values(4, **{k: v for k, v in FULL.items() if k != "revenue"}), clock)


@pytest.fixture
def api(store: Store, clock: FrozenClock) -> Iterator[TestClient]:
    add_members(store, clock)
    with TestClient(create_app(store, clock)) as c:
        c.headers.update(admin_headers(store))
        yield c


def test_the_api_reports_blanks_then_takes_the_choice(api: TestClient) -> None:
    url = "/api/v1/alliances/nb/screenings"
    r = api.post(url, json={"criteria": "financial"})
    assert r.status_code == 422 and r.json()["code"] == "blank_metrics"
    assert r.json()["errors"] == [{"where": "测试企业4有限公司 (M0004)", "field": "revenue", "reason": "is blank"}]
    r = api.post(url, json={"criteria": "financial", "blanks": "exclude-members"})
    assert r.status_code == 201, r.text
    assert len(r.json()["ranking"]) == 3 and r.json()["blanks"]["excluded_members"] == ["测试企业4有限公司 (M0004)"]
    saved = api.get(f"{url}/{r.json()['run']['id']}").json()
    assert saved["inputs"]["blanks"]["choice"] == "exclude-members"
    r = api.post(url, json={"criteria": "financial", "blanks": "exclude-criteria"})
    assert r.status_code == 201 and "revenue" not in r.json()["criteria"] and len(r.json()["ranking"]) == 4
    assert api.post(url, json={"criteria": "financial", "blanks": "guess"}).status_code == 422
    given = [{"name": "A", "values": {"revenue": 1, "profit": 1, "cash_flow": 1, "debt_ratio": 0.1,
                                      "compliance_records": 0}}]
    r = api.post(url, json={"criteria": "financial", "candidates": given, "blanks": "exclude-members"})
    assert r.status_code == 422 and "members" in r.json()["detail"]


def test_the_cli_lists_blanks_then_takes_the_flag(store: Store, clock: FrozenClock, database_url: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    add_members(store, clock)
    monkeypatch.setenv("ALLIANCE_DATABASE_URL", database_url)
    runner = CliRunner()
    r = runner.invoke(cli_app, ["screen", "--alliance", "nb", "--criteria", "financial"], catch_exceptions=False)
    assert r.exit_code == 2 and "have blank metrics" in r.stderr and "M0004" in r.stderr and "is blank" in r.stderr
    assert service.list_runs(store, "nb") == []
    r = runner.invoke(cli_app, ["screen", "--alliance", "nb", "--criteria", "financial", "--blanks", "exclude-criteria",
                                "-f", "json"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert "revenue" not in json.loads(r.stdout)["criteria"]
    [run] = service.list_runs(store, "nb")
    assert run.inputs["blanks"]["excluded_criteria"] == ["revenue"]


@pytest.fixture
def web(store: Store, clock: FrozenClock) -> Iterator[tuple[Store, object]]:
    add_members(store, clock)
    for username, alliance in (("coord", "nb"), ("stranger", "other")):
        create_user(store, username, PASSWORD, username, clock)
        grant_role(store, username, Role.COORDINATOR, alliance, None)
    app = create_app(store, clock)
    with TestClient(app, base_url="https://testserver"):
        yield store, app


def signed_in(app: object, username: str) -> TestClient:
    c = TestClient(app, base_url="https://testserver")  # type: ignore[arg-type]
    assert c.post("/sign-in", data=sign_in_form(c, username, PASSWORD), follow_redirects=False).status_code == 303
    return c


def csrf_of(html: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert found
    return found.group(1)


def test_the_workspace_lists_blanks_and_offers_the_choice(web: tuple[Store, object]) -> None:
    store, app = web
    c = signed_in(app, "coord")
    page = c.get(BASE, headers={"Accept-Language": "en"})
    assert page.status_code == 200
    text = unescape(page.text)
    assert 'id="blank-choice"' in page.text and 'name="blanks" value="exclude-members"' in page.text
    assert "Some members have blank metrics" in text and "测试企业4有限公司 (M0004): revenue" in text
    zh = c.get(BASE, headers={"Accept-Language": "zh-CN"})
    assert "部分成员有空白指标" in unescape(zh.text) and "排除这些成员" in unescape(zh.text)
    csrf = csrf_of(page.text)
    form = {"preset": "financial", "source": "members", "method": "weighted", "blanks": "exclude-members",
            "csrf_token": csrf}
    ranked = c.post(BASE, data=form, headers={"HX-Request": "true"})
    assert ranked.status_code == 200 and "M0004" not in ranked.text and "(M0003)" in ranked.text
    saved = c.post(BASE + "/runs", data=form, follow_redirects=False)
    assert saved.status_code == 303
    [run] = service.list_runs(store, "nb")
    assert run.inputs["blanks"]["choice"] == "exclude-members"
    shown = unescape(c.get(saved.headers["location"], headers={"Accept-Language": "en"}).text)
    assert 'id="run-blanks"' in shown and "Members left out: 测试企业4有限公司 (M0004)" in shown
    by_criteria = c.get(BASE + "?preset=financial&blanks=exclude-criteria", headers={"Accept-Language": "en"})
    assert by_criteria.status_code == 200 and "(M0004)" in by_criteria.text
    assert "Some members have blank" not in by_criteria.text


def test_an_outsider_sees_nothing_of_the_blanks(web: tuple[Store, object]) -> None:
    _, app = web
    c = signed_in(app, "stranger")
    r = c.get(BASE + "?blanks=exclude-members")
    assert r.status_code in (403, 404) and "M0004" not in r.text
