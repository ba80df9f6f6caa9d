"""Credentials to try the demo alliances with: sign-ins and API keys, made once, shown once."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from alliance.access.roles import Role
from alliance.access.service import create_api_key, create_user, grant_role
from alliance.core.clock import Clock
from alliance.core.errors import Conflict
from alliance.registry.service import list_members
from alliance.store.database import Store


@dataclass(frozen=True, slots=True)
class Credential:
    role: Role
    alliance: str | None
    member: str | None
    username: str | None  # a sign-in (with `secret` its password), or None for an API key
    secret: str


def demo_credentials(store: Store, codes: Sequence[str], clock: Clock) -> list[Credential]:
    """For the alliances just created: a platform admin, and per alliance a coordinator and its first
    member's admin as users; those roles, an auditor and a member analyst as API keys. A demo user
    left from an earlier run keeps its password (and is not listed again)."""
    grants: list[tuple[Role, str | None, str | None]] = [(Role.PLATFORM_ADMIN, None, None)]
    for code in codes:
        first = next(iter(list_members(store, code)), None)
        grants += [(Role.COORDINATOR, code, None), (Role.AUDITOR, code, None)]
        if first is not None:
            grants += [(Role.MEMBER_ADMIN, code, first.code), (Role.MEMBER_ANALYST, code, first.code)]
    out = []
    for role, alliance, member in grants:
        if role in (Role.PLATFORM_ADMIN, Role.COORDINATOR, Role.MEMBER_ADMIN):
            username = "admin" if alliance is None else f"{alliance}.{(member or 'coordinator').lower()}"
            password = secrets.token_urlsafe(12)
            try:
                create_user(store, username, password, username, clock)
                grant_role(store, username, role, alliance, member)
                out.append(Credential(role, alliance, member, username, password))
            except Conflict:
                pass
        key = create_api_key(store, role=role, alliance=alliance, member=member, name="demo", created_by="demo",
                             clock=clock).key
        out.append(Credential(role, alliance, member, None, key))
    return out
