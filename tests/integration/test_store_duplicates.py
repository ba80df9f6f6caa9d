"""The driver's unique-key error never leaves the store: a second insert of a key kept once raises
the platform's AlreadyStored (a Conflict), on SQLite and PostgreSQL, and the service says what it
means."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from alliance.access import service as access
from alliance.core.clock import FrozenClock
from alliance.core.errors import AlreadyStored, Conflict
from alliance.store.database import Store

NOW = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)


def test_a_second_insert_of_a_unique_key_is_already_stored(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.access.add_user("li", "hash", "李", NOW)
        with pytest.raises(AlreadyStored) as raised:
            uow.access.add_user("li", "hash", "李", NOW)
        assert isinstance(raised.value, Conflict) and raised.value.status == 409
        assert "add_user" in raised.value.message and "IntegrityError" not in raised.value.message


def test_the_service_turns_it_into_its_own_conflict(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FrozenClock(NOW)
    access.create_user(store, "li", "a long enough password", "李", clock)
    # As if another writer added "wang" between the service's check and its insert.
    from alliance.store.access_repository import AccessRepository

    monkeypatch.setattr(AccessRepository, "user", lambda self, username: None)
    with pytest.raises(Conflict, match="user 'li' already exists"):
        access.create_user(store, "li", "a long enough password", "李", clock)
