"""Loading and saving what matching keeps: declared resources and needs (members' in
`member_resources`, outside holders' in `directory_resources`: the same columns), an alliance's own
resource kinds and its directory of outside holders. Every query is scoped by alliance_id."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Table, delete, insert, select, update
from sqlalchemy.engine import Row

from alliance.matching.entries import DirectoryEntry, EntryDraft
from alliance.matching.model import Declaration, Side, Window
from alliance.matching.taxonomy import Kind
from alliance.store.duplicates import refuses_duplicates
from alliance.store.tables import directory_entries, directory_resources, member_resources, members, resource_kinds

# The registry's word for a side (member_resources.direction predates matching.model.Side).
DIRECTION = {Side.RESOURCE: "offer", Side.NEED: "need"}
SIDE = {v: k for k, v in DIRECTION.items()}


class Owner(StrEnum):
    """Which table holds a holder's declarations, and which column names the holder."""

    MEMBER = "member"
    ENTRY = "entry"


_TABLES: dict[Owner, tuple[Table, str]] = {
    Owner.MEMBER: (member_resources, "member_id"),
    Owner.ENTRY: (directory_resources, "entry_id"),
}


def declaration_of(row: Row[Any]) -> Declaration:
    return Declaration(
        side=SIDE[row.direction], kind=row.category, description=row.description, capacity=row.capacity,
        unit=row.unit, region=row.region, window=Window(row.starts_on, row.ends_on), priority=row.priority)


def _values(d: Declaration, at: datetime, by: str) -> dict[str, Any]:
    return {"direction": DIRECTION[d.side], "category": d.kind, "description": d.description,
            "capacity": d.capacity, "unit": d.unit, "priority": d.priority, "region": d.region,
            "starts_on": d.window.starts_on, "ends_on": d.window.ends_on, "updated_at": at, "updated_by": by}


class MatchingRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def member_id(self, alliance_id: int, code: str) -> int | None:
        """The member's row id (left members too), without loading its profile and resources."""
        return self._c.execute(select(members.c.id).where(members.c.alliance_id == alliance_id,
                                                          members.c.code == code)).scalar_one_or_none()

    # -- declarations ----------------------------------------------------------------------------

    def declarations(self, owner: Owner, alliance_id: int,
                     owner_ids: Iterable[int] | None = None) -> dict[int, list[Row[Any]]]:
        """Owner id -> its declaration rows (resources first, by priority), for `owner_ids` or all."""
        table, column = _TABLES[owner]
        query = (select(table).where(table.c.alliance_id == alliance_id)
                 .order_by(table.c[column], table.c.direction.desc(), table.c.priority, table.c.id))
        wanted = None if owner_ids is None else set(owner_ids)
        if wanted is not None and len(wanted) <= 500:
            query = query.where(table.c[column].in_(wanted))
        found: dict[int, list[Row[Any]]] = {}
        for row in self._c.execute(query):
            if wanted is None or row._mapping[column] in wanted:
                found.setdefault(row._mapping[column], []).append(row)
        return found

    def declaration(self, owner: Owner, alliance_id: int, declaration_id: int) -> Row[Any] | None:
        table, _ = _TABLES[owner]
        return self._c.execute(select(table).where(table.c.alliance_id == alliance_id,
                                                   table.c.id == declaration_id)).one_or_none()

    def add_declarations(self, owner: Owner, alliance_id: int, rows: Sequence[tuple[int, Declaration]],
                         at: datetime, by: str) -> list[int]:
        """Insert (owner id, declaration) pairs; their new ids, in order."""
        table, column = _TABLES[owner]
        ids = []
        for owner_id, d in rows:  # one by one: the ids are wanted, and imports are modest in size
            result = self._c.execute(insert(table).values(alliance_id=alliance_id, **{column: owner_id},
                                                          **_values(d, at, by)))
            key = result.inserted_primary_key
            assert key is not None
            ids.append(int(key[0]))
        return ids

    def update_declaration(self, owner: Owner, alliance_id: int, declaration_id: int, d: Declaration,
                           at: datetime, by: str) -> None:
        table, _ = _TABLES[owner]
        self._c.execute(update(table).where(table.c.alliance_id == alliance_id, table.c.id == declaration_id)
                        .values(**_values(d, at, by)))

    def delete_declaration(self, owner: Owner, alliance_id: int, declaration_id: int) -> None:
        table, _ = _TABLES[owner]
        self._c.execute(delete(table).where(table.c.alliance_id == alliance_id, table.c.id == declaration_id))

    # -- the alliance's own kinds -----------------------------------------------------------------

    def kinds(self, alliance_id: int) -> list[Kind]:
        rows = self._c.execute(select(resource_kinds).where(resource_kinds.c.alliance_id == alliance_id)
                               .order_by(resource_kinds.c.key))
        return [Kind(r.key, r.name_en, r.name_zh, builtin=False) for r in rows]

    @refuses_duplicates
    def add_kind(self, alliance_id: int, kind: Kind, at: datetime, by: str) -> None:
        self._c.execute(insert(resource_kinds).values(alliance_id=alliance_id, key=kind.key, name_en=kind.name_en,
                                                      name_zh=kind.name_zh, created_at=at, created_by=by))

    # -- the directory of outside holders ---------------------------------------------------------

    def entries(self, alliance_id: int) -> list[DirectoryEntry]:
        rows = self._c.execute(select(directory_entries).where(directory_entries.c.alliance_id == alliance_id)
                               .order_by(directory_entries.c.code))
        return [_entry(r) for r in rows]

    def entry(self, alliance_id: int, code: str) -> DirectoryEntry | None:
        row = self._c.execute(select(directory_entries).where(directory_entries.c.alliance_id == alliance_id,
                                                              directory_entries.c.code == code)).one_or_none()
        return None if row is None else _entry(row)

    def entry_of_prospect(self, alliance_id: int, prospect_id: int) -> DirectoryEntry | None:
        row = self._c.execute(select(directory_entries).where(
            directory_entries.c.alliance_id == alliance_id,
            directory_entries.c.prospect_id == prospect_id)).one_or_none()
        return None if row is None else _entry(row)

    @refuses_duplicates
    def add_entry(self, alliance_id: int, draft: EntryDraft, at: datetime, by: str) -> int:
        result = self._c.execute(insert(directory_entries).values(
            alliance_id=alliance_id, **asdict(draft), created_at=at, updated_at=at, updated_by=by))
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    @refuses_duplicates
    def update_entry(self, alliance_id: int, entry_id: int, draft: EntryDraft, at: datetime, by: str) -> None:
        self._c.execute(update(directory_entries)
                        .where(directory_entries.c.alliance_id == alliance_id, directory_entries.c.id == entry_id)
                        .values(**asdict(draft), updated_at=at, updated_by=by))

    def delete_entry(self, alliance_id: int, entry_id: int) -> None:
        """The entry and its declarations (deleted here too: SQLite enforces no cascade without its pragma)."""
        self._c.execute(delete(directory_resources).where(directory_resources.c.alliance_id == alliance_id,
                                                          directory_resources.c.entry_id == entry_id))
        self._c.execute(delete(directory_entries).where(directory_entries.c.alliance_id == alliance_id,
                                                        directory_entries.c.id == entry_id))


def _entry(row: Row[Any]) -> DirectoryEntry:
    return DirectoryEntry(
        id=row.id, code=row.code, name=row.name, credit_code=row.credit_code, region=row.region,
        industry=row.industry, contact=row.contact, note=row.note, source=row.source, prospect_id=row.prospect_id,
        created_at=row.created_at, updated_at=row.updated_at, updated_by=row.updated_by)
