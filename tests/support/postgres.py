"""Start and stop a throw-away PostgreSQL 15 server on 127.0.0.1 for the test suite.

PostgreSQL refuses to run as root, so when the tests run as root the cluster is created and
started as a dedicated unprivileged user (`alliance-pg`, created on first use).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PG_USER = "alliance-pg"
SEARCH = ["/usr/lib/postgresql/15/bin", "/usr/local/bin", "/usr/bin"]


def find_binary(name: str) -> str | None:
    for folder in SEARCH:
        candidate = Path(folder) / name
        if candidate.exists():
            return str(candidate)
    return shutil.which(name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PostgresServer:
    url: str
    data_dir: Path
    run_as: str | None
    pg_ctl: str

    def stop(self) -> None:
        _run([self.pg_ctl, "-D", str(self.data_dir), "-m", "immediate", "stop"], self.run_as, check=False)
        shutil.rmtree(self.data_dir.parent, ignore_errors=True)


def _run(cmd: list[str], run_as: str | None, check: bool = True) -> subprocess.CompletedProcess[str]:
    if run_as:
        cmd = ["runuser", "-u", run_as, "--", *cmd]
    return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=120)


def _ensure_user() -> str:
    try:
        pwd.getpwnam(PG_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", PG_USER], check=True)
    return PG_USER


def start_postgres() -> PostgresServer:
    """Create a cluster in a temporary directory and start it; raise RuntimeError on failure."""
    initdb, pg_ctl = find_binary("initdb"), find_binary("pg_ctl")
    if not initdb or not pg_ctl:
        raise RuntimeError("PostgreSQL binaries (initdb, pg_ctl) not found")
    run_as = _ensure_user() if os.geteuid() == 0 else None
    base = Path(tempfile.mkdtemp(prefix="alliance-pg-"))
    data = base / "data"
    if run_as:
        entry = pwd.getpwnam(run_as)
        os.chown(base, entry.pw_uid, entry.pw_gid)
    _run([initdb, "-D", str(data), "-U", "alliance", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8"], run_as)
    port = _free_port()
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {base} -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    result = _run([pg_ctl, "-D", str(data), "-o", options, "-l", str(base / "log"), "-w", "-t", "60", "start"], run_as, check=False)
    if result.returncode != 0:
        log = (base / "log").read_text(errors="replace") if (base / "log").exists() else ""
        raise RuntimeError(f"pg_ctl start failed: {result.stderr}\n{log}")
    server = PostgresServer(f"postgresql+psycopg://alliance@127.0.0.1:{port}/postgres", data, run_as, pg_ctl)
    _wait(port)
    return server


def _wait(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("PostgreSQL did not start listening")
