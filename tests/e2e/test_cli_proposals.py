"""`alliance proposal ...` and `alliance vote ...` end to end (the CLI reads the real clock, so the
windows are set from it): the operator drafts and submits, member admins vote with `--as`, a proxy
holder casts the giver's vote; refusals are one line, a non-zero exit, and nothing stored."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from alliance.access import service as access
from alliance.access.roles import Principal, Role
from alliance.cli.main import app
from alliance.core.clock import FrozenClock
from alliance.governance import service_meetings as meetings
from alliance.registry import service as registry
from alliance.store.database import Store
from alliance.store.tables import gov_ballots, ledger_entries
from tests.support.factories import credit_code, make_alliance

runner = CliRunner()
PASSWORD = "a long enough password"


@pytest.fixture
def cli(store: Store, clock: FrozenClock, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ALLIANCE_DATABASE_URL", database_url)
    monkeypatch.setenv("ALLIANCE_FACTS_PATH", str(tmp_path / "facts.duckdb"))
    make_alliance(store, clock, code="nb")
    for n, code in enumerate(("A", "B", "C"), start=1):
        registry.add_member(store, "nb", {"code": code, "name": f"{code} 公司", "credit_code": credit_code(n)}, clock)
        access.create_user(store, f"adm-{code.lower()}", PASSWORD, f"adm-{code.lower()}", clock)
        access.grant_role(store, f"adm-{code.lower()}", Role.MEMBER_ADMIN, "nb", code)
    body = meetings.create_body(
        store, "nb", Principal("c", Role.COORDINATOR, "nb"), name="工作组", kind="working_group",
        term_from=date(2026, 11, 1), term_to=None, cadence="weekly", meeting_time=time(10, 0), duration_minutes=60,
        seats=[("A", "chair", None), ("B", "member", None), ("C", "member", None)], rules=None, clock=clock)

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args))
    return invoke, body.id


def _ballots(store: Store) -> tuple[int, int]:
    with store.engine.connect() as c:
        return tuple(c.execute(select(func.count()).select_from(t)).scalar_one()  # type: ignore[return-value]
                     for t in (gov_ballots, ledger_entries))


def test_draft_submit_vote_by_proxy_and_refusals(cli, store: Store) -> None:  # type: ignore[no-untyped-def]
    invoke, body_id = cli
    until = (datetime.now(UTC) + timedelta(days=3)).astimezone().isoformat(timespec="minutes")
    made = invoke("proposal", "draft", "-a", "nb", "--body", str(body_id), "--type", "other", "--title", "周例会制度",
                  "--text", "每周一例会。", "--voting-until", until, "--json")
    assert made.exit_code == 0, made.output
    number = json.loads(made.output)["number"]
    assert json.loads(made.output)["status"] == "draft"
    assert invoke("proposal", "submit", str(number), "-a", "nb").exit_code == 0
    assert invoke("vote", "proxy", str(number), "-a", "nb", "--to", "A", "--as", "adm-c").exit_code == 0
    voted = invoke("vote", "cast", str(number), "-a", "nb", "--choice", "yes", "--as", "adm-a")
    assert voted.exit_code == 0 and "recorded" in voted.output
    by_proxy = invoke("vote", "cast", str(number), "-a", "nb", "--choice", "no", "--for", "C", "--as", "adm-a")
    assert by_proxy.exit_code == 0 and "by proxy: A" in by_proxy.output

    before = _ballots(store)
    for args in (("--choice", "maybe", "--as", "adm-b"), ("--choice", "yes", "--member", "A", "--as", "adm-b"),
                 ("--choice", "yes", "--for", "B", "--as", "adm-a")):
        refused = invoke("vote", "cast", str(number), "-a", "nb", *args)
        assert refused.exit_code != 0 and refused.output.startswith("error: "), refused.output
    assert _ballots(store) == before

    shown = json.loads(invoke("proposal", "show", str(number), "-a", "nb", "--json").output)
    assert shown["turnout"] == 2 and shown["running"]["heads"]["yes"] == 1 and shown["running"]["heads"]["no"] == 1
    listed = invoke("proposal", "list", "-a", "nb")
    assert "周例会制度" in listed.output and "voting" in listed.output
