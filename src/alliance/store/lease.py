"""A lease that one process of several holds: which `alliance serve` worker runs the daily settlement.

With several worker processes (`alliance serve --workers N`), or several servers on one database,
each process runs the scheduler loop, and each minute the loop asks for the lease; only its holder
settles. The lease lives where the processes meet:

- on PostgreSQL, a session advisory lock (`pg_try_advisory_lock`) on a connection kept for the
  purpose: the database releases it when that connection ends, so a worker that dies (or loses its
  connection) frees it and another takes it at its next try, within a minute;
- on SQLite, an exclusive `flock` on a file beside the database in the data directory: the kernel
  releases it when the holding process exits, however it exits.

Asking never waits: it wins or it does not, and the loser asks again at its next tick.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import tempfile
from pathlib import Path
from typing import Protocol

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError, OperationalError

from alliance.store.database import Store

logger = logging.getLogger("alliance.store")


def _key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for `name` (the same in every process and release)."""
    return int.from_bytes(hashlib.sha256(f"alliance:{name}".encode()).digest()[:8], "big", signed=True)


class Lease(Protocol):
    name: str

    @property
    def held(self) -> bool: ...

    def acquire(self) -> bool:
        """True if this process holds the lease now (taking it if free); never waits."""

    def release(self) -> None:
        """Give the lease up (nothing happens if it is not held)."""


class AdvisoryLease:
    """A PostgreSQL session advisory lock, on a connection of its own held while the lease is."""

    def __init__(self, store: Store, name: str) -> None:
        self.store, self.name, self.key = store, name, _key(name)
        self._connection: Connection | None = None

    @property
    def held(self) -> bool:
        return self._connection is not None

    def acquire(self) -> bool:
        if self._connection is not None:
            try:  # still ours? A lost connection has lost the lock with it.
                self._connection.exec_driver_sql("SELECT 1")
                return True
            except (OperationalError, DBAPIError):
                logger.warning("lost the %s lease with its database connection", self.name)
                self._drop()
        try:
            connection = self.store.engine.connect()
        except (OperationalError, DBAPIError):
            return False
        try:
            won = bool(connection.exec_driver_sql("SELECT pg_try_advisory_lock(%s)", (self.key,)).scalar())
            connection.commit()  # the lock is the session's, not the transaction's; end the transaction
        except (OperationalError, DBAPIError):
            connection.close()
            return False
        if not won:
            connection.close()
            return False
        self._connection = connection
        return True

    def release(self) -> None:
        if self._connection is None:
            return
        try:
            self._connection.exec_driver_sql("SELECT pg_advisory_unlock(%s)", (self.key,))
            self._connection.commit()
        except (OperationalError, DBAPIError):
            pass  # the connection is gone, and the lock with it
        self._drop()

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.invalidate()  # never back to the pool: a pooled session would keep the lock
            finally:
                connection.close()


class FileLease:
    """An exclusive `flock` on a file; the kernel drops it when the process ends."""

    def __init__(self, path: Path, name: str) -> None:
        self.path, self.name = path, name
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> bool:
        if self._fd is not None:
            return True
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            logger.warning("cannot open the %s lease file %s: %s", self.name, self.path, exc.strerror)
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())  # who holds it, for a person looking
        self._fd = fd
        return True

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def lease(store: Store, name: str) -> Lease:
    """The lease called `name` among the processes using `store`'s database."""
    if store.kind == "postgresql":
        return AdvisoryLease(store, name)
    database = store.engine.url.database
    if not database or database == ":memory:":
        # One process owns an in-memory database: a file of the process's own is enough.
        return FileLease(Path(tempfile.gettempdir()) / f"alliance-{os.getpid()}-{name}.lease", name)
    return FileLease(Path(database).resolve().parent / f"{Path(database).name}.{name}.lease", name)
