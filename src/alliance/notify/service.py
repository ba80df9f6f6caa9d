"""Delivering what capabilities published: the dispatcher and the sender of due deliveries.

`dispatch` takes each undelivered outbox row (in its own transaction: one bad row never stops the
others), finds the people its audience means *now*, and for each one, as they chose
(`notify.delivery.wanted`): an inbox row, and an e-mail delivery in their language; and a webhook
delivery for each enabled webhook of the alliance (or of the member concerned) that asks for the
event. Then the row is marked dispatched.

`deliver_due` sends every pending delivery whose time came (first attempt or a retry), outside any
transaction, and records the attempt: delivered, tried again later with exponential back-off, or
failed after `delivery.MAX_ATTEMPTS`. E-mail with no SMTP server configured is recorded as skipped.

Both run every minute from the platform scheduler (`run_once`), and from `alliance notify dispatch`;
never from a request, so a receiver that is down never blocks or fails the act that caused the event.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from alliance.core.clock import Clock
from alliance.core.messages import from_document
from alliance.core.settings import get_settings
from alliance.language import FALLBACK_LOCALE, SUPPORTED_LOCALES, get_translations
from alliance.notify import delivery, smtp, webhook_http
from alliance.notify.delivery import Channel
from alliance.notify.notice import Audience, EventKind
from alliance.registry.model import has_left
from alliance.store.database import Store
from alliance.store.notify_delivery_repository import DeliveryRow, NotifyRepository
from alliance.store.notify_repository import OutboxRepository, OutboxRow

logger = logging.getLogger("alliance.notify")

PENDING, DELIVERED, FAILED, SKIPPED = "pending", "delivered", "failed", "skipped"


@dataclass(frozen=True)
class Postman:
    """Where deliveries go: the SMTP server (None: e-mail is skipped), the From address, the
    workspace's public address for links, and the language webhooks speak."""

    smtp_url: str | None = None
    mail_from: str = "Alliance <alliance@localhost>"
    public_url: str = "http://127.0.0.1:8000"
    webhook_locale: str = FALLBACK_LOCALE

    @classmethod
    def from_settings(cls) -> Postman:
        s = get_settings()
        url = s.smtp_url.get_secret_value() if s.smtp_url is not None else ""
        locale = s.default_locale if s.default_locale in SUPPORTED_LOCALES else FALLBACK_LOCALE
        return cls(url or None, s.mail_from, s.public_url.rstrip("/"), locale)

    def link(self, path: str) -> str:
        return self.public_url.rstrip("/") + path if path.startswith("/") else path


@dataclass
class Report:
    notices: int = 0
    inbox: int = 0
    emails: int = 0
    webhooks: int = 0
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)
    # What this run already told whom: a notice published once per party (a dispute, a meeting) with
    # the same text and link reaches a coordinator or an alliance webhook once, not once per party.
    told: set[tuple[object, ...]] = field(default_factory=set, repr=False)


def say(text: str, document: object, locale: str) -> str:
    """A stored message in `locale` (its English text when it was kept as plain text)."""
    message = from_document(document, text)
    return str(message.in_language(get_translations(locale).gettext)) if hasattr(message, "in_language") else text


def run_once(store: Store, clock: Clock, postman: Postman | None = None) -> Report:
    """What the scheduler does each minute: dispatch new notices, then send what is due."""
    postman = postman or Postman.from_settings()
    report = dispatch(store, clock, postman)
    deliver_due(store, clock, postman, report)
    return report


def dispatch(store: Store, clock: Clock, postman: Postman | None = None, report: Report | None = None) -> Report:
    postman = postman or Postman.from_settings()
    report = report or Report()
    with store.unit_of_work() as uow:
        pending = OutboxRepository(uow.connection).undispatched()
    for row in pending:
        told = set(report.told)  # as it was, should this row's transaction not commit
        try:
            with store.unit_of_work() as uow:
                _fan_out(NotifyRepository(uow.connection), row, postman, clock, report)
                OutboxRepository(uow.connection).mark_dispatched([row.id], clock.now())
                uow.commit()
            report.notices += 1
        except Exception as exc:  # one bad row must not stop the others; it is tried again next minute
            report.told = told
            logger.exception("dispatching notice %s failed", row.id)
            report.errors.append(f"notice {row.id}: {exc}")
    return report


