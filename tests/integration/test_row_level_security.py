"""PostgreSQL's row-level security, the second wall: without the scope setting a connection sees
no member data; a unit of work serving one alliance's key sees only that alliance's rows."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from alliance.core.clock import FrozenClock
from alliance.registry import service as registry
from alliance.store.database import Store
from alliance.store.scope import request_scope
from alliance.store.tables import metadata
from tests.support.factories import make_alliance, member_values


@pytest.fixture
def two_alliances(postgres_url: str, clock: FrozenClock) -> Iterator[Store]:
    """Row-level security is PostgreSQL's: these tests run there only (no SQLite variant)."""
    store = Store.open(postgres_url, migrate=False)
    for code in ("nb", "other"):
        make_alliance(store, clock, code=code)
        registry.add_member(store, code, member_values(1), clock)
    yield store
    with store.engine.begin() as c:
        c.execute(text("TRUNCATE " + ", ".join(t.name for t in reversed(metadata.sorted_tables)) + " RESTART IDENTITY CASCADE"))
    store.close()


def raw_connection(store: Store) -> psycopg.Connection:  # type: ignore[type-arg]
    url = make_url(store.engine.url.render_as_string(hide_password=False))
    return psycopg.connect(host=url.host, port=url.port, user=url.username, password=url.password, dbname=url.database)


def test_a_connection_without_the_setting_sees_no_member_data(two_alliances: Store) -> None:
    with raw_connection(two_alliances) as connection:
        assert connection.execute("SELECT count(*) FROM members").fetchone() == (0,)
        assert connection.execute("SELECT count(*) FROM ledger_entries").fetchone() == (0,)
        assert connection.execute("SELECT count(*) FROM alliances").fetchone() == (2,)  # the tenant roots are not data
        connection.execute("SELECT set_config('alliance.scope', 'nb', true)")
        assert connection.execute("SELECT count(*) FROM members").fetchone() == (1,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            connection.execute("INSERT INTO period_metrics (alliance_id, period, metric, member_code, value, recorded_at) "
                               "SELECT id, '2027-01', 'm', 'M0001', '1', now() FROM alliances WHERE code = 'other'")


def test_a_request_scope_hides_other_alliances_even_from_a_careless_query(two_alliances: Store) -> None:
    token = request_scope.set("nb")
    try:
        assert [m.code for m in registry.list_members(two_alliances, "nb")] == ["M0001"]
        assert registry.list_members(two_alliances, "other") == []  # the rows exist, the wall hides them
        with two_alliances.unit_of_work() as uow:
            count = uow.connection.exec_driver_sql("SELECT count(*) FROM members").scalar_one()
        assert count == 1
    finally:
        request_scope.reset(token)
    assert len(registry.list_members(two_alliances, "other")) == 1  # the platform itself sees everything
