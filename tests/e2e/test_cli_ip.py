"""`alliance ip ...` end to end: a member admin registers its background IP, the operator registers
foreground IP with exact shares and changes them (a new version), list and show; bad input is one
clear line, a non-zero exit and nothing stored."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from alliance.access.roles import Role
from alliance.access.service import create_user, grant_role
from alliance.cli.main import app
from alliance.core.clock import SystemClock
from alliance.store.database import Store
from alliance.store.tables import ip_versions
from tests.support.factories import credit_code

runner = CliRunner()


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    if not database_url.startswith("sqlite"):
        pytest.skip("the service is tested on PostgreSQL; the CLI only adapts it")
    monkeypatch.setenv("ALLIANCE_DATABASE_URL", database_url)
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.delenv("LANGUAGE", raising=False)
    monkeypatch.delenv("LC_ALL", raising=False)

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), catch_exceptions=False)

    assert invoke("alliance", "create", "rd", "--name", "研发联盟", "--kind", "sme", "--structure", "mesh").exit_code == 0
    for n, member in enumerate(("A", "B"), start=1):
        result = invoke("member", "add", "--alliance", "rd", "--code", member, "--name", f"{member} 公司",
                        "--credit-code", credit_code(n))
        assert result.exit_code == 0, result.output
    store = Store.open(database_url, migrate=False)
    try:
        create_user(store, "aboss", "a long enough password 123", "aboss", SystemClock())
        grant_role(store, "aboss", Role.MEMBER_ADMIN, "rd", "A")
    finally:
        store.close()
    invoke.url = database_url  # type: ignore[attr-defined]
    return invoke


def _count(url: str) -> int:
    store = Store.open(url, migrate=False)
    try:
        with store.engine.connect() as c:
            return int(c.execute(select(func.count()).select_from(ip_versions)).scalar_one())
    finally:
        store.close()


def test_register_change_list_and_refuse(cli) -> None:  # type: ignore[no-untyped-def]
    made = cli("ip", "register-background", "-a", "rd", "--owner", "A", "--kind", "patent", "--title", "热处理方法",
               "--number", "CN1", "--licence", "非独占", "--territory", "中国", "--until", "2029-12-31", "--as", "aboss")
    assert made.exit_code == 0, made.output
    assert "IP asset 1 (background patent)" in made.output
    refused = cli("ip", "register-background", "-a", "rd", "--owner", "A", "--kind", "patent", "--title", "x",
                  "--number", "CN1", "--licence", "l", "--as", "aboss")
    assert refused.exit_code != 0 and "already registered" in refused.output
    assert cli("ip", "register-background", "-a", "rd", "--owner", "A", "--kind", "patent", "--title", "x",
               "--number", "CN2", "--licence", "l").exit_code != 0  # the operator acts for no member
    fg = cli("ip", "register-foreground", "-a", "rd", "--kind", "patent", "--title", "密封结构", "--number", "CN9",
             "--contributor", "A=1/3", "--contributor", "B=2/3", "--json")
    assert fg.exit_code == 0, fg.output
    assert [c["share"] for c in json.loads(fg.output)["current"]["contributors"]] == ["1/3", "2/3"]
    bad = cli("ip", "register-foreground", "-a", "rd", "--kind", "patent", "--title", "t", "--number", "CN8",
              "--contributor", "A=1/3", "--contributor", "B=1/3")
    assert bad.exit_code != 0 and "not exactly 1" in bad.output
    assert _count(cli.url) == 2
    changed = cli("ip", "change", "2", "-a", "rd", "--contributor", "A=1/2", "--contributor", "B=1/2",
                  "--note", "重新约定")
    assert changed.exit_code == 0 and "v2" in changed.output and "重新约定" in changed.output
    moved = cli("ip", "change", "1", "-a", "rd", "--until", "", "--as", "aboss")
    assert moved.exit_code == 0 and "until no end" in moved.output, moved.output
    listed = cli("ip", "list", "-a", "rd", "--json")
    assert json.loads(listed.output)["joint_patents"] == 1
    table = cli("ip", "list", "-a", "rd", "--kind", "patent")
    assert "密封结构" in table.output and "Joint patents: 1" in table.output
    assert "v1" in cli("ip", "show", "1", "-a", "rd").output