def _fan_out(repo: NotifyRepository, row: OutboxRow, postman: Postman, clock: Clock, report: Report) -> None:
    now = clock.now()
    event, kind = EventKind(row.event), Audience(row.audience)
    code, timezone = repo.alliance_of(row.alliance_id)
    people = [delivery.Person(h.user_id, h.username, h.role, h.member) for h in repo.role_holders(row.alliance_id)
              if not h.disabled and not has_left(h.member_left_on, timezone, clock)]
    same = (row.alliance_id, row.event, row.title, row.body, row.link)
    for person in delivery.audience(people, kind, row.member):
        if ("user", person.user_id, *same) in report.told:
            continue
        report.told.add(("user", person.user_id, *same))
        choices = repo.choices(person.user_id)
        if delivery.wanted(choices, event, Channel.INBOX):
            repo.add_to_inbox({"alliance_id": row.alliance_id, "user_id": person.user_id, "outbox_id": row.id,
                               "event": row.event, "member": row.member, "title": row.title, "title_doc": row.title_doc,
                               "body": row.body, "body_doc": row.body_doc, "link": row.link, "created_at": now})
            report.inbox += 1
        account = repo.account(person.user_id)
        if account is None or not account[0] or not delivery.wanted(choices, event, Channel.EMAIL):
            continue
        email, locale = account
        locale = locale if locale in SUPPORTED_LOCALES else FALLBACK_LOCALE
        subject = say(row.title, row.title_doc, locale)
        body = say(row.body, row.body_doc, locale)
        if row.link:
            body += "\n\n" + postman.link(row.link)
        repo.add_delivery(_new(row.alliance_id, Channel.EMAIL.value, row.event, email, now, outbox_id=row.id,
                               user_id=person.user_id, payload={"subject": subject, "body": body, "language": locale}))
        report.emails += 1
    for hook in repo.webhooks(row.alliance_id):
        if (hook.enabled and row.event in hook.events and delivery.webhook_hears(hook.member, kind, row.member)
                and ("hook", hook.id, *same) not in report.told):
            report.told.add(("hook", hook.id, *same))
            payload = {"id": f"ntc_{row.id}", "event": row.event, "alliance": code, "member": row.member,
                       "title": say(row.title, row.title_doc, postman.webhook_locale),
                       "body": say(row.body, row.body_doc, postman.webhook_locale),
                       "link": postman.link(row.link) if row.link else "", "occurred_at": row.updated_at.isoformat()}
            repo.add_delivery(_new(row.alliance_id, "webhook", row.event, hook.url, now, outbox_id=row.id,
                                   webhook_id=hook.id, payload=payload))
            report.webhooks += 1


def _new(alliance_id: int, channel: str, event: str, recipient: str, now: datetime, *, payload: dict[str, Any],
         outbox_id: int | None = None, user_id: int | None = None, webhook_id: int | None = None) -> dict[str, Any]:
    return {"alliance_id": alliance_id, "channel": channel, "outbox_id": outbox_id, "user_id": user_id,
            "webhook_id": webhook_id, "event": event, "recipient": recipient, "payload": payload, "status": PENDING,
            "attempts": 0, "log": [], "created_at": now, "next_attempt_at": now}


# -- sending -------------------------------------------------------------------------------------

def deliver_due(store: Store, clock: Clock, postman: Postman | None = None, report: Report | None = None,
                only: int | None = None) -> Report:
    """Send every pending delivery whose attempt is due (or only delivery `only`) and record each attempt."""
    postman = postman or Postman.from_settings()
    report = report or Report()
    with store.unit_of_work() as uow:
        repo = NotifyRepository(uow.connection)
        due = repo.due(clock.now())
        secrets = {d.webhook_id: repo.webhook_secret(d.webhook_id) for d in due if d.webhook_id is not None}
    for item in due:
        if only is not None and item.id != only:
            continue
        try:
            values = _attempt(item, postman, secrets.get(item.webhook_id), clock)
            with store.unit_of_work() as uow:
                NotifyRepository(uow.connection).update_delivery(item.id, values)
                uow.commit()
        except Exception as exc:  # a defect in one delivery must not stop the others
            logger.exception("delivery %s failed", item.id)
            report.errors.append(f"delivery {item.id}: {exc}")
            continue
        counter = {DELIVERED: "delivered", FAILED: "failed", SKIPPED: "skipped"}.get(values["status"], "retried")
        setattr(report, counter, getattr(report, counter) + 1)
    return report


def _attempt(item: DeliveryRow, postman: Postman, secret: str | None, clock: Clock) -> dict[str, Any]:
    now = clock.now()
    if item.channel == Channel.EMAIL.value and not postman.smtp_url:
        return {"status": SKIPPED, "last_error": "no SMTP server configured (ALLIANCE_SMTP_URL)",
                "next_attempt_at": None}
    started = time.perf_counter()
    status_code: int | None = None
    if item.channel == Channel.EMAIL.value:
        error = _send_mail(item, postman)
    else:
        status_code, error = _post(item, secret or "", now)
    took_ms = round((time.perf_counter() - started) * 1000)
    attempts = item.attempts + 1
    entry = {"at": now.isoformat(), "status_code": status_code, "error": error, "ms": took_ms}
    values: dict[str, Any] = {"attempts": attempts, "last_error": error, "status_code": status_code,
                              "log": [*item.log, entry]}
    if error is None:
        return {**values, "status": DELIVERED, "delivered_at": now, "next_attempt_at": None}
    later = delivery.next_attempt(attempts, now)
    return {**values, "status": PENDING if later is not None else FAILED, "next_attempt_at": later}


def _send_mail(item: DeliveryRow, postman: Postman) -> str | None:
    assert postman.smtp_url is not None
    message = smtp.compose(postman.mail_from, item.recipient, item.payload["subject"], item.payload["body"], item.id)
    try:
        smtp.send(postman.smtp_url, message)
    except (OSError, ValueError, smtp.smtplib.SMTPException) as exc:
        return f"{type(exc).__name__}: {exc}"[:500]
    return None


def _post(item: DeliveryRow, secret: str, now: datetime) -> tuple[int | None, str | None]:
    body = delivery.webhook_body(item.payload)
    headers = {delivery.SIGNATURE_HEADER: delivery.signature(secret, int(now.timestamp()), body),
               delivery.DELIVERY_HEADER: f"dlv_{item.id}", delivery.EVENT_HEADER: item.event}
    answer = webhook_http.post(item.recipient, body, headers)
    return answer.status, answer.error
