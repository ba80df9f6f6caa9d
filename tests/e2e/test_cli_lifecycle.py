"""`alliance alliance status|edit|history` and a dissolved alliance refusing writes from the command
line with one line and a non-zero exit. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alliance.cli.main import app
from tests.support.factories import credit_code

runner = CliRunner()


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ALLIANCE_DATABASE_URL", database_url)
    monkeypatch.setenv("ALLIANCE_ACTOR", "秘书长")

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), catch_exceptions=False)

    made = invoke("alliance", "create", "nb", "--name", "宁波联盟", "--status", "forming", "--planned-end", "2099-12-31")
    assert made.exit_code == 0, made.output
    return invoke


def shown(cli) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return json.loads(cli("alliance", "show", "nb", "--format", "json").stdout)


def test_the_status_moves_along_the_lifecycle_and_the_history_says_so(cli) -> None:  # type: ignore[no-untyped-def]
    assert shown(cli)["status"] == "forming" and shown(cli)["planned_end"] == "2099-12-31"
    r = cli("alliance", "status", "nb", "active")
    assert r.exit_code == 0 and "nb is now active (was forming)" in r.stdout
    r = cli("alliance", "status", "nb", "suspended", "--decided-by", "proposal 3", "--reason", "争议")
    assert r.exit_code == 0
    history = json.loads(cli("alliance", "history", "nb", "--format", "json").stdout)
    assert [(h["old"], h["new"], h["decided_by"], h["actor"]) for h in history] == [
        ("active", "suspended", "proposal 3", "秘书长"), ("forming", "active", None, "秘书长")]


def test_details_are_edited_and_bad_input_is_one_line(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    charter = tmp_path / "charter.txt"
    charter.write_text("第一条 联盟宗旨\n", encoding="utf-8")
    r = cli("alliance", "edit", "nb", "--name", "宁波精密联盟", "--charter-file", str(charter), "--no-planned-end")
    assert r.exit_code == 0 and "Changed name, charter, planned_end of nb." in r.stdout
    assert (shown(cli)["name"], shown(cli)["charter"], shown(cli)["planned_end"]) == ("宁波精密联盟", "第一条 联盟宗旨", None)
    before = shown(cli)
    for args, expected in ((("--planned-end", "2000-01-01"), "is in the past"),
                           (("--planned-end", "soon"), "--planned-end: 'soon' is not a date"),
                           (("--name", " "), "name is required")):
        r = cli("alliance", "edit", "nb", *args)
        assert r.exit_code == 2 and expected in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    r = cli("alliance", "status", "nb", "paused")
    assert r.exit_code == 2 and "unknown status 'paused'" in r.stderr
    assert shown(cli) == before


def test_a_dissolved_alliance_refuses_writes_in_one_line_and_still_reads(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("alliance", "status", "nb", "dissolving")
    assert r.exit_code == 2 and "only by the alliance's decision" in r.stderr
    for state in ("dissolving", "dissolved"):
        assert cli("alliance", "status", "nb", state, "--decided-by", "proposal 7").exit_code == 0
    r = cli("member", "add", "--alliance", "nb", "--code", "M1", "--name", "测试公司", "--credit-code", credit_code(1))
    assert r.exit_code == 2
    assert r.stderr.strip() == ("error: alliance 'nb' is dissolved: it accepts no more new members; its records can "
                                "still be read")
    r = cli("alliance", "status", "nb", "active")
    assert r.exit_code == 2 and "which is final" in r.stderr
    r = cli("alliance", "edit", "nb", "--name", "复活")
    assert r.exit_code == 2 and "is dissolved" in r.stderr
    assert cli("member", "list", "--alliance", "nb").exit_code == 0
    assert shown(cli)["status"] == "dissolved" and shown(cli)["name"] == "宁波联盟"
