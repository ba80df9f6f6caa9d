"""`alliance exit open|list|show|step|item|statement|ack|end` end to end: the operator opens M1's case
from its voluntary notice, a second case is refused (exit 2) with nothing stored, a hand-over item is
entered, the member's admin sees its own case, another member's does not, and the statement cannot be
acknowledged before the final settlement."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from alliance.access import service as access
from alliance.access.roles import Role
from alliance.cli.main import app
from alliance.core.clock import FrozenClock
from alliance.store.database import Store
from alliance.store.tables import exit_cases
from tests.support.exits import build

runner = CliRunner()


@pytest.fixture
def cli(store: Store, clock: FrozenClock, database_url: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Result]]:
    monkeypatch.setenv("ALLIANCE_DATABASE_URL", database_url)
    monkeypatch.setenv("ALLIANCE_FACTS_PATH", str(tmp_path / "facts.duckdb"))
    monkeypatch.setenv("COLUMNS", "200")
    build(store, clock, tmp_path).close()
    for user, member in (("adm-m1", "M1"), ("adm-m2", "M2")):
        access.create_user(store, user, "a long enough password", user, clock)
        access.grant_role(store, user, Role.MEMBER_ADMIN, "exit-a", member)

    def invoke(*args: str) -> Result:
        return runner.invoke(app, list(args))

    yield invoke


def count(store: Store) -> int:
    with store.engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(exit_cases)).scalar_one())


def test_open_show_item_and_refusals(cli: Callable[..., Result], store: Store) -> None:
    opened = cli("exit", "open", "M1", "--alliance", "exit-a", "--trigger", "voluntary", "--on", "2026-12-01",
                 "--format", "json")
    assert opened.exit_code == 0, opened.output
    doc = json.loads(opened.output)
    assert (doc["case"], doc["end_date"], doc["status"]) == (1, "2026-12-15", "open")
    assert {s["step"]: s["status"] for s in doc["steps"]}["agreements"] == "open"  # a version without it proposed
    again = cli("exit", "open", "M1", "--alliance", "exit-a", "--trigger", "insolvency", "--on", "2026-12-02")
    assert again.exit_code != 0 and "already has an open exit case" in again.output
    assert count(store) == 1
    bad = cli("exit", "open", "M2", "--alliance", "exit-a", "--trigger", "leaving", "--on", "2026-12-02")
    assert bad.exit_code != 0 and "is not a trigger" in bad.output and count(store) == 1
    item = cli("exit", "item", "1", "handover", "--alliance", "exit-a", "-f", "customer=宁波客户甲", "-f", "successor=M2",
               "-f", "continuity_until=2027-03-31", "--format", "json")
    assert item.exit_code == 0, item.output
    assert json.loads(item.output)["items"][0]["fields"]["successor"] == "M2"
    shown = cli("exit", "show", "1", "--alliance", "exit-a", "--as", "adm-m1")
    assert shown.exit_code == 0 and "Exit case 1: M1 (voluntary), ends 2026-12-15, open" in shown.output
    hidden = cli("exit", "show", "1", "--alliance", "exit-a", "--as", "adm-m2")
    assert hidden.exit_code != 0 and "no exit case 1" in hidden.output
    assert json.loads(cli("exit", "list", "--alliance", "exit-a", "--as", "adm-m2", "--format", "json").output) == []
    early = cli("exit", "ack", "1", "--alliance", "exit-a", "--as", "adm-m1")
    assert early.exit_code != 0 and "final settlement of exit case 1 is not done" in early.output
    statement = cli("exit", "statement", "1", "--alliance", "exit-a", "--as", "adm-m1")
    assert statement.exit_code == 0 and "Final statement of M1 through 2026-12-15" in statement.output
