"""One statement document: the API's answer and the CLI's JSON are the same document (amounts as
exact decimal strings, `version` a number, `adjustment_of` null or a date), and the CLI's CSV is
its lines as cells."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from alliance.cli.main import app as cli_app
from alliance.core.clock import FrozenClock
from alliance.server import create_app
from alliance.settlement import service as settlement
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from tests.support.factories import hardware_split
from tests.support.http import admin_headers

HEADER = "line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,refund_of,currency"


def test_the_api_and_the_cli_give_one_statement_document(store: Store, database_url: str, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    hardware_split(store, FrozenClock(datetime(2026, 11, 22, 2, tzinfo=UTC)))
    csv = tmp_path / "lines.csv"
    csv.write_text(f"{HEADER}\nL1,O1,2026-12-05T10:00:00+08:00,HW,HW,store,HW-1,1,1000.01,,CNY\n", encoding="utf-8")
    facts_path = tmp_path / "facts.duckdb"
    facts = FactStore(facts_path)
    stores = Stores(store, facts)
    try:
        settlement.import_order_lines(stores, "cloud-hw", csv, None, FrozenClock(datetime(2026, 12, 5, 8, tzinfo=UTC)))
        settlement.settle(stores, "cloud-hw", date(2026, 12, 5), "财务", FrozenClock(datetime(2026, 12, 6, 2, tzinfo=UTC)))
    finally:
        facts.close()
    with TestClient(create_app(store, FrozenClock(datetime(2026, 12, 6, 2, tzinfo=UTC)), facts_path)) as client:
        api = client.get("/api/v1/alliances/cloud-hw/statements/SW", params={"day": "2026-12-05"},
                         headers=admin_headers(store))
    assert api.status_code == 200, api.text
    monkeypatch.setenv("ALLIANCE_DATABASE_URL", database_url)
    runner = CliRunner()
    as_json = runner.invoke(cli_app, ["statement", "-a", "cloud-hw", "--member", "SW", "--day", "2026-12-05", "-f", "json"])
    assert as_json.exit_code == 0, as_json.output
    document = json.loads(as_json.stdout)
    assert document == api.json()
    assert document["lines"] == [{"agreement": "hw-split", "version": 1, "rule": "hw-profit", "kind": "fixed_split",
                                  "base": "1000.01", "rate": "0.3", "amount": "300.00", "adjustment_of": None,
                                  "correction_of": None}]
    as_csv = runner.invoke(cli_app, ["statement", "-a", "cloud-hw", "--member", "SW", "--day", "2026-12-05", "-f", "csv"])
    assert as_csv.stdout.splitlines()[-1].lstrip("\ufeff") == "hw-split,1,hw-profit,fixed_split,1000.01,0.3,300.00,,"
