"""`alliance health|kpi|pledge` end to end (SQLite and PostgreSQL): the catalogue listed and edited
(a new version), values entered and listed, pledges added, delivered and listed, the scorecard and
the dashboard; refusals as one line with a non-zero exit that change nothing."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from alliance.cli.main import app
from alliance.store.database import Store
from alliance.store.tables import health_deliveries, health_kpi_catalogues, health_kpi_values, health_pledges
from tests.support.factories import credit_code

runner = CliRunner()


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ALLIANCE_DATABASE_URL", database_url)
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.delenv("LANGUAGE", raising=False)
    monkeypatch.delenv("LC_ALL", raising=False)

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), catch_exceptions=False)

    assert invoke("alliance", "create", "nb", "--name", "宁波精密零部件企业联盟", "--kind", "sme",
                  "--structure", "mesh").exit_code == 0
    for n, member in enumerate(("M1", "M2"), start=1):
        result = invoke("member", "add", "--alliance", "nb", "--code", member, "--name", f"{member} 公司",
                        "--credit-code", credit_code(n))
        assert result.exit_code == 0, result.output
    return invoke


def _counts(url: str) -> tuple[int, ...]:
    store = Store.open(url, migrate=False)
    try:
        with store.engine.connect() as c:
            return tuple(int(c.execute(select(func.count()).select_from(t)).scalar_one())
                         for t in (health_kpi_catalogues, health_kpi_values, health_pledges, health_deliveries))
    finally:
        store.close()


def test_catalogue_values_pledges_and_scorecard(cli, database_url: str) -> None:  # type: ignore[no-untyped-def]
    listed = cli("kpi", "list", "-a", "nb", "--json")
    assert listed.exit_code == 0 and json.loads(listed.output)["version"] == 0
    edited = cli("kpi", "edit", "learning", "-a", "nb", "--set", "weight=2", "--set", "target=9", "--note", "重视")
    assert edited.exit_code == 0 and "version 1" in edited.output
    versions = json.loads(cli("kpi", "history", "-a", "nb", "--versions", "--json").output)
    assert [v["version"] for v in versions] == [1, 0] and versions[0]["note"] == "重视"
    entered = cli("kpi", "enter", "market_influence", "8", "-a", "nb", "-p", "2026Q4", "-m", "M1", "--evidence", "ZL1")
    assert entered.exit_code == 0 and "market_influence = 8" in entered.output
    values = json.loads(cli("kpi", "history", "-a", "nb", "--json").output)
    assert [(v["kpi"], v["member"], v["value"], v["evidence"]) for v in values] == [("market_influence", "M1", "8", "ZL1")]
    added = cli("pledge", "add", "-a", "nb", "-m", "M1", "--kind", "money", "--amount", "1000.00", "--due",
                "2026-11-01", "--description", "基金")
    assert added.exit_code == 0 and "Pledge 1" in added.output
    delivered = cli("pledge", "deliver", "1", "-a", "nb", "--amount", "1000", "--on", "2026-10-31")
    assert delivered.exit_code == 0 and "(on_time)" in delivered.output
    pledges = json.loads(cli("pledge", "list", "-a", "nb", "--json").output)
    assert pledges[0]["status"] == "on_time" and pledges[0]["unit"] == "CNY"
    card = json.loads(cli("health", "scorecard", "-a", "nb", "-p", "2026Q4", "-m", "M1", "--json").output)
    rows = {r["code"]: r for r in card["kpis"]}
    assert card["catalogue_version"] == 1 and rows["market_influence"]["band"] == "green"
    assert rows["resource_contribution"]["value"] == "100.00"
    shown = cli("health", "scorecard", "-a", "nb", "-p", "2026Q4")
    assert shown.exit_code == 0 and "catalogue version 1" in shown.output and "Trend: " in shown.output
    board = cli("health", "dashboard", "-a", "nb", "-p", "2026Q4", "--json")
    assert board.exit_code == 0 and set(json.loads(board.output)["scores"]) == {"", "M1", "M2"}
    assert _counts(database_url) == (1, 1, 1, 1)


@pytest.mark.parametrize("args, said", [
    (("kpi", "edit", "meeting_attendance", "-a", "nb", "--set", "amber=90", "--set", "green=80"), "meeting_attendance"),
    (("kpi", "edit", "learning", "-a", "nb", "--set", "weight"), "FIELD=VALUE"),
    (("kpi", "enter", "meeting_attendance", "3", "-a", "nb", "-p", "2026Q4"), "computed"),
    (("kpi", "enter", "market_influence", "x", "-a", "nb", "-p", "2026Q4"), "not a number"),
    (("kpi", "enter", "market_influence", "1", "-a", "nb", "-p", "2026Q7"), "not a period"),
    (("pledge", "add", "-a", "nb", "-m", "M9", "--kind", "money", "--amount", "1", "--due", "2026-12-01"), "M9"),
    (("pledge", "deliver", "4", "-a", "nb", "--amount", "1", "--on", "2026-12-01"), "no pledge number 4"),
    (("health", "scorecard", "-a", "nb", "-p", "later"), "not a period"),
])
def test_refusals_are_one_line_and_change_nothing(cli, database_url: str, args: tuple[str, ...],  # type: ignore[no-untyped-def]
                                                  said: str) -> None:
    before = _counts(database_url)
    result = cli(*args)
    assert result.exit_code != 0
    assert said in result.output and "Traceback" not in result.output
    assert _counts(database_url) == before
