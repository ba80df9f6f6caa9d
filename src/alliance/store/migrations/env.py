"""Alembic environment: runs on the connection the Store hands over (see Store.migrate)."""

from __future__ import annotations

from alembic import context

from alliance.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - we never run Alembic from its own CLI
    raise RuntimeError("run migrations through `alliance db upgrade`, which supplies the connection")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
