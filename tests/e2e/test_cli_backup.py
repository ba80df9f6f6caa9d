"""`alliance backup` and `alliance restore` as an operator runs them: two data directories, the
development ledger passphrase carried in the backup, the restored ledger verified, and a second
restore into the now full directory refused."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alliance.cli.main import app
from tests.support.factories import credit_code

runner = CliRunner()


def test_backup_then_restore_into_another_data_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ALLIANCE_DATABASE_URL", raising=False)
    monkeypatch.delenv("ALLIANCE_FACTS_PATH", raising=False)
    monkeypatch.delenv("ALLIANCE_LEDGER_PASSPHRASE", raising=False)  # the development one, kept in the data directory
    first, second = tmp_path / "first", tmp_path / "second"
    monkeypatch.setenv("ALLIANCE_HOME", str(first))

    def cli(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), catch_exceptions=False)

    assert cli("alliance", "create", "nb", "--name", "宁波精密零部件企业联盟", "--kind", "sme").exit_code == 0
    added = cli("member", "add", "-a", "nb", "--code", "M1", "--name", "宁波恒信精密机械有限公司", "--credit-code", credit_code(1))
    assert added.exit_code == 0, added.output
    key = cli("ledger", "public-key", "-a", "nb").stdout.strip()
    archive = tmp_path / "nb.tar.gz"
    made = cli("backup", str(archive))
    assert made.exit_code == 0, made.output
    assert "development ledger passphrase is in the backup" in made.stdout and archive.stat().st_size > 0

    monkeypatch.setenv("ALLIANCE_HOME", str(second))
    done = cli("restore", str(archive))
    assert done.exit_code == 0, done.output
    assert "ledger nb:" in done.stdout and "verified" in done.stdout and "NOT" not in done.stdout
    passphrase = second / "ledger.passphrase"
    assert passphrase.read_bytes() == (first / "ledger.passphrase").read_bytes()
    assert stat.S_IMODE(os.stat(passphrase).st_mode) == 0o600
    assert cli("ledger", "verify", "-a", "nb", "--key", key).exit_code == 0
    listed = cli("member", "list", "--alliance", "nb", "--format", "json")
    assert "宁波恒信精密机械有限公司" in listed.stdout
    # The restored copy signs new entries with the restored key.
    assert cli("member", "add", "-a", "nb", "--code", "M2", "--name", "宁波锦达五金冲压件有限公司",
               "--credit-code", credit_code(2)).exit_code == 0
    assert cli("ledger", "verify", "-a", "nb", "--key", key).exit_code == 0

    again = cli("restore", str(archive))
    assert again.exit_code != 0 and "already holds alliances or users" in again.output
    taken = cli("backup", str(archive))
    assert taken.exit_code != 0 and "exists already" in taken.output
