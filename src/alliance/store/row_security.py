"""Row-level security for member data on PostgreSQL, as migration 0010 set it up: a table's rows
are visible only within the alliance the connection's `alliance.scope` names ('*' for platform
work). Migrations that add member tables call `enable`; tests/integration/test_schema.py checks
every such table has the policy. (A migration keeps its own copy of what it ran before this
module existed: migrations are history and are not edited.)"""

from __future__ import annotations

from collections.abc import Iterable

from alembic import op

RULE = ("current_setting('alliance.scope', true) = '*' OR alliance_id IN "
        "(SELECT id FROM alliances WHERE code = current_setting('alliance.scope', true))")


def enable(tables: Iterable[str]) -> None:
    """Turn on (and force) the alliance-scope policy on `tables`; nothing on SQLite."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY alliance_scope ON {table} USING ({RULE}) WITH CHECK ({RULE})")
