"""Fixtures shared by the whole suite.

`store` is parametrized over both backends, so every test that touches the database runs on
SQLite and on a real PostgreSQL server. The server is the one at ALLIANCE_TEST_POSTGRES_URL, or
one this suite starts on 127.0.0.1 and stops at the end. Without PostgreSQL binaries those tests
are skipped, unless ALLIANCE_REQUIRE_POSTGRES=1 (set by scripts/test and CI), where they fail.

Property tests (hypothesis) draw the same examples on every run, so a landing cannot fail on a
lucky draw; ALLIANCE_FUZZ=1 explores new ones (as for the API's schemathesis run), which is how a
property's edge is found and then kept as an explicit example.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import settings
from sqlalchemy import create_engine, text

# Ledger keys are sealed with the configured passphrase; tests use a fixed one (and so never write
# the development passphrase file into the working directory).
os.environ.setdefault("ALLIANCE_LEDGER_PASSPHRASE", "test-suite ledger passphrase, not a secret")
# The CLI speaks the terminal's language (LANGUAGE, LC_ALL, LC_MESSAGES, LANG); tests read English
# whatever the machine's locale is, and set these themselves to hear Chinese.
os.environ["LANGUAGE"] = "en"
# No deadline: a per-example time limit is a timing assertion, and a loaded 2-core machine (CI, or
# a Spark test beside) runs an example several times slower than an idle one.
settings.register_profile("repeatable", derandomize=True, database=None, deadline=None)
settings.register_profile("fuzz", max_examples=1000, deadline=None)
settings.load_profile("fuzz" if os.environ.get("ALLIANCE_FUZZ") == "1" else "repeatable")
from argon2 import PasswordHasher
from sqlalchemy.engine import make_url

from alliance.access import credentials
from alliance.core.clock import FrozenClock
from alliance.store.database import Store
from alliance.store.stores import Stores
from alliance.store.tables import metadata
from tests.support.postgres import start_postgres
from tests.support.spark import spark_session  # noqa: F401  (a fixture: one Spark session per run)

if TYPE_CHECKING:
    from alliance.store.facts import FactStore

# Passwords are hashed at argon2id's minimum cost in this process (8 KiB, one pass: ~0.1 ms), not
# the platform's (64 MiB, three passes: 0.1-0.3 s for each hash and each sign-in), which made a
# fifth of the suite's time. The code path is the same; tests/unit/test_access.py checks the
# platform's cost, and the tests that start `alliance` in a process of its own run with it.
credentials._passwords = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)

NOW = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    Store.open(f"sqlite:///{path}").close()
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A migrated, empty PostgreSQL database for this test process (one per xdist worker)."""
    given = os.environ.get("ALLIANCE_TEST_POSTGRES_URL")
    server = None
    if given:
        admin_url = given
    else:
        try:
            server = start_postgres()
        except (RuntimeError, OSError) as exc:
            if os.environ.get("ALLIANCE_REQUIRE_POSTGRES") == "1":
                pytest.fail(f"PostgreSQL is required but could not be started: {exc}")
            pytest.skip(f"no PostgreSQL server: {exc}")
        admin_url = server.url
    name = f"alliance_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        # The platform connects as an ordinary role, as in production: a superuser would bypass
        # row-level security (alliance.store.scope), which the tests must see working.
        c.execute(text("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'alliance_app') THEN "
                       "CREATE ROLE alliance_app LOGIN NOSUPERUSER NOBYPASSRLS; END IF; END $$"))
        c.execute(text(f'CREATE DATABASE "{name}" OWNER alliance_app'))
    url = make_url(admin_url).set(database=name, username="alliance_app", password=None).render_as_string(hide_password=False)
    Store.open(url).close()
    try:
        yield url
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        if server is not None:
            server.stop()


def _truncate(store: Store) -> None:
    names = ", ".join(t.name for t in reversed(metadata.sorted_tables))
    with store.engine.begin() as c:
        c.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    """A URL to an empty, migrated database of each kind."""
    if request.param == "sqlite":
        path = tmp_path / "alliance.db"
        shutil.copy(sqlite_template, path)
        yield f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_url")
        yield url
        store = Store.open(url, migrate=False)
        _truncate(store)
        store.close()


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    s = Store.open(database_url, migrate=False)
    yield s
    s.close()


@pytest.fixture
def stores(store: Store, facts: FactStore) -> Stores:
    """The handle the services take: `store` and the `facts` fixture of the test's own module."""
    return Stores(store, facts)


@pytest.hookimpl(tryfirst=True)  # before `-m "not slow"` deselects: the mark must be there by then
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The edges' (HTTP, pages, CLI: tests/e2e) PostgreSQL twins are a slow group: the services under
    them run on both databases in tests/integration, and each edge test is run on SQLite by default.
    CI (and ALLIANCE_TEST_ALL=1) runs them too; the default run stays under 15 minutes on 2 cores."""
    e2e = Path(__file__).parent / "e2e"
    for item in items:
        callspec = getattr(item, "callspec", None)
        if (callspec is not None and callspec.params.get("database_url") == "postgresql"
                and e2e in item.path.parents):
            item.add_marker(pytest.mark.slow)
