"""`alliance rates import|list` end to end: a file imported with its summary, imported again as
duplicates, a bad file refused with a table of its rows and nothing stored, a member's admin
refused; the list filtered by currency, as JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from alliance.access import service as access
from alliance.access.roles import Role
from alliance.cli.main import app
from alliance.core.clock import FrozenClock
from alliance.registry import service as registry
from alliance.store.database import Store
from alliance.store.tables import fx_rates
from tests.support.factories import credit_code, make_alliance

runner = CliRunner()
CSV = ("day,currency,rate,source\n2026-11-19,USD,7.11,PBOC central parity\n2026-11-19,EUR,7.521,ECB reference\n"
       "2026-11-20,USD,7.1234,PBOC central parity\n")


@pytest.fixture
def cli(store: Store, clock: FrozenClock, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ALLIANCE_DATABASE_URL", database_url)
    monkeypatch.setenv("ALLIANCE_FACTS_PATH", str(tmp_path / "facts.duckdb"))
    monkeypatch.setenv("COLUMNS", "200")
    make_alliance(store, clock, code="tea")
    registry.add_member(store, "tea", {"code": "A", "name": "A 公司", "credit_code": credit_code(1)}, clock)
    access.create_user(store, "adm-a", "a long enough password", "adm-a", clock)
    access.grant_role(store, "adm-a", Role.MEMBER_ADMIN, "tea", "A")

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args))

    return invoke


def count(store: Store) -> int:
    with store.engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(fx_rates)).scalar_one())


def test_import_and_list(cli, store: Store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    file = tmp_path / "rates.csv"
    file.write_text(CSV, encoding="utf-8-sig")
    done = cli("rates", "import", str(file), "--alliance", "tea")
    assert done.exit_code == 0, done.output
    assert "EUR, USD" in done.output and "2026-11-19 .. 2026-11-20" in done.output
    again = cli("rates", "import", str(file), "--alliance", "tea")
    assert again.exit_code == 0 and "Nothing new: all 3 rates were stored already." in again.output
    listed = cli("rates", "list", "--alliance", "tea", "--currency", "usd", "--format", "json")
    assert listed.exit_code == 0, listed.output
    body = json.loads(listed.output)
    assert body["total"] == 2 and [r["rate"] for r in body["items"]] == ["7.1234", "7.11"]
    table = cli("rates", "list", "--alliance", "tea")
    assert table.exit_code == 0 and "rate (in CNY)" in table.output and "7.521" in table.output
    huge = cli("rates", "list", "--alliance", "tea", "--limit", "100000")  # a page, not the whole register
    assert huge.exit_code != 0 and "1000" in huge.output


def test_a_bad_file_is_refused_whole(cli, store: Store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    file = tmp_path / "rates.csv"
    file.write_text(CSV + "2026-11-21,USD,0,PBOC\n2026-11-21,XYZ,1,PBOC\n", encoding="utf-8")
    refused = cli("rates", "import", str(file), "--alliance", "tea")
    assert refused.exit_code == 2
    assert "row 5" in refused.output and "greater than zero" in refused.output and "row 6" in refused.output
    assert count(store) == 0
    file.write_text(CSV, encoding="utf-8")
    member = cli("rates", "import", str(file), "--alliance", "tea", "--as", "adm-a")
    assert member.exit_code != 0 and "may not import orders" in member.output
    missing = cli("rates", "import", str(tmp_path / "nope.csv"), "--alliance", "tea")
    assert missing.exit_code == 2 and "cannot read" in missing.output
    assert count(store) == 0
