"""A request waits a moment for another process (another server worker, the command line) to let go
of the fact store, instead of answering 503 at once (store.shared_facts)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from alliance.store.facts import FactStore, FactStoreError
from alliance.store.shared_facts import SharedFactStore

BOUND = 120  # seconds: a bound for a stuck test, not a measurement


def _holder(path: Path) -> subprocess.Popen[str]:
    process = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, duckdb
        db = duckdb.connect({str(path)!r})
        print("held", flush=True)
        sys.stdin.readline()
        db.close()
        print("released", flush=True)
        sys.stdin.readline()
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline().strip() == "held"
    return process


def test_opening_waits_for_another_process_to_let_go(tmp_path: Path) -> None:
    path = tmp_path / "facts.duckdb"
    FactStore(path).close()
    holder = _holder(path)
    opened: list[int] = []
    shared = SharedFactStore(path, wait=BOUND)

    def read() -> None:
        with shared.using() as facts:
            opened.append(facts.watermark("none") or 0)

    reader = threading.Thread(target=read)
    try:
        reader.start()
        assert holder.stdin is not None and holder.stdout is not None
        assert reader.is_alive() and not opened  # waiting: the other process still holds the file
        holder.stdin.write("release\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "released"
        reader.join(timeout=BOUND)
        assert opened and not reader.is_alive()
    finally:
        holder.communicate("stop\n", timeout=BOUND)


def test_after_the_wait_it_is_the_usual_503(tmp_path: Path) -> None:
    path = tmp_path / "facts.duckdb"
    FactStore(path).close()
    holder = _holder(path)
    try:
        with pytest.raises(FactStoreError), SharedFactStore(path, wait=0.1).using():
            pass
    finally:
        holder.communicate("release\nstop\n", timeout=BOUND)
