"""`alliance body weights` end to end (SQLite and PostgreSQL): the table set and shown, each source's
weights, and refusals as one line with a non-zero exit that change nothing."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from alliance.cli.main import app
from alliance.store.database import Store
from alliance.store.tables import ledger_entries, vote_weights
from tests.support.factories import credit_code

runner = CliRunner()


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ALLIANCE_DATABASE_URL", database_url)
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.delenv("LANGUAGE", raising=False)
    monkeypatch.delenv("LC_ALL", raising=False)

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), catch_exceptions=False)

    assert invoke("alliance", "create", "nb", "--name", "宁波精密零部件企业联盟", "--kind", "sme",
                  "--structure", "mesh").exit_code == 0
    for n, member in enumerate(("M1", "M2", "M3"), start=1):
        result = invoke("member", "add", "--alliance", "nb", "--code", member, "--name", f"{member} 公司",
                        "--credit-code", credit_code(n))
        assert result.exit_code == 0, result.output
    return invoke


def _stored(url: str) -> tuple[list[tuple[str, str]], int]:
    store = Store.open(url, migrate=False)
    try:
        with store.engine.connect() as c:
            return ([(r.member_code, r.weight) for r in c.execute(select(vote_weights).order_by(vote_weights.c.id))],
                    c.execute(select(func.count()).select_from(ledger_entries)).scalar_one())
    finally:
        store.close()


def _one_line_error(result, said: str) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and said in lines[0], result.output


def test_the_table_is_set_and_shown_beside_each_source(cli, database_url: str) -> None:  # type: ignore[no-untyped-def]
    empty = cli("body", "weights", "-a", "nb")
    assert empty.exit_code == 0 and "No explicit table is set" in empty.output
    assert "table: alliance 'nb' has no weight table" in empty.output
    made = cli("body", "weights", "-a", "nb", "--set", "M1=45", "--set", "M2=30.50", "--set", "M3=24.5")
    assert made.exit_code == 0, made.output
    assert "Weight table of nb: M1 45, M2 30.5, M3 24.5." in made.output
    shown = cli("body", "weights", "-a", "nb")
    assert shown.exit_code == 0 and "Explicit table, set by" in shown.output
    assert "45 (45.00%)" in shown.output and "1 (33.33%)" in shown.output  # the table beside one vote each
    assert "settled: nothing was paid out" in shown.output
    document = json.loads(cli("body", "weights", "-a", "nb", "--json").stdout)
    assert document["sources"]["table"] == {"M1": "45", "M2": "30.5", "M3": "24.5"}
    assert "unavailable" in document["sources"]["settled"]
    equal = json.loads(cli("body", "weights", "-a", "nb", "--source", "equal", "--json").stdout)
    assert equal == {"source": "equal", "weights": {"M1": "1", "M2": "1", "M3": "1"}}
    table = cli("body", "weights", "-a", "nb", "--source", "table")
    assert table.exit_code == 0 and "30.5" in table.output and "30.50%" in table.output
    assert _stored(database_url)[0] == [("M1", "45"), ("M2", "30.5"), ("M3", "24.5")]


def test_refusals_are_one_line_and_change_nothing(cli, database_url: str) -> None:  # type: ignore[no-untyped-def]
    assert cli("body", "weights", "-a", "nb", "--set", "M1=60", "--set", "M2=40").exit_code == 0
    before = _stored(database_url)
    for args, said in [
        (("--set", "M1=-1", "--set", "M9=5"), "M9 is not an active member of the alliance"),
        (("--set", "M1=1.23456"), "at most 4 decimal places"),
        (("--set", "M1"), "'M1' is not MEMBER=WEIGHT"),
        (("--set", "M1=0", "--set", "M2=0"), "every weight is zero"),
        (("--source", "settled"), "nothing was paid out to the active members of 'nb'"),
        (("--source", "shares"), "unknown source of weights 'shares'"),
    ]:
        _one_line_error(cli("body", "weights", "-a", "nb", *args), said)
        assert _stored(database_url) == before, args
    _one_line_error(cli("body", "weights", "-a", "nowhere"), "nowhere")
