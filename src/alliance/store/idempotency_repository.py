"""Rows <-> the answers kept for `Idempotency-Key`s (alliance.edge.idempotency); scoped by alliance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, insert, or_, select, update

from alliance.store.tables import idempotency_keys

RUNNING = 0  # the status of a key reserved by a request still running


@dataclass(frozen=True, slots=True)
class KeptAnswer:
    request_sha256: str
    status: int  # RUNNING while the request that reserved the key runs
    response: dict[str, Any]
    created_at: datetime

    @property
    def running(self) -> bool:
        return self.status == RUNNING


class IdempotencyRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def find(self, alliance_id: int, key: str) -> KeptAnswer | None:
        t = idempotency_keys.c
        row = self._c.execute(select(t.request_sha256, t.status, t.response, t.created_at)
                              .where(t.alliance_id == alliance_id, t.key == key)).one_or_none()
        return None if row is None else KeptAnswer(row.request_sha256, row.status, row.response, row.created_at)

    def reserve(self, alliance_id: int, key: str, request_sha256: str, now: datetime) -> None:
        """Claim the key for a request about to run (a unique key: a concurrent claim fails)."""
        self._c.execute(insert(idempotency_keys).values(alliance_id=alliance_id, key=key, request_sha256=request_sha256,
                                                        status=RUNNING, response={}, created_at=now))

    def complete(self, alliance_id: int, key: str, status: int, response: dict[str, Any]) -> None:
        t = idempotency_keys.c
        self._c.execute(update(idempotency_keys).where(t.alliance_id == alliance_id, t.key == key, t.status == RUNNING)
                        .values(status=status, response=response))

    def release(self, alliance_id: int, key: str) -> None:
        t = idempotency_keys.c
        self._c.execute(delete(idempotency_keys).where(t.alliance_id == alliance_id, t.key == key, t.status == RUNNING))

    def forget(self, alliance_id: int, answers_before: datetime, reservations_before: datetime) -> None:
        """Drop the alliance's answers kept since before `answers_before`, and the reservations of
        requests that never finished (the process stopped) made before `reservations_before`."""
        t = idempotency_keys.c
        self._c.execute(delete(idempotency_keys).where(t.alliance_id == alliance_id, or_(
            and_(t.status != RUNNING, t.created_at < answers_before),
            and_(t.status == RUNNING, t.created_at < reservations_before))))
