"""People: the users an admin manages, their roles, unlocking them, and one-time codes to set a password.

Every act goes through `access.policy` (`authorize_grant` for a role, `authorize_account` for an
account): a platform admin manages everyone, a coordinator its alliance's people, a member admin its
member's people, and nobody reaches a role above their own.

A password is never chosen by an admin for someone else unless they type one in: an invited person,
or one whose password is reset, gets a **one-time code** (shown once to the admin, who hands it
over). It is a 144-bit random secret, kept only as its SHA-256 (nothing to guess, so a fast hash
suits it, as for API keys), used at most once, and it expires. Using it sets a new password, clears
the failed sign-ins, ends every other session of the account and signs the person in.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from alliance.access.credentials import hash_password, password_matches, secret_digest
from alliance.access.policy import Action, authorize, authorize_account, authorize_grant
from alliance.access.roles import Principal, Role
from alliance.access.service import (
    NotAuthenticated,
    WebSession,
    check_new_password,
    check_username,
    grant_in,
    open_session,
    THE_PLATFORM,
)
from alliance.access.throttle import account_waits
from alliance.core.clock import Clock
from alliance.core.errors import AllianceError, Conflict, InvalidInput, NotFound
from alliance.core.messages import Message
from alliance.registry.model import Alliance
from alliance.store.access_repository import Grant
from alliance.store.database import Store
from alliance.store.unit_of_work import UnitOfWork

logger = logging.getLogger("alliance.access")
RESET_LIFETIME = timedelta(hours=24)    # a reset code: the person is usually at hand
INVITE_LIFETIME = timedelta(days=7)     # an invitation: the person may first have to be reached


class CodeRefused(AllianceError):
    """A one-time code that is unknown, used, expired or for a disabled account (one answer for all)."""

    code = "code_refused"
    title = Message("One-time code refused")
    status = 400


class WrongPassword(AllianceError):
    code = "wrong_password"
    title = Message("Wrong password")
    status = 403


CODE_REFUSED = Message("this one-time code is unknown, already used or expired: ask your administrator for a new one")


@dataclass(frozen=True, slots=True)
class OneTimeCode:
    """Shown once to the admin who asked for it; only its digest is stored."""

    username: str
    code: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Person:
    """A user as the admin looking sees them: only the roles it manages, and whether it may act on the account."""

    username: str
    display_name: str
    created_at: datetime | None
    grants: tuple[Grant, ...]       # those the viewer manages (a platform admin: all)
    elsewhere: bool                 # holds roles the viewer does not manage (so it may not reset or unlock)
    failed_sign_ins: int
    locked_until: datetime | None
    disabled: bool
    code_expires_at: datetime | None  # an unused one-time code is pending until then

    @property
    def manageable(self) -> bool:
        return not self.elsewhere and not self.disabled

    def waiting(self, now: datetime) -> bool:
        """Whether the account must wait before its next sign-in (after failed ones)."""
        return self.locked_until is not None and self.locked_until > now


def people(store: Store, principal: Principal, clock: Clock) -> list[Person]:
    """The users `principal` manages (at least one of their roles is within its reach), by username;
    for a platform admin every user, those with no role yet included."""
    with store.unit_of_work() as uow:
        users = uow.access.users()
        grants = uow.sessions.all_grants()
        pending = uow.access.pending_resets(clock.now())
    if principal.role is not Role.PLATFORM_ADMIN:
        # The role itself must manage people at all (an auditor or analyst: 403 here, not an empty list).
        authorize(principal, Action.MANAGE_PEOPLE, principal.alliance)
    found = []
    for user in users:
        held = grants.get(user.username, [])
        reached = tuple(g for g in held if _reaches(principal, g))
        if principal.role is not Role.PLATFORM_ADMIN and not reached:
            continue
        found.append(Person(user.username, user.display_name, user.created_at, reached, len(reached) < len(held),
                            user.failed_sign_ins, user.locked_until, user.disabled_at is not None,
                            pending.get(user.username)))
    return found


def _reaches(principal: Principal, grant: Grant) -> bool:
    try:
        authorize_grant(principal, Role(grant.role), grant.alliance, grant.member)
    except AllianceError:
        return False
    return True


def _grants_of(uow: UnitOfWork, username: str) -> list[Grant]:
    user_id = uow.sessions.user_id(username)
    return uow.sessions.grants(user_id) if user_id is not None else []


def _issue(uow: UnitOfWork, username: str, created_by: str, now: datetime, lifetime: timedelta) -> OneTimeCode:
    user_id = uow.sessions.user_id(username)
    assert user_id is not None, "the caller found the user"
    code = secrets.token_urlsafe(18)
    uow.access.add_reset(user_id, secret_digest(code), created_by[:200], now, now + lifetime)
    return OneTimeCode(username, code, now + lifetime)


def _add_user(uow: UnitOfWork, username: str, display_name: str, password: str | None, now: datetime) -> None:
    check_username(username)
    if password is not None:
        check_new_password(password)
    if uow.access.user(username) is not None:
        raise Conflict(Message("user {username!r} already exists", username=username))
    # An invited person has no password anyone knows until they use their code.
    stored = hash_password(password if password is not None else secrets.token_urlsafe(32))
    uow.access.add_user(username, stored, display_name.strip()[:100] or username, now)


def add_person(store: Store, principal: Principal, username: str, display_name: str, role: Role, alliance: str | None,
               member: str | None, clock: Clock, password: str | None = None) -> OneTimeCode | None:
    """A new user holding `role`, in one transaction. With `password` the admin set it (and tells the
    person); without, the person is invited: the one-time code returned sets their first password."""
    authorize_grant(principal, role, alliance, member)
    now = clock.now()
    with store.unit_of_work() as uow:
        _add_user(uow, username, display_name, password, now)
        grant_in(uow, username, role, alliance, member)
        invitation = _issue(uow, username, principal.actor, now, INVITE_LIFETIME) if password is None else None
        uow.commit()
    logger.info("%s added user %s as %s in %s%s", principal.actor, username, role.value, alliance or "the platform",
                f" for {member}" if member else "")
    return invitation


def grant(store: Store, principal: Principal, username: str, role: Role, alliance: str | None,
          member: str | None) -> None:
    """Give an existing user a role within `principal`'s reach (one role per alliance)."""
    authorize_grant(principal, role, alliance, member)
    with store.unit_of_work() as uow:
        grant_in(uow, username, role, alliance, member)
        uow.commit()
    logger.info("%s gave %s the role %s in %s%s", principal.actor, username, role.value, alliance or "the platform",
                f" for {member}" if member else "")


