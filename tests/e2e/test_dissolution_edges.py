"""Dissolution over HTTP, on the web page and on the command line: the coordinator starts it (naming
the decision), shares out the funds, is refused finishing with every blocker named (409
`dissolution_blocked`), nothing changed; members read the status, a member may not start it (403),
another alliance's accounts get 404; the page in English and Chinese with the coordinator's buttons;
`alliance dissolution start|status|funds|finish`."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from alliance.access.roles import Role
from alliance.access.service import create_api_key
from alliance.cli.main import app as cli_app
from alliance.core.clock import FrozenClock
from alliance.server import create_app
from alliance.store.database import Store
from alliance.store.tables import alliance_changes, exit_cases, fund_releases
from tests.support.dissolution import NOW, build
from tests.support.http import problem
from tests.support.web import add_user, sign_in

URL = "/api/v1/alliances/parent/dissolution"


@pytest.fixture
def client(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[TestClient]:
    build(store, clock, tmp_path).facts.close()
    with TestClient(create_app(store, NOW, tmp_path / "facts.duckdb"), base_url="https://testserver") as c:
        yield c


def key(store: Store, clock: FrozenClock, role: Role, alliance: str = "parent",
        member: str | None = None) -> dict[str, str]:
    issued = create_api_key(store, role=role, alliance=alliance, member=member, name="t", created_by="t", clock=clock)
    return {"Authorization": f"Bearer {issued.key}"}


def counts(store: Store) -> tuple[int, ...]:
    with store.engine.connect() as c:
        return tuple(int(c.execute(select(func.count()).select_from(t)).scalar_one())
                     for t in (exit_cases, fund_releases, alliance_changes))


def test_the_routes(client: TestClient, store: Store, clock: FrozenClock) -> None:
    coordinator = key(store, clock, Role.COORDINATOR)
    member = key(store, clock, Role.MEMBER_ADMIN, member="A")
    stranger = key(store, clock, Role.COORDINATOR, alliance="sub")
    before = counts(store)
    problem(client.post(URL, json={"decided_by": "proposal 12"}, headers=member), 403, "forbidden")
    problem(client.get(URL, headers=stranger), 404, "alliance_not_found")
    problem(client.post(URL, json={"decided_by": "x"}, headers=stranger), 404, "alliance_not_found")
    problem(client.post(f"{URL}/finish", headers=coordinator), 409, "dissolution_not_started")
    assert counts(store) == before

    started = client.post(URL, json={"decided_by": "members' meeting of 2026-12-07",
                                     "last_trading_day": "2026-12-06"}, headers=coordinator)
    assert started.status_code == 200, started.text
    assert [(o["alliance"], len(o["opened"])) for o in started.json()["order"]] == [("sub", 2), ("parent", 3)]
    funds = client.post(f"{URL}/funds", headers=coordinator)
    assert funds.status_code == 200, funds.text
    assert funds.json()["funds"][0]["parts"] == {"A": 1500, "B": 300}
    before = counts(store)
    body = problem(client.post(f"{URL}/finish", headers=coordinator), 409, "dissolution_blocked")
    assert "sub-alliances sub" in body["detail"] and "exit cases of A, B, C" in body["detail"]
    assert counts(store) == before
    read = client.get(URL, headers=member)
    assert read.status_code == 200
    parent = read.json()["order"][-1]
    assert parent["alliance"] == "parent" and parent["open_exit_cases"] == ["A", "B", "C"]
    assert {b["kind"] for b in parent["blockers"]} >= {"sub_alliance_open", "exit_case_open", "fund_undistributed"}
    problem(client.get(f"{URL}/archive", headers=member), 403, "forbidden")
    archive = client.get(f"{URL}/archive", headers=coordinator)
    assert archive.status_code == 200 and archive.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.content)) as z:
        assert {"members/A.zip", "members/B.zip", "members/C.zip", "ledger/entries.jsonl"} <= set(z.namelist())


def test_the_page(client: TestClient, store: Store, clock: FrozenClock) -> None:
    add_user(store, clock, "coord", Role.COORDINATOR, "parent")
    token = sign_in(client, "coord")
    page = "/alliances/parent/dissolution"
    before = client.get(page, headers={"Accept-Language": "en"}).text  # only starting is offered, and nothing blocks
    assert "dissolution-start" in before and "dissolution-finish" not in before and "dissolution-funds" not in before
    assert "Not being dissolved." in before
    started = client.post(f"{page}/start", data={"csrf_token": token, "decided_by": "proposal 12",
                                                 "last_trading_day": "2026-12-06"}, headers={"Accept-Language": "en"})
    assert started.status_code == 200, started.text
    assert "5 exit case(s) opened" in started.text
    refused = client.post(f"{page}/finish", data={"csrf_token": token}, headers={"Accept-Language": "en"})
    assert refused.status_code == 409 and "Nothing was changed." in refused.text
    in_chinese = client.post(f"{page}/finish", data={"csrf_token": token}, headers={"Accept-Language": "zh-CN"})
    assert in_chinese.status_code == 409 and "A, B, C 的退出案件尚未结案" in in_chinese.text
    zh = client.get(page, headers={"Accept-Language": "zh-CN"}).text
    assert "dissolution-finish" in zh and "dissolution-archive" in zh and "dissolution-start" not in zh
    assert "解散" in zh


def test_the_commands(store: Store, clock: FrozenClock, database_url: str, tmp_path: Path,
                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLIANCE_DATABASE_URL", database_url)
    monkeypatch.setenv("ALLIANCE_FACTS_PATH", str(tmp_path / "facts.duckdb"))
    monkeypatch.setenv("COLUMNS", "200")
    build(store, clock, tmp_path).facts.close()
    runner = CliRunner()
    cli: Callable[..., Result] = lambda *args: runner.invoke(cli_app, list(args))  # noqa: E731
    missing = cli("dissolution", "start", "parent")
    assert missing.exit_code != 0
    started = cli("dissolution", "start", "parent", "--decided-by", "proposal 12", "--format", "json")
    assert started.exit_code == 0, started.output
    assert [o["alliance"] for o in json.loads(started.output)] == ["sub", "parent"]
    status = cli("dissolution", "status", "parent", "--format", "json")
    assert status.exit_code == 0, status.output
    assert json.loads(status.output)[-1]["open_exit_cases"] == ["A", "B", "C"]
    funds = cli("dissolution", "funds", "parent", "--format", "json")
    assert funds.exit_code == 0, funds.output
    finish = cli("dissolution", "finish", "parent")
    assert finish.exit_code != 0 and "cannot be dissolved yet" in finish.output
