"""`alliance match partners|coalition|send` and `alliance heatmap` end to end (SQLite and PostgreSQL):
the recommendations with why, JSON and CSV outputs, the pipeline hand-over, and clear refusals with a
non-zero exit that store nothing."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from alliance.cli.main import app
from alliance.store.database import Store
from alliance.store.tables import prospects
from tests.support.factories import credit_code
from tests.support.member_users import member_admins

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
    member_admins(database_url, "nb", ("M1", "M2", "M3"))  # a member's resources are its own admins' to declare
    for args in (("need", "add", "M1", "-k", "warehouse/cold_chain", "--capacity", "500", "--unit", "m2", "-d", "冷链仓储"),
                 ("need", "add", "M1", "-k", "channel/online", "-d", "线上店铺"),
                 ("resource", "add", "M2", "-k", "warehouse/cold_chain", "--capacity", "300", "--unit", "m2"),
                 ("resource", "add", "M3", "-k", "channel/online", "-d", "天猫旗舰店"),
                 ("resource", "add", "M1", "-k", "brand"),
                 ("need", "add", "M3", "-k", "brand")):
        result = invoke(*args, "-a", "nb", "--as", f"adm-{args[2].lower()}")
        assert result.exit_code == 0, result.output
    assert invoke("directory", "add", "X1", "冷链物流公司", "-a", "nb").exit_code == 0
    assert invoke("resource", "add", "X1", "-a", "nb", "-k", "warehouse/cold_chain", "--capacity", "800",
                  "--unit", "m2").exit_code == 0
    return invoke


def test_partners_coalition_heatmap_and_send(cli, database_url: str) -> None:  # type: ignore[no-untyped-def]
    shown = cli("match", "partners", "M1", "-a", "nb", "-k", "3")
    assert shown.exit_code == 0, shown.output
    assert "X1" in shown.output and "warehouse" in shown.output
    data = json.loads(cli("match", "partners", "M1", "-a", "nb", "--json", "--members-only").output)
    assert [p["code"] for p in data["partners"]][:2] == ["M3", "M2"] or {p["code"] for p in data["partners"]} == {
        "M2", "M3"}
    assert "X1" not in [p["code"] for p in data["partners"]]
    coalition = json.loads(cli("match", "coalition", "M1", "-a", "nb", "-k", "2", "--json").output)
    assert coalition["outcome"] == "covered" and coalition["partners"] == ["M3", "X1"]
    assert coalition["greedy"]["complete"] is True
    short = json.loads(cli("match", "coalition", "M1", "-a", "nb", "-k", "2", "--exclude", "X1", "--exclude", "M3",
                           "--json").output)
    assert short["outcome"] == "uncoverable" and any("线上店铺" in n for n in short["uncoverable"])
    csv = cli("heatmap", "-a", "nb", "--format", "csv")
    assert csv.exit_code == 0 and csv.output.splitlines()[0].count(",") == 3  # a row label and three members
    sent = cli("match", "send", "M1", "X1", "-a", "nb")
    assert sent.exit_code == 0 and "source matching" in sent.output


def test_refusals_are_clear_and_store_nothing(cli, database_url: str) -> None:  # type: ignore[no-untyped-def]
    for args, said in ((("match", "partners", "M2", "-a", "nb"), "M2 has declared no needs"),
                       (("match", "partners", "M1", "-a", "nb", "-k", "0"), "k is a whole number"),
                       (("match", "partners", "NOPE", "-a", "nb"), "NOPE"),
                       (("match", "coalition", "M1", "-a", "nb", "--include", "M2", "--exclude", "M2"), "M2"),
                       (("match", "coalition", "M1", "-a", "nb", "--cost", "M2:3"), "is not CODE=AMOUNT"),
                       (("match", "send", "M1", "M2", "-a", "nb"), "not an outside candidate")):
        result = cli(*args)
        assert result.exit_code != 0 and said in result.output, (args, result.output)
    store = Store.open(database_url, migrate=False)
    try:
        with store.engine.connect() as c:
            assert c.execute(select(func.count()).select_from(prospects)).scalar_one() == 0
    finally:
        store.close()
