"""`alliance warehouse ...` end to end (SQLite and PostgreSQL), with the command line's clock frozen:
a warehouse with price lines, a quote that explains itself, bookings with the waitlist, check-in and
check-out, the month billed once, JSON output, and clear refusals with a non-zero exit that store
nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from alliance.cli.main import app
from alliance.core.clock import FrozenClock
from alliance.store.database import Store
from alliance.store.tables import warehouse_bookings
from tests.support.factories import credit_code
from tests.support.member_users import member_admins, platform_admin

runner = CliRunner()
NOW = {"at": datetime(2026, 11, 1, 2, tzinfo=UTC)}  # 10:00 in Asia/Shanghai; moved by the test


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ALLIANCE_DATABASE_URL", database_url)
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.delenv("LANGUAGE", raising=False)
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.setattr("alliance.cli.warehouse.SystemClock", lambda: FrozenClock(NOW["at"]))
    NOW["at"] = datetime(2026, 11, 1, 2, tzinfo=UTC)

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), catch_exceptions=False)

    assert invoke("alliance", "create", "hz", "--name", "杭州联盟", "--kind", "sme", "--structure", "mesh").exit_code == 0
    for n, member in enumerate(("M1", "M2", "M3"), start=1):
        assert invoke("member", "add", "--alliance", "hz", "--code", member, "--name", f"{member} 公司",
                      "--credit-code", credit_code(n)).exit_code == 0
    member_admins(database_url, "hz", ("M1", "M2", "M3"))
    return invoke


def _count(database_url: str) -> int:
    store = Store.open(database_url, migrate=False)
    try:
        with store.engine.connect() as c:
            return c.execute(select(func.count()).select_from(warehouse_bookings)).scalar_one()
    finally:
        store.close()


def test_a_warehouse_from_booking_to_billing(cli, database_url: str) -> None:  # type: ignore[no-untyped-def]
    added = cli("warehouse", "add", "-a", "hz", "--name", "萧山仓", "--owner", "M1", "--capacity", "10",
                "--day", "10.00", "--week", "60.00", "--free-days", "2", "--format", "json")
    assert added.exit_code == 0, added.output
    assert json.loads(added.output)[0]["number"] == 1
    quote = cli("warehouse", "quote", "1", "-a", "hz", "--quantity", "3", "--start", "2026-11-03", "--end",
                "2026-11-12", "--format", "json")
    assert json.loads(quote.output)["text"] == "8 d = 1×7 d 60.00 + 1×1 d 10.00; 2 free; × 3 = 210.00"
    booked = cli("warehouse", "book", "1", "-a", "hz", "--as", "adm-m2", "--quantity", "8", "--start", "2026-11-03",
                 "--end", "2026-11-12")
    assert booked.exit_code == 0, booked.output
    full = cli("warehouse", "book", "1", "-a", "hz", "--as", "adm-m3", "--quantity", "3", "--start", "2026-11-10",
               "--end", "2026-11-20")
    assert full.exit_code != 0 and "full on 2026-11-10" in full.output
    waiting = cli("warehouse", "book", "1", "-a", "hz", "--as", "adm-m3", "--quantity", "3", "--start", "2026-11-10",
                  "--end", "2026-11-20", "--waitlist", "--format", "json")
    assert json.loads(waiting.output)[0]["status"] == "waitlisted"
    assert cli("warehouse", "check-in", "1", "-a", "hz", "--on", "2026-11-01").exit_code == 0
    NOW["at"] = datetime(2026, 11, 6, 2, tzinfo=UTC)
    out = cli("warehouse", "check-out", "1", "-a", "hz", "--on", "2026-11-05")
    assert out.exit_code == 0 and "Promoted from the waitlist: 2" in out.output, out.output
    NOW["at"] = datetime(2026, 12, 2, 2, tzinfo=UTC)
    billed = cli("warehouse", "bill", "2026-11", "-a", "hz", "--format", "json")
    assert billed.exit_code == 0, billed.output
    (invoice,) = json.loads(billed.output)
    assert dict((m, a) for m, a in invoice["totals"]) == {"M2": 8 * 3000, "M3": 3 * 8000}
    again = cli("warehouse", "bill", "2026-11", "-a", "hz", "--warehouse", "1")
    assert again.exit_code != 0 and "already billed" in again.output
    listed = cli("warehouse", "invoices", "-a", "hz")
    assert listed.exit_code == 0 and "#1 萧山仓 2026-11" in listed.output
    idle = cli("warehouse", "idle", "1", "-a", "hz", "--weeks", "2", "--format", "json")
    assert idle.exit_code == 0 and len(json.loads(idle.output)) == 2


def test_bad_input_is_refused_and_nothing_stored(cli, database_url: str) -> None:  # type: ignore[no-untyped-def]
    assert cli("warehouse", "add", "-a", "hz", "--name", "仓", "--owner", "M1", "--capacity", "5",
               "--day", "1.00").exit_code == 0
    bad = cli("warehouse", "book", "1", "-a", "hz", "--as", "adm-m2", "--quantity", "0", "--start", "2026-11-09",
              "--end", "2026-11-03")
    assert bad.exit_code != 0 and "quantity" in bad.output and "ends_on" in bad.output
    unit = cli("warehouse", "add", "-a", "hz", "--name", "仓2", "--owner", "M1", "--capacity", "5", "--unit", "crate")
    assert unit.exit_code != 0 and "unit" in unit.output and "price_lines" in unit.output
    assert _count(database_url) == 0


def test_only_a_members_own_account_books_for_it(cli, database_url: str) -> None:  # type: ignore[no-untyped-def]
    """A platform admin's account, or M2's admin naming M3, does not book space for a member (non-zero
    exit, nothing stored); M3's own admin does."""
    assert cli("warehouse", "add", "-a", "hz", "--name", "仓", "--owner", "M1", "--capacity", "5",
               "--day", "1.00").exit_code == 0
    platform_admin(database_url, "ops")
    space = ("--quantity", "1", "--start", "2026-11-03", "--end", "2026-11-04")
    assert cli("warehouse", "book", "1", "-a", "hz", "--as", "ops", "--member", "M3", *space).exit_code != 0
    assert cli("warehouse", "book", "1", "-a", "hz", "--as", "adm-m2", "--member", "M3", *space).exit_code != 0
    assert _count(database_url) == 0
    assert cli("warehouse", "book", "1", "-a", "hz", "--as", "adm-m3", *space).exit_code == 0
    assert _count(database_url) == 1
