"""Idempotent API writes, like Stripe's: the first response to a key is kept and replayed.

A retry with the same `Idempotency-Key` and the same request gets the stored response, and the
write is not done twice; the same key with a different request is refused. Keys are scoped to
an alliance. Only completed outcomes are kept (2xx and 4xx), so a retry after a server failure
runs again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select, update

from alliance.core.clock import Clock
from alliance.core.errors import AllianceError, Conflict
from alliance.core.text import check_text
from alliance.store.database import Store
from alliance.store.tables import idempotency_keys


class KeyReused(Conflict):
    code = "idempotency_key_reused"
    title = "Idempotency key reused"


@dataclass(frozen=True, slots=True)
class Outcome:
    status: int
    body: dict[str, Any]
    replayed: bool = False


def request_digest(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def lookup(store: Store, alliance_code: str, key: str) -> tuple[int, Any] | None:
    """(alliance id, the stored row or None) for a key; None when the alliance does not exist."""
    with store.unit_of_work() as uow:
        alliance_id = uow.alliances.id_of(alliance_code)
        if alliance_id is None:
            return None
        row = uow.connection.execute(
            select(idempotency_keys).where(idempotency_keys.c.alliance_id == alliance_id, idempotency_keys.c.key == key)
        ).one_or_none()
    return alliance_id, row


PENDING = 0  # the status of a key reserved by a request still running


def reserve(store: Store, alliance_id: int, key: str, digest: str, clock: Clock) -> bool:
    """Claim a key before running its request: False when another request holds it already."""
    from sqlalchemy.exc import IntegrityError

    try:
        with store.unit_of_work() as uow:
            uow.connection.execute(insert(idempotency_keys).values(
                alliance_id=alliance_id, key=key, request_sha256=digest, status=PENDING, response={},
                created_at=clock.now()))
            uow.commit()
    except (IntegrityError, AllianceError):
        return False
    return True


def complete(store: Store, alliance_id: int, key: str, outcome: Outcome) -> None:
    with store.unit_of_work() as uow:
        uow.connection.execute(update(idempotency_keys).where(
            idempotency_keys.c.alliance_id == alliance_id, idempotency_keys.c.key == key).values(
            status=outcome.status, response=outcome.body))
        uow.commit()


def release(store: Store, alliance_id: int, key: str) -> None:
    """Give a reserved key back (its request ended with nothing worth replaying)."""
    with store.unit_of_work() as uow:
        uow.connection.execute(delete(idempotency_keys).where(
            idempotency_keys.c.alliance_id == alliance_id, idempotency_keys.c.key == key,
            idempotency_keys.c.status == PENDING))
        uow.commit()


def remember(store: Store, alliance_id: int, key: str, digest: str, outcome: Outcome, clock: Clock) -> None:
    """Keep an outcome for a key (a concurrent duplicate keeps the first one)."""
    from sqlalchemy.exc import IntegrityError

    try:
        _remember(store, alliance_id, key, digest, outcome, clock)
    except (IntegrityError, AllianceError):
        pass


def once(store: Store, alliance_code: str, key: str | None, digest: str, clock: Clock,
         action: Callable[[], Outcome]) -> Outcome:
    """Run `action` unless this key already has an outcome for this alliance; then replay it."""
    if key is None:
        return action()
    key = check_text(key, "the Idempotency-Key header", 200)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        row = uow.connection.execute(
            select(idempotency_keys).where(idempotency_keys.c.alliance_id == alliance.id, idempotency_keys.c.key == key)
        ).one_or_none()
    if row is not None:
        if row.request_sha256 != digest:
            raise KeyReused(f"Idempotency-Key {key!r} was used for a different request")
        return Outcome(row.status, row.response, replayed=True)
    try:
        outcome = action()
    except AllianceError as exc:
        if exc.status >= 500:
            raise
        outcome = Outcome(exc.status, {"code": exc.code, "title": exc.title, "detail": exc.message})
        _remember(store, alliance.id, key, digest, outcome, clock)
        raise
    _remember(store, alliance.id, key, digest, outcome, clock)
    return outcome


def _remember(store: Store, alliance_id: int, key: str, digest: str, outcome: Outcome, clock: Clock) -> None:
    with store.unit_of_work() as uow:
        uow.connection.execute(insert(idempotency_keys).values(
            alliance_id=alliance_id, key=key, request_sha256=digest, status=outcome.status, response=outcome.body,
            created_at=clock.now(),
        ))
        uow.commit()
