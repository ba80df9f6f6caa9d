"""Who declares whose resources and needs (access.policy, DECLARE_RESOURCES): a member admin its own
member's only (another member's are not there: 404), the coordinator any member's, an analyst or an
auditor none, another alliance's roles nothing at all."""

from __future__ import annotations

import pytest

from alliance.access.policy import Action, Forbidden, authorize
from alliance.access.roles import Principal, Role
from alliance.core.errors import AllianceNotFound, NotFound


def test_who_declares_whose_resources() -> None:
    authorize(Principal("c", Role.COORDINATOR, "nb"), Action.DECLARE_RESOURCES, "nb", "M2")
    authorize(Principal("a", Role.MEMBER_ADMIN, "nb", "M1"), Action.DECLARE_RESOURCES, "nb", "M1")
    with pytest.raises(NotFound):
        authorize(Principal("a", Role.MEMBER_ADMIN, "nb", "M1"), Action.DECLARE_RESOURCES, "nb", "M2")
    for role, member in ((Role.MEMBER_ANALYST, "M1"), (Role.AUDITOR, None)):
        with pytest.raises(Forbidden):
            authorize(Principal("x", role, "nb", member), Action.DECLARE_RESOURCES, "nb", "M1")
    with pytest.raises(AllianceNotFound):
        authorize(Principal("c", Role.COORDINATOR, "other"), Action.DECLARE_RESOURCES, "nb", "M1")
    with pytest.raises(Forbidden):  # a member that left declares nothing any more
        authorize(Principal("a", Role.MEMBER_ADMIN, "nb", "M1", departed=True), Action.DECLARE_RESOURCES, "nb", "M1")
