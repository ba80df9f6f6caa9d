"""The notification outbox (notify.outbox). Scoped by alliance_id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from alliance.store.tables import notify_outbox as t


@dataclass(frozen=True)
class OutboxRow:
    id: int
    alliance_id: int
    event: str
    audience: str
    member: str | None
    title: str
    title_doc: dict[str, Any] | None
    body: str
    body_doc: dict[str, Any] | None
    link: str
    group_key: str
    repeats: int
    created_at: datetime
    updated_at: datetime
    dispatched_at: datetime | None


class OutboxRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add_or_repeat(self, values: dict[str, Any], now: datetime) -> int:
        """A new row, or, when an undelivered row has the same (alliance, event, group key) and the
        key is not empty, that row with the newer text and one more repeat."""
        if values["group_key"]:
            same = self._c.execute(
                select(t.c.id, t.c.repeats).where(
                    t.c.alliance_id == values["alliance_id"], t.c.event == values["event"],
                    t.c.group_key == values["group_key"], t.c.dispatched_at.is_(None))
                .order_by(t.c.id).limit(1)).first()
            if same is not None:
                self._c.execute(update(t).where(t.c.id == same.id)
                                .values(**values, repeats=same.repeats + 1, updated_at=now))
                return int(same.id)
        result = self._c.execute(insert(t).values(**values, repeats=1, created_at=now, updated_at=now))
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    def undispatched(self, limit: int = 500) -> list[OutboxRow]:
        rows = self._c.execute(select(t).where(t.c.dispatched_at.is_(None)).order_by(t.c.id).limit(limit))
        return [OutboxRow(**r._mapping) for r in rows]

    def of_alliance(self, alliance_id: int) -> list[OutboxRow]:
        rows = self._c.execute(select(t).where(t.c.alliance_id == alliance_id).order_by(t.c.id))
        return [OutboxRow(**r._mapping) for r in rows]

    def mark_dispatched(self, ids: list[int], now: datetime) -> None:
        if ids:
            self._c.execute(update(t).where(t.c.id.in_(ids)).values(dispatched_at=now))
