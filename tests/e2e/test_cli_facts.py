"""`alliance facts export|import`: the order lines to hive-partitioned Parquet and back (no Spark
needed: DuckDB writes and reads the copy)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from alliance.cli.main import app
from tests.support.factories import credit_code

runner = CliRunner()
HEADER = "line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,cost,attributed_to,refund_of,currency\n"
LINES = ("L1,O1,2027-01-14T10:00:00+08:00,M1,M2,store,S1,1,99.90,12.00,,,CNY\n"
         "L2,O2,2027-01-15T23:59:00+08:00,M2,M1,mini-program,S2,3,10.01,,M1;M2,,CNY\n"
         "L3,O3,2027-01-15T08:00:00+08:00,M1,M1,store,S1,1,-99.90,,,L1,CNY\n")


def cli(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), catch_exceptions=False)


def home(monkeypatch: pytest.MonkeyPatch, folder: Path) -> Path:
    """A data directory of its own (SQLite and the fact store in it); the fact store's path."""
    folder.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("ALLIANCE_HOME", str(folder))
    monkeypatch.delenv("ALLIANCE_DATABASE_URL", raising=False)
    monkeypatch.delenv("ALLIANCE_FACTS_PATH", raising=False)
    monkeypatch.delenv("ALLIANCE_FACTS_ENGINE", raising=False)
    return folder / "facts.duckdb"


def stored(facts: Path) -> list[tuple[object, ...]]:
    db = duckdb.connect(str(facts), read_only=True)
    try:
        return db.execute("SELECT alliance, line_id, order_id, epoch_us(occurred_at), business_day, seller, "
                          "product_owner, channel, sku, quantity, amount_minor, cost_minor, currency, attributed_to, "
                          "refund_of, epoch_us(ingested_at) FROM order_lines ORDER BY alliance, line_id").fetchall()
    finally:
        db.close()


def founded_with_lines(monkeypatch: pytest.MonkeyPatch, folder: Path, lines: str) -> Path:
    facts = home(monkeypatch, folder)
    assert cli("alliance", "create", "nb", "--name", "宁波精密零部件企业联盟", "--kind", "sme",
               "--structure", "umbrella").exit_code == 0
    for n in (1, 2):
        cli("member", "add", "-a", "nb", "--code", f"M{n}", "--name", f"企业{n}", "--credit-code", credit_code(n))
    batch = folder / "lines.csv"
    batch.write_text(HEADER + lines, encoding="utf-8")
    r = cli("orders", "import", str(batch), "-a", "nb")
    assert r.exit_code == 0, r.stderr
    return facts


def test_export_then_import_into_a_fresh_home_gives_the_same_lines(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    facts = founded_with_lines(monkeypatch, tmp_path / "one", LINES)
    copy = tmp_path / "copy"
    r = cli("facts", "export", str(copy))
    assert r.exit_code == 0, r.stderr
    assert "3 order lines of 1 alliance(s) exported" in r.stdout
    # The layout the Spark engine reads, and the batch's marker beside it.
    days = sorted(p.name for p in (copy / "alliance=nb").iterdir())
    assert days == ["business_day=2027-01-14", "business_day=2027-01-15"]
    assert list((copy / "_batches" / "alliance=nb").glob("*.csv"))

    # Exported again into the same directory, the lines are replaced, not added twice.
    again = cli("facts", "export", str(copy))
    assert again.exit_code == 0 and "3 order lines of 1 alliance(s) exported" in again.stdout
    assert len(list((copy / "alliance=nb").rglob("*.parquet"))) == 2

    fresh = home(monkeypatch, tmp_path / "two")
    r = cli("facts", "import", str(copy))
    assert r.exit_code == 0, r.stderr
    assert "3 order lines of 1 alliance(s) imported" in r.stdout
    assert stored(fresh) == stored(facts)
    # Importing the same copy again adds nothing (every line is a duplicate).
    r = cli("facts", "import", str(copy))
    assert r.exit_code == 0 and "0 order lines of 0 alliance(s)" in r.stdout
    assert stored(fresh) == stored(facts)


def test_an_export_refuses_a_directory_holding_something_else(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    founded_with_lines(monkeypatch, tmp_path / "one", LINES)
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "notes.txt").write_text("not order lines", encoding="utf-8")
    r = cli("facts", "export", str(copy), "--alliance", "nb")
    assert r.exit_code == 2 and "is not empty and is not an earlier export" in r.stderr
    assert sorted(p.name for p in copy.iterdir()) == ["notes.txt"]
    r = cli("facts", "export", "s3a://bucket/lines")
    assert r.exit_code == 2 and "name a directory" in r.stderr


def test_a_conflicting_import_changes_nothing_and_says_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    founded_with_lines(monkeypatch, tmp_path / "one", LINES)
    copy = tmp_path / "copy"
    assert cli("facts", "export", str(copy)).exit_code == 0
    # Another home where L2 was sent with another amount, beside a line of its own.
    other = founded_with_lines(monkeypatch, tmp_path / "two",
                               "L2,O2,2027-01-15T23:59:00+08:00,M2,M1,mini-program,S2,3,10.02,,M1;M2,,CNY\n"
                               "L9,O9,2027-01-15T09:00:00+08:00,M1,M2,store,S1,1,1.00,,,,CNY\n")
    before = stored(other)
    r = cli("facts", "import", str(copy))
    assert r.exit_code != 0
    assert "nb/L2" in r.stderr and "other content" in r.stderr and "nothing was imported" in r.stderr
    assert stored(other) == before  # all or nothing: not even L1 and L3 were added
