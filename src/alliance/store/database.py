"""Opening the database: engine creation, SQLite pragmas, schema migration, and error translation.

`Store.open(url)` never lets a driver exception escape: an unreachable or unopenable database is a
`StoreUnavailable` whose message names the database (without its password) and the cause.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DataError, DBAPIError, IntegrityError, NoSuchModuleError, OperationalError

from alliance.core.errors import AlreadyStored, Conflict, InvalidInput, StoreUnavailable
from alliance.core.messages import Message
from alliance.store import scope
from alliance.store.unit_of_work import UnitOfWork

MIGRATIONS = Path(__file__).parent / "migrations"


def newest_revision() -> str:
    """The newest schema revision this version knows, from the migration files' names alone.

    Revisions are numbered in one chain and each file is named by its revision
    (tests/unit/test_migration_chain.py checks both), so the last name is the head: a command can
    tell that its database is up to date without importing Alembic (a quarter of a second)."""
    return max(p.stem for p in (MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))


def _describe(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable URL>"


def _cause(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()
    return text[0] if text else type(orig).__name__


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the web server read while the CLI imports; foreign keys are off by default in SQLite.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    # In WAL mode NORMAL commits survive a crash of the process; a power failure may undo the last
    # commits, never corrupt the file (SQLite's recommended setting for WAL). What must outlive a
    # power failure syncs itself: a ledger checkpoint is returned only after a WAL checkpoint, which
    # syncs every commit before it (docs/ledger.md).
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _translate(exc: BaseException, database: str) -> BaseException:
    """Driver errors that reach a unit of work become domain errors; anything else is unchanged.

    Services check what they can first; this is the safety net for what only the database sees:
    a value too long or out of range for its column, a NUL character PostgreSQL refuses, a number
    beyond 64 bits, a unique key taken by a concurrent writer, a connection lost mid-way.
    """
    if isinstance(exc, IntegrityError):
        return Conflict(Message("the change clashes with data saved at the same moment (a duplicate); nothing was "
                                "saved, try again"))
    if isinstance(exc, DataError):
        return InvalidInput(Message("a value does not fit the database: {cause}", cause=_cause(exc)))
    if isinstance(exc, OverflowError):
        return InvalidInput(Message("a number is too large to store"))
    if isinstance(exc, (OperationalError, DBAPIError)):
        return StoreUnavailable(Message("database {database} failed: {cause}", database=database, cause=_cause(exc)))
    return exc


@contextmanager
def on_duplicate(error: Exception) -> Iterator[None]:
    """Run a write; a unique key already taken becomes `error`: the driver's IntegrityError, or
    AlreadyStored from a repository insert of a row kept once (store.duplicates).

    Services say what a duplicate means in their own words, but never see the driver's exception:
    driver errors are translated here, in the store, and nowhere else (docs/architecture.md)."""
    try:
        yield
    except (IntegrityError, AlreadyStored):
        raise error from None


class Store:
    """A connection pool to one database plus the knowledge of which kind it is."""

    def __init__(self, engine: Engine, ledger_passphrase: str | None = None) -> None:
        self.engine = engine
        self._ledger_passphrase = ledger_passphrase

    @property
    def ledger_passphrase(self) -> str:
        """What seals and opens the alliances' ledger keys: given to `open`, else the configuration's
        (ALLIANCE_LEDGER_PASSPHRASE, or in development a random one kept in ALLIANCE_HOME)."""
        if self._ledger_passphrase is None:
            from alliance.core.settings import get_settings

            self._ledger_passphrase = get_settings().resolved_ledger_passphrase()
        return self._ledger_passphrase

    @property
    def kind(self) -> str:
        """"sqlite" or "postgresql"."""
        return self.engine.dialect.name

    @classmethod
    def open(cls, url: str, *, migrate: bool = True, ledger_passphrase: str | None = None) -> Store:
        """Connect to `url`, check it answers, and (by default) bring its schema up to date."""
        try:
            parsed = make_url(url)
        except ArgumentError:
            raise StoreUnavailable(Message("ALLIANCE_DATABASE_URL is not a database URL: {url!r}", url=url)) from None
        if parsed.drivername in ("postgresql", "postgres"):
            # The plain scheme people copy from other tools means psycopg 3 here (psycopg2 is not installed).
            parsed = parsed.set(drivername="postgresql+psycopg")
        kwargs: dict[str, Any] = {}
        if parsed.get_backend_name() == "sqlite" and parsed.database:
            try:
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreUnavailable(Message("cannot create data directory for {database}: {error}",
                                               database=parsed.database, error=exc.strerror)) from None
            # Enough pooled connections for the server's thread pool (40): a connection opened
            # beyond the pool is closed after use, and opening one (with its pragmas) costs more
            # than most queries.
            kwargs["pool_size"] = 40
            kwargs["max_overflow"] = 20
        elif parsed.get_backend_name() == "postgresql":
            kwargs["pool_pre_ping"] = True
            # The platform's connections see every alliance unless a unit of work narrows them
            # (row-level security: alliance.store.scope).
            kwargs["connect_args"] = {"connect_timeout": 5, "options": f"-c {scope.SETTING}={scope.ALL}"}
        try:
            engine = create_engine(parsed, **kwargs)
        except (NoSuchModuleError, ImportError) as exc:
            raise StoreUnavailable(Message("unsupported database URL {url}: {error}",
                                           url=_describe(url), error=exc)) from None
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        store = cls(engine, ledger_passphrase)
        try:
            with engine.connect():
                pass
        except (OperationalError, DBAPIError) as exc:
            engine.dispose()
            raise StoreUnavailable(Message("cannot open database {database}: {cause}",
                                           database=_describe(url), cause=_cause(exc))) from None
        if migrate:
            store.migrate()
        return store

    def migrate(self, revision: str = "head") -> None:
        """Upgrade the schema to the newest Alembic revision, or to `revision` (a no-op when already there)."""
        if revision == "head" and self._revision() == newest_revision():
            return
        from alembic import command
        from alembic.config import Config
        from alembic.util import CommandError

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        try:
            with self.engine.begin() as connection:
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
        except (OperationalError, DBAPIError) as exc:
            raise StoreUnavailable(Message("cannot migrate database {database}: {cause}",
                                           database=self.describe(), cause=_cause(exc))) from None
        except CommandError as exc:
            # Typically a database migrated by a newer release than this one.
            raise StoreUnavailable(Message("database {database} has a schema this version does not know: {error}",
                                           database=self.describe(), error=exc)) from None

    def _revision(self) -> str | None:
        """The schema revision the database is at (None: none yet, or it cannot be read now)."""
        try:
            with self.engine.connect() as connection:
                return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        except (OperationalError, DBAPIError):
            return None

    def describe(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def table_names(self) -> list[str]:
        return inspect(self.engine).get_table_names()

    def ping(self) -> None:
        """Raise StoreUnavailable unless the database answers a trivial query now."""
        try:
            with self.engine.connect() as connection:
                connection.exec_driver_sql("SELECT 1")
        except (OperationalError, DBAPIError) as exc:
            raise StoreUnavailable(Message("database {database} does not answer: {cause}",
                                           database=self.describe(), cause=_cause(exc))) from None

    @contextmanager
    def unit_of_work(self) -> Iterator[UnitOfWork]:
        """A transaction that rolls back unless `commit()` was called."""
        try:
            connection = self.engine.connect()
        except (OperationalError, DBAPIError) as exc:
            raise StoreUnavailable(Message("cannot open database {database}: {cause}",
                                           database=self.describe(), cause=_cause(exc))) from None
        with connection:
            transaction = connection.begin()
            narrowed = scope.request_scope.get()
            if narrowed is not None and self.kind == "postgresql":
                connection.exec_driver_sql("SELECT set_config(%s, %s, true)", (scope.SETTING, narrowed))
            uow = UnitOfWork(connection, lambda: self.ledger_passphrase)
            try:
                yield uow
                if uow.committed:
                    transaction.commit()
                else:
                    transaction.rollback()
            except BaseException as exc:
                if transaction.is_active:
                    transaction.rollback()
                translated = _translate(exc, self.describe())
                if translated is exc:
                    raise
                raise translated from exc

    def close(self) -> None:
        self.engine.dispose()
