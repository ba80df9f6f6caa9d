"""The demo's credentials work: each sign-in opens a session, each key authenticates, with its role."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from alliance.access.demo import SIGN_INS_FILE, demo_credentials, keep_credentials
from alliance.access.roles import Role
from alliance.access.service import authenticate, session_principal, sign_in
from alliance.core.clock import FrozenClock
from alliance.registry import service as registry
from alliance.store.database import Store
from tests.support.factories import make_alliance, member_values


def test_demo_credentials_sign_in_and_authenticate(store: Store, clock: FrozenClock) -> None:
    make_alliance(store, clock, code="nb")
    registry.add_member(store, "nb", member_values(1), clock)
    made = demo_credentials(store, ["nb"], clock)
    users = {c.username: c for c in made if c.username}
    assert set(users) == {"admin", "nb.coordinator", "nb.m0001"}
    session = sign_in(store, "nb.m0001", users["nb.m0001"].secret, clock)
    principal, _ = session_principal(store, session.token, "nb", clock)
    assert (principal.role, principal.alliance, principal.member) == (Role.MEMBER_ADMIN, "nb", "M0001")
    keys = [c for c in made if not c.username]
    assert {c.role for c in keys} == set(Role)
    for c in keys:
        assert authenticate(store, c.secret, clock).role is c.role
    again = demo_credentials(store, ["nb"], FrozenClock(clock.now()))
    assert not any(c.username for c in again)  # users from the earlier run keep their passwords


def test_the_sign_ins_are_kept_in_a_file_only_its_owner_can_read(store: Store, clock: FrozenClock,
                                                                 tmp_path: Path) -> None:
    make_alliance(store, clock, code="nb")
    registry.add_member(store, "nb", member_values(1), clock)
    made = demo_credentials(store, ["nb"], clock)
    path = tmp_path / "data" / SIGN_INS_FILE
    previous = os.umask(0)  # even with a umask that lets everyone read new files
    try:
        keep_credentials(path, made, "sqlite:///x.db", clock.now())
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text(encoding="utf-8")
    for c in made:
        assert c.secret in text
        if c.username:
            assert f"  {c.username}  {c.secret}  {c.role.value}" in text
    assert "sqlite:///x.db" in text and "2026-11-22" in text
    # Kept again (a new demo in a new database): replaced whole, still the owner's only.
    path.chmod(0o644)
    keep_credentials(path, made[:1], "sqlite:///y.db", clock.now())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert made[1].secret not in path.read_text(encoding="utf-8")
    assert [p.name for p in path.parent.iterdir()] == [SIGN_INS_FILE]  # no partial file left behind


def test_every_member_gets_its_own_admin_sign_in(store: Store, clock: FrozenClock) -> None:
    make_alliance(store, clock, code="nb")
    for i in (1, 2, 3):
        registry.add_member(store, "nb", member_values(i), clock)
    made = demo_credentials(store, ["nb"], clock)
    admins = {c.member: c.username for c in made if c.username and c.role is Role.MEMBER_ADMIN}
    assert admins == {"M0001": "nb.m0001", "M0002": "nb.m0002", "M0003": "nb.m0003"}
    # One key per role and alliance, not one per member.
    assert sorted(c.role.value for c in made if not c.username) == sorted(r.value for r in Role)
