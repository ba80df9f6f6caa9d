"""Users and API keys: create, list, revoke, and authenticate a request's key."""

from __future__ import annotations

import functools
import re
import threading
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta


from alliance.access.credentials import (hash_password, new_api_key, password_matches, secret_digest, secret_matches,
                                         split_key)
from alliance.access.policy import A_ROLE, check_scopes
from alliance.access.throttle import account_waits
from alliance.access.roles import MEMBER_ROLES, Principal, Role
from alliance.core.clock import Clock
from alliance.registry.model import has_left
from alliance.core.errors import AllianceError, Conflict, InvalidInput, MemberNotFound, NotFound
from alliance.core.messages import Message
from alliance.store.access_repository import Grant, StoredKey
from alliance.store.database import Store, on_duplicate
from alliance.store.unit_of_work import UnitOfWork

USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,63}$")
MIN_PASSWORD = 12


class NotAuthenticated(AllianceError):
    code = "not_authenticated"
    title = Message("Authentication required")
    status = 401


MAX_PASSWORD = 1000


def check_username(username: str) -> None:
    if not USERNAME.match(username):
        raise InvalidInput(Message("a username is 2-64 lowercase letters, digits, '_', '.' or '-'"))


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(Message("a password has at least {min_password} characters", min_password=MIN_PASSWORD))
    if len(password) > MAX_PASSWORD:
        raise InvalidInput(Message("a password has at most {max_password} characters", max_password=MAX_PASSWORD))


def create_user(store: Store, username: str, password: str, display_name: str, clock: Clock) -> None:
    check_username(username)
    check_new_password(password)
    with store.unit_of_work() as uow:
        if uow.access.user(username) is not None:
            raise Conflict(Message("user {username!r} already exists", username=username))
        with on_duplicate(Conflict(Message("user {username!r} already exists", username=username))):
            uow.access.add_user(username, hash_password(password), display_name.strip() or username, clock.now())
        uow.commit()


def check_password(store: Store, username: str, password: str) -> bool:
    with store.unit_of_work() as uow:
        user = uow.access.user(username)
    return user is not None and user.disabled_at is None and password_matches(user.password_hash, password)


def parse_duration(text: str) -> timedelta:
    """`90d`, `12h`, `30m`: the lifetime of a key."""
    match = re.fullmatch(r"\s*(\d{1,5})\s*([dhm])\s*", text)
    if not match or int(match.group(1)) == 0:
        raise InvalidInput(Message("{text!r} is not a duration like 90d, 12h or 30m", text=text))
    return timedelta(**{{"d": "days", "h": "hours", "m": "minutes"}[match.group(2)]: int(match.group(1))})


@dataclass(frozen=True, slots=True)
class IssuedKey:
    key: str        # shown once
    prefix: str
    role: Role
    alliance: str | None
    member: str | None
    expires_at: datetime | None
    scopes: frozenset[str] | None = None  # None: everything the role allows


def create_api_key(store: Store, *, role: Role, alliance: str | None, member: str | None, name: str, created_by: str,
                   clock: Clock, lifetime: timedelta | None = None, scopes: Sequence[str] | None = None) -> IssuedKey:
    """A new key, returned once. With `scopes` (access.policy actions), the key may do only those
    of the actions its role allows."""
    limited = check_scopes(role, scopes) if scopes is not None else None
    if role is Role.PLATFORM_ADMIN:
        if alliance is not None or member is not None:
            raise InvalidInput(Message("a platform admin key belongs to no alliance or member"))
    elif alliance is None:
        raise InvalidInput(Message("{role} key needs an alliance", role=A_ROLE[role]))
    if role in MEMBER_ROLES and member is None:
        raise InvalidInput(Message("{role} key needs a member", role=A_ROLE[role]))
    if role not in MEMBER_ROLES and member is not None:
        raise InvalidInput(Message("{role} key is for the whole alliance: it names no member", role=A_ROLE[role]))
    key, prefix, digest = new_api_key()
    now = clock.now()
    expires = now + lifetime if lifetime else None
    with store.unit_of_work() as uow:
        alliance_id = None
        if alliance is not None:
            found = uow.alliances.require(alliance)
            alliance_id = found.id
            if member is not None and member not in set(uow.members.existing_keys(found.id).values()):
                raise MemberNotFound(alliance, member)
        uow.access.add_key(prefix=prefix, secret_sha256=digest, name=name.strip()[:100] or prefix, role=role.value,
                           alliance_id=alliance_id, member=member, created_by=created_by, at=now, expires_at=expires,
                           scopes=" ".join(sorted(limited)) if limited is not None else None)
        uow.commit()
    return IssuedKey(key, prefix, role, alliance, member, expires, limited)


