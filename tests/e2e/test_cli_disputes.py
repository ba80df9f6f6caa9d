"""`alliance dispute open|list|show|report|answer|withdraw`, end to end: a member's admin opens one
with an evidence file, the other party answers, the claimant withdraws; refusals are one line, a
non-zero exit, and nothing stored."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from alliance.access import service as access
from alliance.access.roles import Role
from alliance.cli.main import app
from alliance.core.clock import FrozenClock
from alliance.registry import service as registry
from alliance.settlement import service as settlement
from alliance.sharing import service as sharing
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from alliance.store.tables import disputes, ledger_entries
from tests.integration.test_disputes import AGREEMENT, HEADER, LINES
from tests.support.factories import admin_of, credit_code, make_alliance

runner = CliRunner()
PASSWORD = "a long enough password"


@pytest.fixture
def cli(store: Store, clock: FrozenClock, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ALLIANCE_DATABASE_URL", database_url)
    monkeypatch.setenv("ALLIANCE_FACTS_PATH", str(tmp_path / "facts.duckdb"))
    make_alliance(store, clock, code="refer")
    for n, code in enumerate(("A", "B", "C"), start=1):
        registry.add_member(store, "refer", {"code": code, "name": f"{code} 公司", "credit_code": credit_code(n)}, clock)
    sharing.propose_version(store, "refer", AGREEMENT, "秘书长", clock)
    for member in ("A", "B", "C"):
        sharing.sign(store, "refer", "referrals", 1, member, "代表", clock, principal=admin_of("refer", member))
    facts = FactStore(tmp_path / "facts.duckdb")
    stores = Stores(store, facts)
    path = tmp_path / "lines.csv"
    path.write_text("\n".join([HEADER, *LINES]) + "\n", encoding="utf-8")
    try:
        settlement.import_order_lines(stores, "refer", path, None, FrozenClock(datetime(2026, 12, 6, 12, tzinfo=UTC)))
        settlement.settle(stores, "refer", date(2026, 12, 5), "财务", FrozenClock(datetime(2026, 12, 7, tzinfo=UTC)))
    finally:
        facts.close()
    for user, member in (("adm-a", "A"), ("adm-b", "B"), ("adm-c", "C")):
        access.create_user(store, user, PASSWORD, user, clock)
        access.grant_role(store, user, Role.MEMBER_ADMIN, "refer", member)

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args))

    return invoke


def count(store: Store) -> tuple[int, int]:
    with store.engine.connect() as c:
        return (c.execute(select(func.count()).select_from(disputes)).scalar_one(),
                c.execute(select(func.count()).select_from(ledger_entries)).scalar_one())


OPEN = ("dispute", "open", "-a", "refer", "--claimant", "A", "--against", "B", "--agreement", "referrals",
        "--version", "1", "--rule", "refer", "--day", "2026-12-05", "--statement", "推荐分成有误")


def test_a_dispute_from_the_command_line(cli, store: Store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    evidence = tmp_path / "合同.pdf"
    evidence.write_bytes(b"%PDF contract")
    opened = cli(*OPEN, "--amount", "12.50", "--evidence", str(evidence), "--as", "adm-a", "--json")
    assert opened.exit_code == 0, opened.output
    body = json.loads(opened.stdout)
    assert body["number"] == 1 and body["evidence"][0]["name"] == "合同.pdf"
    assert cli("dispute", "list", "-a", "refer", "--as", "adm-b").exit_code == 0  # the table
    (listed,) = json.loads(cli("dispute", "list", "-a", "refer", "--as", "adm-b", "--json").stdout)
    assert listed["amount"] == "12.50" and listed["level"]["name"] == "Working group"
    assert json.loads(cli("dispute", "list", "-a", "refer", "--as", "adm-c", "--json").stdout) == []
    shown = cli("dispute", "show", "1", "-a", "refer", "--as", "adm-b")
    assert shown.exit_code == 0 and "Working group" in shown.stdout and "+08:00" in shown.stdout  # Beijing time
    report = cli("dispute", "report", "1", "-a", "refer")
    assert hashlib.sha256(report.stdout.rstrip("\n").encode()).hexdigest() == body["report_sha256"]
    hidden = cli("dispute", "show", "1", "-a", "refer", "--as", "adm-c")
    assert hidden.exit_code != 0 and "no dispute 1" in hidden.output
    answered = cli("dispute", "answer", "1", "-a", "refer", "--respondent", "B", "--text", "不同意", "--as", "adm-b")
    assert answered.exit_code == 0 and ": answered" in answered.stdout
    withdrawn = cli("dispute", "withdraw", "1", "-a", "refer", "--as", "adm-a")
    assert withdrawn.exit_code == 0 and ": withdrawn" in withdrawn.stdout


@pytest.mark.parametrize("args, said", [
    (("--amount", "-3", "--as", "adm-a"), "more than zero"),
    (("--amount", "abc", "--as", "adm-a"), "is not an amount"),
    (("--amount", "3", "--as", "adm-b"), "no such member for this key"),
    (("--amount", "3", "--as", "adm-a", "--day", "2026-13-01"), "is not a date"),
    (("--amount", "3", "--as", "adm-a", "--evidence", "/nonexistent/file.pdf"), "no such evidence file"),
])
def test_refusals_are_one_line_and_store_nothing(cli, store: Store, args: tuple[str, ...], said: str) -> None:  # type: ignore[no-untyped-def]
    before = count(store)
    refused = cli(*OPEN, *args)
    assert refused.exit_code != 0 and said in refused.output, refused.output
    assert count(store) == before


def test_the_ladder_from_the_command_line(cli, store: Store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    shown = json.loads(cli("dispute", "ladder", "-a", "refer").stdout)
    assert [level["days"] for level in shown["levels"]] == [14, 21, 30, None]
    made = tmp_path / "ladder.json"
    made.write_text(json.dumps({"levels": [{"key": "wg", "name": "工作组", "days": 7}, {"key": "x", "name": "仲裁"}]}),
                    encoding="utf-8")
    refused = cli("dispute", "ladder", "-a", "refer", "--set", str(made), "--as", "adm-a")
    assert refused.exit_code != 0 and "may not manage alliance" in refused.output
    assert cli("dispute", "ladder", "-a", "refer", "--set", str(made)).exit_code == 0  # the operator
    assert json.loads(cli("dispute", "ladder", "-a", "refer").stdout)["levels"][0]["days"] == 7
    made.write_text("[1]", encoding="utf-8")
    bad = cli("dispute", "ladder", "-a", "refer", "--set", str(made))
    assert bad.exit_code != 0 and "a ladder is a JSON object" in bad.output
