"""The contract set on the command line: a framework, a project under it, the tree, the clauses in
force; a contradiction exits non-zero naming it and stores nothing."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from alliance.core.clock import SystemClock, local_today
from tests.e2e.test_cli import cli  # noqa: F401  (the fixture: an alliance `nb` on this test's database)
from tests.support.factories import credit_code


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_tree_and_clauses(cli, tmp_path: Path, database_url: str) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    from alliance.access.roles import Role
    from alliance.access.service import create_user, grant_role
    from alliance.store.database import Store

    day = local_today(SystemClock(), "Asia/Shanghai") + timedelta(days=3)
    for n, code in ((1, "A"), (2, "B"), (3, "C")):
        cli("member", "add", "-a", "nb", "--code", code, "--name", f"{code} 公司", "--credit-code", credit_code(n))
    framework = write(tmp_path / "frame.yaml", f"agreement: frame\nkind: framework\neffective_from: {day}\n"
                      "parties: [A, B, C]\nclauses:\n"
                      "  - {clause: confidentiality, text: 保密三年, years_after_exit: 3}\n")
    assert cli("agreement", "propose", str(framework), "-a", "nb").exit_code == 0
    project = (f"agreement: p1\nkind: project\nunder: frame\neffective_from: {day}\nparties: [A, B]\nclauses:\n"
               "  - {clause: confidentiality, text: 保密, years_after_exit: YEARS}\n"
               "rules:\n  - {id: s, kind: fixed_split, shares: {A: 0.5, B: 0.5}}\n")
    refused = cli("agreement", "propose", str(write(tmp_path / "p1.yaml", project.replace("YEARS", "1"))), "-a", "nb")
    assert refused.exit_code != 0 and "fewer than the framework's 3" in " ".join(refused.output.split())
    assert "p1" not in cli("agreement", "list", "-a", "nb", "--json").stdout
    assert cli("agreement", "propose", str(write(tmp_path / "p1.yaml", project.replace("YEARS", "4"))),
               "-a", "nb").exit_code == 0

    tree = json.loads(cli("agreement", "tree", "-a", "nb", "--json").stdout)
    assert [(n["agreement"], n["kind"], [c["agreement"] for c in n["children"]]) for n in tree] == [
        ("frame", "framework", ["p1"])]
    shown = cli("agreement", "tree", "-a", "nb")
    assert shown.exit_code == 0 and "frame" in shown.stdout and "p1" in shown.stdout

    unsigned = cli("agreement", "clauses", "p1", "-a", "nb", "--day", day.isoformat())
    assert unsigned.exit_code == 0 and "No clause of p1 binds" in unsigned.stdout
    accounts = Store.open(database_url)
    try:
        for member in ("A", "B"):
            create_user(accounts, f"{member.lower()}-admin", "a long password 1", f"{member} 法务", SystemClock())
            grant_role(accounts, f"{member.lower()}-admin", Role.MEMBER_ADMIN, "nb", member)
    finally:
        accounts.close()
    for member in ("A", "B"):
        assert cli("agreement", "sign", "p1", "-a", "nb", "--version", "1", "--member", member,
                   "--as", f"{member.lower()}-admin").exit_code == 0
    found = json.loads(cli("agreement", "clauses", "p1", "-a", "nb", "--day", day.isoformat(), "--json").stdout)
    assert found["clauses"] == [{"clause": "confidentiality", "text": "保密", "fields": {"years_after_exit": 4}}]
    said = cli("agreement", "clauses", "p1", "-a", "nb", "--day", day.isoformat())
    assert "Confidentiality" in said.stdout and "4 years" in said.stdout


@pytest.mark.parametrize("args", [("clauses", "nope", "-a", "nb"), ("clauses", "p1", "-a", "nb", "--day", "2027-02-30")])
def test_bad_arguments_exit_non_zero(cli, args: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    result = cli("agreement", *args)
    assert result.exit_code != 0 and result.output.strip()
