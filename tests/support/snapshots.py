"""Build an expensive stored world once per test process and database kind, then give each test a
fresh copy of it: every table's rows are read after the first build and written back (ids and all)
into the empty database the next test gets.

Why not rebuild: a world that records one of everything (agreements, signatures, settled days,
screening, disputes, votes...) takes about a second to make through the services, and the ledger's
mutation catalogue has a hundred tests on it. Why rows and not a file copy: the same code serves
SQLite and PostgreSQL, whose test database is shared by the tests of one worker and emptied after
each."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Integer, func, insert, select, text

from alliance.store.database import Store
from alliance.store.tables import metadata

Rows = dict[str, list[dict[str, Any]]]
_kept: dict[tuple[str, str], Rows] = {}


def _kind(store: Store) -> str:
    return store.engine.dialect.name


def _dump(store: Store) -> Rows:
    with store.engine.connect() as c:
        return {t.name: [dict(r._mapping) for r in c.execute(select(t))] for t in metadata.sorted_tables}


def _load(store: Store, rows: Rows) -> None:
    with store.engine.begin() as c:
        for t in metadata.sorted_tables:
            if rows[t.name]:
                c.execute(insert(t), rows[t.name])
        if _kind(store) == "postgresql":
            # Explicit ids do not move the sequences: the next insert must not collide with a copied row.
            for t in metadata.sorted_tables:
                key = [col for col in t.primary_key.columns if isinstance(col.type, Integer) and col.autoincrement]
                if len(key) == 1 and rows[t.name]:
                    top = c.execute(select(func.max(key[0]))).scalar_one()
                    c.execute(text("SELECT setval(pg_get_serial_sequence(:t, :c), :v)"),
                              {"t": t.name, "c": key[0].name, "v": top})


def once(name: str, store: Store, build: Callable[[], None]) -> None:
    """Make `store` (empty) hold the world `build` makes: built here the first time for this
    database kind and name, copied from that first build afterwards."""
    key = (name, _kind(store))
    if key in _kept:
        _load(store, _kept[key])
        return
    build()
    _kept[key] = _dump(store)
