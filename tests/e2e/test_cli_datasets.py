"""`alliance dataset key new|pseudonymise|import` end to end: a key made once and never overwritten,
a file of phone numbers pseudonymised on the member's side (a bad number named, nothing written),
then imported; a bad dataset file refused with its rows named and nothing stored."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alliance.cli.main import app
from alliance.core.clock import FrozenClock
from alliance.datashare.datasets import KINDS
from alliance.registry import service as registry
from alliance.store.database import Store
from alliance.store.facts import FactStore
from tests.support.factories import make_alliance, member_values

runner = CliRunner()
RAW = ("event_id,手机,member,event_type,occurred_at,value\n"
       "E1,138 0013 8000,M0001,purchase,2027-01-10T10:00:00+08:00,99.00\n"
       "E2,13900139000,M0002,visit,2027-01-11T10:00:00+08:00,\n")


@pytest.fixture
def cli(store: Store, clock: FrozenClock, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ALLIANCE_DATABASE_URL", database_url)
    monkeypatch.setenv("ALLIANCE_FACTS_PATH", str(tmp_path / "facts.duckdb"))
    monkeypatch.setenv("COLUMNS", "200")
    make_alliance(store, clock, code="nb")
    for n in (1, 2):
        registry.add_member(store, "nb", member_values(n), clock)

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args))

    return invoke


def stored(tmp_path: Path) -> int:
    facts = FactStore(tmp_path / "facts.duckdb")
    try:
        return facts.dataset_count("nb", "M0001", KINDS["customer_events"])
    finally:
        facts.close()


def test_key_pseudonymise_and_import(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    key = tmp_path / "alliance.key"
    result = cli("dataset", "key", "new", "--out", str(key))
    assert result.exit_code == 0, result.output
    assert len(key.read_text().strip()) == 64 and stat.S_IMODE(key.stat().st_mode) == 0o600
    before = key.read_text()
    assert cli("dataset", "key", "new", "--out", str(key)).exit_code != 0 and key.read_text() == before

    (tmp_path / "raw.csv").write_text(RAW + "E3,12345,M0001,visit,2027-01-11T10:00:00+08:00,\n", encoding="utf-8")
    events = tmp_path / "events.csv"
    result = cli("dataset", "pseudonymise", str(tmp_path / "raw.csv"), "--column", "手机", "--kind", "phone",
                 "--key-file", str(key), "--out", str(events))
    assert result.exit_code != 0 and "row 4" in result.output and not events.exists()

    (tmp_path / "raw.csv").write_text(RAW, encoding="utf-8-sig")
    result = cli("dataset", "pseudonymise", str(tmp_path / "raw.csv"), "--column", "手机", "--kind", "phone",
                 "--key-file", str(key), "--out", str(events))
    assert result.exit_code == 0, result.output
    written = events.read_text(encoding="utf-8")
    assert written.startswith("event_id,customer_key,") and "138" not in written.split("\n", 1)[1].split(",")[1]

    result = cli("dataset", "import", "customer_events", str(events), "--alliance", "nb", "--member", "M0001")
    assert result.exit_code == 0, result.output
    assert stored(tmp_path) == 2
    result = cli("dataset", "import", "customer_events", str(events), "--alliance", "nb", "--member", "M0001")
    assert result.exit_code == 0 and stored(tmp_path) == 2


def test_a_bad_dataset_file_is_refused_whole(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "events.csv"
    bad.write_text("event_id,customer_key,member,event_type,occurred_at\n"
                   f"E1,{'a' * 64},M0001,visit,2027-01-10T10:00:00+08:00\n"
                   f"E2,{'a' * 64},M0042,visit,2027-01-10T10:00:00+08:00\n", encoding="utf-8")
    result = cli("dataset", "import", "customer_events", str(bad), "--alliance", "nb", "--member", "M0001")
    assert result.exit_code != 0 and "row 3" in result.output and "M0042" in result.output
    assert stored(tmp_path) == 0
