"""`alliance incident ...` end to end: a member's admin reports, the operator runs it to closing,
the SOP and clocks are edited, `escalate` escalates a late incident once; refusals are one line, a
non-zero exit, and nothing stored."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from alliance.access import service as access
from alliance.access.roles import Principal, Role
from alliance.cli.main import app
from alliance.core.clock import FrozenClock
from alliance.health.incidents import service as incidents
from alliance.registry import service as registry
from alliance.store.database import Store
from alliance.store.tables import incident_events, incidents as incident_table
from tests.support.factories import credit_code, make_alliance

runner = CliRunner()
PASSWORD = "a long enough password"


@pytest.fixture
def cli(store: Store, clock: FrozenClock, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ALLIANCE_DATABASE_URL", database_url)
    monkeypatch.setenv("ALLIANCE_FACTS_PATH", str(tmp_path / "facts.duckdb"))
    make_alliance(store, clock, code="tea")
    for n, code in enumerate(("A", "B", "C"), start=1):
        registry.add_member(store, "tea", {"code": code, "name": f"{code} 公司", "credit_code": credit_code(n)}, clock)
    for user, member in (("adm-a", "A"), ("adm-c", "C")):
        access.create_user(store, user, PASSWORD, user, clock)
        access.grant_role(store, user, Role.MEMBER_ADMIN, "tea", member)

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args))

    return invoke


def rows(store: Store) -> tuple[object, ...]:
    with store.engine.connect() as c:
        return tuple(tuple(c.execute(select(t).order_by(t.c.id)).all()) for t in (incident_table, incident_events))


def test_an_incident_from_the_command_line(cli, store: Store) -> None:  # type: ignore[no-untyped-def]
    opened = cli("incident", "open", "-a", "tea", "--title", "客户投诉", "--kind", "user_complaint", "--severity",
                 "SEV1", "--member", "B", "--as", "adm-a", "--json")
    assert opened.exit_code == 0, opened.output
    assert json.loads(opened.output)["reporter_member"] == "A"
    hidden = cli("incident", "show", "1", "-a", "tea", "--as", "adm-c")
    assert hidden.exit_code != 0 and "no incident 1" in hidden.output
    refused = cli("incident", "ack", "1", "-a", "tea", "--as", "adm-a")
    assert refused.exit_code != 0 and "lead or the scribe" in refused.output
    for args in (("ack", "1"), ("tick", "1", "--step", "1"), ("update", "1", "--text", "已致电客户"),
                 ("assign", "1", "--role", "scribe"), ("resolve", "1", "--note", "已退款"),
                 ("review", "1", "--summary", "快递破损", "--causes", "包装不足",
                  "--action", "加固包装|B|2099-01-31")):
        done = cli("incident", *args, "-a", "tea")
        assert done.exit_code == 0, (args, done.output)
    closed = cli("incident", "close", "1", "-a", "tea", "--json")
    assert closed.exit_code == 0 and json.loads(closed.output)["status"] == "closed"
    shown = cli("incident", "show", "1", "-a", "tea")
    assert "[x] 1." in shown.output and "已致电客户" in shown.output
    listed = cli("incident", "list", "-a", "tea", "--as", "adm-a")
    assert listed.exit_code == 0 and "客户投诉" in listed.output


def test_refusals_store_nothing(cli, store: Store) -> None:  # type: ignore[no-untyped-def]
    assert cli("incident", "open", "-a", "tea", "--title", "t", "--kind", "other").exit_code == 0
    before = rows(store)
    for args in (("open", "-a", "tea", "--title", "t", "--kind", "flood"),
                 ("close", "1", "-a", "tea"),
                 ("tick", "1", "-a", "tea", "--step", "9"),
                 ("review", "1", "-a", "tea", "--summary", "s", "--causes", "c", "--action", "bad"),
                 ("sop", "-a", "tea", "--kind", "other", "--step", "|"),
                 ("sop", "-a", "tea", "--priority", "1", "--acknowledge-minutes", "90", "--resolve-minutes", "10")):
        refused = cli("incident", *args)
        assert refused.exit_code != 0 and refused.output.startswith("error"), (args, refused.output)
    assert rows(store) == before


def test_sop_and_clocks(cli, store: Store) -> None:  # type: ignore[no-untyped-def]
    saved = cli("incident", "sop", "-a", "tea", "--kind", "other", "--step", "Call|致电", "--step", "Log|记录",
                "--priority", "4", "--acknowledge-minutes", "30", "--resolve-minutes", "300", "--json")
    assert saved.exit_code == 0, saved.output
    found = json.loads(saved.output.split("\n", 1)[1])
    assert found["sops"]["other"]["version"] == 1 and found["clocks"]["P4"]["acknowledge_minutes"] == 30


def test_escalate_once(cli, store: Store) -> None:  # type: ignore[no-untyped-def]
    # Opened long ago: late by the real clock the command uses, whenever the test runs.
    long_ago = FrozenClock(datetime(2020, 1, 1, tzinfo=UTC))
    incidents.open_incident(store, "tea", Principal("c", Role.COORDINATOR, "tea"), long_ago, title="t",
                            kind="system_failure", severity="SEV2")
    first = cli("incident", "escalate")
    assert first.exit_code == 0 and "2 escalated" in first.output and "no committee meeting ahead" in first.output
    again = cli("incident", "escalate")
    assert again.exit_code == 0 and "0 escalated" in again.output
