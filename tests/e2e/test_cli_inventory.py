"""`alliance inventory board|turnover` end to end: the board of the members that publish an inventory
view, as a table and as JSON; a negative threshold refused with a clear message and exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alliance.cli.main import app
from alliance.core.clock import FrozenClock
from alliance.datashare import service as sharing
from alliance.registry import service as registry
from alliance.store.database import Store
from tests.support.factories import make_alliance, member_values

runner = CliRunner()
STOCK = ("snapshot_day,sku,location,region,quantity,age_days,unit_cost\n"
         "2026-11-20,SKU-1,WH-NB,浙江,120,135,18.50\n2026-11-20,SKU-2,WH-NB,浙江,4,3,7.00\n")


@pytest.fixture
def cli(store: Store, clock: FrozenClock, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ALLIANCE_DATABASE_URL", database_url)
    monkeypatch.setenv("ALLIANCE_FACTS_PATH", str(tmp_path / "facts.duckdb"))
    monkeypatch.setenv("COLUMNS", "200")
    make_alliance(store, clock, code="nb")
    for n in (1, 2):
        registry.add_member(store, "nb", member_values(n), clock)
    sharing.publish(store, "nb", "M0001", "stock", "inventory", {"sku": "visible", "quantity": "aggregate"}, 10,
                    "M0001", clock)

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args))

    return invoke


def test_board_and_turnover(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "stock.csv").write_text(STOCK, encoding="utf-8")
    result = cli("dataset", "import", "inventory", str(tmp_path / "stock.csv"), "--alliance", "nb", "--member", "M0001")
    assert result.exit_code == 0, result.output
    result = cli("inventory", "board", "--alliance", "nb", "--as-of", "2026-11-21")
    assert result.exit_code == 0, result.output
    assert "SKU-1" in result.output and "slow" in result.output and "2248.00" in result.output
    result = cli("inventory", "board", "--alliance", "nb", "--as-of", "2026-11-21", "--slow-after", "200", "--json")
    body = json.loads(result.output)
    assert body["totals"]["slow_quantity"] == 0 and body["participants"] == ["M0001"]
    result = cli("inventory", "turnover", "--alliance", "nb", "--as-of", "2026-11-21", "--months", "2")
    assert result.exit_code == 0, result.output
    assert "2026-10" in result.output and "2026-11" in result.output


def test_a_negative_threshold_is_refused(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("inventory", "board", "--alliance", "nb", "--slow-after", "-3")
    assert result.exit_code == 2
    assert "slow-moving threshold" in result.output
