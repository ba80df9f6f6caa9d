"""People, against both databases: one-time codes (hashed, single use even under a race, expiring),
own passwords, revoking, and a coordinator appointed in the same transaction that founds its alliance."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import text

from alliance.access import people
from alliance.access import service as access
from alliance.access.policy import Forbidden
from alliance.access.roles import Principal, Role
from alliance.core.clock import FrozenClock
from alliance.core.errors import Conflict, InvalidInput, NotFound
from alliance.registry import service as registry
from alliance.registry.model import AllianceKind, AllianceSpec, AllianceStructure
from alliance.store.database import Store
from tests.support.factories import credit_code, make_alliance
from tests.support.web import PASSWORD, add_user

ADMIN = Principal("root", Role.PLATFORM_ADMIN, kind="user")
COORD = Principal("coord", Role.COORDINATOR, "nb", kind="user")
NEW = "a new password of mine"


@pytest.fixture
def nb(store: Store, clock: FrozenClock) -> Store:
    make_alliance(store, clock, code="nb")
    registry.add_member(store, "nb", {"code": "M1", "name": "M1 有限公司", "credit_code": credit_code(1)}, clock)
    add_user(store, clock, "coord", Role.COORDINATOR, "nb")
    add_user(store, clock, "li", Role.MEMBER_ADMIN, "nb", "M1")
    return store


def test_a_code_is_kept_as_a_digest_and_works_once(nb: Store, clock: FrozenClock) -> None:
    issued = people.issue_reset(nb, COORD, "li", clock)
    assert issued.expires_at == clock.now() + people.RESET_LIFETIME
    with nb.engine.connect() as c:
        row = c.execute(text("SELECT code_sha256, created_by FROM password_resets")).one()
    assert issued.code not in row[0] and row[1].startswith("coord")
    username, session = people.redeem(nb, issued.code, NEW, clock)
    assert username == "li" and access.session_info(nb, session.token, clock).username == "li"
    assert access.check_password(nb, "li", NEW) and not access.check_password(nb, "li", PASSWORD)
    with pytest.raises(people.CodeRefused):
        people.redeem(nb, issued.code, "another password, long", clock)
    with pytest.raises(people.CodeRefused):
        people.redeem(nb, "not-a-code-at-all", "another password, long", clock)
    assert access.check_password(nb, "li", NEW)


def test_two_tabs_using_one_code_at_once_set_one_password(nb: Store, clock: FrozenClock) -> None:
    issued = people.issue_reset(nb, COORD, "li", clock)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def use(password: str) -> None:
        barrier.wait()
        try:
            people.redeem(nb, issued.code, password, clock)
            outcomes.append(password)
        except people.CodeRefused:
            outcomes.append("refused")

    threads = [threading.Thread(target=use, args=(p,)) for p in ("first password, long", "second password, long")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [o for o in outcomes if o != "refused"]
    assert len(winners) == 1 and outcomes.count("refused") == 1
    assert access.check_password(nb, "li", winners[0])


def test_a_code_expires_and_a_newer_one_replaces_it(nb: Store, clock: FrozenClock) -> None:
    old = people.issue_reset(nb, COORD, "li", clock, timedelta(minutes=30))
    new = people.issue_reset(nb, COORD, "li", clock, timedelta(minutes=30))
    with pytest.raises(people.CodeRefused):
        people.redeem(nb, old.code, NEW, clock)
    clock.advance(timedelta(minutes=30))
    with pytest.raises(people.CodeRefused, match="expired"):
        people.redeem(nb, new.code, NEW, clock)
    for wrong in (timedelta(minutes=4), timedelta(days=31)):
        with pytest.raises(InvalidInput):
            people.issue_reset(nb, COORD, "li", clock, wrong)
    assert access.check_password(nb, "li", PASSWORD)


def test_a_reset_clears_failed_sign_ins_and_ends_sessions(nb: Store, clock: FrozenClock) -> None:
    before = access.sign_in(nb, "li", PASSWORD, clock)
    for _ in range(6):
        with pytest.raises(access.NotAuthenticated):
            access.sign_in(nb, "li", "wrong wrong wrong", clock)
    people.redeem(nb, people.issue_reset(nb, COORD, "li", clock).code, NEW, clock)
    with pytest.raises(access.NotAuthenticated):
        access.session_info(nb, before.token, clock)
    assert access.sign_in(nb, "li", NEW, clock).token  # no wait left


def test_an_invited_person_has_no_password_until_the_code_is_used(nb: Store, clock: FrozenClock) -> None:
    invitation = people.add_person(nb, COORD, "wang", "王五", Role.MEMBER_ANALYST, "nb", "M1", clock)
    assert invitation is not None and invitation.expires_at == clock.now() + people.INVITE_LIFETIME
    listed = {p.username: p for p in people.people(nb, COORD, clock)}
    assert listed["wang"].code_expires_at == invitation.expires_at and listed["wang"].display_name == "王五"
    people.redeem(nb, invitation.code, NEW, clock)
    assert access.check_password(nb, "wang", NEW)
    assert people.people(nb, COORD, clock)[-1].code_expires_at is None


def test_a_person_is_added_with_the_role_or_not_at_all(nb: Store, clock: FrozenClock) -> None:
    with pytest.raises(NotFound):  # no such member: no user left behind without a role
        people.add_person(nb, COORD, "zhao", "", Role.MEMBER_ANALYST, "nb", "M9", clock)
    with nb.unit_of_work() as uow:
        assert uow.access.user("zhao") is None


def test_only_a_platform_admin_makes_or_unmakes_an_auditor(nb: Store, clock: FrozenClock) -> None:
    # An auditor checks the coordinator (it confirms milestones): the coordinator makes none, takes none
    # away, and cannot reach one's account (a reset code would let it act as the auditor).
    with pytest.raises(Forbidden, match="only a platform admin gives or takes away the auditor role"):
        people.add_person(nb, COORD, "wang", "王五", Role.AUDITOR, "nb", None, clock)
    with nb.unit_of_work() as uow:
        assert uow.access.user("wang") is None
    assert people.add_person(nb, ADMIN, "wang", "王五", Role.AUDITOR, "nb", None, clock) is not None
    with pytest.raises(Forbidden, match="only a platform admin gives or takes away the auditor role"):
        people.revoke(nb, COORD, "wang", "nb")
    with pytest.raises(NotFound):
        people.issue_reset(nb, COORD, "wang", clock)
    assert "wang" not in {p.username for p in people.people(nb, COORD, clock)}
    assert people.revoke(nb, ADMIN, "wang", "nb") is Role.AUDITOR
    with pytest.raises(Forbidden, match="only a platform admin gives or takes away the auditor role"):
        people.grant(nb, COORD, "wang", Role.AUDITOR, "nb", None)


def test_own_password_needs_the_current_one(nb: Store, clock: FrozenClock) -> None:
    with pytest.raises(people.WrongPassword):
        people.change_password(nb, "li", "not my password", NEW, clock)
    with nb.unit_of_work() as uow:
        assert uow.access.user("li").failed_sign_ins == 1
    with pytest.raises(InvalidInput):
        people.change_password(nb, "li", PASSWORD, PASSWORD, clock)
    for _ in range(5):
        with pytest.raises(people.WrongPassword):
            people.change_password(nb, "li", "not my password", NEW, clock)
    with pytest.raises(people.WrongPassword):  # waiting: even the right one is refused for now
        people.change_password(nb, "li", PASSWORD, NEW, clock)
    clock.advance(timedelta(minutes=1))
    people.change_password(nb, "li", PASSWORD, NEW, clock)
    assert access.check_password(nb, "li", NEW)


def test_revoking(nb: Store, clock: FrozenClock) -> None:
    with pytest.raises(Conflict, match="your own role"):
        people.revoke(nb, COORD, "coord", "nb")
    assert people.revoke(nb, COORD, "li", "nb") is Role.MEMBER_ADMIN
    with pytest.raises(NotFound):
        people.revoke(nb, COORD, "li", "nb")
    add_user(nb, clock, "root", Role.PLATFORM_ADMIN)
    add_user(nb, clock, "root2", Role.PLATFORM_ADMIN)
    with pytest.raises(Forbidden):
        people.revoke(nb, COORD, "root2", None)
    assert people.revoke(nb, ADMIN, "root2", None) is Role.PLATFORM_ADMIN
    # A user left with no role is the platform admin's to see (and give a role again), nobody else's.
    assert "li" in {p.username for p in people.people(nb, ADMIN, clock)}
    assert "li" not in {p.username for p in people.people(nb, COORD, clock)}


def _spec(code: str) -> AllianceSpec:
    return AllianceSpec(code, "茶业联盟", AllianceKind.SME, AllianceStructure.MESH)


def test_founding_appoints_the_coordinator_in_the_same_transaction(nb: Store, clock: FrozenClock) -> None:
    issued: list[people.OneTimeCode] = []
    registry.create_alliance(nb, _spec("tea"), clock, then=people.appoint_coordinator(
        people.CoordinatorChoice("tea.boss", new=True, display_name="茶老板"), "root", clock, issued))
    assert [c.username for c in issued] == ["tea.boss"]
    with nb.unit_of_work() as uow:
        assert [(g.role, g.alliance) for g in uow.sessions.grants(uow.sessions.user_id("tea.boss"))] == [
            ("coordinator", "tea")]
    # An appointment that fails leaves no alliance behind (here: "li" exists, chosen as new).
    with pytest.raises(Conflict):
        registry.create_alliance(nb, _spec("tea2"), clock, then=people.appoint_coordinator(
            people.CoordinatorChoice("li", new=True), "root", clock, []))
    assert "tea2" not in {a.code for a in registry.list_alliances(nb)}
    with pytest.raises(NotFound):
        people.CoordinatorChoice("ghost").check(nb)
    with pytest.raises(Conflict):
        people.CoordinatorChoice("li", new=True).check(nb)
    with pytest.raises(InvalidInput):
        people.CoordinatorChoice("No Good", new=True).check(nb)


def test_each_act_is_logged_with_who_did_it_and_never_the_code(nb: Store, clock: FrozenClock,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("INFO", logger="alliance.access"):
        issued = people.issue_reset(nb, COORD, "li", clock)
        people.redeem(nb, issued.code, NEW, clock)
        people.unlock(nb, COORD, "li")
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "alliance.access")
    assert "issued a one-time code for li" in logged and "coord (coordinator of nb)" in logged
    assert "li set a new password" in logged and "unlocked li" in logged
    assert issued.code not in logged