def list_api_keys(store: Store, alliance: str | None) -> list[StoredKey]:
    """The keys of an alliance (None: the platform admin keys); never their secrets."""
    with store.unit_of_work() as uow:
        alliance_id = uow.alliances.require(alliance).id if alliance is not None else None
        return uow.access.keys(alliance_id)


def revoke_api_key(store: Store, prefix: str, clock: Clock) -> None:
    with store.unit_of_work() as uow:
        key = uow.access.key(prefix)
        if key is None:
            raise NotFound(Message("no API key with prefix {prefix!r}", prefix=prefix))
        if not uow.access.revoke(prefix, clock.now()):
            raise Conflict(Message("API key {prefix!r} was already revoked", prefix=prefix))
        uow.commit()
    _KEYS.forget(store, prefix)


class KeyCache:
    """Stored keys read in the last KEY_CACHE_SECONDS, per store: a busy machine client's key is
    read from the database about once a second instead of on every request.

    What is kept is the stored record, never a verdict: the secret, revocation and expiry are checked
    on every request against it. A key revoked through this process is forgotten at once; one
    revoked by another process (the CLI, another server worker) stops working within
    KEY_CACHE_SECONDS (docs/access.md)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._by_store: weakref.WeakKeyDictionary[Store, dict[str, tuple[float, StoredKey | None]]] = (
            weakref.WeakKeyDictionary())
        self._lock = threading.Lock()

    def get(self, store: Store, prefix: str) -> StoredKey | None:
        with self._lock:
            entries = self._by_store.setdefault(store, {})
            found = entries.get(prefix)
        if found is not None and time.monotonic() - found[0] < self.seconds:
            return found[1]
        with store.unit_of_work() as uow:
            key = uow.access.key(prefix)
        with self._lock:
            if len(entries) > 10_000:  # unknown prefixes must not grow it without bound
                entries.clear()
            entries[prefix] = (time.monotonic(), key)
        return key

    def touched(self, store: Store, key: StoredKey, at: datetime) -> None:
        """Remember a use about to be recorded, so the next requests do not record it again."""
        with self._lock:
            entries = self._by_store.setdefault(store, {})
            if key.prefix in entries:
                entries[key.prefix] = (entries[key.prefix][0], replace(key, last_used_at=at))

    def forget(self, store: Store, prefix: str) -> None:
        with self._lock:
            self._by_store.get(store, {}).pop(prefix, None)


KEY_CACHE_SECONDS = 1.0
_KEYS = KeyCache(KEY_CACHE_SECONDS)


def forget_key(store: Store, prefix: str) -> None:
    """Drop a key this process read lately (revoked elsewhere in this process: exits.erasure_service)."""
    _KEYS.forget(store, prefix)


def check_key(store: Store, token: str, clock: Clock) -> tuple[Principal, bool]:
    """(the principal a bearer key stands for, whether its last use is due to be recorded);
    NotAuthenticated otherwise, never saying which part was wrong. Reads only."""
    parts = split_key(token)
    if parts is None:
        raise NotAuthenticated(Message("the API key is malformed"))
    prefix, secret = parts
    now = clock.now()
    key = _KEYS.get(store, prefix)
    if (key is None or not secret_matches(key.secret_sha256, secret) or key.revoked_at is not None
            or (key.expires_at is not None and key.expires_at <= now)):
        raise NotAuthenticated(Message("the API key is unknown, revoked or expired"))
    # Recorded at most once a minute: a busy key must not write on every request.
    due = key.last_used_at is None or now - key.last_used_at > timedelta(minutes=1)
    if due:
        _KEYS.touched(store, key, now)
    scopes = frozenset(key.scopes.split()) if key.scopes is not None else None
    departed = has_left(key.member_left_on, key.timezone, clock)
    return Principal(prefix, Role(key.role), key.alliance, key.member, scopes, departed), due



def record_use(store: Store, prefix: str, clock: Clock) -> None:
    with store.unit_of_work() as uow:
        uow.access.touch(prefix, clock.now())
        uow.commit()


def authenticate(store: Store, token: str, clock: Clock) -> Principal:
    """The principal a bearer key stands for (recording its use); NotAuthenticated otherwise."""
    principal, due = check_key(store, token, clock)
    if due:
        record_use(store, principal.subject, clock)
    return principal


# -- users: roles and web sessions ------------------------------------------------------------------
SESSION_HOURS = 12
SIGN_IN_FAILED = Message("the username or password is wrong (after five failed sign-ins in a row, each further try "
                         "must wait a little longer, up to a minute)")
THE_PLATFORM = Message("the platform")  # where the platform admin role is held (it names no alliance)

@functools.cache
def _dummy_hash() -> str:
    """A hash to check unknown usernames against, made on the first sign-in: an argon2 hash costs a
    fifth of a second and 64 MiB, which importing this module (every CLI command) must not pay."""
    return hash_password("an account that does not exist")

_ARGON2_SLOTS = threading.BoundedSemaphore(4)


class CsrfFailed(AllianceError):
    code = "csrf_failed"
    title = Message("CSRF check failed")
    status = 403


def grant_role(store: Store, username: str, role: Role, alliance: str | None, member: str | None) -> None:
    """Give a user a role in an alliance (one role per user and alliance)."""
    with store.unit_of_work() as uow:
        grant_in(uow, username, role, alliance, member)
        uow.commit()


def check_grant(role: Role, alliance: str | None, member: str | None) -> None:
    """A role's shape: the platform admin's in no alliance, an alliance role in one, a member role for one member."""
    if role is Role.PLATFORM_ADMIN and (alliance is not None or member is not None):
        raise InvalidInput(Message("a platform admin role belongs to no alliance or member"))
    if role is not Role.PLATFORM_ADMIN and alliance is None:
        raise InvalidInput(Message("{role} role needs an alliance", role=A_ROLE[role]))
    if (role in MEMBER_ROLES) != (member is not None):
        raise InvalidInput(Message("{role} role needs a member", role=A_ROLE[role]) if role in MEMBER_ROLES
                           else Message("{role} role takes no member", role=A_ROLE[role]))


def grant_in(uow: UnitOfWork, username: str, role: Role, alliance: str | None, member: str | None) -> None:
    """`grant_role` inside the caller's unit of work (which commits)."""
    check_grant(role, alliance, member)
    user_id = uow.sessions.user_id(username)
    if user_id is None:
        raise NotFound(Message("no user {username!r}", username=username))
    alliance_id = None
    if alliance is not None:
        found = uow.alliances.require(alliance)
        alliance_id = found.id
        if member is not None and member not in set(uow.members.existing_keys(found.id).values()):
            raise MemberNotFound(alliance, member)
        if member is not None and uow.exits.erased(found.id, member):
            # Its people's accounts were pseudonymised and their roles removed: no one acts for it again.
            raise Conflict(Message("{member}'s data was erased after it left {alliance}: no role is given for it "
                                   "any more", member=member, alliance=alliance))
    if any(g.alliance == alliance for g in uow.sessions.grants(user_id)):
        raise Conflict(Message("{username!r} already has a role in {where}",
                               username=username, where=alliance or THE_PLATFORM))
    with on_duplicate(Conflict(Message("{username!r} already has a role in {where}",
                                       username=username, where=alliance or THE_PLATFORM))):
        uow.sessions.grant(user_id, role.value, alliance_id, member)


