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
from tests.integration.test_inventory_board import SHARED_STOCK
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
    sharing.publish(store, "nb", "M0001", "stock", "inventory", SHARED_STOCK, 10,
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


def test_the_board_leaves_out_a_cost_its_member_does_not_share(cli, store: Store, clock: FrozenClock,  # type: ignore[no-untyped-def]
                                                               tmp_path: Path) -> None:
    (tmp_path / "stock.csv").write_text(STOCK, encoding="utf-8")
    (tmp_path / "hidden.csv").write_text("snapshot_day,sku,location,region,quantity,age_days,unit_cost\n"
                                         "2026-11-20,SKU-9,WH-SH,上海,3,300,98.76\n", encoding="utf-8")
    for member, name in (("M0001", "stock.csv"), ("M0002", "hidden.csv")):
        result = cli("dataset", "import", "inventory", str(tmp_path / name), "--alliance", "nb", "--member", member)
        assert result.exit_code == 0, result.output
    sharing.publish(store, "nb", "M0002", "stock", "inventory", {**SHARED_STOCK, "unit_cost": "hidden"}, 10, "M0002",
                    clock)
    result = cli("inventory", "board", "--alliance", "nb", "--as-of", "2026-11-21")
    assert result.exit_code == 0, result.output
    assert "SKU-9" in result.output and "M0002" in result.output and "98.76" not in result.output
    assert "296.28" not in result.output and "2248.00" in result.output  # M0001's cost alone
    result = cli("inventory", "board", "--alliance", "nb", "--as-of", "2026-11-21", "--json")
    body = json.loads(result.output)
    assert body["cost_withheld"] == ["M0002"] and "9876" not in result.output and "29628" not in result.output
    row = next(x for x in body["rows"] if x["member"] == "M0002")
    assert row["value"] is None and row["slow"] is True  # its age is shared: still flagged
