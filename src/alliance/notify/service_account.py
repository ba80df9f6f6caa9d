"""A user's own notifications: the inbox (read, mark read) and the preferences (e-mail address,
language, and which events reach them on which channel). Only a user account has these: an API key
acting for no person has no inbox."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from alliance.access.policy import Action, Forbidden, authorize
from alliance.access.roles import Principal
from alliance.core.clock import Clock
from alliance.core.errors import InvalidInput, NotFound, Problem
from alliance.core.messages import Message, from_document, joined
from alliance.language import FALLBACK_LOCALE, SUPPORTED_LOCALES
from alliance.notify.delivery import Channel, default_wanted
from alliance.notify.notice import EventKind
from alliance.store.database import Store
from alliance.store.notify_delivery_repository import InboxRow, NotifyRepository
from alliance.store.unit_of_work import UnitOfWork

EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


@dataclass(frozen=True)
class InboxItem:
    id: int
    alliance: str
    event: str
    title: str  # a Message when its document was kept: said in the reader's language by the edge
    body: str
    link: str
    created_at: object
    read: bool


@dataclass(frozen=True)
class Preferences:
    email: str | None
    language: str
    choices: dict[tuple[str, str], bool]  # every (event, channel), defaults filled in

    def on(self, event: str, channel: str) -> bool:
        return self.choices[(event, channel)]


def _user(uow: UnitOfWork, principal: Principal) -> int:
    authorize(principal, Action.OWN_NOTIFICATIONS, principal.alliance)
    if principal.kind != "user":
        raise Forbidden(Message("notifications belong to user accounts; an API key has no inbox"))
    user_id = NotifyRepository(uow.connection).user_id(principal.subject)
    if user_id is None:
        raise NotFound(Message("no active user {username!r}", username=principal.subject))
    return user_id


def _item(row: InboxRow) -> InboxItem:
    return InboxItem(row.id, row.alliance, row.event, from_document(row.title_doc, row.title),
                     from_document(row.body_doc, row.body), row.link, row.created_at, row.read_at is not None)


def inbox(store: Store, principal: Principal) -> list[InboxItem]:
    """The user's notices, newest first."""
    with store.unit_of_work() as uow:
        user_id = _user(uow, principal)
        return [_item(r) for r in NotifyRepository(uow.connection).inbox(user_id)]


def unread_count(store: Store, principal: Principal) -> int:
    """Unread notices of a user (0 for a key: it has no inbox)."""
    if principal.kind != "user":
        return 0
    with store.unit_of_work() as uow:
        repo = NotifyRepository(uow.connection)
        user_id = repo.user_id(principal.subject)
        return repo.unread(user_id) if user_id is not None else 0


def mark_read(store: Store, principal: Principal, item: int | None, clock: Clock) -> int:
    """Mark one notice (or every one, with None) read; how many changed. NotFound for a notice that
    is not the user's."""
    with store.unit_of_work() as uow:
        user_id = _user(uow, principal)
        repo = NotifyRepository(uow.connection)
        if item is not None and repo.inbox_item(user_id, item) is None:
            raise NotFound(Message("no notice {item} in your inbox", item=item))
        changed = repo.mark_read(user_id, item, clock.now())
        uow.commit()
        return changed


def preferences(store: Store, principal: Principal) -> Preferences:
    with store.unit_of_work() as uow:
        user_id = _user(uow, principal)
        repo = NotifyRepository(uow.connection)
        email, language = repo.account(user_id) or (None, FALLBACK_LOCALE)
        stored = repo.choices(user_id)
    choices = {(e.value, c.value): stored.get((e.value, c.value), default_wanted(e, c)) for e in EventKind for c in Channel}
    return Preferences(email, language, choices)


def set_preferences(store: Store, principal: Principal, email: str | None, language: str,
                    choices: Mapping[tuple[str, str], bool]) -> Preferences:
    """Replace the user's settings; InvalidInput listing every problem (nothing stored) for an e-mail
    address that is not one, a language the platform does not speak, or an unknown event or channel.
    `choices` may name only some (event, channel) pairs: the others keep their defaults."""
    problems: list[Problem] = []
    email = (email or "").strip() or None
    if email is not None and (len(email) > 254 or not EMAIL.match(email)):
        problems.append(Problem("preferences", "email", Message("not an e-mail address: {email!r}", email=email[:100])))
    if language not in SUPPORTED_LOCALES:
        problems.append(Problem("preferences", "language",
                                Message("unknown language {language!r} (known: {known})", language=language,
                                        known=", ".join(SUPPORTED_LOCALES))))
    events, channels = {e.value: e for e in EventKind}, {c.value: c for c in Channel}
    for event, channel in choices:
        if event not in events or channel not in channels:
            problems.append(Problem("preferences", f"{event}/{channel}", Message("no such event or channel")))
    if problems:
        raise InvalidInput(Message("the notification preferences were not saved: {problems}",
                                   problems=joined([p.text() for p in problems])), problems)
    with store.unit_of_work() as uow:
        user_id = _user(uow, principal)
        repo = NotifyRepository(uow.connection)
        repo.set_account(user_id, email, language)
        differing = {k: v for k, v in choices.items() if v != default_wanted(events[k[0]], channels[k[1]])}
        repo.replace_choices(user_id, differing)
        uow.commit()
    return preferences(store, principal)


def user_principal(store: Store, username: str, clock: Clock) -> Principal:
    """The principal a user acts as for its own notifications (the CLI's `--as USER`): its first role,
    wherever it is held (the inbox spans every alliance the user belongs to). NotFound when the user
    does not exist, is disabled or holds no role."""
    from alliance.access.accounts import user_principal as in_alliance

    with store.unit_of_work() as uow:
        user_id = uow.sessions.user_id(username)
        grants = uow.sessions.grants(user_id) if user_id is not None else []
    alliance = grants[0].alliance if grants else None
    return in_alliance(store, username, alliance or "", clock)