@dataclass(frozen=True, slots=True)
class WebSession:
    token: str        # the cookie's value; stored only as its SHA-256
    csrf_token: str   # sent back by the page in X-CSRF-Token on every write
    expires_at: datetime


def sign_in(store: Store, username: str, password: str, clock: Clock) -> WebSession:
    """A new session for a user whose password matches (NotAuthenticated otherwise, saying no more).

    Failures back off per account (access.throttle): after five in a row an attempt must wait
    2^k seconds, up to a minute; one made sooner fails without its password being counted, and
    does not lengthen the wait. The client address has its own back-off (edge.deps.sign_in_from)."""
    now = clock.now()
    with store.unit_of_work() as uow:
        user = uow.access.user(username)
        user_id = uow.sessions.user_id(username)
    # The same work and the same answer whether the user is unknown, locked or the password wrong:
    # neither timing nor wording tells which usernames exist.
    stored = user.password_hash if user is not None else _dummy_hash()
    with _ARGON2_SLOTS:  # each check takes 64 MiB: a flood of sign-ins queues instead of exhausting memory
        matches = password_matches(stored, password)
    waiting = user is not None and user.locked_until is not None and user.locked_until > now
    if not matches or waiting or user is None or user.disabled_at is not None or user_id is None:
        if user is not None and not waiting:
            with store.unit_of_work() as uow:
                uow.access.sign_in_failed(username, account_waits(now))
                uow.commit()
        raise NotAuthenticated(SIGN_IN_FAILED)
    with store.unit_of_work() as uow:
        session = open_session(uow, user_id, now)
        uow.access.sign_in_succeeded(username)
        uow.commit()
    return session


