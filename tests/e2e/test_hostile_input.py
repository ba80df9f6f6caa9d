"""Hostile and extreme input: always a clear error (problem+json or one CLI line), nothing stored."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from sqlalchemy import text
from typer.testing import CliRunner

from alliance.cli.main import app
from alliance.core.clock import FrozenClock
from alliance.screening import service as screening
from alliance.screening.pipeline import ItemStatus, Source, Stage
from alliance.server import create_app
from alliance.store.database import Store
from tests.support.factories import credit_code, make_alliance
from tests.support.http import admin_headers

runner = CliRunner()
V1 = "/api/v1/alliances/nb"


@pytest.fixture
def client(store: Store, clock: FrozenClock) -> Iterator[TestClient]:
    make_alliance(store, clock, code="nb")
    with TestClient(create_app(store, clock), raise_server_exceptions=False) as c:
        c.headers.update(admin_headers(store))
        yield c


def is_problem(response, status: int) -> dict:  # type: ignore[no-untyped-def,type-arg]
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()


@pytest.mark.parametrize(
    "path",
    [
        f"{V1}/screenings/{'9' * 30}",
        f"{V1}/prospects/0",
        f"{V1}/pilots/-1/review",
        f"{V1}/dd-items/99999999999/evidence",
        f"{V1}/members?offset={'9' * 25}",
        "/api/v1/alliances/a%00b",
    ],
)
def test_out_of_range_ids_and_codes_are_422(client: TestClient, path: str) -> None:
    is_problem(client.get(path), 422)


def test_bad_bodies_are_422_and_store_nothing(client: TestClient, store: Store, clock: FrozenClock) -> None:
    prospect = screening.add_prospect(store, "nb", "甲", Source.OTHER, "t", clock)
    item = screening.prospect_file(store, "nb", prospect.id).checklist[0]
    is_problem(client.patch(f"{V1}/dd-items/{item.id}", json={"owner": "o" * 101}), 422)
    is_problem(client.post(f"{V1}/prospects", json={"name": "a\u0000b"}), 422)
    is_problem(client.post(f"{V1}/screenings", json={"criteria": "article", "candidates": [], "seed": -1}), 422)
    is_problem(client.post(f"{V1}/screenings", json={"criteria": {"a": int("1" + "0" * 400)}, "candidates": []}), 422)
    is_problem(client.post("/api/v1/ahp", json={"criteria": ["a", "b"], "matrix": [[1, 3], [0.333, 1], [7, 7]]}), 422)


def test_pilots_at_the_calendars_edge_and_extreme_kpis(client: TestClient, store: Store, clock: FrozenClock) -> None:
    prospect = screening.add_prospect(store, "nb", "乙", Source.OTHER, "t", clock)
    screening.move_prospect(store, "nb", prospect.id, Stage.DUE_DILIGENCE, "t", clock)
    for item in screening.prospect_file(store, "nb", prospect.id).checklist:
        screening.update_item(store, "nb", item.id, "t", clock, status=ItemStatus.WAIVED, waiver_reason="测试")
    pilot_url = f"{V1}/prospects/{prospect.id}/pilot"
    too_long = client.post(pilot_url, json={"name": "十年", "starts_on": "2027-01-01", "ends_on": "2037-01-01"})
    assert "at most 3 years" in is_problem(too_long, 422)["detail"]
    pilot = client.post(pilot_url, json={"name": "年末", "starts_on": "9999-12-01", "ends_on": "9999-12-31",
                                         "cadence": "monthly"}).json()
    kpis = f"{V1}/pilots/{pilot['id']}/kpis"
    assert "decimal places" in is_problem(client.post(kpis, json={"name": "k", "target": "0.000000001"}), 422)["detail"]
    is_problem(client.post(kpis, json={"name": "k", "target": 3.5}), 422)  # numbers must be strings
    is_problem(client.post(kpis, json={"name": "k", "target": "1E+999999999"}), 422)
    kpi = client.post(kpis, json={"name": "k", "target": "0.00000001"}).json()
    assert client.post(f"{V1}/kpis/{kpi['id']}/measurements",
                       json={"measured_on": "9999-12-15", "value": "9999999999999999"}).status_code == 201
    review = client.get(f"{V1}/pilots/{pilot['id']}/review").json()
    assert review["meetings"] == ["9999-12-01"] and review["kpis"][0]["met"] is True
    decided = client.post(f"{V1}/pilots/{pilot['id']}/decision", json={"decision": "go", "note": "ok"})
    assert decided.status_code == 200 and decided.json()["prospect"]["stage"] == "partner"


def test_evidence_larger_than_the_limit_is_413(client: TestClient, store: Store, clock: FrozenClock,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(screening, "MAX_EVIDENCE_BYTES", 1000)
    prospect = screening.add_prospect(store, "nb", "丙", Source.OTHER, "t", clock)
    item = screening.prospect_file(store, "nb", prospect.id).checklist[0]
    url = f"{V1}/dd-items/{item.id}/evidence?filename=big.pdf"
    assert is_problem(client.put(url, content=b"x" * 1001), 413)["code"] == "body_too_large"
    assert client.put(url, content=b"x" * 1000).status_code == 200


def test_a_defect_answers_problem_json_500(store: Store, clock: FrozenClock) -> None:
    app_ = create_app(store, clock)
    broken = APIRouter()

    @broken.get("/api/v1/boom")
    @broken.get("/boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    app_.include_router(broken)
    with TestClient(app_, raise_server_exceptions=False) as c:
        c.headers.update(admin_headers(store))
        body = is_problem(c.get("/api/v1/boom"), 500)
        assert body["code"] == "internal_error" and "a bug" not in body["detail"]
        page = c.get("/boom")  # a page's defect: an error page, as little said
        assert page.status_code == 500 and page.headers["content-type"].startswith("text/html")
        assert "a bug" not in page.text and "Traceback" not in page.text


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ALLIANCE_DATABASE_URL", database_url)
    runner.invoke(app, ["alliance", "create", "nb", "--name", "宁波"], catch_exceptions=False)
    return lambda *args: runner.invoke(app, list(args), catch_exceptions=False)


def test_cli_extreme_values_exit_2_without_traceback(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("member", "add", "-a", "nb", "--code", "A", "--name", "甲", "--credit-code", credit_code(1),
            "--revenue", "99999999999999999999999", "--patent-count", "1e30")
    assert r.exit_code == 2 and "too large" in r.stderr and "Traceback" not in r.output
    bomb = tmp_path / "bomb.csv"
    bomb.write_text(f"code,name,credit_code,patent_count\nB,乙,{credit_code(2)},1e999999999\n", encoding="utf-8")
    r = cli("member", "import", str(bomb), "-a", "nb")
    assert r.exit_code == 2 and "too large" in r.stderr
    r = cli("screen", "--alliance", "nb", "--criteria", "financial", "--seed", "-1")
    assert r.exit_code == 2  # Click refuses the option before anything runs


def test_import_row_numbers_count_blank_lines_above_the_header(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "offset.csv"
    path.write_text(f"\n\ncode,name,credit_code\nA,甲,{credit_code(1)}\nB,,{credit_code(2)}\n", encoding="utf-8")
    r = cli("member", "import", str(path), "-a", "nb")
    assert r.exit_code == 2 and "row 5" in r.stderr  # line 5 of the file, as a spreadsheet shows it


def test_newer_schema_is_one_clear_line(tmp_path: Path) -> None:
    db = tmp_path / "future.db"
    Store.open(f"sqlite:///{db}").close()
    with Store.open(f"sqlite:///{db}", migrate=False).engine.begin() as c:
        c.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    env = {**os.environ, "ALLIANCE_DATABASE_URL": f"sqlite:///{db}"}
    done = subprocess.run([sys.executable, "-m", "alliance", "alliance", "list"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 1 and "schema this version does not know" in done.stderr
    assert "Traceback" not in done.stderr


def test_unexpected_errors_in_the_cli_are_one_line(cli, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from alliance.registry import service

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("[red]disk[/] on fire")

    monkeypatch.setattr(service, "list_alliances", broken)
    r = cli("alliance", "list")
    assert r.exit_code == 1 and "internal error: RuntimeError: [red]disk[/] on fire" in r.stderr
    assert "Traceback" not in r.output
