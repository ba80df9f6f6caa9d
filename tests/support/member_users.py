"""Users who are admins of a member: the accounts that act for it in the operations commands (`--as USER`),
since the platform operator does not act for members (access.policy.authorize_member_step)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from alliance.access import service as access
from alliance.access.roles import Role
from alliance.core.clock import FrozenClock
from alliance.store.database import Store

PASSWORD = "a long enough password"


def admin_user(member: str) -> str:
    """The username `member_admins` gives `member`'s admin: adm-<member in lower case>."""
    return f"adm-{member.lower()}"


def member_admins(store: Store | str, alliance: str, members: Iterable[str]) -> dict[str, str]:
    """Create a member-admin user for each of `members` of `alliance` (a store or a database URL);
    return member -> username."""
    opened = Store.open(store, migrate=False) if isinstance(store, str) else store
    clock = FrozenClock(datetime(2026, 1, 1, tzinfo=UTC))
    try:
        made = {}
        for member in members:
            access.create_user(opened, admin_user(member), PASSWORD, f"{member} admin", clock)
            access.grant_role(opened, admin_user(member), Role.MEMBER_ADMIN, alliance, member)
            made[member] = admin_user(member)
        return made
    finally:
        if isinstance(store, str):
            opened.close()


def platform_admin(store: Store | str, username: str) -> str:
    """Create a platform admin user `username` (a store or a database URL): the operator's own account,
    which holds no member's."""
    opened = Store.open(store, migrate=False) if isinstance(store, str) else store
    try:
        access.create_user(opened, username, PASSWORD, username, FrozenClock(datetime(2026, 1, 1, tzinfo=UTC)))
        access.grant_role(opened, username, Role.PLATFORM_ADMIN, None, None)
        return username
    finally:
        if isinstance(store, str):
            opened.close()
