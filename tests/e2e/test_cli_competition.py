"""`alliance competition ...` end to end: a screening from the options and from a CSV file, its verdicts
in words (in Chinese under a zh locale), the justification, list, show and the sets; bad input is one
clear line, a non-zero exit and nothing stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from alliance.cli.main import app
from alliance.store.database import Store
from alliance.store.tables import competition_screenings
from tests.support.factories import credit_code

runner = CliRunner()


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    if not database_url.startswith("sqlite"):
        pytest.skip("the service is tested on PostgreSQL; the CLI only adapts it")
    monkeypatch.setenv("ALLIANCE_DATABASE_URL", database_url)
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.delenv("LANGUAGE", raising=False)
    monkeypatch.delenv("LC_ALL", raising=False)

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), catch_exceptions=False)

    assert invoke("alliance", "create", "rd", "--name", "研发联盟", "--kind", "sme", "--structure", "mesh").exit_code == 0
    for n, member in enumerate(("A", "B"), start=1):
        result = invoke("member", "add", "--alliance", "rd", "--code", member, "--name", f"{member} 公司",
                        "--credit-code", credit_code(n))
        assert result.exit_code == 0, result.output
    invoke.url = database_url  # type: ignore[attr-defined]
    return invoke


def _count(url: str) -> int:
    store = Store.open(url, migrate=False)
    try:
        with store.engine.connect() as c:
            return int(c.execute(select(func.count()).select_from(competition_screenings)).scalar_one())
    finally:
        store.close()


def test_screen_justify_list_and_refuse(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    result = cli("competition", "run", "-a", "rd", "--occasion", "forming", "--product", "精密轴承", "--region", "中国",
                 "--member", "A=20", "--member", "B=20", "--other", "X=30", "--other", "Y=30")
    assert result.exit_code == 0, result.output
    assert "HHI 2,600 → 3,400 · ΔHHI 800" in result.output
    assert "presumed to substantially lessen competition" in result.output and "not legal advice" in result.output
    sheet = tmp_path / "markets.csv"
    sheet.write_text("product,region,relation,size,name,role,share,sales\n"
                     "轴承,浙江,horizontal,1000,A,member,,50\n轴承,浙江,horizontal,1000,B,member,,40\n"
                     "芯片,中国,vertical,,A,member,24,\n", encoding="utf-8")
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    result = cli("competition", "run", "-a", "rd", "--file", str(sheet), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [m["combined_share"] for m in data["markets"]] == ["9", "24"] and not data["flagged"]
    assert data["markets"][0]["sets"][0]["verdict_name"] == "未超过阈值"  # said in the terminal's language
    result = cli("competition", "justify", "1", "-a", "rd", "--text", "联合研发，不协调价格。")
    assert result.exit_code == 0, result.output
    result = cli("competition", "list", "-a", "rd", "--json")
    listed = json.loads(result.output)
    assert listed["pending_justification"] is None and [s["justified"] for s in listed["screenings"]] == [True, False]
    assert cli("competition", "sets", "--json").exit_code == 0
    monkeypatch.setenv("LANG", "C.UTF-8")
    before = _count(cli.url)
    result = cli("competition", "run", "-a", "rd", "--product", "p", "--region", "r", "--member", "A=120")
    assert result.exit_code != 0 and "more than 100%" in result.output
    result = cli("competition", "run", "-a", "rd", "--product", "p", "--region", "r", "--member", "Z=10")
    assert result.exit_code != 0 and "'Z' is not a current member" in result.output
    assert _count(cli.url) == before
