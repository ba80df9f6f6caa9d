"""The principal a named user account acts as, for the operator's CLI (`--as USER`)."""

from __future__ import annotations

from alliance.access.roles import Principal, Role
from alliance.core.clock import Clock
from alliance.core.errors import NotFound
from alliance.core.messages import Message
from alliance.registry.model import has_left
from alliance.store.database import Store
from alliance.store.unit_of_work import UnitOfWork


def user_principal(store: Store, username: str, alliance: str, clock: Clock) -> Principal:
    """The principal user `username` is in `alliance`: its role there (or platform admin), exactly as
    its web session would act. NotFound if the user does not exist, is disabled or holds no role there."""
    with store.unit_of_work() as uow:
        user = uow.access.user(username)
        user_id = uow.sessions.user_id(username)
        grants = uow.sessions.grants(user_id) if user_id is not None else []
    if user is None or user.disabled_at is not None:
        raise NotFound(Message("no active user {username!r}", username=username))
    chosen = (next((g for g in grants if g.alliance == alliance), None)
              or next((g for g in grants if g.role == Role.PLATFORM_ADMIN.value), None))
    if chosen is None:
        raise NotFound(Message("user {username!r} holds no role in {alliance!r}",
                               username=username, alliance=alliance))
    return Principal(username, Role(chosen.role), chosen.alliance, chosen.member,
                     departed=has_left(chosen.member_left_on, chosen.timezone, clock), kind="user")


def display_name(uow: UnitOfWork, principal: Principal) -> str:
    """The name an account goes by: a user's display name or a key's name (its subject if it is no
    longer stored), at most 100 characters."""
    if principal.kind == "user":
        user = uow.access.user(principal.subject)
        return user.display_name[:100] if user is not None else principal.subject
    key = uow.access.key(principal.subject)
    return key.name[:100] if key is not None else principal.subject
