"""The demo's credentials work: each sign-in opens a session, each key authenticates, with its role."""

from __future__ import annotations

from alliance.access.demo import demo_credentials
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
