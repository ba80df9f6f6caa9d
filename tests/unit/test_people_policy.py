"""Who may manage whom: `policy.authorize_grant` and `policy.authorize_account`, role by role."""

from __future__ import annotations

import pytest

from alliance.access.policy import ALLOWED, Action, Forbidden, authorize_account, authorize_grant
from alliance.access.roles import MEMBER_ROLES, Principal, Role
from alliance.core.errors import AllianceNotFound, NotFound
from alliance.store.access_repository import Grant

ADMIN = Principal("root", Role.PLATFORM_ADMIN, kind="user")
COORD = Principal("zhang", Role.COORDINATOR, "nb", kind="user")
M1_ADMIN = Principal("li", Role.MEMBER_ADMIN, "nb", "M1", kind="user")


def test_a_platform_admin_manages_every_role_and_account() -> None:
    for role in Role:
        authorize_grant(ADMIN, role, None if role is Role.PLATFORM_ADMIN else "any",
                        "M9" if role in MEMBER_ROLES else None)
    authorize_account(ADMIN, "x", [Grant("platform_admin", None, None), Grant("coordinator", "b", None)])
    authorize_account(ADMIN, "x", [])


def test_a_coordinator_manages_its_alliances_roles_and_no_platform_admin() -> None:
    authorize_grant(COORD, Role.COORDINATOR, "nb", None)
    for role in MEMBER_ROLES:
        authorize_grant(COORD, role, "nb", "M2")
    with pytest.raises(Forbidden, match="only a platform admin"):
        authorize_grant(COORD, Role.PLATFORM_ADMIN, None, None)
    with pytest.raises(AllianceNotFound):
        authorize_grant(COORD, Role.AUDITOR, "other", None)
    authorize_account(COORD, "x", [Grant("member_admin", "nb", "M2")])
    with pytest.raises(NotFound):  # none of its roles is in nb: not there for it
        authorize_account(COORD, "x", [Grant("coordinator", "other", None)])
    with pytest.raises(NotFound):
        authorize_account(COORD, "x", [])
    with pytest.raises(Forbidden, match="also holds a role"):  # also a coordinator elsewhere
        authorize_account(COORD, "x", [Grant("member_admin", "nb", "M2"), Grant("coordinator", "other", None)])
    with pytest.raises(Forbidden, match="also holds a role"):  # also a platform admin
        authorize_account(COORD, "x", [Grant("coordinator", "nb", None), Grant("platform_admin", None, None)])


def test_only_a_platform_admin_gives_or_takes_away_the_auditor_role() -> None:
    # An auditor checks the coordinator's work (it confirms milestones, reads the books): a coordinator
    # who could make one, or take over one's account, could confirm its own milestones.
    with pytest.raises(Forbidden, match="only a platform admin gives or takes away the auditor role"):
        authorize_grant(COORD, Role.AUDITOR, "nb", None)
    with pytest.raises(AllianceNotFound):  # another alliance is still not there for it
        authorize_grant(COORD, Role.AUDITOR, "other", None)
    with pytest.raises(NotFound):  # an auditor's account is not among the people it manages (no reset code)
        authorize_account(COORD, "x", [Grant("auditor", "nb", None)])
    authorize_grant(ADMIN, Role.AUDITOR, "nb", None)
    authorize_account(ADMIN, "x", [Grant("auditor", "nb", None)])


def test_a_member_admin_manages_only_its_own_members_member_roles() -> None:
    for role in MEMBER_ROLES:
        authorize_grant(M1_ADMIN, role, "nb", "M1")
    for role in (Role.COORDINATOR, Role.AUDITOR):
        with pytest.raises(Forbidden, match="member roles of its own member"):
            authorize_grant(M1_ADMIN, role, "nb", None)
    with pytest.raises(NotFound):
        authorize_grant(M1_ADMIN, Role.MEMBER_ANALYST, "nb", "M2")
    with pytest.raises(AllianceNotFound):
        authorize_grant(M1_ADMIN, Role.MEMBER_ANALYST, "other", "M1")
    authorize_account(M1_ADMIN, "x", [Grant("member_analyst", "nb", "M1")])
    with pytest.raises(NotFound):
        authorize_account(M1_ADMIN, "x", [Grant("member_analyst", "nb", "M2")])
    with pytest.raises(NotFound):  # the coordinator is above it: not among the people it manages
        authorize_account(M1_ADMIN, "x", [Grant("coordinator", "nb", None)])
    with pytest.raises(Forbidden):
        authorize_account(M1_ADMIN, "x", [Grant("member_admin", "nb", "M1"), Grant("auditor", "other", None)])


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.MEMBER_ANALYST])
def test_roles_that_manage_no_one(role: Role) -> None:
    me = Principal("k", role, "nb", "M1" if role in MEMBER_ROLES else None, kind="user")
    assert Action.MANAGE_PEOPLE not in ALLOWED[role]
    with pytest.raises(Forbidden):
        authorize_grant(me, Role.MEMBER_ANALYST, "nb", "M1")
    with pytest.raises(Forbidden):  # 403 for the role, before saying whether the account is there
        authorize_account(me, "x", [Grant("member_analyst", "nb", "M1")])
    with pytest.raises(Forbidden):
        authorize_account(me, "x", [])


def test_a_member_that_left_manages_no_one_any_more() -> None:
    gone = Principal("li", Role.MEMBER_ADMIN, "nb", "M1", departed=True, kind="user")
    with pytest.raises(Forbidden, match="has left"):
        authorize_grant(gone, Role.MEMBER_ANALYST, "nb", "M1")
    with pytest.raises(Forbidden):
        authorize_account(gone, "x", [Grant("member_analyst", "nb", "M1")])


def test_a_key_scoped_away_from_people_manages_no_one() -> None:
    scoped = Principal("k", Role.COORDINATOR, "nb", scopes=frozenset({Action.READ_RECORDS}))
    with pytest.raises(Forbidden, match="limited to"):
        authorize_grant(scoped, Role.AUDITOR, "nb", None)
    admin_scoped = Principal("k", Role.PLATFORM_ADMIN, scopes=frozenset({Action.MANAGE_PLATFORM}))
    with pytest.raises(Forbidden, match="limited to"):
        authorize_account(admin_scoped, "x", [])
