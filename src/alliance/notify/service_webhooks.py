"""Webhooks: an alliance's (managed by its coordinator) or one member's (by that member's admin).

Each account manages the webhooks of its own level only: an alliance-wide account (coordinator,
platform admin) those of the alliance, a member admin those of its member; another member's
webhooks are answered as not found. The signing secret is made here and shown once, when the
webhook is added. Calls are made by the dispatcher (`notify.service`), never here: "send a test
event" queues a delivery that the next run sends (the CLI sends it at once).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from alliance.access.policy import Action, authorize
from alliance.access.roles import Principal
from alliance.core.clock import Clock
from alliance.core.errors import NotFound
from alliance.core.messages import Message
from alliance.notify import delivery
from alliance.store.database import Store
from alliance.store.notify_delivery_repository import DeliveryRow, NotifyRepository, WebhookRow
from alliance.store.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Webhook:
    id: int
    member: str | None
    url: str
    events: list[str]
    enabled: bool
    created_at: datetime
    created_by: str


@dataclass(frozen=True)
class AddedWebhook:
    webhook: Webhook
    secret: str  # shown once; only the platform keeps it (to sign)


@dataclass(frozen=True)
class Delivery:
    id: int
    event: str
    status: str
    attempts: int
    status_code: int | None
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    log: list[dict[str, Any]]


def _view(row: WebhookRow) -> Webhook:
    return Webhook(row.id, row.member, row.url, list(row.events), row.enabled, row.created_at, row.created_by)


def _delivery(row: DeliveryRow) -> Delivery:
    return Delivery(row.id, row.event, row.status, row.attempts, row.status_code, row.last_error, row.created_at,
                    row.next_attempt_at, row.delivered_at, list(row.log))


def _alliance_id(uow: UnitOfWork, principal: Principal, alliance: str) -> int:
    authorize(principal, Action.MANAGE_WEBHOOKS, alliance)
    return uow.alliances.require(alliance).id


def _own(uow: UnitOfWork, principal: Principal, alliance: str, webhook_id: int) -> tuple[int, WebhookRow]:
    aid = _alliance_id(uow, principal, alliance)
    row = NotifyRepository(uow.connection).webhook(aid, webhook_id)
    if row is None or row.member != principal.member:
        raise NotFound(Message("no webhook {webhook} in {alliance} for this account", webhook=webhook_id,
                               alliance=alliance))
    return aid, row


def add_webhook(store: Store, principal: Principal, alliance: str, url: str, events: Iterable[str],
                clock: Clock) -> AddedWebhook:
    """A new enabled webhook of the principal's level (the alliance, or its own member). InvalidInput,
    nothing stored, for a URL that is not http(s) or an unknown event."""
    url = delivery.check_url(url)
    chosen = delivery.check_events(events)
    secret = delivery.new_secret()
    with store.unit_of_work() as uow:
        aid = _alliance_id(uow, principal, alliance)
        repo = NotifyRepository(uow.connection)
        new = repo.add_webhook({"alliance_id": aid, "member": principal.member, "url": url, "secret": secret,
                                "events": chosen, "enabled": True, "created_at": clock.now(),
                                "created_by": principal.actor[:200]})
        row = repo.webhook(aid, new)
        uow.commit()
    assert row is not None
    return AddedWebhook(_view(row), secret)


def webhooks(store: Store, principal: Principal, alliance: str) -> list[Webhook]:
    with store.unit_of_work() as uow:
        aid = _alliance_id(uow, principal, alliance)
        return [_view(r) for r in NotifyRepository(uow.connection).webhooks(aid) if r.member == principal.member]


def set_enabled(store: Store, principal: Principal, alliance: str, webhook_id: int, enabled: bool) -> Webhook:
    with store.unit_of_work() as uow:
        aid, row = _own(uow, principal, alliance, webhook_id)
        repo = NotifyRepository(uow.connection)
        repo.set_enabled(row.id, enabled)
        changed = repo.webhook(aid, row.id)
        uow.commit()
    assert changed is not None
    return _view(changed)


def remove_webhook(store: Store, principal: Principal, alliance: str, webhook_id: int) -> None:
    """The webhook and its delivery log are deleted (its pending calls are not made)."""
    with store.unit_of_work() as uow:
        _, row = _own(uow, principal, alliance, webhook_id)
        NotifyRepository(uow.connection).delete_webhook(row.id)
        uow.commit()


def deliveries(store: Store, principal: Principal, alliance: str, webhook_id: int) -> list[Delivery]:
    """The webhook's delivery log, newest first."""
    with store.unit_of_work() as uow:
        _, row = _own(uow, principal, alliance, webhook_id)
        return [_delivery(d) for d in NotifyRepository(uow.connection).deliveries_of_webhook(row.id)]


def send_test(store: Store, principal: Principal, alliance: str, webhook_id: int, clock: Clock,
              public_url: str = "") -> Delivery:
    """Queue a test call (event `webhook.test`) to the webhook, enabled or not; the dispatcher sends it."""
    now = clock.now()
    with store.unit_of_work() as uow:
        aid, row = _own(uow, principal, alliance, webhook_id)
        repo = NotifyRepository(uow.connection)
        payload = {"id": f"test_{row.id}_{int(now.timestamp())}", "event": delivery.TEST_EVENT, "alliance": alliance,
                   "member": row.member, "title": "Test event", "body": "A test call of this webhook.",
                   "link": f"{public_url.rstrip('/')}/alliances/{alliance}/webhooks", "occurred_at": now.isoformat()}
        new = repo.add_delivery({"alliance_id": aid, "channel": "webhook", "outbox_id": None, "user_id": None,
                                 "webhook_id": row.id, "event": delivery.TEST_EVENT, "recipient": row.url,
                                 "payload": payload, "status": "pending", "attempts": 0, "log": [],
                                 "created_at": now, "next_attempt_at": now})
        stored = repo.delivery(new)
        uow.commit()
    assert stored is not None
    return _delivery(stored)
