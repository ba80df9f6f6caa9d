"""Access: credentials and the policy's decisions, role by role."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alliance.access.credentials import (PASSWORD_HASHER, hash_password, new_api_key, password_matches, secret_matches,
                                        split_key)
from alliance.access.policy import (A_ROLE, ACTION_NAMES, ALLOWED, ATTORNEY_ACTIONS, OPERATE_STEPS, ROLE_NAMES, Action,
                                    Forbidden, authorize, authorize_member_step, check_scopes)
from alliance.access.roles import Principal, Role
from alliance.access.service import parse_duration
from alliance.core.errors import AllianceNotFound, InvalidInput, NotFound


def test_api_keys_are_shown_once_and_kept_as_a_digest() -> None:
    key, prefix, digest = new_api_key()
    assert key.startswith(f"al_{prefix}_") and len(digest) == 64 and digest not in key
    parts = split_key(key)
    assert parts is not None and parts[0] == prefix and secret_matches(digest, parts[1])
    assert not secret_matches(digest, parts[1][:-1] + ("A" if parts[1][-1] != "A" else "B"))
    assert split_key("al_short_x") is None and split_key("Bearer " + key) is None


def test_passwords_are_argon2id() -> None:
    stored = hash_password("correct horse battery")
    assert stored.startswith("$argon2id$")
    # The platform's cost (the suite hashes at argon2's minimum, tests/conftest.py): 64 MiB, 3 passes.
    assert PASSWORD_HASHER.hash("x").startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert password_matches(PASSWORD_HASHER.hash("correct horse battery"), "correct horse battery")
    assert password_matches(stored, "correct horse battery") and not password_matches(stored, "wrong")
    assert not password_matches("not a hash", "x")


def test_durations() -> None:
    assert parse_duration("90d") == timedelta(days=90) and parse_duration("12h") == timedelta(hours=12)
    for bad in ("0d", "d", "3w", "-1d"):
        with pytest.raises(InvalidInput):
            parse_duration(bad)


def test_platform_admin_may_do_everything_but_act_for_a_member() -> None:
    admin = Principal("k", Role.PLATFORM_ADMIN)
    for action in set(Action) - {Action.ACT_FOR_MEMBER}:
        authorize(admin, action, "any", "M9")
    authorize(admin, Action.ACT_FOR_MEMBER, "any")  # a route's coarse check: no member named yet
    with pytest.raises(Forbidden, match="own accounts"):
        authorize(admin, Action.ACT_FOR_MEMBER, "any", "M9")
    authorize(admin, Action.ACT_FOR_MEMBER, "any", "M9", attorney=True)


def test_acting_for_a_member_is_its_own_act_or_by_its_power_of_attorney() -> None:
    coordinator = Principal("k", Role.COORDINATOR, "nb")
    authorize(coordinator, Action.ACT_FOR_MEMBER, "nb")  # may reach the sign route at all
    with pytest.raises(Forbidden, match="own accounts"):
        authorize(coordinator, Action.ACT_FOR_MEMBER, "nb", "M1")
    authorize(coordinator, Action.ACT_FOR_MEMBER, "nb", "M1", attorney=True)
    other = Principal("k", Role.MEMBER_ADMIN, "nb", "M2")
    with pytest.raises(NotFound):
        authorize(other, Action.ACT_FOR_MEMBER, "nb", "M1")
    authorize(other, Action.ACT_FOR_MEMBER, "nb", "M1", attorney=True)
    authorize(Principal("k", Role.MEMBER_ADMIN, "nb", "M1"), Action.ACT_FOR_MEMBER, "nb", "M1")
    # A power of attorney widens nothing else: not another alliance, not a role that may not act,
    # not a key scoped away from acting, not a member that has left.
    with pytest.raises(AllianceNotFound):
        authorize(coordinator, Action.ACT_FOR_MEMBER, "other", "M1", attorney=True)
    with pytest.raises(Forbidden):
        authorize(Principal("k", Role.MEMBER_ANALYST, "nb", "M2"), Action.ACT_FOR_MEMBER, "nb", "M1", attorney=True)
    with pytest.raises(Forbidden):
        authorize(Principal("k", Role.COORDINATOR, "nb", scopes=frozenset({Action.READ_RECORDS})),
                  Action.ACT_FOR_MEMBER, "nb", "M1", attorney=True)
    with pytest.raises(Forbidden):
        authorize(Principal("k", Role.MEMBER_ADMIN, "nb", "M2", departed=True), Action.ACT_FOR_MEMBER, "nb", "M1",
                  attorney=True)
    with pytest.raises(NotFound):  # the attorney flag is only for acting, never for reading
        authorize(other, Action.READ_MEMBER_DATA, "nb", "M1", attorney=True)


@pytest.mark.parametrize("action", sorted(OPERATE_STEPS))
def test_a_members_operations_steps_are_its_own_or_by_its_operate_power(action: Action) -> None:
    coordinator = Principal("k", Role.COORDINATOR, "nb")
    with pytest.raises(Forbidden):  # "only M1's own accounts act for M1" ("may not bid jointly" for BID)
        authorize_member_step(coordinator, action, "nb", "M1")
    authorize_member_step(coordinator, action, "nb", "M1", attorney=True)  # even bidding, not otherwise its act
    other = Principal("k", Role.MEMBER_ADMIN, "nb", "M2")
    with pytest.raises(NotFound):
        authorize_member_step(other, action, "nb", "M1")
    authorize_member_step(other, action, "nb", "M1", attorney=True)
    authorize_member_step(Principal("k", Role.MEMBER_ADMIN, "nb", "M1"), action, "nb", "M1")
    with pytest.raises(Forbidden, match="own accounts"):
        authorize_member_step(Principal("k", Role.PLATFORM_ADMIN), action, "nb", "M1")
    authorize_member_step(Principal("k", Role.PLATFORM_ADMIN), action, "nb", "M1", attorney=True)
    # The power widens nothing else: not another alliance, not an analyst or an auditor, not a departed
    # member's account, not reading the member's data.
    with pytest.raises(AllianceNotFound):
        authorize_member_step(coordinator, action, "other", "M1", attorney=True)
    for role, member in ((Role.MEMBER_ANALYST, "M2"), (Role.AUDITOR, None)):
        with pytest.raises(Forbidden):
            authorize_member_step(Principal("k", role, "nb", member), action, "nb", "M1", attorney=True)
    with pytest.raises(Forbidden):
        authorize_member_step(Principal("k", Role.MEMBER_ADMIN, "nb", "M2", departed=True), action, "nb", "M1",
                              attorney=True)
    with pytest.raises(NotFound):
        authorize(other, Action.READ_MEMBER_DATA, "nb", "M1", attorney=True)


def test_the_two_powers_reach_only_their_own_acts() -> None:
    other = Principal("k", Role.MEMBER_ADMIN, "nb", "M2")
    coordinator = Principal("k", Role.COORDINATOR, "nb")
    # authorize_member_step passes the attorney flag on only for operations steps: signing (ACT_FOR_MEMBER)
    # is never taken as a member step, and the coordinator's own BID is still refused without a power
    with pytest.raises(NotFound):
        authorize_member_step(other, Action.EXPORT_MEMBER_DATA, "nb", "M1", attorney=True)
    with pytest.raises(Forbidden):
        authorize(coordinator, Action.BID, "nb")
    assert Action.ACT_FOR_MEMBER not in OPERATE_STEPS and OPERATE_STEPS <= ATTORNEY_ACTIONS


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.AUDITOR, Role.MEMBER_ADMIN, Role.MEMBER_ANALYST])
def test_alliance_roles(role: Role) -> None:
    member = "M1" if role in (Role.MEMBER_ADMIN, Role.MEMBER_ANALYST) else None
    me = Principal("k", role, "nb", member)
    for action in Action:
        with pytest.raises(AllianceNotFound):
            authorize(me, action, "other")
        if action in ALLOWED[role]:
            authorize(me, action, "nb", member)
        else:
            with pytest.raises(Forbidden):
                authorize(me, action, "nb", member)
    if member is not None:
        with pytest.raises(NotFound, match="for this key"):
            authorize(me, Action.READ_MEMBER_DATA, "nb", "M2")
    else:
        authorize(me, Action.READ_MEMBER_DATA, "nb", "M2")  # alliance roles read every member's statements
    with pytest.raises(Forbidden):
        authorize(me, Action.MANAGE_PLATFORM)


def test_what_each_role_is_for() -> None:
    assert Action.MANAGE_ALLIANCE in ALLOWED[Role.COORDINATOR]
    assert Action.MANAGE_ALLIANCE not in ALLOWED[Role.AUDITOR] and Action.IMPORT_ORDERS not in ALLOWED[Role.AUDITOR]
    assert ALLOWED[Role.MEMBER_ANALYST] < ALLOWED[Role.MEMBER_ADMIN]
    assert not any(a.value.startswith(("manage", "import")) for a in ALLOWED[Role.MEMBER_ANALYST])


@given(role=st.sampled_from([Role.COORDINATOR, Role.AUDITOR, Role.MEMBER_ADMIN, Role.MEMBER_ANALYST]),
       data=st.data())
def test_a_scoped_key_may_do_exactly_its_scopes(role: Role, data: st.DataObject) -> None:
    allowed = sorted(ALLOWED[role])
    scopes = data.draw(st.lists(st.sampled_from(allowed), min_size=1, unique=True))
    limited = check_scopes(role, [s.value for s in scopes])
    member = "M1" if role in (Role.MEMBER_ADMIN, Role.MEMBER_ANALYST) else None
    principal = Principal("k", role, "nb", member, frozenset(limited))
    for action in Action:
        if action in limited:
            authorize(principal, action, "nb", member)
        else:
            with pytest.raises(Forbidden):
                authorize(principal, action, "nb", member)
        # Another alliance is not there, whatever the scopes: nothing is revealed by them.
        with pytest.raises(AllianceNotFound):
            authorize(principal, action, "other", member)


def test_scopes_are_checked_when_a_key_is_made() -> None:
    assert check_scopes(Role.MEMBER_ANALYST, ["READ_MEMBER_DATA", " read_shared"]) == {
        Action.READ_MEMBER_DATA, Action.READ_SHARED}
    with pytest.raises(InvalidInput) as refused:
        check_scopes(Role.MEMBER_ANALYST, ["import_orders", "statements", "read_records"])
    message = refused.value.message
    assert "may not import orders" in message and "'statements' is not an action" in message
    with pytest.raises(InvalidInput, match="at least one scope"):
        check_scopes(Role.AUDITOR, [])
    admin = Principal("k", Role.PLATFORM_ADMIN, scopes=frozenset(check_scopes(Role.PLATFORM_ADMIN, ["manage_platform"])))
    authorize(admin, Action.MANAGE_PLATFORM)
    with pytest.raises(Forbidden, match="limited to manage_platform"):
        authorize(admin, Action.READ_FINANCE, "nb")


@pytest.mark.parametrize("role", [Role.MEMBER_ADMIN, Role.MEMBER_ANALYST])
def test_a_member_that_left_keeps_reading_its_own_and_nothing_more(role: Role) -> None:
    from alliance.access.policy import DEPARTED_MAY

    gone = Principal("k", role, "nb", "M1", departed=True)
    for action in ALLOWED[role]:
        if action in DEPARTED_MAY:
            authorize(gone, action, "nb", "M1")
        else:
            with pytest.raises(Forbidden, match="has left the alliance"):
                authorize(gone, action, "nb", "M1")
    with pytest.raises(NotFound):  # another member's statements: still not there for it
        authorize(gone, Action.READ_MEMBER_DATA, "nb", "M2")
    with pytest.raises(AllianceNotFound):
        authorize(gone, Action.READ_RECORDS, "other")
    assert {Action.READ_SHARED, Action.ACT_FOR_MEMBER} & DEPARTED_MAY == set()


def test_every_role_and_action_has_a_name_messages_can_say() -> None:
    # Refusals name the role and the action in the user's language: a new one needs its words too.
    assert set(ROLE_NAMES) == set(A_ROLE) == set(Role) and set(ACTION_NAMES) == set(Action)
    assert all(str(ACTION_NAMES[a]) == a.value.replace("_", " ") for a in Action)
    analyst = Principal("k", Role.MEMBER_ANALYST, "nb", "M1")
    with pytest.raises(Forbidden) as refused:
        authorize(analyst, Action.IMPORT_ORDERS, "nb")
    zh = {"{role} may not {action}": "{role}无权{action}", "a member analyst": "成员分析员", "import orders": "导入订单"}
    assert refused.value.message == "a member analyst may not import orders"
    assert refused.value.message.in_language(lambda t: zh.get(t, t)) == "成员分析员无权导入订单"
