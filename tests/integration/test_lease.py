"""The scheduler's lease (store.lease) on SQLite and PostgreSQL: of two processes (or two leases in
one), one holds it; after a release, or the holder's death, the other takes it; and the daily loop
settles only in the process that holds it."""

from __future__ import annotations

import subprocess
import sys
import uuid
from time import sleep
from datetime import UTC, datetime, time
from pathlib import Path

from alliance.core.clock import FrozenClock
from alliance.settlement.scheduler import DailySettlement
from alliance.store.database import Store
from alliance.store.lease import AdvisoryLease, FileLease, lease


def _name() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"  # a lease of its own: other tests may run on the server


def test_two_leases_one_wins_and_after_release_the_other(store: Store) -> None:
    name = _name()
    first, second = lease(store, name), lease(store, name)
    assert isinstance(first, AdvisoryLease if store.kind == "postgresql" else FileLease)
    assert first.acquire() and first.held
    assert not second.acquire() and not second.held
    assert first.acquire()  # asking again while holding keeps it
    assert not second.acquire()
    first.release()
    assert not first.held
    assert second.acquire()
    assert not first.acquire()
    second.release()
    second.release()  # twice is harmless
    assert first.acquire()
    first.release()


def test_the_lease_is_free_again_when_its_holder_dies(store: Store) -> None:
    name = _name()
    url = store.engine.url.render_as_string(hide_password=False)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys\nfrom alliance.store.database import Store\nfrom alliance.store.lease import lease\n"
         f"held = lease(Store.open({url!r}, migrate=False), {name!r})\nprint(held.acquire(), flush=True)\n"
         "sys.stdin.read()\n"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "True"
        mine = lease(store, name)
        assert not mine.acquire()  # the other process holds it
        holder.kill()  # dies without releasing anything
        holder.wait(timeout=30)
        for _ in range(100):  # PostgreSQL ends the session when it sees the socket close
            if mine.acquire():
                break
            sleep(0.1)
        assert mine.held
        mine.release()
    finally:
        if holder.poll() is None:
            holder.kill()


def test_only_the_process_holding_the_lease_settles(store: Store, tmp_path: Path) -> None:
    name = _name()
    clock = FrozenClock(datetime(2026, 12, 6, 3, tzinfo=UTC))
    worker_a = DailySettlement(store, tmp_path / "facts.duckdb", time(2, 0), clock, held=lease(store, name))
    worker_b = DailySettlement(store, tmp_path / "facts.duckdb", time(2, 0), clock, held=lease(store, name))
    assert worker_a.step() == []  # a holds the lease now: it settles (nothing due in an empty database)
    assert worker_b.step() is None  # b does not, while a lives
    worker_a.stop()  # a shuts down (its loop never started): the lease is released
    assert worker_b.step() == []
    assert worker_a.step() is None
    worker_b.stop()
