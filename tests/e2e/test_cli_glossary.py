"""`alliance term ...` and `alliance article ...` end to end (SQLite and PostgreSQL): propose, a
duplicate refused with a non-zero exit naming the term and nothing stored, agree, edit (a new version),
search in both languages, JSON output; articles written from a file, shown as sanitised HTML."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from alliance.cli.main import app
from alliance.store.database import Store
from alliance.store.tables import glossary_term_versions
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

    assert invoke("alliance", "create", "nb", "--name", "宁波联盟", "--kind", "sme", "--structure", "mesh").exit_code == 0
    for n, member in enumerate(("M1", "M2"), start=1):
        assert invoke("member", "add", "--alliance", "nb", "--code", member, "--name", f"{member} 公司",
                      "--credit-code", credit_code(n)).exit_code == 0
    return invoke


def _versions(database_url: str) -> int:
    store = Store.open(database_url, migrate=False)
    try:
        with store.engine.connect() as c:
            return int(c.execute(select(func.count()).select_from(glossary_term_versions)).scalar_one())
    finally:
        store.close()


def test_terms_from_the_command_line(cli, database_url: str) -> None:  # type: ignore[no-untyped-def]
    made = cli("term", "propose", "-a", "nb", "--zh", "托盘位", "--en", "pallet position", "--definition-zh",
               "放一个托盘的位置", "--synonym", "板位", "--industry", "仓储", "--format", "json")
    assert made.exit_code == 0, made.output
    assert json.loads(made.output)[0]["status"] == "proposed"
    refused = cli("term", "propose", "-a", "nb", "--zh", "板位", "--definition-zh", "重复")
    assert refused.exit_code != 0 and "term 1" in " ".join(refused.output.split())
    assert _versions(database_url) == 1
    agreed = cli("term", "agree", "1", "-a", "nb", "--format", "json")
    assert agreed.exit_code == 0 and json.loads(agreed.output)[0]["agreed_version"] == 2
    edited = cli("term", "edit", "1", "-a", "nb", "--definition-en", "The space for one pallet.", "--format", "json")
    assert edited.exit_code == 0 and json.loads(edited.output)[0]["status"] == "proposed"
    shown = cli("term", "show", "1", "-a", "nb", "--format", "json")
    assert [v["status"] for v in json.loads(shown.output)["versions"]] == ["proposed", "agreed", "proposed"]
    found = cli("term", "list", "-a", "nb", "-q", "PALLET", "--format", "json")
    assert [t["number"] for t in json.loads(found.output)] == [1]
    assert "托盘位" in cli("term", "list", "-a", "nb", "-q", "板位").output


def test_articles_from_the_command_line(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("term", "propose", "-a", "nb", "--zh", "托盘位", "--en", "pallet position", "--definition-zh",
               "放一个托盘的位置").exit_code == 0
    assert cli("term", "agree", "1", "-a", "nb").exit_code == 0
    body = tmp_path / "a.md"
    body.write_text("# 入库\n\n托盘位要预约。<script>alert(1)</script>\n", encoding="utf-8")
    made = cli("article", "write", "-a", "nb", "--title", "入库须知", "--body-file", str(body), "--term", "1",
               "--format", "json")
    assert made.exit_code == 0, made.output
    shown = cli("article", "show", "1", "-a", "nb", "--html", "--format", "json")
    html = json.loads(shown.output)["html"]
    assert "<script>" not in html and 'class="term"' in html
    assert cli("article", "edit", "1", "-a", "nb", "--title", "入库须知（新）").exit_code == 0
    found = cli("article", "list", "-a", "nb", "-q", "pallet", "--format", "json")
    assert [a["title"] for a in json.loads(found.output)] == ["入库须知（新）"]
    refused = cli("article", "write", "-a", "nb", "--title", "x", "--body", "y", "--term", "9")
    assert refused.exit_code != 0 and "no term 9" in " ".join(refused.output.split())
