"""The server's one connection to the fact store, shared by every request of the process.

DuckDB is one connection per process and a cursor per thread: opening the file once per request,
from many threads at once, has two openings race in DuckDB's own instance cache ("Unique file
handle conflict", a 500). Here the process opens the file when the first request needs it, every
request at the same time uses that one `FactStore` (each read on a cursor of its own, imports one
at a time: `FactStore.ingest`), and the file is closed again when the last of them is done, so the
command line can import or settle between requests (DuckDB lets one process at a time open a file
for writing).

When another process holds the file (another `alliance serve` worker, or the command line), opening
is retried for up to `OPEN_WAIT` seconds before the request gets its 503: a worker holds the file only
while its own requests use it, usually for milliseconds (docs/operations.md, "Several workers").
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alliance.core.settings import get_settings
from alliance.store.facts import FactStore, FactStoreError
from alliance.store.facts.engines import open_facts

OPEN_WAIT = 2.0  # seconds a request waits for another process to let go of the file
_RETRY_EVERY = 0.02


class SharedFactStore:
    """One `FactStore` per file in this process, open while anything uses it."""

    def __init__(self, path: Path, wait: float = OPEN_WAIT) -> None:
        self.path, self.wait = path, wait
        self._lock = threading.Lock()
        self._facts: FactStore | None = None
        self._users = 0

    @contextmanager
    def using(self) -> Iterator[FactStore]:
        """The open fact store for the block (FactStoreError, a 503, when another process holds it)."""
        # The wait counts from the request's arrival, not from its turn at the lock: requests queued
        # behind one that is waiting give up with it, not one after another.
        deadline = time.monotonic() + self.wait
        with self._lock:
            if self._facts is None:
                self._facts = self._open(deadline)
            facts = self._facts
            self._users += 1
        try:
            yield facts
        finally:
            with self._lock:
                self._users -= 1
                if self._users == 0 and self._facts is facts:
                    self._facts = None
                    facts.close()

    def _open(self, deadline: float) -> FactStore:
        """Open the file, retrying while another process holds it, until `deadline` (monotonic)."""
        while True:
            last = time.monotonic() >= deadline
            try:
                # With the engine the settings choose (store.facts.engines); logged once, when the request gives up.
                return open_facts(get_settings(), path=self.path, log_busy=last)
            except FactStoreError:
                if last:
                    raise
                time.sleep(_RETRY_EVERY)


_SHARED: dict[Path, SharedFactStore] = {}
_SHARED_GUARD = threading.Lock()


def shared_facts(path: Path) -> SharedFactStore:
    """The process's one handle on the fact store at `path` (every app and loop of it uses the same)."""
    with _SHARED_GUARD:
        return _SHARED.setdefault(path.resolve(), SharedFactStore(path.resolve()))
