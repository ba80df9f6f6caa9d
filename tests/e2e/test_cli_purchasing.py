"""`alliance campaign ...` end to end (SQLite and PostgreSQL): open a campaign with two quotes, commit,
show (JSON like the API), close at the deadline, order, deliver, and clear refusals with a non-zero
exit that store nothing (a tier table out of order names its row; a commitment after the deadline)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from alliance.cli.main import app
from alliance.core.clock import FrozenClock
from alliance.store.database import Store
from alliance.store.tables import purchase_campaigns
from tests.support.factories import credit_code
from tests.support.member_users import member_admins, platform_admin

runner = CliRunner()
NOW = {"clock": FrozenClock(datetime(2026, 12, 6, 2, tzinfo=UTC))}


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ALLIANCE_DATABASE_URL", database_url)
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.delenv("LANGUAGE", raising=False)
    monkeypatch.delenv("LC_ALL", raising=False)
    import alliance.cli.purchasing as purchasing_cli

    monkeypatch.setattr(purchasing_cli, "SystemClock", lambda: NOW["clock"])
    NOW["clock"] = FrozenClock(datetime(2026, 12, 6, 2, tzinfo=UTC))

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), catch_exceptions=False)

    assert invoke("alliance", "create", "nb", "--name", "宁波联盟", "--kind", "sme", "--structure", "mesh").exit_code == 0
    for n, member in enumerate(("M1", "M2", "M3"), start=1):
        assert invoke("member", "add", "--alliance", "nb", "--code", member, "--name", f"{member} 公司",
                      "--credit-code", credit_code(n)).exit_code == 0
    member_admins(database_url, "nb", ("M1", "M2", "M3"))
    return invoke


def _campaigns(database_url: str) -> int:
    store = Store.open(database_url, migrate=False)
    try:
        with store.engine.connect() as c:
            return int(c.execute(select(func.count()).select_from(purchase_campaigns)).scalar_one())
    finally:
        store.close()


def test_a_campaign_from_opening_to_delivery(cli, database_url: str) -> None:  # type: ignore[no-untyped-def]
    opened = cli("campaign", "open", "-a", "nb", "--title", "A4 paper", "--item", "A4", "--organiser", "M1",
                 "--deadline", "2026-12-08T18:00", "--minimum", "100", "--quote", "Paper Co: 1=4.00, 100=3.40",
                 "--quote", "Mill: 1=4.20, 50=3.60", "--fee-rate", "0.1", "--deposit", "0.50", "--share", "20",
                 "--format", "json")
    assert opened.exit_code == 0, opened.output
    record = json.loads(opened.output)
    assert (record["number"], record["deadline"], record["flagged"]) == (1, "2026-12-08T10:00:00+00:00", True)
    assert record["deposit_per_unit_minor"] == 50
    for member, quantity in (("M1", "40"), ("M2", "30"), ("M3", "50")):
        result = cli("campaign", "commit", "1", member, quantity, "-a", "nb", "--as", f"adm-{member.lower()}")
        assert result.exit_code == 0, result.output
    shown = json.loads(cli("campaign", "show", "1", "-a", "nb", "--format", "json").output)
    assert (shown["quantity"], shown["unit_price"], len(shown["positions"])) == (120, "3.40", 3)
    listed = cli("campaign", "list", "-a", "nb")
    assert listed.exit_code == 0 and "A4 paper" in listed.output

    NOW["clock"] = FrozenClock(datetime(2026, 12, 8, 10, tzinfo=UTC))
    late = cli("campaign", "commit", "1", "M2", "31", "-a", "nb", "--as", "adm-m2")
    assert late.exit_code != 0 and "took commitments until 2026-12-08 18:00 CST" in late.output
    closed = json.loads(cli("campaign", "close", "-a", "nb", "--format", "json").output)
    assert closed == [{"number": 1, "state": "succeeded"}]
    assert cli("campaign", "order", "1", "-a", "nb", "--note", "PO 1").exit_code == 0
    delivered = cli("campaign", "deliver", "1", "-a", "nb", "--member", "M2=30", "--format", "json")
    assert delivered.exit_code == 0, delivered.output
    assert json.loads(delivered.output)["per_member"] == {"M2": 30}
    final = json.loads(cli("campaign", "show", "1", "-a", "nb", "--format", "json").output)
    assert final["delivered"] == 30 and final["outcome"]["invoice"] == "408.00"


def test_bad_input_is_refused_and_stores_nothing(cli, database_url: str) -> None:  # type: ignore[no-untyped-def]
    result = cli("campaign", "open", "-a", "nb", "--title", "A4 paper", "--item", "A4", "--organiser", "M9",
                 "--deadline", "tomorrow", "--minimum", "100", "--quote", "Paper Co: 1=4.00, 100=3.40, 80=3.50")
    assert result.exit_code == 2
    assert "quote 1 row 3" in result.output and "organiser" in result.output and "deadline" in result.output
    assert _campaigns(database_url) == 0
    missing = cli("campaign", "commit", "7", "M1", "5", "-a", "nb", "--as", "adm-m1")
    assert missing.exit_code != 0 and "no campaign 7" in missing.output


def test_only_a_members_own_account_commits_for_it(cli, database_url: str) -> None:  # type: ignore[no-untyped-def]
    """A platform admin's account or another member's admin does not commit M1's quantity (non-zero exit,
    nothing kept); M1's own admin does; the operator still reads."""
    assert cli("campaign", "open", "-a", "nb", "--title", "A4 paper", "--item", "A4", "--organiser", "M1",
               "--deadline", "2026-12-08T18:00", "--minimum", "100", "--quote", "Paper Co: 1=4.00").exit_code == 0
    platform_admin(database_url, "ops")
    for who in ("ops", "adm-m2"):
        assert cli("campaign", "commit", "1", "M1", "40", "-a", "nb", "--as", who).exit_code != 0
    assert json.loads(cli("campaign", "show", "1", "-a", "nb", "--format", "json").output)["positions"] == []
    assert cli("campaign", "commit", "1", "M1", "40", "-a", "nb", "--as", "adm-m1").exit_code == 0
    assert json.loads(cli("campaign", "show", "1", "-a", "nb", "--format", "json").output)["quantity"] == 40
