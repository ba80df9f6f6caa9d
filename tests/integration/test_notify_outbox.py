"""The notification outbox on SQLite and PostgreSQL: a notice is kept exactly when the caller's
transaction commits, keeps its text as a message (said later in the reader's language), and an
undelivered repeat with the same key is one row that counts its repeats."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alliance.core.clock import FrozenClock
from alliance.core.messages import Message, from_document
from alliance.notify.notice import Audience, EventKind, Notice
from alliance.notify.outbox import publish
from alliance.store.database import Store
from alliance.store.notify_repository import OutboxRepository
from tests.support.factories import make_alliance


def _notice(alliance_id: int, key: str = "rule-1", value: str = "17%") -> Notice:
    return Notice(EventKind.WARNING_FIRED, alliance_id, Audience.COORDINATORS,
                  Message("Warning {rule} is firing", rule="idle"), Message("Idle rate {value}", value=value),
                  link="/alliances/tea/health", key=key)


def test_a_notice_exists_only_if_its_transaction_commits(store: Store, clock: FrozenClock) -> None:
    make_alliance(store, clock, code="tea")
    with store.unit_of_work() as uow:
        aid = uow.alliances.require("tea").id
        publish(uow, _notice(aid), clock.now())  # rolled back: never committed
    with store.unit_of_work() as uow:
        assert OutboxRepository(uow.connection).of_alliance(aid) == []
        publish(uow, _notice(aid), clock.now())
        uow.commit()
    with store.unit_of_work() as uow:
        [row] = OutboxRepository(uow.connection).of_alliance(aid)
    assert (row.event, row.audience, row.title, row.repeats, row.dispatched_at) == (
        "warning.fired", "coordinators", "Warning idle is firing", 1, None)
    said = from_document(row.body_doc, row.body)
    assert isinstance(said, Message) and said.template == "Idle rate {value}" and said.params == {"value": "17%"}


def test_an_undelivered_repeat_is_one_row_and_a_delivered_one_is_new(store: Store, clock: FrozenClock) -> None:
    make_alliance(store, clock, code="tea")
    with store.unit_of_work() as uow:
        aid = uow.alliances.require("tea").id
        first = publish(uow, _notice(aid), clock.now())
        again = publish(uow, _notice(aid, value="19%"), clock.now() + timedelta(minutes=5))
        other = publish(uow, _notice(aid, key="rule-2"), clock.now())
        OutboxRepository(uow.connection).mark_dispatched([first, other], clock.now() + timedelta(minutes=6))
        after = publish(uow, _notice(aid), clock.now() + timedelta(minutes=7))
        uow.commit()
    with store.unit_of_work() as uow:
        rows = {r.id: r for r in OutboxRepository(uow.connection).of_alliance(aid)}
        pending = OutboxRepository(uow.connection).undispatched()
    assert again == first and other != first and after not in (first, other)
    assert rows[first].repeats == 2 and rows[first].body == "Idle rate 19%"
    assert [r.id for r in pending] == [after]


def test_a_notice_for_a_member_names_it() -> None:
    with pytest.raises(ValueError):
        Notice(EventKind.RATING_CHANGED, 1, Audience.MEMBER, Message("x"), Message("y"))
