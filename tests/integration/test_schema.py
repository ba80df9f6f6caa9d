"""The schema: migrations create exactly the tables' definitions, and tenant columns are everywhere."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from alliance.store.database import Store
from alliance.store.tables import PLATFORM_TABLES, TENANT_ROOTS, metadata


def test_migrations_match_table_definitions(store: Store) -> None:
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_every_table_of_member_data_carries_alliance_id() -> None:
    for table in metadata.sorted_tables:
        if table.name in TENANT_ROOTS or table.name in PLATFORM_TABLES:
            continue
        assert "alliance_id" in table.c, f"{table.name} lacks alliance_id"
        assert not table.c.alliance_id.nullable


def test_migrating_again_is_a_no_op(store: Store) -> None:
    store.migrate()
    store.migrate()
    assert {"alliances", "members", "member_resources"} <= set(store.table_names())


def test_every_table_of_member_data_has_row_level_security_on_postgresql() -> None:
    from importlib import import_module

    first = import_module("alliance.store.migrations.versions.0010_row_level_security")
    covered = set(first.TABLES)
    for path in sorted(Path(first.__file__).parent.glob("0*.py")):  # later migrations name theirs RLS_TABLES
        covered |= set(getattr(import_module(f"alliance.store.migrations.versions.{path.stem}"), "RLS_TABLES", ()))
    member_data = {t.name for t in metadata.sorted_tables
                   if "alliance_id" in t.c and t.name not in TENANT_ROOTS and t.name not in PLATFORM_TABLES}
    assert covered == member_data


def test_runs_made_before_watermarks_get_their_closing_time_as_one(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import text

    store = Store.open(f"sqlite:///{tmp_path / 'old.db'}", migrate=False)
    try:
        store.migrate("0014_key_scopes")
        with store.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO alliances (id, code, name, kind, structure, currency, timezone, charter, status, created_at) "
                "VALUES (1, 'old', 'Old', 'sme', 'mesh', 'CNY', 'Asia/Shanghai', '', 'active', '2026-11-01 00:00:00.000000')"))
            connection.execute(text(
                "INSERT INTO settlement_runs (alliance_id, day, currency, lines, late_lines, agreements, closed_at, actor) "
                "VALUES (1, '2026-12-05', 'CNY', 0, 0, '[]', '2026-12-06 01:00:00.000000', 'fin')"))
        store.migrate()
        with store.engine.connect() as connection:
            (watermark,) = connection.execute(text("SELECT watermark_us FROM settlement_runs")).one()
        closed_at = datetime(2026, 12, 6, 1, tzinfo=UTC)
        assert watermark == int(closed_at.timestamp()) * 1_000_000
    finally:
        store.close()
