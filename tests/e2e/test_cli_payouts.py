"""`alliance payout currency|record|list|show` end to end: a member's admin chooses USD, the
operator records a payout and sees its statement; an open day, a paid day and a missing rate are
refused (exit 2) with nothing stored; a member's analyst lists only its own."""

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
from alliance.store.tables import payouts
from tests.support.payouts import settled_alliance

runner = CliRunner()


@pytest.fixture
def cli(store: Store, clock: FrozenClock, database_url: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Result]]:
    monkeypatch.setenv("ALLIANCE_DATABASE_URL", database_url)
    monkeypatch.setenv("ALLIANCE_FACTS_PATH", str(tmp_path / "facts.duckdb"))
    monkeypatch.setenv("COLUMNS", "200")
    settled_alliance(store, clock, tmp_path).close()
    for user, role, member in (("adm-sw", Role.MEMBER_ADMIN, "SW"), ("ana-hw", Role.MEMBER_ANALYST, "HW")):
        access.create_user(store, user, "a long enough password", user, clock)
        access.grant_role(store, user, role, "cloud-hw", member)

    def invoke(*args: str) -> Result:
        return runner.invoke(app, list(args))

    yield invoke


def count(store: Store) -> int:
    with store.engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(payouts)).scalar_one())


def test_choose_record_list_and_show(cli: Callable[..., Result], store: Store) -> None:
    chosen = cli("payout", "currency", "SW", "usd", "--alliance", "cloud-hw", "--as", "adm-sw")
    assert chosen.exit_code == 0, chosen.output
    assert "SW is paid in USD from now on." in chosen.output
    shown = cli("payout", "currency", "SW", "--alliance", "cloud-hw", "--format", "json")
    assert json.loads(shown.output)["currency"] == "USD"
    done = cli("payout", "record", "SW", "--from", "2026-12-05", "--to", "2026-12-06", "--on", "2026-12-08",
               "--alliance", "cloud-hw")
    assert done.exit_code == 0, done.output
    assert "989.36 USD" in done.output and "7123.39 CNY" in done.output and "0.01 CNY (to account fx)" in done.output
    assert "7.2 CNY per USD on 2026-12-08 (PBOC central parity)" in done.output
    listed = json.loads(cli("payout", "list", "--alliance", "cloud-hw", "--format", "json").output)
    assert listed["total"] == 1 and listed["items"][0]["paid"] == "989.36"
    assert cli("payout", "show", "1", "--alliance", "cloud-hw", "--format", "json").exit_code == 0
    own = json.loads(cli("payout", "list", "--alliance", "cloud-hw", "--as", "ana-hw", "--format", "json").output)
    assert own["total"] == 0  # HW's analyst sees HW's payouts only
    hidden = cli("payout", "show", "1", "--alliance", "cloud-hw", "--as", "ana-hw")
    assert hidden.exit_code != 0 and "no payout 1" in hidden.output


def test_bad_payouts_are_refused_with_nothing_stored(cli: Callable[..., Result], store: Store) -> None:
    opened = cli("payout", "record", "SW", "--from", "2026-12-05", "--to", "2026-12-07", "--on", "2026-12-08",
                 "--alliance", "cloud-hw")
    assert opened.exit_code == 2 and "2026-12-07 has not been settled" in opened.output
    assert cli("payout", "currency", "SW", "EUR", "--alliance", "cloud-hw").exit_code == 0
    missing = cli("payout", "record", "SW", "--from", "2026-12-05", "--to", "2026-12-06", "--on", "2026-12-08",
                  "--alliance", "cloud-hw")
    assert missing.exit_code != 0 and "no exchange rate of EUR" in missing.output
    bad = cli("payout", "currency", "SW", "US$", "--alliance", "cloud-hw")
    assert bad.exit_code == 2 and "not an ISO 4217 currency code" in bad.output
    assert cli("payout", "currency", "SW", "CNY", "--alliance", "cloud-hw").exit_code == 0
    assert cli("payout", "record", "SW", "--from", "2026-12-05", "--to", "2026-12-05", "--on", "2026-12-08",
               "--alliance", "cloud-hw").exit_code == 0
    again = cli("payout", "record", "SW", "--from", "2026-12-05", "--to", "2026-12-06", "--on", "2026-12-08",
                "--alliance", "cloud-hw")
    assert again.exit_code == 2 and "already paid" in again.output
    assert count(store) == 1
