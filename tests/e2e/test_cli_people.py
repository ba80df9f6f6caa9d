"""`alliance user list|grant|revoke|unlock|reset-password` and founding with a coordinator, end to end:
as the operator, and `--as` a user, refused wherever that user's web session would be."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from alliance.access import people
from alliance.access import service as access
from alliance.cli.main import app
from alliance.core.clock import SystemClock
from alliance.store.database import Store
from tests.support.factories import credit_code

runner = CliRunner()
PASSWORD = "a long enough password"


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ALLIANCE_DATABASE_URL", database_url)

    def invoke(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), input=input)

    for code in ("nb", "other"):
        assert invoke("alliance", "create", code, "--name", f"{code} 联盟").exit_code == 0
        for n, member in ((1, "M1"), (2, "M2")):
            made = invoke("member", "add", "--alliance", code, "--code", member, "--name", f"{member} 有限公司",
                          "--credit-code", credit_code(n))
            assert made.exit_code == 0, made.output
    for user, role, where in (("zhang", "coordinator", ["-a", "nb"]), ("li", "member_admin", ["-a", "nb", "-m", "M1"]),
                              ("wu", "member_analyst", ["-a", "nb", "-m", "M2"]), ("aud", "auditor", ["-a", "nb"]),
                              ("far", "coordinator", ["-a", "other"])):
        assert invoke("user", "create", user, "--password-stdin", input=PASSWORD + "\n").exit_code == 0
        granted = invoke("user", "grant", user, "--role", role, *where)
        assert granted.exit_code == 0, granted.output
    return invoke


def test_list_shows_each_user_only_what_it_manages(cli) -> None:  # type: ignore[no-untyped-def]
    everyone = json.loads(cli("user", "list", "--json").stdout)
    assert {u["username"] for u in everyone} == {"zhang", "li", "wu", "aud", "far"}
    nb = json.loads(cli("user", "list", "-a", "nb", "--json").stdout)
    assert {u["username"] for u in nb} == {"zhang", "li", "wu", "aud"}
    as_coordinator = json.loads(cli("user", "list", "-a", "nb", "--as", "zhang", "--json").stdout)
    assert {u["username"] for u in as_coordinator} == {"zhang", "li", "wu"}  # the auditor is the platform's
    as_member_admin = json.loads(cli("user", "list", "-a", "nb", "--as", "li", "--json").stdout)
    assert [u["username"] for u in as_member_admin] == ["li"]
    assert as_member_admin[0]["roles"] == [{"role": "member_admin", "alliance": "nb", "member": "M1"}]
    refused = cli("user", "list", "-a", "nb", "--as", "aud")
    assert refused.exit_code != 0 and "may not manage people" in refused.output
    table = cli("user", "list", "-a", "nb").stdout
    assert "member_admin" in table and "aud" in table


def test_reset_password_prints_a_one_time_code(cli, database_url: str) -> None:  # type: ignore[no-untyped-def]
    done = cli("user", "reset-password", "li", "--as", "zhang", "-a", "nb", "--expires", "2h")
    assert done.exit_code == 0, done.output
    code = done.stdout.strip().splitlines()[0]
    assert len(code) >= 24 and "One-time code for li" in done.stderr
    store = Store.open(database_url)
    try:
        assert access.check_password(store, "li", PASSWORD)  # until the code is used
        people.redeem(store, code, "li's new password!", SystemClock())
        assert access.check_password(store, "li", "li's new password!")
        with pytest.raises(people.CodeRefused):
            people.redeem(store, code, "and another one!!", SystemClock())
    finally:
        store.close()
    assert cli("user", "reset-password", "ghost").exit_code != 0
    assert cli("user", "reset-password", "li", "--expires", "soon").exit_code != 0


@pytest.mark.parametrize(("as_user", "where", "target", "why"), [
    ("far", "nb", "li", "holds no role in 'nb'"),  # another alliance's coordinator cannot act in nb at all
    ("far", "other", "li", "no"),                 # nor, from its own alliance, reach nb's people
    ("li", "nb", "wu", "no"),                     # another member's analyst: not among its people
    ("li", "nb", "zhang", "no"),                  # the coordinator is above it
    ("wu", "nb", "li", "may not manage"),         # an analyst manages no one
    ("aud", "nb", "li", "may not manage"),        # nor does an auditor
])
def test_refusals_as_a_user(cli, as_user: str, where: str, target: str, why: str) -> None:  # type: ignore[no-untyped-def]
    for command in (["reset-password", target], ["unlock", target], ["revoke", target]):
        result = cli("user", *command, "-a", where, "--as", as_user)
        assert result.exit_code != 0 and why in result.output, (command, result.output)
        assert not result.stdout.strip() or "code" not in result.stderr
        if why == "no":
            assert "no user" in result.output or "no role you manage" in result.output, result.output
            assert "coordinator" not in result.output and "M2" not in result.output  # nothing about its roles
    for role in (["--role", "auditor"], ["--role", "member_analyst", "-m", "M2"]):
        granted = cli("user", "grant", "far", *role, "-a", "nb", "--as", as_user)
        assert granted.exit_code != 0, (role, granted.output)


def test_grants_within_reach_and_revoking(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("user", "create", "new1", "--invite").exit_code == 0
    refused = cli("user", "grant", "new1", "--role", "auditor", "-a", "nb", "--as", "li")
    assert refused.exit_code != 0 and "member roles of its own member" in refused.output
    refused = cli("user", "grant", "new1", "--role", "auditor", "--as", "zhang", "-a", "nb")
    assert refused.exit_code != 0 and "only a platform admin gives or takes away the auditor role" in refused.output
    refused = cli("user", "grant", "new1", "--role", "platform_admin", "--as", "zhang", "-a", "nb")
    assert refused.exit_code != 0 and "only a platform admin" in refused.output
    ok = cli("user", "grant", "new1", "--role", "member_analyst", "-a", "nb", "-m", "M1", "--as", "li")
    assert ok.exit_code == 0, ok.output
    assert cli("user", "revoke", "new1", "-a", "nb", "--as", "li").exit_code == 0
    assert cli("user", "revoke", "li", "-a", "nb", "--as", "li").exit_code != 0  # not one's own
    assert cli("user", "revoke", "li").exit_code != 0  # neither --alliance nor --platform
    done = cli("user", "revoke", "li", "-a", "nb")
    assert done.exit_code == 0 and "li is no longer member_admin in nb" in done.output
    assert cli("user", "grant", "li", "--role", "platform_admin").exit_code == 0
    assert cli("user", "revoke", "li", "--platform").exit_code == 0


def test_unlock_as_the_coordinator(cli, database_url: str) -> None:  # type: ignore[no-untyped-def]
    store = Store.open(database_url)
    try:
        for _ in range(6):
            with pytest.raises(access.NotAuthenticated):
                access.sign_in(store, "wu", "a wrong password!", SystemClock())
        listed = json.loads(cli("user", "list", "-a", "nb", "--as", "zhang", "--json").stdout)
        assert [u for u in listed if u["username"] == "wu"][0]["failed_sign_ins"] >= 5
        assert cli("user", "unlock", "wu", "--as", "zhang", "-a", "nb").exit_code == 0
        assert access.sign_in(store, "wu", PASSWORD, SystemClock()).token
    finally:
        store.close()


def test_founding_with_a_coordinator(cli) -> None:  # type: ignore[no-untyped-def]
    made = cli("alliance", "create", "tea", "--name", "茶业联盟", "--new-coordinator", "tea.boss",
               "--coordinator-name", "茶老板")
    assert made.exit_code == 0, made.output
    assert len(made.stdout.strip().splitlines()[-1]) >= 24 and "tea.boss is its coordinator" in made.stderr
    listed = json.loads(cli("user", "list", "-a", "tea", "--json").stdout)
    assert [(u["username"], u["roles"][0]["role"], u["code_expires_at"] is not None) for u in listed] == [
        ("tea.boss", "coordinator", True)]
    again = cli("alliance", "create", "tea2", "--name", "茶业二", "--coordinator", "zhang")
    assert again.exit_code == 0 and "zhang is its coordinator" in again.output
    ghost = cli("alliance", "create", "tea3", "--name", "茶业三", "--coordinator", "ghost")
    assert ghost.exit_code != 0 and "ghost" in ghost.output
    assert "tea3" not in cli("alliance", "list", "--format", "json").stdout
    both = cli("alliance", "create", "tea4", "--name", "x", "--coordinator", "zhang", "--new-coordinator", "y1")
    assert both.exit_code != 0
    bare = cli("alliance", "create", "tea5", "--name", "茶业五")
    assert bare.exit_code == 0 and "no coordinator yet" in bare.output
    assert "resource-idle" in cli("warning", "list", "-a", "tea5", "--json").output  # the standard rules came with it
