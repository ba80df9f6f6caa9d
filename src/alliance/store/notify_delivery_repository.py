"""Delivering notices (notify.service): people of an alliance, users' notification settings and
choices, inboxes, webhooks and the delivery log. Inbox, webhook and delivery rows are scoped by alliance_id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, select, update

from alliance.store.tables import (alliances, members, notify_accounts, notify_deliveries, notify_inbox,
                                   notify_preferences, notify_webhooks, user_roles, users)


@dataclass(frozen=True, slots=True)
class RoleHolder:
    user_id: int
    username: str
    role: str
    member: str | None
    member_left_on: date | None
    disabled: bool


@dataclass(frozen=True, slots=True)
class InboxRow:
    id: int
    alliance_id: int
    user_id: int
    outbox_id: int
    event: str
    member: str | None
    title: str
    title_doc: dict[str, Any] | None
    body: str
    body_doc: dict[str, Any] | None
    link: str
    created_at: datetime
    read_at: datetime | None
    alliance: str = ""


@dataclass(frozen=True, slots=True)
class WebhookRow:
    id: int
    alliance_id: int
    member: str | None
    url: str
    secret: str
    events: list[str]
    enabled: bool
    created_at: datetime
    created_by: str


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    id: int
    alliance_id: int
    channel: str
    outbox_id: int | None
    user_id: int | None
    webhook_id: int | None
    event: str
    recipient: str
    payload: dict[str, Any]
    status: str
    attempts: int
    last_error: str | None
    status_code: int | None
    log: list[dict[str, Any]]
    created_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None


class NotifyRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    # -- people and their settings ------------------------------------------------------------------
    def role_holders(self, alliance_id: int) -> list[RoleHolder]:
        """Every user holding a role in the alliance, with the departure date of its member."""
        rows = self._c.execute(
            select(users.c.id, users.c.username, user_roles.c.role, user_roles.c.member_code, members.c.left_on,
                   users.c.disabled_at.is_not(None))
            .select_from(user_roles.join(users).outerjoin(
                members, and_(members.c.alliance_id == user_roles.c.alliance_id,
                              members.c.code == user_roles.c.member_code)))
            .where(user_roles.c.alliance_id == alliance_id).order_by(users.c.id))
        return [RoleHolder(*row) for row in rows]

    def alliance_of(self, alliance_id: int) -> tuple[str, str]:
        """The alliance's code and time zone."""
        row = self._c.execute(select(alliances.c.code, alliances.c.timezone).where(alliances.c.id == alliance_id)).one()
        return row.code, row.timezone

    def published(self, alliance_id: int, event: str, key: str) -> bool:
        """Whether a notice with this event and key was ever published in the alliance (delivered or not)."""
        from alliance.store.tables import notify_outbox

        return self._c.execute(select(notify_outbox.c.id).where(
            notify_outbox.c.alliance_id == alliance_id, notify_outbox.c.event == event,
            notify_outbox.c.group_key == key).limit(1)).first() is not None

    def user_id(self, username: str) -> int | None:
        return self._c.execute(select(users.c.id).where(users.c.username == username)).scalar_one_or_none()

    def account(self, user_id: int) -> tuple[str | None, str] | None:
        row = self._c.execute(select(notify_accounts.c.email, notify_accounts.c.language)
                              .where(notify_accounts.c.user_id == user_id)).first()
        return (row.email, row.language) if row is not None else None

    def set_account(self, user_id: int, email: str | None, language: str) -> None:
        if self.account(user_id) is None:
            self._c.execute(insert(notify_accounts).values(user_id=user_id, email=email, language=language))
        else:
            self._c.execute(update(notify_accounts).where(notify_accounts.c.user_id == user_id)
                            .values(email=email, language=language))

    def choices(self, user_id: int) -> dict[tuple[str, str], bool]:
        rows = self._c.execute(select(notify_preferences.c.event, notify_preferences.c.channel,
                                      notify_preferences.c.enabled).where(notify_preferences.c.user_id == user_id))
        return {(event, channel): bool(enabled) for event, channel, enabled in rows}

    def replace_choices(self, user_id: int, choices: dict[tuple[str, str], bool]) -> None:
        self._c.execute(delete(notify_preferences).where(notify_preferences.c.user_id == user_id))
        if choices:
            self._c.execute(insert(notify_preferences), [
                {"user_id": user_id, "event": e, "channel": ch, "enabled": on} for (e, ch), on in sorted(choices.items())])

    # -- inbox --------------------------------------------------------------------------------------
    def add_to_inbox(self, values: dict[str, Any]) -> None:
        self._c.execute(insert(notify_inbox).values(**values))

    def inbox(self, user_id: int, limit: int = 200) -> list[InboxRow]:
        rows = self._c.execute(select(notify_inbox, alliances.c.code.label("alliance"))
                               .select_from(notify_inbox.join(alliances))
                               .where(notify_inbox.c.user_id == user_id)
                               .order_by(notify_inbox.c.id.desc()).limit(limit))
        return [InboxRow(**r._mapping) for r in rows]

    def unread(self, user_id: int) -> int:
        return int(self._c.execute(select(func.count()).select_from(notify_inbox).where(
            notify_inbox.c.user_id == user_id, notify_inbox.c.read_at.is_(None))).scalar_one())

    def mark_read(self, user_id: int, inbox_id: int | None, at: datetime) -> int:
        """Mark one (or, with None, every) unread notice of the user read; how many were."""
        where = [notify_inbox.c.user_id == user_id, notify_inbox.c.read_at.is_(None)]
        if inbox_id is not None:
            where.append(notify_inbox.c.id == inbox_id)
        return int(self._c.execute(update(notify_inbox).where(*where).values(read_at=at)).rowcount)

    def inbox_item(self, user_id: int, inbox_id: int) -> InboxRow | None:
        row = self._c.execute(select(notify_inbox, alliances.c.code.label("alliance"))
                              .select_from(notify_inbox.join(alliances))
                              .where(notify_inbox.c.user_id == user_id, notify_inbox.c.id == inbox_id)).first()
        return InboxRow(**row._mapping) if row is not None else None

    # -- webhooks -----------------------------------------------------------------------------------
    def add_webhook(self, values: dict[str, Any]) -> int:
        key = self._c.execute(insert(notify_webhooks).values(**values)).inserted_primary_key
        assert key is not None
        return int(key[0])

    def webhook(self, alliance_id: int, webhook_id: int) -> WebhookRow | None:
        row = self._c.execute(select(notify_webhooks).where(notify_webhooks.c.alliance_id == alliance_id,
                                                            notify_webhooks.c.id == webhook_id)).first()
        return WebhookRow(**row._mapping) if row is not None else None

    def webhooks(self, alliance_id: int) -> list[WebhookRow]:
        rows = self._c.execute(select(notify_webhooks).where(notify_webhooks.c.alliance_id == alliance_id)
                               .order_by(notify_webhooks.c.id))
        return [WebhookRow(**r._mapping) for r in rows]

    def webhook_secret(self, webhook_id: int) -> str | None:
        return self._c.execute(select(notify_webhooks.c.secret).where(notify_webhooks.c.id == webhook_id)).scalar_one_or_none()

    def set_enabled(self, webhook_id: int, enabled: bool) -> None:
        self._c.execute(update(notify_webhooks).where(notify_webhooks.c.id == webhook_id).values(enabled=enabled))

    def delete_webhook(self, webhook_id: int) -> None:
        """The webhook and its delivery log (nothing else refers to it)."""
        self._c.execute(delete(notify_deliveries).where(notify_deliveries.c.webhook_id == webhook_id))
        self._c.execute(delete(notify_webhooks).where(notify_webhooks.c.id == webhook_id))

    # -- deliveries ---------------------------------------------------------------------------------
    def add_delivery(self, values: dict[str, Any]) -> int:
        key = self._c.execute(insert(notify_deliveries).values(**values)).inserted_primary_key
        assert key is not None
        return int(key[0])

    def due(self, now: datetime, limit: int = 200) -> list[DeliveryRow]:
        rows = self._c.execute(select(notify_deliveries).where(
            notify_deliveries.c.status == "pending", notify_deliveries.c.next_attempt_at <= now)
            .order_by(notify_deliveries.c.next_attempt_at, notify_deliveries.c.id).limit(limit))
        return [DeliveryRow(**r._mapping) for r in rows]

    def delivery(self, delivery_id: int) -> DeliveryRow | None:
        row = self._c.execute(select(notify_deliveries).where(notify_deliveries.c.id == delivery_id)).first()
        return DeliveryRow(**row._mapping) if row is not None else None

    def update_delivery(self, delivery_id: int, values: dict[str, Any]) -> None:
        self._c.execute(update(notify_deliveries).where(notify_deliveries.c.id == delivery_id).values(**values))

    def deliveries_of_webhook(self, webhook_id: int, limit: int = 100) -> list[DeliveryRow]:
        rows = self._c.execute(select(notify_deliveries).where(notify_deliveries.c.webhook_id == webhook_id)
                               .order_by(notify_deliveries.c.id.desc()).limit(limit))
        return [DeliveryRow(**r._mapping) for r in rows]

    def deliveries_of_alliance(self, alliance_id: int) -> list[DeliveryRow]:
        rows = self._c.execute(select(notify_deliveries).where(notify_deliveries.c.alliance_id == alliance_id)
                               .order_by(notify_deliveries.c.id))
        return [DeliveryRow(**r._mapping) for r in rows]
