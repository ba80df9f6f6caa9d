"""The SQL of shared datasets beyond sales (alliance.datashare.datasets): their tables, their
idempotent storing, and what a shared view reads of them.

Each kind has a table of its own, made from its declared fields (`DatasetKind.fields`): the
alliance, the member that shared the row (`shared_by`), one column per field (money in minor units
of the alliance's currency, `<name>_minor`), and when it was imported. A row's key (the kind's
`key`) is unique per alliance and member: a row imported again with other content replaces the
stored one (the latest import wins), the same content is a no-op.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alliance.core.errors import InvalidInput
from alliance.core.messages import Message
from alliance.core.money import Money
from alliance.datashare.datasets import KINDS
from alliance.datashare.datasets.checking import ImportReport
from alliance.datashare.datasets.schema import STORED_AS, DatasetKind, Field, FieldType
from alliance.store.facts import sql

if TYPE_CHECKING:
    import duckdb

# The kinds with tables of their own (sales is `order_lines`, kept by the order-line intake).
STORED = {name: kind for name, kind in KINDS.items() if kind.importable}


def table_sql(kind: DatasetKind) -> str:
    columns = ",\n    ".join(f"{f.column} {STORED_AS[f.type]}{' NOT NULL' if f.required or f.derived else ''}"
                             for f in kind.fields)
    return (f"CREATE TABLE IF NOT EXISTS {kind.table} (\n    alliance VARCHAR NOT NULL,\n    shared_by VARCHAR NOT NULL,"
            f"\n    {columns},\n    imported_at TIMESTAMPTZ NOT NULL\n);\n")


SCHEMA = "".join(table_sql(kind) for kind in STORED.values())


def _cell(f: Field, value: Any) -> str:
    """A checked value as the staging CSV writes it ('' for none; an instant in UTC)."""
    if value is None:
        return ""
    if f.type is FieldType.INSTANT:
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def store(db: duckdb.DuckDBPyConnection, kind: DatasetKind, alliance: str, member: str,
          rows: Sequence[dict[str, Any]], now: datetime) -> ImportReport:
    """Store checked rows in one transaction (the caller's): new keys inserted, changed ones
    replaced, identical ones left alone. The rows go through a CSV of typed values (exact text of
    integers, dates and UTC instants), read by DuckDB in bulk rather than inserted one by one."""
    fields = kind.fields
    with tempfile.TemporaryDirectory() as folder:
        staging = Path(folder) / "rows.csv"
        with staging.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow([f.column for f in fields])
            for row in rows:
                writer.writerow([_cell(f, row.get(f.name)) for f in fields])
        types = ", ".join(f"{sql.literal(f.column)}: {sql.literal(STORED_AS[f.type])}" for f in fields)
        db.execute(f"""CREATE OR REPLACE TEMP TABLE incoming AS SELECT * FROM read_csv({sql.literal(str(staging))},
                       header = true, auto_detect = false, quote = '"', escape = '"', strict_mode = true,
                       columns = {{{types}}})""")
    key = " AND ".join(f"s.{kind.field(k).column} = i.{kind.field(k).column}" for k in kind.key)
    same = " AND ".join(f"s.{f.column} IS NOT DISTINCT FROM i.{f.column}" for f in fields)
    stored = f"(SELECT * FROM {kind.table} WHERE alliance = ? AND shared_by = ?)"
    db.execute(f"""CREATE OR REPLACE TEMP TABLE judged AS
                   SELECT i.*, CASE WHEN s.alliance IS NULL THEN 'new' WHEN {same} THEN 'unchanged'
                                    ELSE 'replaced' END AS status
                   FROM incoming i LEFT JOIN {stored} s ON {key}""", [alliance, member])
    counts = dict(db.execute("SELECT status, count(*) FROM judged GROUP BY status").fetchall())
    keys = ", ".join(kind.field(k).column for k in kind.key)
    db.execute(f"""DELETE FROM {kind.table} WHERE alliance = ? AND shared_by = ?
                   AND ({keys}) IN (SELECT ({keys}) FROM judged WHERE status = 'replaced')""", [alliance, member])
    columns = ", ".join(f.column for f in fields)
    db.execute(f"""INSERT INTO {kind.table} (alliance, shared_by, {columns}, imported_at)
                   SELECT ?, ?, {columns}, ? FROM judged WHERE status <> 'unchanged'""", [alliance, member, now])
    return ImportReport(kind.name, int(counts.get("new", 0)), int(counts.get("replaced", 0)),
                        int(counts.get("unchanged", 0)))


# -- shared views ---------------------------------------------------------------------------------

def _column(kind: DatasetKind, name: str) -> str:
    f = kind.field(name)
    assert f.view is not None, name  # a view names only view fields (checked by datashare.views)
    return f.column


def where(kind: DatasetKind, filters: Sequence[Any], digits: int) -> tuple[str, list[Any]]:
    """SQL for already-checked filters (fields and operators from a closed list); money in the
    alliance's currency, in which every dataset amount is."""
    clauses, parameters = [], []
    for f in filters:
        assert f.op in ("=", ">=", "<=")
        value = f.value
        if kind.field(f.field).type is FieldType.MONEY:
            scaled = value * 10**digits
            if scaled != scaled.to_integral_value():
                raise InvalidInput(Message("filter on {field!r}: {value} has more places than the currency",
                                           field=f.field, value=value))
            value = int(scaled)
        clauses.append(f"{_column(kind, f.field)} {f.op} ?")
        parameters.append(value)
    return "".join(f" AND {c}" for c in clauses), parameters


def shown(kind: DatasetKind, name: str, value: Any, currency: str) -> Any:
    """A value as a view shows it: money as decimal text, a day as YYYY-MM-DD."""
    if value is None:
        return None
    if kind.field(name).type is FieldType.MONEY:
        return Money(int(value), currency).amount_text()
    if isinstance(value, date):
        return value.isoformat()
    return value


def rows_sql(kind: DatasetKind, fields: Sequence[str], where_sql: str, sort: tuple[str, bool] | None) -> str:
    keys = ", ".join(kind.field(k).column for k in kind.key)
    order = f"{_column(kind, sort[0])} {'DESC' if sort[1] else 'ASC'}, {keys}" if sort else keys
    columns = ", ".join(_column(kind, f) for f in fields)
    return (f"SELECT {columns} FROM {kind.table} WHERE alliance = ? AND shared_by = ?{where_sql} "
            f"ORDER BY {order} LIMIT ? OFFSET ?")


def groups_sql(kind: DatasetKind, group_by: Sequence[str], sums: Sequence[str]) -> str:
    keys = ", ".join(_column(kind, f) for f in group_by)
    totals = "".join(f", sum({_column(kind, f)})" for f in sums)
    return (f"SELECT {keys + ', ' if keys else ''}count(*) AS n{totals} FROM {kind.table} "
            f"WHERE alliance = ? AND shared_by = ?{' GROUP BY ' + keys if keys else ''}"
            f"{' ORDER BY ' + keys if keys else ''}")
