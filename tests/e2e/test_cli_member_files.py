"""`alliance member import` of a file with many bad rows: the first 100 problems, a count of the
rest, every one in `--problems-file` (issue 17)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alliance.cli.main import app
from tests.support.factories import credit_code

runner = CliRunner()


def test_problems_are_capped_on_screen_and_written_whole_on_request(database_url: str, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLIANCE_DATABASE_URL", database_url)

    def cli(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), catch_exceptions=False)

    cli("alliance", "create", "nb", "--name", "宁波联盟", "--kind", "sme", "--structure", "umbrella")
    path = tmp_path / "members.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["code", "name", "credit_code", "joined_on"])
        for n in range(1, 251):
            writer.writerow([f"M{n}", f"企业{n}", credit_code(n), "2026/2/30" if n > 1 else "2026/2/28"])
    r = cli("member", "import", str(path), "-a", "nb")
    assert r.exit_code == 2
    assert "249 bad row(s); nothing was imported (the first 100 of 249 problems are listed)" in r.stderr
    assert "row 102 " in r.stderr and "row 103 " not in r.stderr  # rows 3 to 102
    assert "... and 149 more problem(s): pass --problems-file PATH to write all 249 to a file." in r.stderr
    listed = tmp_path / "problems.csv"
    r = cli("member", "import", str(path), "-a", "nb", "--problems-file", str(listed))
    assert r.exit_code == 2 and f"all 249 are in {listed}" in r.stderr.replace("\n", "")
    with listed.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["where", "column", "problem"] and len(rows) == 250 and rows[-1][0] == "row 251"
    assert cli("member", "list", "-a", "nb", "-f", "json").stdout.strip() == "[]"
    r = cli("member", "import", str(path), "-a", "nb", "--problems-file", str(tmp_path / "no" / "dir.csv"))
    assert r.exit_code == 2 and "cannot write" in r.stderr


def test_metrics_files_take_months_as_spreadsheets_write_them(database_url: str, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from openpyxl import Workbook
    from datetime import datetime

    monkeypatch.setenv("ALLIANCE_DATABASE_URL", database_url)

    def cli(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), catch_exceptions=False)

    cli("alliance", "create", "nb", "--name", "宁波联盟", "--kind", "sme", "--structure", "umbrella")
    cli("member", "add", "-a", "nb", "--code", "M1", "--name", "企业1", "--credit-code", credit_code(1))
    book = Workbook()
    book.active.append(["period", "metric", "member", "value"])
    book.active.append([datetime(2026, 10, 1), "users", "M1", 10])  # Excel made a date of "2026-10"
    book.active.append(["2026/11", "users", "M1", 11])
    book.active.append(["2026年12月", "users", "M1", 12])
    book.save(tmp_path / "metrics.xlsx")
    r = cli("metrics", "import", str(tmp_path / "metrics.xlsx"), "-a", "nb")
    assert r.exit_code == 0, r.output
    assert "Recorded 3 metric value(s)" in r.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("period,metric,member,value\n2027/13,users,M1,1\n", encoding="utf-8")
    r = cli("metrics", "import", str(bad), "-a", "nb")
    assert r.exit_code == 2 and "'2027/13' is not a month" in r.stderr
