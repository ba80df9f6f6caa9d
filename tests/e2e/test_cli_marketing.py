"""`alliance marketing ...` end to end (SQLite and PostgreSQL): a campaign proposed with ratios, a
member's consent as its own admin account, a cost shared by the ratios, show, roi and list as JSON;
ratios that do not sum to 1 and a consent by someone else refused with a non-zero exit, nothing
stored."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from alliance.access.roles import Role
from alliance.cli.main import app
from alliance.core.clock import FrozenClock
from alliance.store.database import Store
from alliance.store.tables import marketing_campaigns
from tests.support.factories import credit_code
from tests.support.web import add_user

runner = CliRunner()
NEW = ("marketing", "new", "-a", "nb", "--title", "双十一联合直播", "--lead", "M1", "--from", "2026-11-01", "--to",
       "2026-11-11", "--budget", "1000.00", "--member", "M1=0.6", "--value", "live")


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ALLIANCE_DATABASE_URL", database_url)
    monkeypatch.setenv("ALLIANCE_FACTS_PATH", str(tmp_path / "facts.duckdb"))
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.delenv("LANGUAGE", raising=False)
    monkeypatch.delenv("LC_ALL", raising=False)

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), catch_exceptions=False)

    assert invoke("alliance", "create", "nb", "--name", "宁波联盟", "--kind", "sme", "--structure", "mesh").exit_code == 0
    for n, member in enumerate(("M1", "M2", "M3"), start=1):
        assert invoke("member", "add", "--alliance", "nb", "--code", member, "--name", f"{member} 公司",
                      "--credit-code", credit_code(n)).exit_code == 0
    store = Store.open(database_url, migrate=False)
    clock = FrozenClock(datetime(2026, 11, 2, 2, tzinfo=UTC))
    add_user(store, clock, "m1admin", Role.MEMBER_ADMIN, "nb", "M1")
    add_user(store, clock, "m2admin", Role.MEMBER_ADMIN, "nb", "M2")
    add_user(store, clock, "m3admin", Role.MEMBER_ADMIN, "nb", "M3")
    store.close()
    return invoke


def _count(database_url: str) -> int:
    store = Store.open(database_url, migrate=False)
    try:
        with store.engine.connect() as c:
            return int(c.execute(select(func.count()).select_from(marketing_campaigns)).scalar_one())
    finally:
        store.close()


def test_new_consent_cost_show_roi_and_list(cli, database_url: str) -> None:  # type: ignore[no-untyped-def]
    wrong = cli(*NEW, "--member", "M2=0.3")
    assert wrong.exit_code != 0 and "0.9" in wrong.output
    assert _count(database_url) == 0
    made = cli(*NEW, "--member", "M2=0.4", "--format", "json")
    assert made.exit_code == 0, made.output
    assert json.loads(made.output)["state"] == "proposed"
    assert cli("marketing", "consent", "1", "-a", "nb", "--member", "M2", "--as", "m3admin").exit_code != 0
    consented = cli("marketing", "consent", "1", "-a", "nb", "--member", "M2", "--as", "m2admin", "--format", "json")
    assert consented.exit_code == 0, consented.output
    # M1 has not consented (the command line proposed, not M1's own admin): costs wait
    assert cli("marketing", "cost", "1", "-a", "nb", "--payer", "M1", "--amount", "100.00", "--description", "场地",
               "--day", "2026-11-03").exit_code != 0
    shown = json.loads(cli("marketing", "show", "1", "-a", "nb", "--format", "json").output)
    assert [(p["member"], p["consented"]) for p in shown["participants"]] == [("M1", False), ("M2", True)]
    assert cli("marketing", "consent", "1", "-a", "nb", "--member", "M1", "--as", "m1admin").exit_code == 0
    cost = cli("marketing", "cost", "1", "-a", "nb", "--payer", "ext:hall", "--amount", "100.01", "--description",
               "场地", "--day", "2026-11-03", "--format", "json")
    assert cost.exit_code == 0, cost.output
    assert json.loads(cost.output)["costs"][0]["shares"] == {"M1": "60.01", "M2": "40.00"}
    roi = cli("marketing", "roi", "1", "-a", "nb", "--format", "json")
    assert roi.exit_code == 0, roi.output
    assert json.loads(roi.output)["alliance"]["roi_shown"] == "-1.00"  # no order lines: nothing attributed
    listed = json.loads(cli("marketing", "list", "-a", "nb", "--format", "json").output)
    assert [c["number"] for c in listed["campaigns"]] == [1]