def revoke(store: Store, principal: Principal, username: str, alliance: str | None) -> Role:
    """Take away the role `username` holds in `alliance` (None: the platform admin role); returns it.
    Nobody takes away their own role (another admin does), so no one locks themselves out by a slip."""
    if principal.role is not Role.PLATFORM_ADMIN:
        if alliance is None:
            authorize_grant(principal, Role.PLATFORM_ADMIN, None, None)  # 403: only a platform admin
        authorize(principal, Action.MANAGE_PEOPLE, alliance)  # another alliance: 404; a role managing no one: 403
    with store.unit_of_work() as uow:
        user_id = uow.sessions.user_id(username)
        held = next((g for g in (uow.sessions.grants(user_id) if user_id is not None else [])
                     if g.alliance == alliance), None)
        if held is not None and principal.role is Role.COORDINATOR:
            # Its own alliance's people are known to it: a role there it may not take away (the
            # auditor's) is refused with the policy's reason, not hidden.
            authorize_grant(principal, Role(held.role), held.alliance, held.member)
        # A role out of reach is answered as one that is not there (as for an account: authorize_account).
        if held is None or not _reaches(principal, held):
            raise NotFound(Message("{username!r} holds no role you manage in {where}",
                                   username=username, where=alliance or THE_PLATFORM))
        role = Role(held.role)
        if principal.kind == "user" and principal.subject == username:
            raise Conflict(Message("you cannot take away your own role: ask another administrator"))
        alliance_id = uow.alliances.require(alliance).id if alliance is not None else None
        uow.sessions.revoke(user_id, role.value, alliance_id)
        uow.commit()
    logger.info("%s took away %s's role %s in %s", principal.actor, username, role.value, alliance or "the platform")
    return role


def _account(uow: UnitOfWork, principal: Principal, username: str) -> None:
    """Raise unless `principal` may manage the whole account `username` (policy.authorize_account)."""
    exists = uow.access.user(username) is not None
    if principal.role is Role.PLATFORM_ADMIN and not exists:
        raise NotFound(Message("no user {username!r}", username=username))
    authorize_account(principal, username, _grants_of(uow, username) if exists else [])


def unlock(store: Store, principal: Principal, username: str) -> None:
    """Clear the account's failed sign-ins and the wait they set, so it may sign in at once."""
    with store.unit_of_work() as uow:
        _account(uow, principal, username)
        uow.access.sign_in_succeeded(username)
        uow.commit()
    logger.info("%s unlocked %s", principal.actor, username)


