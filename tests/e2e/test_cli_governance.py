"""`alliance body` and `alliance meeting` end to end (SQLite and PostgreSQL): a body set up and a
meeting run from the command line, its calendar file, and refusals as one line with a non-zero exit
that change nothing. The command line runs on the system clock: its meetings are far ahead."""

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
    return invoke


def _one_line_error(result, said: str) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and said in lines[0], result.output


def test_a_body_and_its_meeting_from_the_command_line(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rules = tmp_path / "rules.yaml"
    rules.write_text("approve_budget: {rule: two_thirds, params: {quorum: '0.5'}}\n", encoding="utf-8")
    made = cli("body", "create", "联合管理委员会", "-a", "nb", "--from", "2099-01-01", "--cadence", "quarterly",
               "--seat", "M1:chair", "--seat", "M2:secretary:lisi", "--seat", "M3:member", "--rules", str(rules))
    assert made.exit_code == 0, made.output
    assert "Body 1: 联合管理委员会 (joint_committee, quarterly, 3 seats)." in made.output
    listed = json.loads(cli("body", "list", "-a", "nb", "--json").stdout)
    assert listed[0]["seats"][1] == {"member": "M2", "role": "secretary", "person": "lisi"}

    scheduled = cli("body", "schedule", "1", "-a", "nb", "--first", "2099-01-15", "--count", "2")
    assert scheduled.exit_code == 0, scheduled.output
    assert "2099-01-15 10:00 +08:00" in scheduled.output and "2099-04-15 10:00 +08:00" in scheduled.output
    assert cli("meeting", "agenda", "1", "-a", "nb", "--title", "预算", "--time-box", "30", "--owner", "M1").exit_code == 0
    attended = cli("meeting", "attend", "1", "-a", "nb", "--entry", "M1:present", "--entry", "M3:proxy:M1")
    assert attended.exit_code == 0, attended.output
    assert cli("meeting", "minutes", "1", "1", "-a", "nb", "--text", "预算通过").exit_code == 0
    action = cli("meeting", "action", "1", "-a", "nb", "--title", "提交明细", "--owner", "M2", "--due", "2099-02-01",
                 "--item", "1")
    assert action.exit_code == 0, action.output
    shown = json.loads(cli("meeting", "show", "1", "-a", "nb", "--json").stdout)
    assert shown["agenda"][0]["minutes"] == "预算通过"
    assert shown["attendance"]["M3"] == {"presence": "proxy", "proxy": "M1"}
    assert shown["actions"][0]["owner"] == "M2"
    actions = json.loads(cli("meeting", "actions", "-a", "nb", "--json").stdout)
    assert [(a["title"], a["overdue"]) for a in actions] == [("提交明细", False)]

    out = tmp_path / "jmc.ics"
    assert cli("body", "calendar", "1", "-a", "nb", "--out", str(out)).exit_code == 0
    content = out.read_bytes()
    assert content.startswith(b"BEGIN:VCALENDAR\r\n") and b"DTSTART:20990115T020000Z\r\n" in content
    assert b"DTSTART;VALUE=DATE:20990201\r\n" in content
    assert cli("meeting", "close-action", "1", "-a", "nb").exit_code == 0
    assert json.loads(cli("meeting", "actions", "-a", "nb", "--json").stdout) == []


def test_refusals_are_one_line_and_change_nothing(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("body", "create", "JMC", "-a", "nb", "--from", "2099-01-01", "--seat", "M1:chair",
               "--seat", "M2:member").exit_code == 0
    assert cli("body", "schedule", "1", "-a", "nb", "--first", "2099-01-15", "--count", "1").exit_code == 0
    assert cli("meeting", "attend", "1", "-a", "nb", "--entry", "M1:present").exit_code == 0

    def snapshot() -> tuple[str, str]:
        return (cli("body", "list", "-a", "nb", "--json").stdout, cli("meeting", "show", "1", "-a", "nb", "--json").stdout)

    before = snapshot()
    _one_line_error(cli("body", "create", "WG", "-a", "nb", "--from", "2099-01-01", "--seat", "M9:chair"), "M9")
    _one_line_error(cli("body", "create", "WG", "-a", "nb", "--from", "2099-01-01", "--seat", "M1:boss"), "boss")
    _one_line_error(cli("body", "create", "WG", "-a", "nb", "--from", "2099-01-01", "--to", "2098-01-01"),
                    "before it starts")
    _one_line_error(cli("body", "schedule", "1", "-a", "nb", "--first", "2000-01-01"), "not after now")
    _one_line_error(cli("meeting", "agenda", "1", "-a", "nb", "--title", "x", "--time-box", "0"), "time box")
    _one_line_error(cli("meeting", "action", "1", "-a", "nb", "--title", "x", "--owner", "M1", "--due", "2099-01-01"),
                    "before the meeting")
    _one_line_error(cli("meeting", "attend", "1", "-a", "nb", "--entry", "M3:present"), "no seat")
    _one_line_error(cli("meeting", "attend", "1", "-a", "nb", "--entry", "M1:absent", "--entry", "M2:proxy:M1"),
                    "not recorded as present")
    _one_line_error(cli("meeting", "attend", "1", "-a", "nb", "--entry", "M2:proxy:M2"), "own proxy")
    assert snapshot() == before