def open_session(uow: UnitOfWork, user_id: int, now: datetime) -> WebSession:
    """A new web session for the user (the caller commits): after a password matched, or a
    one-time code was used to set a new one."""
    import secrets

    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires = now + timedelta(hours=SESSION_HOURS)
    uow.sessions.add_session(user_id, secret_digest(token), csrf, now, expires)
    return WebSession(token, csrf, expires)


def unlock_user(store: Store, username: str) -> None:
    """Clear a user's failed sign-ins and any wait they set (the platform admin's remedy)."""
    with store.unit_of_work() as uow:
        if not uow.access.sign_in_succeeded(username):
            raise NotFound(Message("no user {username!r}", username=username))
        uow.commit()


def sign_out(store: Store, token: str, clock: Clock) -> None:
    with store.unit_of_work() as uow:
        uow.sessions.end_session(secret_digest(token), clock.now())
        uow.commit()


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """A live web session: whose it is, its CSRF token, and every role its user holds."""

    username: str
    csrf_token: str
    grants: list[Grant]
    departed: frozenset[tuple[str | None, str | None]] = frozenset()  # (alliance, member) of grants whose member left

    def principal(self, alliance: str | None) -> Principal:
        """The principal the session acts as in `alliance`: a platform admin's role wins, then the
        user's role in that alliance, then the user's first role (which `authorize` will hold to
        its own alliance)."""
        chosen = next((g for g in self.grants if g.role == Role.PLATFORM_ADMIN.value), None)
        chosen = chosen or next((g for g in self.grants if alliance is not None and g.alliance == alliance), None)
        chosen = chosen or self.grants[0]
        return Principal(self.username, Role(chosen.role), chosen.alliance, chosen.member,
                         departed=(chosen.alliance, chosen.member) in self.departed, kind="user")


def session_info(store: Store, token: str, clock: Clock) -> SessionInfo:
    """The live session a cookie holds (NotAuthenticated if it ended, expired or grants nothing)."""
    with store.unit_of_work() as uow:
        found = uow.sessions.session(secret_digest(token))
        if (found is None or found.ended_at is not None or found.disabled_at is not None
                or found.expires_at <= clock.now()):
            raise NotAuthenticated(Message("the session has ended: sign in again"))
        grants = uow.sessions.grants(found.user_id)
    if not grants:
        raise NotAuthenticated(Message("{username!r} holds no role yet", username=found.username))
    departed = frozenset((g.alliance, g.member) for g in grants if has_left(g.member_left_on, g.timezone, clock))
    return SessionInfo(found.username, found.csrf_token, grants, departed)


def session_principal(store: Store, token: str, alliance: str | None, clock: Clock) -> tuple[Principal, str]:
    """(the principal a session cookie stands for in `alliance`, the session's CSRF token)."""
    info = session_info(store, token, clock)
    return info.principal(alliance), info.csrf_token
