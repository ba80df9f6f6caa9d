"""`alliance bid ...` end to end (SQLite and PostgreSQL): a bid drafted, its consortium set, each member
confirming, a document, submitted, won, the project agreement proposed, shown as JSON and listed; shares
that do not add up to 1 and a wrong document refused with a non-zero exit, nothing stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from alliance.access import service as access
from alliance.access.roles import Role
from alliance.cli.main import app
from alliance.core.clock import SystemClock
from alliance.store.database import Store
from alliance.store.tables import bid_documents, bids
from tests.support.factories import credit_code
from tests.support.member_users import PASSWORD, member_admins

runner = CliRunner()


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ALLIANCE_DATABASE_URL", database_url)
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.delenv("LANGUAGE", raising=False)
    monkeypatch.delenv("LC_ALL", raising=False)

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), catch_exceptions=False)

    assert invoke("alliance", "create", "nb", "--name", "宁波联盟", "--kind", "sme", "--structure", "mesh").exit_code == 0
    for n, member in enumerate(("M1", "M2", "M3"), start=1):
        assert invoke("member", "add", "--alliance", "nb", "--code", member, "--name", f"{member} 公司",
                      "--credit-code", credit_code(n)).exit_code == 0
    member_admins(database_url, "nb", ("M1", "M2", "M3"))
    return invoke


def _count(database_url: str, table: object) -> int:
    store = Store.open(database_url, migrate=False)
    try:
        with store.engine.connect() as c:
            return int(c.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]
    finally:
        store.close()


def test_a_bid_from_draft_to_agreement(cli, database_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    made = cli("bid", "new", "-a", "nb", "--as", "adm-m1", "--customer", "宁波港集团", "--title", "智慧码头改造",
               "--due", "2030-01-31", "--offered", "1000000.00", "--share", "0.6", "--scope", "总包")
    assert made.exit_code == 0, made.output
    assert cli("bid", "member", "1", "-a", "nb", "--as", "adm-m1", "--member", "M2", "--share", "0.3",
               "--scope", "软件").exit_code == 0
    assert cli("bid", "confirm", "1", "-a", "nb", "--as", "adm-m1").exit_code == 0
    assert cli("bid", "confirm", "1", "-a", "nb", "--as", "adm-m2").exit_code == 0
    refused = cli("bid", "submit", "1", "-a", "nb", "--as", "adm-m1")
    assert refused.exit_code != 0 and "0.9" in refused.output
    assert cli("bid", "member", "1", "-a", "nb", "--as", "adm-m1", "--member", "M2", "--share", "0.4",
               "--scope", "软件").exit_code == 0
    bad = tmp_path / "a.pdf"
    bad.write_bytes(b"not a pdf")
    assert cli("bid", "document", "1", "-a", "nb", "--as", "adm-m2", str(bad)).exit_code != 0
    assert _count(database_url, bid_documents) == 0
    good = tmp_path / "方案.pdf"
    good.write_bytes(b"%PDF-1.7 ok")
    assert cli("bid", "document", "1", "-a", "nb", "--as", "adm-m2", str(good)).exit_code == 0
    for member in ("M1", "M2"):
        assert cli("bid", "confirm", "1", "-a", "nb", "--as", f"adm-{member.lower()}").exit_code == 0
    assert cli("bid", "submit", "1", "-a", "nb", "--as", "adm-m1").exit_code == 0
    assert cli("bid", "outcome", "1", "won", "-a", "nb", "--as", "adm-m1", "--awarded", "990000.00").exit_code == 0
    preview = cli("bid", "agreement", "1", "-a", "nb", "--as", "adm-m1", "--preview")
    assert "fixed_split" in preview.output and "M1: 0.6" in preview.output
    proposed = cli("bid", "agreement", "1", "-a", "nb", "--as", "adm-m1")
    assert proposed.exit_code == 0 and "bid-1 version 1 proposed" in proposed.output
    shown = json.loads(cli("bid", "show", "1", "-a", "nb", "--format", "json").output)
    assert (shown["state"], shown["awarded_minor"], shown["agreement"]["code"]) == ("won", 99_000_000, "bid-1")
    assert [m["price_minor"] for m in shown["members"]] == [60_000_000, 40_000_000]
    listed = json.loads(cli("bid", "list", "-a", "nb", "--format", "json").output)
    assert [b["number"] for b in listed] == [1]
    assert _count(database_url, bids) == 1


def test_only_a_members_own_account_acts_for_it(cli, database_url: str) -> None:  # type: ignore[no-untyped-def]
    """The operator names a user, not a member: a platform admin's account, a user of another member or
    no such user is refused (non-zero exit, nothing stored); the member's own admin acts."""
    store = Store.open(database_url, migrate=False)
    try:
        access.create_user(store, "ops", PASSWORD, "operator", SystemClock())
        access.grant_role(store, "ops", Role.PLATFORM_ADMIN, None, None)
    finally:
        store.close()
    new = ("bid", "new", "-a", "nb", "--customer", "宁波港集团", "--title", "码头", "--due", "2030-01-31",
           "--offered", "1000.00", "--share", "1", "--scope", "总包")
    for who in ("ops", "nobody"):
        refused = cli(*new, "--as", who)
        assert refused.exit_code != 0, refused.output
    assert _count(database_url, bids) == 0
    assert cli(*new, "--as", "adm-m1").exit_code == 0
    assert cli("bid", "confirm", "1", "-a", "nb", "--as", "ops").exit_code != 0
    assert cli("bid", "submit", "1", "-a", "nb", "--as", "adm-m2").exit_code != 0  # not in the consortium
    shown = json.loads(cli("bid", "show", "1", "-a", "nb", "--format", "json").output)  # the operator reads
    assert shown["members"][0]["confirmed"] is False
