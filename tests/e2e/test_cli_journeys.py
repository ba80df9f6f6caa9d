"""`alliance journey compute|record|verify` end to end: the month's metrics as a table and as JSON,
recorded once (again: a no-op), verified; a bad month refused with exit 2 and nothing recorded."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from alliance.cli.main import app
from alliance.core.clock import FrozenClock
from alliance.datashare.datasets import service as datasets
from alliance.registry import service as registry
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from alliance.store.tables import period_metrics
from tests.support.factories import make_alliance, member_values

runner = CliRunner()


@pytest.fixture
def cli(store: Store, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ALLIANCE_DATABASE_URL", database_url)
    monkeypatch.setenv("ALLIANCE_FACTS_PATH", str(tmp_path / "facts.duckdb"))
    monkeypatch.setenv("ALLIANCE_ACTOR", "秘书长")
    monkeypatch.setenv("COLUMNS", "200")
    clock = FrozenClock(datetime(2026, 11, 2, tzinfo=UTC))
    make_alliance(store, clock, code="nb")
    for n in (1, 2):
        registry.add_member(store, "nb", member_values(n, joined_on="2026-01-01"), clock)
    facts = FactStore(tmp_path / "facts.duckdb")
    # October 2026 (long ended, whenever the test runs): M0001 a buys twice, b once; M0002 a once.
    rows = {"M0001": [("a", "purchase"), ("a", "purchase"), ("b", "purchase")], "M0002": [("a", "purchase")]}
    for member, events in rows.items():
        cells = [(n, {"event_id": f"{member}-{n}", "customer_key": (who.encode().hex() * 64)[:64], "member": member,
                      "event_type": kind, "occurred_at": f"2026-10-{n:02d}T10:00:00+08:00"})
                 for n, (who, kind) in enumerate(events, 1)]
        datasets.import_rows(Stores(store, facts), "nb", member, "customer_events", cells, clock)
    facts.close()
    return lambda *args: runner.invoke(app, list(args))


def _recorded(store: Store) -> int:
    with store.engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(period_metrics)).scalar_one())


def test_compute_record_verify(cli, store: Store) -> None:  # type: ignore[no-untyped-def]
    shown = cli("journey", "compute", "--alliance", "nb", "--period", "2026-10", "--json")
    assert shown.exit_code == 0, shown.output
    body = json.loads(shown.output)
    m1 = next(m for m in body["members"] if m["member"] == "M0001")
    assert m1["values"]["repurchase_rate"] == "0.5000" and m1["values"]["cross_member_purchase_rate"] == "0.5000"
    assert body["events"] == 4 and _recorded(store) == 0
    table = cli("journey", "compute", "-a", "nb", "-p", "2026-10")
    # (the table's width is the terminal's: headers may wrap, so only cells are looked for)
    assert table.exit_code == 0 and "M0001" in table.output and "0.5000" in table.output
    assert cli("journey", "record", "-a", "nb", "-p", "2026-10").exit_code == 0 and _recorded(store) == 8
    assert cli("journey", "record", "-a", "nb", "-p", "2026-10").exit_code == 0 and _recorded(store) == 8
    checked = cli("journey", "verify", "-a", "nb", "-p", "2026-10")
    assert checked.exit_code == 0 and "8 recorded journey metric(s) of 2026-10 agree" in " ".join(checked.output.split())


def test_a_bad_month_is_refused(cli, store: Store) -> None:  # type: ignore[no-untyped-def]
    bad = cli("journey", "record", "-a", "nb", "-p", "2026-13")
    assert bad.exit_code == 2 and "2026-13" in bad.output and _recorded(store) == 0
    assert cli("journey", "compute", "-a", "nobody", "-p", "2026-10").exit_code != 0
