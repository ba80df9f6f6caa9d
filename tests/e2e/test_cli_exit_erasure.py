"""`alliance exit erase` end to end: refused before the member left and inside the retrieval window
(nothing changed), it shows what it would erase and asks; answered no, nothing changes; answered yes
(or with --yes) it erases once and the data step is done; a second time is refused."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from alliance.access import service as access
from alliance.access.roles import Role
from alliance.cli.main import app
from alliance.core.clock import FrozenClock
from alliance.exits.erasure import pseudonym
from alliance.store.database import Store
from tests.support.exits import build

runner = CliRunner()


@pytest.fixture
def cli(store: Store, clock: FrozenClock, database_url: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Result]]:
    monkeypatch.setenv("ALLIANCE_DATABASE_URL", database_url)
    monkeypatch.setenv("ALLIANCE_FACTS_PATH", str(tmp_path / "facts.duckdb"))
    monkeypatch.setenv("COLUMNS", "200")
    build(store, clock, tmp_path).close()
    access.create_user(store, "adm-m3", "a long enough password", "adm-m3", clock)
    access.grant_role(store, "adm-m3", Role.MEMBER_ADMIN, "exit-a", "M3")
    now = {"at": datetime(2026, 12, 1, 2, tzinfo=UTC)}
    monkeypatch.setattr("alliance.cli.exits.SystemClock", lambda: FrozenClock(now["at"]))

    def invoke(*args: str, at: datetime | None = None, answer: str | None = None) -> Result:
        if at is not None:
            now["at"] = at
        return runner.invoke(app, list(args), input=answer)

    yield invoke


def test_erase_after_the_window_once(cli: Callable[..., Result], store: Store) -> None:
    opened = cli("exit", "open", "M3", "--alliance", "exit-a", "--trigger", "insolvency", "--on", "2026-12-01")
    assert opened.exit_code == 0, opened.output
    early = cli("exit", "erase", "1", "--alliance", "exit-a", "--yes")
    assert early.exit_code != 0 and "M3 has not left yet" in early.output
    assert cli("exit", "end", "1", "--alliance", "exit-a").exit_code == 0
    inside = cli("exit", "erase", "1", "--alliance", "exit-a", at=datetime(2026, 12, 31, 2, tzinfo=UTC))
    assert inside.exit_code != 0 and "stays available through 2026-12-31" in inside.output
    after = datetime(2027, 1, 1, 2, tzinfo=UTC)
    declined = cli("exit", "erase", "1", "--alliance", "exit-a", at=after, answer="n\n")
    assert declined.exit_code != 0 and "accounts" in declined.output and "Erase this?" in declined.output
    assert access.check_password(store, "adm-m3", "a long enough password")
    done = cli("exit", "erase", "1", "--alliance", "exit-a", "--format", "json", at=after, answer="y\n")
    assert done.exit_code == 0, done.output
    doc = json.loads(done.output[done.output.index('{\n  "case"'):])
    data = {s["step"]: s for s in doc["steps"]}["data"]
    assert data["status"] == "done" and data["detail"]["erasure"]["counts"]["accounts"] == 1
    assert not access.check_password(store, "adm-m3", "a long enough password")
    assert not access.check_password(store, pseudonym("adm-m3"), "a long enough password")
    again = cli("exit", "erase", "1", "--alliance", "exit-a", "--yes", at=after)
    assert again.exit_code != 0 and "erased once" in again.output
