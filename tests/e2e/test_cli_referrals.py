"""`alliance referral ...` end to end (SQLite and PostgreSQL): the programme, a lead referred with
consent, accepted, listed as JSON, extended, the leaderboard; a lead without consent and a duplicate
refused with a non-zero exit, nothing stored."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from alliance.cli.main import app
from alliance.store.database import Store
from alliance.store.tables import referrals
from tests.support.factories import credit_code
from tests.support.member_users import member_admins

runner = CliRunner()


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ALLIANCE_DATABASE_URL", database_url)
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.delenv("LANGUAGE", raising=False)
    monkeypatch.delenv("LC_ALL", raising=False)

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), catch_exceptions=False)

    assert invoke("alliance", "create", "nb", "--name", "宁波联盟", "--kind", "sme", "--structure", "mesh").exit_code == 0
    for n, member in enumerate(("M1", "M2", "M3"), start=1):
        assert invoke("member", "add", "--alliance", "nb", "--code", member, "--name", f"{member} 公司",
                      "--credit-code", credit_code(n)).exit_code == 0
    member_admins(database_url, "nb", ("M1", "M2", "M3"))
    return invoke


LEAD = ("--as", "adm-m1", "--to", "M2", "--name", "宁波悦佳贸易有限公司", "--contact", "13800001111",
        "--products", "A4 复印纸")


def _count(database_url: str) -> int:
    store = Store.open(database_url, migrate=False)
    try:
        with store.engine.connect() as c:
            return int(c.execute(select(func.count()).select_from(referrals)).scalar_one())
    finally:
        store.close()


def test_programme_submit_accept_extend_and_leaderboard(cli, database_url: str) -> None:  # type: ignore[no-untyped-def]
    set_ = cli("referral", "programme", "-a", "nb", "--rate", "0.08", "--hold-days", "14", "--format", "json")
    assert set_.exit_code == 0, set_.output
    assert json.loads(set_.output)["commission_rate"] == "0.08"
    made = cli("referral", "submit", "-a", "nb", *LEAD, "--consent-by", "王经理", "--consent-on", "2026-11-01",
               "--format", "json")
    assert made.exit_code == 0, made.output
    assert json.loads(made.output)["state"] == "submitted"
    assert cli("referral", "accept", "1", "-a", "nb", "--as", "adm-m2").exit_code == 0
    asked = cli("referral", "extend", "1", "-a", "nb", "--as", "adm-m1", "--days", "30", "--reason", "预算下月批")
    assert asked.exit_code == 0, asked.output
    granted = cli("referral", "extend", "1", "-a", "nb", "--as", "adm-m2", "--grant", "--format", "json")
    assert json.loads(granted.output)["extension"]["extended_days"] == 30
    listed = json.loads(cli("referral", "list", "-a", "nb", "--format", "json").output)
    assert [(r["number"], r["state"], r["lead_name"]) for r in listed] == [(1, "accepted", "宁波悦佳贸易有限公司")]
    board = cli("referral", "leaderboard", "-a", "nb", "--period", json.loads(made.output)["submitted_on"][:7],
                "--format", "json")
    assert json.loads(board.output)["rows"][0]["member"] == "M1"


def test_refusals_exit_non_zero_and_store_nothing(cli, database_url: str) -> None:  # type: ignore[no-untyped-def]
    refused = cli("referral", "submit", "-a", "nb", *LEAD)
    assert refused.exit_code == 2 and "consent" in refused.output
    assert _count(database_url) == 0
    assert cli("referral", "submit", "-a", "nb", *LEAD, "--consent-by", "王经理").exit_code == 0
    duplicate = cli("referral", "submit", "-a", "nb", "--as", "adm-m3", "--to", "M2", "--name", "宁波 悦佳贸易",
                    "--contact", "x@y.cn", "--products", "纸", "--consent-by", "王")
    assert duplicate.exit_code == 2 and "referral 1" in duplicate.output
    assert cli("referral", "reject", "1", "-a", "nb", "--as", "adm-m2").exit_code == 2  # a reason is required
    assert _count(database_url) == 1


def test_only_a_members_own_account_acts_for_it(cli, database_url: str) -> None:  # type: ignore[no-untyped-def]
    """The operator names a user, not a member: a user naming another member with --from, a user of the
    wrong side of the referral or no such user is refused (non-zero exit, nothing changed)."""
    lead = (*LEAD[2:], "--consent-by", "王经理")
    assert cli("referral", "submit", "-a", "nb", "--as", "adm-m3", "--from", "M1", *lead).exit_code != 0
    assert cli("referral", "submit", "-a", "nb", "--as", "nobody", *lead).exit_code != 0
    assert _count(database_url) == 0
    assert cli("referral", "submit", "-a", "nb", "--as", "adm-m1", "--from", "M1", *lead).exit_code == 0
    assert cli("referral", "accept", "1", "-a", "nb", "--as", "adm-m1").exit_code != 0  # the referrer does not accept
    shown = json.loads(cli("referral", "show", "1", "-a", "nb", "--format", "json").output)  # the operator reads
    assert shown["state"] == "submitted"
