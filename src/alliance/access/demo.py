"""Credentials to try the demo alliances with: sign-ins and API keys, made once, shown once."""

from __future__ import annotations

import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

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
    """For the alliances just created: a platform admin, and per alliance a coordinator and every
    member's admin as users (each party signs agreements with its own account); as API keys the
    platform admin, and per alliance a coordinator, an auditor, and its first member's admin and
    analyst. A demo user left from an earlier run keeps its password (and is not listed again)."""
    grants: list[tuple[Role, str | None, str | None]] = [(Role.PLATFORM_ADMIN, None, None)]
    names: dict[tuple[str, str], str] = {}  # a member admin goes by the member's contact person
    for code in codes:
        members = list_members(store, code)
        names.update({(code, m.code): m.contact_name for m in members if m.contact_name})
        grants += [(Role.COORDINATOR, code, None), (Role.AUDITOR, code, None)]
        grants += [(Role.MEMBER_ADMIN, code, m.code) for m in members]
        if members:
            grants += [(Role.MEMBER_ANALYST, code, members[0].code)]
    out = []
    keyed: set[tuple[Role, str | None]] = set()
    for role, alliance, member in grants:
        if role in (Role.PLATFORM_ADMIN, Role.COORDINATOR, Role.MEMBER_ADMIN):
            username = "admin" if alliance is None else f"{alliance}.{(member or 'coordinator').lower()}"
            password = secrets.token_urlsafe(12)
            try:
                shown = names.get((alliance or "", member or ""), "")
                create_user(store, username, password, f"{shown} ({username})" if shown else username, clock)
                grant_role(store, username, role, alliance, member)
                out.append(Credential(role, alliance, member, username, password))
            except Conflict:
                pass
        if (role, alliance) in keyed:
            continue  # one key per role and alliance: the first member's
        keyed.add((role, alliance))
        key = create_api_key(store, role=role, alliance=alliance, member=member, name="demo", created_by="demo",
                             clock=clock).key
        out.append(Credential(role, alliance, member, None, key))
    return out


SIGN_INS_FILE = "demo-sign-ins.txt"


def keep_credentials(path: Path, made: Sequence[Credential], where: str, now: datetime) -> Path:
    """Write the demo's sign-ins and keys to `path`, readable and writable by its owner only (0600),
    so they can be found again after the terminal scrolled them away.

    The file is replaced whole (a new demo in a fresh database has new passwords), through a file
    created 0600 from the start and renamed over the old one: the secrets are never readable by
    others, not even for a moment, whatever the umask."""
    lines = [f"# Alliance demo sign-ins and API keys for {where}, made {now:%Y-%m-%d %H:%M %Z}.",
             "# Readable only by you. Delete this file once you have changed the passwords.",
             "", "Sign-ins (username  password  role  alliance  member):"]
    lines += [f"  {c.username}  {c.secret}  {c.role.value}  {c.alliance or ''}  {c.member or ''}".rstrip()
              for c in made if c.username]
    lines += ["", "API keys (send as 'Authorization: Bearer <key>'; role  alliance  member  key):"]
    lines += [f"  {c.role.value}  {c.alliance or '(all)'}  {c.member or '-'}  {c.secret}" for c in made if not c.username]
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(descriptor, 0o600)  # the mode given to open() is masked by the umask; this is not
        with os.fdopen(descriptor, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, path)
    return path
