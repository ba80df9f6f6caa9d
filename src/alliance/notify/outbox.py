"""Publishing a notice: one outbox row written in the caller's unit of work.

Called by any capability's service inside the transaction of the write that caused the event, so
the notice exists exactly when that write committed. Nothing is sent here: the dispatcher (run by
the scheduler) fans the outbox out to inboxes, e-mail and webhooks, so a receiver that is down never
blocks or fails the request that caused the event.
"""

from __future__ import annotations

from datetime import datetime

from alliance.core.messages import to_document
from alliance.notify.notice import Notice
from alliance.store.notify_repository import OutboxRepository
from alliance.store.unit_of_work import UnitOfWork


def publish(uow: UnitOfWork, notice: Notice, now: datetime) -> int:
    """Record `notice` in the caller's transaction (committed with it, or not at all); the id of its
    outbox row (an undelivered notice with the same alliance, event and key is repeated, not doubled)."""
    values = {
        "alliance_id": notice.alliance_id, "event": notice.event.value, "audience": notice.audience.value,
        "member": notice.member, "title": str(notice.title), "title_doc": to_document(notice.title),
        "body": str(notice.body), "body_doc": to_document(notice.body), "link": notice.link,
        "group_key": notice.key,
    }
    return OutboxRepository(uow.connection).add_or_repeat(values, now)
