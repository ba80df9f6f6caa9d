"""`alliance orders check` and `set-aside`: the coordinator's way out of lines stored before import bounded them."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from alliance.cli.main import app
from tests.support.factories import credit_code

runner = CliRunner()


def test_check_lists_what_no_run_can_settle_and_set_aside_moves_it(database_url: str, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLIANCE_DATABASE_URL", database_url)
    monkeypatch.setenv("ALLIANCE_FACTS_PATH", str(tmp_path / "facts.duckdb"))

    def cli(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), catch_exceptions=False)

    cli("alliance", "create", "nb", "--name", "宁波精密零部件企业联盟", "--kind", "sme", "--structure", "umbrella")
    for n in (1, 2):
        cli("member", "add", "-a", "nb", "--code", f"M{n}", "--name", f"企业{n}", "--credit-code", credit_code(n))
    lines = tmp_path / "lines.csv"
    lines.write_text("line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,currency\n"
                     "L1,O1,2027-01-15T10:00:00+08:00,M1,M2,store,S1,1,99.90,CNY\n", encoding="utf-8")
    assert cli("orders", "import", str(lines), "-a", "nb").exit_code == 0
    r = cli("orders", "check", "-a", "nb")
    assert r.exit_code == 0 and "within the import bounds" in r.stdout
    # A line of year 1, as a version before the bounds stored it.
    db = duckdb.connect(str(tmp_path / "facts.duckdb"))
    db.execute("""INSERT INTO order_lines BY NAME SELECT alliance, 'OLD' AS line_id, order_id,
                  TIMESTAMPTZ '0001-01-01 00:00:00+14' AS occurred_at,
                  DATE '0001-12-31 (BC)' AS business_day, seller, product_owner, channel, sku, quantity, amount_minor,
                  cost_minor,
                  currency, attributed_to, refund_of, ingested_at FROM order_lines WHERE line_id = 'L1'""")
    db.close()
    r = cli("orders", "check", "-a", "nb")
    assert r.exit_code == 2 and "OLD" in r.stderr and "outside the years 2000 to 2099" in r.stderr
    r = cli("orders", "set-aside", "L1", "-a", "nb", "--reason", "no reason")
    assert r.exit_code == 2 and "settles as it is" in r.stderr and "nothing was" in r.stderr
    r = cli("orders", "set-aside", "OLD", "-a", "nb", "--reason", "feed sent year 1")
    assert r.exit_code == 0 and "1 line(s) set aside" in r.stdout
    assert cli("orders", "check", "-a", "nb").exit_code == 0
    assert cli("orders", "count", "-a", "nb").stdout.strip() == "1"
    assert "orders.set_aside" in cli("ledger", "entries", "-a", "nb").stdout