def issue_reset(store: Store, principal: Principal, username: str, clock: Clock,
                lifetime: timedelta = RESET_LIFETIME) -> OneTimeCode:
    """A one-time code for `username` to set a new password (any older code of theirs stops
    working). The current password keeps working until the code is used."""
    if not timedelta(minutes=5) <= lifetime <= timedelta(days=30):
        raise InvalidInput(Message("a one-time code lasts from 5 minutes to 30 days"))
    now = clock.now()
    with store.unit_of_work() as uow:
        _account(uow, principal, username)
        user = uow.access.user(username)
        if user is not None and user.disabled_at is not None:
            raise Conflict(Message("user {username!r} is disabled", username=username))
        issued = _issue(uow, username, principal.actor, now, lifetime)
        uow.commit()
    logger.info("%s issued a one-time code for %s, valid until %s", principal.actor, username, issued.expires_at)
    return issued


def redeem(store: Store, code: str, password: str, clock: Clock) -> tuple[str, WebSession]:
    """Use a one-time code: set the account's new password, clear its failed sign-ins, end its
    other sessions, and open a session for the person. CodeRefused (saying no more) otherwise."""
    check_new_password(password)
    now = clock.now()
    stored = hash_password(password)  # before the transaction: argon2 is slow on purpose
    with store.unit_of_work() as uow:
        found = uow.access.reset(secret_digest(code.strip()))
        if (found is None or found.used_at is not None or found.expires_at <= now or found.disabled_at is not None
                or not uow.access.use_reset(found.id, now)):
            raise CodeRefused(CODE_REFUSED)
        user_id = uow.sessions.user_id(found.username)
        assert user_id is not None, "a code belongs to a user"
        uow.access.set_password(found.username, stored)
        uow.sessions.end_sessions(user_id, now)
        session = open_session(uow, user_id, now)
        uow.commit()
    logger.info("%s set a new password with a one-time code", found.username)
    return found.username, session


def change_password(store: Store, username: str, current: str, new: str, clock: Clock,
                    keep_session_sha256: str | None = None) -> None:
    """The user's own new password, given the current one. A wrong current password counts as a
    failed sign-in (so a stolen session cannot guess it faster than the sign-in page could); the
    account's other sessions end."""
    check_new_password(new)
    now = clock.now()
    with store.unit_of_work() as uow:
        user = uow.access.user(username)
    if user is None or user.disabled_at is not None:
        raise NotAuthenticated(Message("the session has ended: sign in again"))
    waiting = user.locked_until is not None and user.locked_until > now
    if waiting or not password_matches(user.password_hash, current):
        if not waiting:
            with store.unit_of_work() as uow:
                uow.access.sign_in_failed(username, account_waits(now))
                uow.commit()
        raise WrongPassword(Message("the current password is wrong (or the account must wait after failed tries)"))
    if new == current:
        raise InvalidInput(Message("the new password is the same as the current one"))
    stored = hash_password(new)
    with store.unit_of_work() as uow:
        uow.access.set_password(username, stored)
        user_id = uow.sessions.user_id(username)
        assert user_id is not None
        uow.sessions.end_sessions(user_id, now, keep_session_sha256)
        uow.commit()


# -- the coordinator of a new alliance ----------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class CoordinatorChoice:
    """Who coordinates an alliance being founded: an existing account, or a new one (invited)."""

    username: str
    new: bool = False
    display_name: str = ""

    def check(self, store: Store) -> None:
        """Refuse a choice that cannot work before anything is founded (checked again when granted)."""
        check_username(self.username)
        with store.unit_of_work() as uow:
            exists = uow.access.user(self.username) is not None
        if self.new and exists:
            raise Conflict(Message("user {username!r} already exists: choose it as an existing account",
                                   username=self.username))
        if not self.new and not exists:
            raise NotFound(Message("no user {username!r}: create it as a new account", username=self.username))


def appoint_coordinator(choice: CoordinatorChoice, actor: str, clock: Clock,
                        issued: list[OneTimeCode]) -> Callable[[UnitOfWork, Alliance], None]:
    """What founding does in its own transaction once the alliance exists (registry.service's
    `then`): create the account if new (its invitation code appended to `issued`), and make it the
    coordinator. Founding by a platform admin only (MANAGE_PLATFORM), so no reach to check here."""

    def appoint(uow: UnitOfWork, alliance: Alliance) -> None:
        now = clock.now()
        if choice.new:
            _add_user(uow, choice.username, choice.display_name, None, now)
        grant_in(uow, choice.username, Role.COORDINATOR, alliance.code, None)
        if choice.new:
            issued.append(_issue(uow, choice.username, actor, now, INVITE_LIFETIME))

    return appoint
