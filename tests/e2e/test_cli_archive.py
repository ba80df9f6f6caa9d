"""`alliance archive export|verify` end to end: a member's archive written with its progress, verified
offline against the alliance's published key (with no data directory at all), and a tampered one
refused with exit 1 naming the file."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from alliance.cli.main import app
from alliance.core.clock import FrozenClock
from alliance.ledger import service as ledger
from alliance.store.database import Store
from tests.support.payouts import settled_alliance

runner = CliRunner()


@pytest.fixture
def cli(store: Store, clock: FrozenClock, database_url: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Result]]:
    monkeypatch.setenv("ALLIANCE_DATABASE_URL", database_url)
    monkeypatch.setenv("ALLIANCE_FACTS_PATH", str(tmp_path / "facts.duckdb"))
    monkeypatch.setenv("COLUMNS", "200")
    settled_alliance(store, clock, tmp_path).close()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, list(args))

    yield invoke


def test_export_then_verify_offline(cli: Callable[..., Result], store: Store, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "hw.zip"
    done = cli("archive", "export", "cloud-hw", "HW", "--out", str(out))
    assert done.exit_code == 0, done.output
    assert f"Wrote {out}" in done.output and "2 order lines" in done.output and "2 settled days" in done.output
    key = ledger.public_key(store, "cloud-hw")
    # Offline: no database, no data directory.
    monkeypatch.delenv("ALLIANCE_DATABASE_URL")
    monkeypatch.delenv("ALLIANCE_FACTS_PATH")
    monkeypatch.setenv("ALLIANCE_HOME", str(tmp_path / "nowhere"))
    checked = cli("archive", "verify", str(out), "--trusted-key", key)
    assert checked.exit_code == 0, checked.output
    assert "OK: archive of member HW of cloud-hw" in checked.output and "warning" not in checked.output
    assert "warning: no trusted key given" in cli("archive", "verify", str(out)).output

    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(out) as old, zipfile.ZipFile(tampered, "w") as new:
        for info in old.infolist():
            data = old.read(info.filename)
            if info.filename == "statements/2026-12-06.csv":
                # a cent changed in the first amount
                data = re.sub(rb"\.(\d)(\d)", lambda m: b"." + m[1] + (b"2" if m[2] == b"1" else b"1"), data, count=1)
            new.writestr(info, data)
    refused = cli("archive", "verify", str(tampered), "--trusted-key", key)
    assert refused.exit_code == 1
    assert "FAIL statements/2026-12-06.csv: differs from the manifest" in refused.output
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"PK not really")
    assert cli("archive", "verify", str(junk)).exit_code == 2


def test_export_of_an_unknown_member_fails_and_writes_nothing(cli: Callable[..., Result], tmp_path: Path) -> None:
    done = cli("archive", "export", "cloud-hw", "NOPE", "--out", str(tmp_path / "x.zip"))
    assert done.exit_code == 1 and "no member with code 'NOPE'" in done.output
    assert not list(tmp_path.glob("x.zip*"))
