"""`alliance resource|need|directory` end to end (SQLite and PostgreSQL): declare, edit, list and remove
resources and needs, the kinds and an own kind, the directory and its import; a refusal is a clear
error with a non-zero exit that stores nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from alliance.cli.main import app
from alliance.store.database import Store
from alliance.store.tables import directory_entries, directory_resources, member_resources, resource_kinds
from tests.support.factories import credit_code
from tests.support.member_users import member_admins, platform_admin

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
    member_admins(database_url, "nb", ("M1", "M2"))
    return invoke


def _counts(url: str) -> tuple[int, ...]:
    store = Store.open(url, migrate=False)
    try:
        with store.engine.connect() as c:
            return tuple(int(c.execute(select(func.count()).select_from(t)).scalar_one())
                         for t in (member_resources, resource_kinds, directory_entries, directory_resources))
    finally:
        store.close()


def test_declare_edit_list_and_remove(cli, database_url: str) -> None:  # type: ignore[no-untyped-def]
    result = cli("resource", "add", "M1", "-a", "nb", "--as", "adm-m1", "--kind", "warehouse/cold_chain", "-d", "宁波冷库",
                 "--capacity", "2,000", "--unit", "m2", "--region", "宁波", "--from", "2026-01-01")
    assert result.exit_code == 0, result.output
    assert "Added resource 1 of M1: warehouse/cold_chain 2000 m2." in result.output
    assert cli("need", "add", "M2", "-a", "nb", "--as", "adm-m2", "-k", "warehouse", "--capacity", "500", "--unit", "m2",
               "--priority", "1").exit_code == 0
    result = cli("need", "edit", "M2", "2", "-a", "nb", "--as", "adm-m2", "--capacity", "800", "--to", "2027-03-31")
    assert result.exit_code == 0, result.output
    needs = json.loads(cli("need", "list", "-a", "nb", "--json").output)
    assert [(n["holder"], n["capacity"], n["ends_on"], n["priority"]) for n in needs] == [
        ("M2", "800", "2027-03-31", 1)]
    resources = json.loads(cli("resource", "list", "-a", "nb", "M1", "--json").output)
    assert [(r["kind"], r["region"], r["starts_on"]) for r in resources] == [
        ("warehouse/cold_chain", "宁波", "2026-01-01")]
    assert cli("resource", "remove", "M1", "1", "-a", "nb", "--as", "adm-m1").exit_code == 0
    assert _counts(database_url) == (1, 0, 0, 0)


@pytest.mark.parametrize(("args", "says"), [
    (("--kind", "spaceships"), "spaceships is not a resource kind"),
    (("--kind", "brand", "--capacity", "-3"), "a capacity cannot be negative"),
    (("--kind", "brand", "--from", "2027-02-01", "--to", "2027-01-01"), "ends (2027-01-01) before it starts"),
    (("--kind", "brand", "--priority", "0"), "a priority is 1 (highest) to 5"),
])
def test_a_bad_declaration_is_refused(cli, database_url: str, args: tuple[str, ...], says: str) -> None:  # type: ignore[no-untyped-def]
    result = cli("resource", "add", "M1", "-a", "nb", "--as", "adm-m1", *args)
    assert result.exit_code != 0 and says in result.output.replace("\n", " "), result.output
    assert _counts(database_url) == (0, 0, 0, 0)


def test_kinds_and_an_own_kind(cli, database_url: str) -> None:  # type: ignore[no-untyped-def]
    result = cli("resource", "add-kind", "warehouse/bonded", "-a", "nb", "--en", "Bonded warehouse", "--zh", "保税仓")
    assert result.exit_code == 0, result.output
    kinds = {k["key"]: k for k in json.loads(cli("resource", "kinds", "-a", "nb", "--json").output)}
    assert kinds["warehouse/bonded"]["own"] and kinds["warehouse"]["name_zh"] == "仓储物流"
    assert cli("resource", "add-kind", "nothing/here", "-a", "nb", "--en", "x", "--zh", "y").exit_code != 0
    assert cli("resource", "add", "M1", "-a", "nb", "--as", "adm-m1", "-k", "warehouse/bonded").exit_code == 0
    assert _counts(database_url) == (1, 1, 0, 0)


def test_the_directory_and_imports(cli, database_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("directory", "add", "X1", "杭州渠道公司", "-a", "nb", "--region", "杭州").exit_code == 0
    entries = json.loads(cli("directory", "list", "-a", "nb", "--json").output)
    assert [(e["code"], e["kind"]) for e in entries] == [("X1", "candidate")]
    (tmp_path / "d.csv").write_text("holder,side,kind,capacity,unit\nX1,资源,channel/stores,40,stores\n",
                                    encoding="utf-8")
    result = cli("resource", "import", str(tmp_path / "d.csv"), "-a", "nb")  # the directory's: the operator's
    assert result.exit_code == 0 and "Imported 1" in result.output, result.output
    (tmp_path / "m.csv").write_text("holder,side,kind,capacity,unit\nM1,需求,channel,30,stores\n", encoding="utf-8")
    refused = cli("resource", "import", str(tmp_path / "m.csv"), "-a", "nb")  # a member's: its own account's
    assert refused.exit_code != 0 and "M1" in refused.output
    result = cli("resource", "import", str(tmp_path / "m.csv"), "-a", "nb", "--as", "adm-m1")
    assert result.exit_code == 0 and "Imported 1" in result.output, result.output
    (tmp_path / "bad.csv").write_text("holder,side,kind\nM1,需求,channel\nZZ,需求,channel\n", encoding="utf-8")
    result = cli("resource", "import", str(tmp_path / "bad.csv"), "-a", "nb", "--as", "adm-m1")
    assert result.exit_code != 0 and "row 3" in result.output and "nothing was imported" in result.output
    (tmp_path / "dir.csv").write_text("code,name,side,kind\nX2,上海数据公司,resource,data/apis\n", encoding="utf-8")
    result = cli("directory", "import", str(tmp_path / "dir.csv"), "-a", "nb")
    assert result.exit_code == 0 and "Imported 1 companies with 1" in result.output, result.output
    assert _counts(database_url) == (1, 0, 2, 2)
    assert cli("directory", "remove", "X1", "-a", "nb").exit_code == 0
    assert _counts(database_url) == (1, 0, 1, 1)


def test_only_a_members_own_account_declares_for_it(cli, database_url: str) -> None:  # type: ignore[no-untyped-def]
    """The operator (without --as, or a platform admin's account) and M2's admin do not declare M1's resources
    (non-zero exit, nothing stored); M1's admin does, and the operator still lists them."""
    platform_admin(database_url, "ops")
    for who in ((), ("--as", "ops"), ("--as", "adm-m2")):
        assert cli("resource", "add", "M1", "-a", "nb", *who, "-k", "brand").exit_code != 0
    assert _counts(database_url) == (0, 0, 0, 0)
    assert cli("resource", "add", "M1", "-a", "nb", "--as", "adm-m1", "-k", "brand").exit_code == 0
    assert cli("resource", "remove", "M1", "1", "-a", "nb").exit_code != 0
    assert [r["holder"] for r in json.loads(cli("resource", "list", "-a", "nb", "--json").output)] == ["M1"]
