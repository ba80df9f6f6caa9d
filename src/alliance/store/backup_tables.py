"""Every table of the relational store, out to JSON lines and back in: the database part of a backup.

A logical dump, not a file copy, so that a backup taken from SQLite restores into PostgreSQL and the
other way round, and so that one taken while the server runs is consistent: all tables are read in
one transaction (PostgreSQL: REPEATABLE READ; SQLite: one read transaction of a WAL database).

Each table is one file of JSON lines, one row each, columns by name. Values are encoded by their
column's type, never guessed from the value: dates and times as ISO 8601 (times in UTC), exact
decimals as strings, bytes as base64, JSON columns as they are. Loading goes table by table in
foreign-key order inside one transaction, so a restore stores everything or nothing; PostgreSQL's
id sequences are then moved past the highest id restored.

pg_dump would not do: it cannot restore into SQLite, and its version must match the server's.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from sqlalchemy import Column, Date, Integer, LargeBinary, Table, delete, func, insert, inspect, select, text
from sqlalchemy.engine import Connection

from alliance.store.database import Store
from alliance.store.tables import metadata
from alliance.store.types import ExactDecimal, UtcDateTime

BATCH = 1000  # rows per INSERT when loading
# The schema's own bookkeeping, not data: Alembic writes it when the schema is made.
SKIPPED = frozenset({"alembic_version"})


def tables() -> list[Table]:
    """The tables a backup holds, parents before children."""
    return [t for t in metadata.sorted_tables if t.name not in SKIPPED]


def _encoder(column: Column[Any]) -> Callable[[Any], Any]:
    kind = column.type
    if isinstance(kind, UtcDateTime):
        return lambda v: v.isoformat()
    if isinstance(kind, Date):
        return lambda v: v.isoformat()
    if isinstance(kind, ExactDecimal):
        return lambda v: format(v, "f")
    if isinstance(kind, LargeBinary):
        return lambda v: base64.b64encode(v).decode("ascii")
    return lambda v: v


def _decoder(column: Column[Any]) -> Callable[[Any], Any]:
    kind = column.type
    if isinstance(kind, UtcDateTime):
        return datetime.fromisoformat
    if isinstance(kind, Date):
        return date.fromisoformat
    if isinstance(kind, ExactDecimal):
        return Decimal
    if isinstance(kind, LargeBinary):
        return base64.b64decode
    return lambda v: v


def dump_table(connection: Connection, table: Table, out: IO[str]) -> int:
    """Write `table`'s rows (in primary-key order) as JSON lines to `out`; the number of rows."""
    encoders = {c.name: _encoder(c) for c in table.columns}
    order = list(table.primary_key.columns) or list(table.columns)
    count = 0
    for row in connection.execute(select(table).order_by(*order)).mappings():
        record = {name: (None if value is None else encoders[name](value)) for name, value in row.items()}
        out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
        count += 1
    return count


def read_rows(table: Table, lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """The rows of a dumped table, decoded by column type. ValueError names the line that is wrong."""
    decoders = {c.name: _decoder(c) for c in table.columns}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            unknown = set(record) - set(decoders)
            if not isinstance(record, dict) or unknown:
                raise ValueError(f"columns this version does not have: {', '.join(sorted(unknown))}")
            yield {name: (None if value is None else decoders[name](value)) for name, value in record.items()}
        except (ValueError, TypeError) as exc:
            raise ValueError(f"table {table.name}, line {number}: {exc}") from None


def snapshot(store: Store) -> Iterator[Connection]:
    """One connection reading every table as of one moment (a generator: close it when done)."""
    connection = store.engine.connect()
    try:
        if store.kind == "postgresql":
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            yield connection
    finally:
        connection.close()


def is_empty(store: Store) -> bool:
    """Whether the store holds no alliance and no user (a schema alone is empty)."""
    names = set(inspect(store.engine).get_table_names())
    with store.engine.connect() as connection:
        for name in ("alliances", "users"):
            if name in names and connection.execute(select(func.count()).select_from(metadata.tables[name])).scalar():
                return False
    return True


def load(store: Store, rows_of: Callable[[Table], Iterable[dict[str, Any]]],
         progress: Callable[[Table, int], None] | None = None) -> dict[str, int]:
    """Insert every table's rows (from `rows_of(table)`) in one transaction; rows per table."""
    counts: dict[str, int] = {}
    with store.engine.connect() as connection:
        with connection.begin():
            for table in tables():
                counts[table.name] = 0
                batch: list[dict[str, Any]] = []
                for row in rows_of(table):
                    batch.append(row)
                    if len(batch) == BATCH:
                        connection.execute(insert(table), batch)
                        counts[table.name] += len(batch)
                        batch = []
                if batch:
                    connection.execute(insert(table), batch)
                    counts[table.name] += len(batch)
                if progress is not None:
                    progress(table, counts[table.name])
            if store.kind == "postgresql":
                _move_sequences(connection)
    return counts


def _move_sequences(connection: Connection) -> None:
    """Rows came with their ids: each serial id's sequence must continue after the highest one."""
    for table in tables():
        keys = [c for c in table.primary_key.columns if isinstance(c.type, Integer) and c.autoincrement is not False]
        if len(keys) != 1:
            continue
        column = keys[0]
        sequence = connection.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                      {"t": table.name, "c": column.name}).scalar()
        if sequence is None:
            continue
        connection.execute(text(f"SELECT setval(:s, COALESCE((SELECT max({column.name}) FROM {table.name}), 0) + 1, "
                                "false)"), {"s": sequence})


def schema_revision(store: Store) -> str:
    """The schema revision the database is at (Alembic's own table)."""
    with store.engine.connect() as connection:
        return str(connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one())


def empty(store: Store) -> None:
    """Delete every row a failed restore may have left (its load is one transaction, so there are
    none unless the failure came after it): the target is empty again and the restore can run again."""
    existing = set(inspect(store.engine).get_table_names())
    with store.engine.begin() as connection:
        for table in reversed(tables()):
            if table.name in existing:
                connection.execute(delete(table))
