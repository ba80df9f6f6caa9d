"""Roles and the principal a request acts as."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    PLATFORM_ADMIN = "platform_admin"   # runs the platform: every alliance
    COORDINATOR = "coordinator"         # 秘书长: runs one alliance
    MEMBER_ADMIN = "member_admin"       # acts for one member of one alliance
    MEMBER_ANALYST = "member_analyst"   # reads one member's data, changes nothing
    AUDITOR = "auditor"                 # reads an alliance's records and ledger, never raw customer data


ALLIANCE_ROLES = (Role.COORDINATOR, Role.AUDITOR)
MEMBER_ROLES = (Role.MEMBER_ADMIN, Role.MEMBER_ANALYST)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request acts as: a role, and the alliance and member the role is held in; for a key
    limited to some of its role's actions, those actions (access.policy.Action values)."""

    subject: str                 # the key's prefix or the user's name, for logs and records
    role: Role
    alliance: str | None = None  # None only for a platform admin
    member: str | None = None    # set for member roles
    scopes: frozenset[str] | None = None  # None: everything the role allows
    departed: bool = False  # the member the role is held for has left the alliance
    kind: str = "key"  # "key" (subject is its prefix) or "user" (subject is the username)

    @property
    def account(self) -> str:
        """The authenticated account, as signatures and powers of attorney name it: `user:NAME` or `key:PREFIX`."""
        return f"{self.kind}:{self.subject}"

    @property
    def actor(self) -> str:
        """How records name this principal."""
        where = f"{self.alliance}/{self.member}" if self.member else (self.alliance or "platform")
        return f"{self.subject} ({self.role.value} of {where})"
