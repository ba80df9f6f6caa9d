"""`alliance rating ...` end to end (SQLite and PostgreSQL): weights refused as one line with nothing
stored, reviews imported all or none, a run, an approval only by another person, the explanation
shown, an appeal by the member's admin, and the procedure listed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from alliance.access.roles import Role
from alliance.access.service import create_user, grant_role
from alliance.cli.main import app
from alliance.core.clock import SystemClock
from alliance.store.database import Store
from alliance.store.tables import rating_reviews, rating_settings
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
    for n, member in enumerate(("M1", "M2", "M3"), start=1):
        result = invoke("member", "add", "--alliance", "nb", "--code", member, "--name", f"{member} 公司",
                        "--credit-code", credit_code(n))
        assert result.exit_code == 0, result.output
    store = Store.open(database_url, migrate=False)
    try:
        for name, role, member in (("chief", Role.COORDINATOR, None), ("m3boss", Role.MEMBER_ADMIN, "M3")):
            create_user(store, name, "a long enough password 123", name, SystemClock())
            grant_role(store, name, role, "nb", member)
    finally:
        store.close()
    return invoke


def _count(url: str, table: object) -> int:
    store = Store.open(url, migrate=False)
    try:
        with store.engine.connect() as c:
            return c.execute(select(func.count()).select_from(table)).scalar_one()  # type: ignore[arg-type]
    finally:
        store.close()


def _one_line_error(result, said: str) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert said in result.output, result.output
    assert not any("Traceback" in line for line in lines)


def test_weights_reviews_run_approve_show_appeal(cli, database_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = cli("rating", "weights", "-a", "nb", "--group", "reviews=0.5", "--group", "fulfilment=0.4",
              "--group", "innovation=0.2")
    _one_line_error(bad, "sum to 1.1, not 1")
    assert _count(database_url, rating_settings) == 0
    good = cli("rating", "weights", "-a", "nb", "--group", "reviews=0.5", "--group", "fulfilment=0.3",
               "--group", "innovation=0.2")
    assert good.exit_code == 0 and "reviews 0.5" in good.output, good.output
    assert cli("rating", "policy", "-a", "nb", "--grace-days", "0", "--improvement-days", "30").exit_code == 0

    reviews = tmp_path / "reviews.csv"
    reviews.write_text("成员,日期,星级,评语\nM3,2026-01-05,1,差\nM9,2026-01-05,9,?\n", encoding="utf-8")
    refused = cli("rating", "import-reviews", str(reviews), "-a", "nb")
    assert refused.exit_code == 2 and "row 3" in refused.output, refused.output
    assert _count(database_url, rating_reviews) == 0
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in (["成员", "日期", "星级", "评语"], ["M3", "2026-01-05", "1", "差"], ["M3", "2026-01-06", "1", "差"]):
        sheet.append(row)
    book.save(tmp_path / "reviews.xlsx")
    imported = cli("rating", "import-reviews", str(tmp_path / "reviews.xlsx"), "-a", "nb")
    assert imported.exit_code == 0 and "Imported 2 reviews" in imported.output, imported.output
    assert cli("rating", "innovation", "-a", "nb", "-m", "M3", "--period", "2026Q1", "--score", "0").exit_code == 0

    ran = cli("rating", "run", "-a", "nb", "--period", "2026Q1", "--json")
    assert ran.exit_code == 0, ran.output
    made = {r["member"]: r for r in json.loads(ran.stdout)}
    assert made["M3"]["stars"] == 1 and made["M3"]["status"] == "pending"
    assert made["M1"]["status"] == "effective"
    # The operator ran it: approving as the operator is refused; the coordinator's account approves.
    _one_line_error(cli("rating", "approve", str(made["M3"]["id"]), "-a", "nb"), "another person")
    done = cli("rating", "approve", str(made["M3"]["id"]), "-a", "nb", "--as", "chief")
    assert done.exit_code == 0 and "effective" in done.output, done.output

    shown = cli("rating", "show", "M3", "-a", "nb")
    assert shown.exit_code == 0 and "1 stars" in shown.output and "reviews" in shown.output
    assert "Next tier (2 stars)" in shown.output and "Elimination procedure: improvement" in shown.output
    table = json.loads(cli("rating", "show", "-a", "nb", "--json").stdout)
    assert {r["member"]: r["stars"] for r in table} == {"M1": 3, "M2": 3, "M3": 1}

    _one_line_error(cli("rating", "appeal", "-a", "nb", "-m", "M3", "--reason", "刷单", "--as", "chief"), "")
    appealed = cli("rating", "appeal", "-a", "nb", "-m", "M3", "--reason", "差评来自竞争对手", "--as", "m3boss")
    assert appealed.exit_code == 0 and "paused" in appealed.output, appealed.output
    listed = json.loads(cli("rating", "procedure", "list", "-a", "nb", "--json").stdout)
    assert [(p["member"], p["stage"]) for p in listed] == [("M3", "appealed")]
    decided = cli("rating", "procedure", "decide-appeal", str(listed[0]["id"]), "-a", "nb", "--grant")
    assert decided.exit_code == 0 and "closed" in decided.output
    assert "No procedure is due" in cli("rating", "procedure", "review", "-a", "nb").output
    assert "No entitlement is recorded" in cli("rating", "entitlements", "-a", "nb").output
