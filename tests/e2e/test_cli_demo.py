"""`alliance demo` end to end, on the machine's real clock as scripts/start runs it: the history, the
sign-ins printed once and kept in a file only its owner can read, a second run that changes nothing,
and the public commands refusing what the demo's past clocks allowed it."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alliance.access.service import sign_in
from alliance.cli.main import app
from alliance.core.clock import SystemClock
from alliance.store.database import Store

runner = CliRunner()


# The command on SQLite only: loading the history on PostgreSQL is tests/integration/test_demo_history.py's.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.slow
def test_the_demo_command_loads_a_history_and_keeps_the_sign_ins(database_url: str, monkeypatch: pytest.MonkeyPatch,
                                                                 tmp_path: Path) -> None:
    monkeypatch.setenv("ALLIANCE_DATABASE_URL", database_url)
    monkeypatch.setenv("ALLIANCE_HOME", str(tmp_path / "data"))

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), catch_exceptions=False)

    r = invoke("demo")
    assert r.exit_code == 0, r.output
    assert re.search(r"yuejia-retail +created, history \d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d: \d+ order lines, \d+ days settled", r.stdout)
    kept = (tmp_path / "data" / "demo-sign-ins.txt").resolve()
    assert f"kept in {kept}" in r.stdout.replace("\n", "")
    assert stat.S_IMODE(os.stat(kept).st_mode) == 0o600
    printed = dict(re.findall(r"^  ([a-z][a-z0-9.-]+) +(\S{16}) +\w+", r.stdout, flags=re.M))
    assert {"admin", "yuejia-retail.coordinator", "yuejia-retail.milk", "cloud-hw.zl"} <= set(printed)
    text = kept.read_text(encoding="utf-8")
    for username, password in printed.items():  # every sign-in printed is in the file, with its password
        assert f"  {username}  {password}  " in text
    keys = re.findall(r"al_\w+_[\w-]+", r.stdout)
    assert keys and all(k in text for k in keys)
    store = Store.open(database_url)
    try:
        assert sign_in(store, "yuejia-retail.coordinator", printed["yuejia-retail.coordinator"], SystemClock()).token
    finally:
        store.close()

    # The ledger of the history verifies; yesterday's statement (the last settled day) has money.
    assert "OK:" in invoke("ledger", "verify", "--alliance", "yuejia-retail").stdout

    # Again: nothing made, nothing printed but where the sign-ins are; the file is left as it was.
    again = invoke("demo")
    assert again.exit_code == 0, again.output
    assert again.stdout.count("already there, left as it is (settled through ") == 4 and "created" not in again.stdout
    assert "al_" not in again.stdout and f"kept in {kept}" in again.stdout.replace("\n", "")
    assert kept.read_text(encoding="utf-8") == text

    # The server says where the sign-ins are each time it starts (after the demo's output scrolled away).
    import uvicorn

    served: list[object] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.append(app))
    r = invoke("serve", "--port", "8765")
    assert r.exit_code == 0 and served, r.output
    assert f"Demo sign-ins and keys: {kept}" in r.stdout.replace("\n", "")

    # The public command on the real clock still refuses an agreement that starts in the past.
    late = tmp_path / "late.yaml"
    late.write_text("agreement: late\neffective_from: 2020-01-06\nparties: [YQ, ZL]\nrules:\n"
                    "  - {id: all, kind: fixed_split, shares: {YQ: 0.5, ZL: 0.5}}\n", encoding="utf-8")
    r = invoke("agreement", "propose", str(late), "-a", "cloud-hw")
    assert r.exit_code == 2 and "effective_from 2020-01-06 is in the past" in r.stderr
