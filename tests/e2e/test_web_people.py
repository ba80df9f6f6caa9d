"""People in the browser over HTTP: who sees whom, inviting, granting, revoking, unlocking, one-time
codes to set a password, one's own password, and the coordinator chosen when an alliance is founded.
Every refusal is tried: other roles, another alliance, another member, an outsider, no CSRF token.

Every test runs on SQLite and PostgreSQL (the `store` fixture)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from alliance.access import service as access
from alliance.access.people import CODE_REFUSED
from alliance.access.roles import Role
from alliance.core.clock import FrozenClock
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.store.database import Store
from tests.support.factories import credit_code, make_alliance
from tests.support.web import PASSWORD, add_user, in_chinese, sign_in, sign_in_form

A = "/alliances/cloud-hw"
NEW_PASSWORD = "a brand new password, long"
CODE = re.compile(r'<code id="one-time-code">([^<]+)</code>')
RESET_TOKEN = re.compile(r'name="reset_token" value="([^"]+)"')


@pytest.fixture
def app_client(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[TestClient]:
    for code in ("cloud-hw", "other"):
        make_alliance(store, clock, code=code)
        for n, member in ((1, "SW"), (2, "HW")):
            registry.add_member(store, code, {"code": member, "name": f"{member} 科技有限公司",
                                              "credit_code": credit_code(n), "region": "浙江宁波"}, clock)
    add_user(store, clock, "admin", Role.PLATFORM_ADMIN)
    add_user(store, clock, "coord", Role.COORDINATOR, "cloud-hw")
    add_user(store, clock, "hw", Role.MEMBER_ADMIN, "cloud-hw", "HW")
    add_user(store, clock, "sw", Role.MEMBER_ADMIN, "cloud-hw", "SW")
    add_user(store, clock, "analyst", Role.MEMBER_ANALYST, "cloud-hw", "SW")
    add_user(store, clock, "auditor", Role.AUDITOR, "cloud-hw")
    add_user(store, clock, "stranger", Role.COORDINATOR, "other")
    add_user(store, clock, "both", Role.MEMBER_ANALYST, "cloud-hw", "HW")
    access.grant_role(store, "both", Role.COORDINATOR, "other", None)  # a role the coordinator of cloud-hw does not manage
    with TestClient(create_app(store, clock, tmp_path / "facts.duckdb"), base_url="https://testserver") as c:
        yield c


def listed(html: str) -> set[str]:
    return set(re.findall(r'<tr data-user="([^"]+)">', html))


def code_of(html: str) -> str:
    found = CODE.search(html)
    assert found, html
    return found.group(1)


def redeem(c: TestClient, code: str, password: str = NEW_PASSWORD, again: str | None = None):  # type: ignore[no-untyped-def]
    c.cookies.clear()
    page = c.get("/reset-password", params={"code": code})
    assert page.status_code == 200 and f'value="{code}"' in page.text
    token = RESET_TOKEN.search(page.text).group(1)  # type: ignore[union-attr]
    return c.post("/reset-password", data={"code": code, "password": password, "password_again": again or password,
                                           "reset_token": token}, follow_redirects=False)


def test_each_admin_sees_only_the_people_it_manages(app_client: TestClient) -> None:
    sign_in(app_client, "coord")
    page = app_client.get(f"{A}/people")
    assert page.status_code == 200
    # The auditor is not among the coordinator's people (only a platform admin manages it), nor offered.
    assert listed(page.text) == {"coord", "hw", "sw", "analyst", "both"}
    assert 'value="auditor"' not in page.text and 'value="coordinator"' in page.text
    assert "Also holds roles you do not manage" in app_client.get(f"{A}/people", params={"lang": "en"}).text
    assert f'href="{A}/people"' in page.text  # in the alliance's navigation
    sign_in(app_client, "hw")
    page = app_client.get(f"{A}/people")
    assert listed(page.text) == {"hw", "both"} and "SW 科技有限公司" not in page.text
    assert 'value="auditor"' not in page.text and 'value="coordinator"' not in page.text  # only member roles offered
    sign_in(app_client, "admin")
    assert listed(app_client.get("/people").text) >= {"admin", "coord", "stranger", "both"}
    assert "stranger" not in listed(app_client.get(f"{A}/people").text)


@pytest.mark.parametrize("user", ["auditor", "analyst"])
def test_roles_that_manage_no_one_are_refused_and_see_no_link(app_client: TestClient, user: str) -> None:
    token = sign_in(app_client, user)
    assert app_client.get(f"{A}/people").status_code == 403
    assert f'href="{A}/people"' not in app_client.get(A).text
    for path in (f"{A}/people", f"{A}/people/grants", f"{A}/people/hw/reset", f"{A}/people/hw/unlock",
                 f"{A}/people/hw/revoke"):
        refused = app_client.post(path, data={"csrf_token": token, "username": "x1", "role": "member_analyst",
                                              "member": "SW"}, follow_redirects=False)
        assert refused.status_code == 403, path
    assert app_client.get("/people").status_code == 403


def test_an_outsider_finds_nothing(app_client: TestClient, store: Store) -> None:
    token = sign_in(app_client, "stranger")
    assert app_client.get(f"{A}/people").status_code == 404
    for path in (f"{A}/people", f"{A}/people/grants", f"{A}/people/hw/reset", f"{A}/people/hw/unlock",
                 f"{A}/people/hw/revoke"):
        refused = app_client.post(path, data={"csrf_token": token, "username": "x1", "role": "coordinator"},
                                  follow_redirects=False)
        assert refused.status_code == 404, path
        assert 'id="one-time-code"' not in refused.text
    # Its own alliance's page does not reach cloud-hw's people either.
    for path in ("/alliances/other/people/hw/reset", "/alliances/other/people/coord/unlock"):
        assert app_client.post(path, data={"csrf_token": token}).status_code == 404, path
    assert app_client.post("/alliances/other/people/grants", data={
        "csrf_token": token, "username": "hw", "role": "coordinator"}, follow_redirects=False).status_code == 303
    assert app_client.post("/alliances/other/people/hw/revoke", data={"csrf_token": token},
                           follow_redirects=False).status_code == 303  # its own alliance's role, taken back
    assert app_client.get("/people").status_code == 403
    with store.unit_of_work() as uow:
        assert [g.alliance for g in uow.sessions.grants(uow.sessions.user_id("hw"))] == ["cloud-hw"]


def test_every_write_needs_the_csrf_token(app_client: TestClient, store: Store) -> None:
    sign_in(app_client, "coord")
    for path in (f"{A}/people", f"{A}/people/grants", f"{A}/people/hw/reset", f"{A}/people/hw/unlock",
                 f"{A}/people/analyst/revoke", "/account/password"):
        refused = app_client.post(path, data={"username": "newbie", "role": "auditor", "current_password": PASSWORD,
                                              "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD},
                                  follow_redirects=False)
        assert refused.status_code == 403 and 'id="one-time-code"' not in refused.text, path
    sign_in(app_client, "admin")
    for path in ("/people", "/people/grants", "/people/hw/reset", "/people/hw/unlock", "/people/hw/revoke"):
        assert app_client.post(path, data={"username": "newbie", "role": "auditor"}).status_code == 403, path
    with store.unit_of_work() as uow:
        assert uow.access.user("newbie") is None
        assert len(uow.sessions.grants(uow.sessions.user_id("analyst"))) == 1
    assert access.check_password(store, "coord", PASSWORD)


def test_a_coordinator_invites_a_person_who_sets_a_password_with_the_code(app_client: TestClient, store: Store,
                                                                          clock: FrozenClock) -> None:
    token = sign_in(app_client, "coord")
    made = app_client.post(f"{A}/people", data={"csrf_token": token, "username": "li.lei", "display_name": "李雷",
                                                "role": "member_analyst", "member": "HW", "mode": "invite"})
    assert made.status_code == 200 and "li.lei" in made.text
    code = code_of(made.text)
    assert f"/reset-password?code={code}" in made.text
    with store.engine.connect() as c:  # kept only as a digest
        stored = c.execute(text("SELECT code_sha256 FROM password_resets")).scalars().all()
    assert len(stored) == 1 and code not in stored[0] and len(stored[0]) == 64
    assert "li.lei" in listed(app_client.get(f"{A}/people").text)
    done = redeem(app_client, code)
    assert done.status_code == 303 and done.headers["location"] == "/account?password=set"
    account = app_client.get(done.headers["location"])
    assert account.status_code == 200 and "密码已设置" in account.text and "li.lei" in account.text
    assert access.check_password(store, "li.lei", NEW_PASSWORD)
    again = redeem(app_client, code, "yet another password!")
    assert again.status_code == 400 and in_chinese(CODE_REFUSED) in again.text  # "unknown, already used or expired"
    assert "alliance_session" not in app_client.cookies
    assert not access.check_password(store, "li.lei", "yet another password!")


def test_a_reset_code_works_once_before_it_expires_and_ends_other_sessions(app_client: TestClient, store: Store,
                                                                         clock: FrozenClock) -> None:
    hw_browser = TestClient(app_client.app, base_url="https://testserver")
    sign_in(hw_browser, "hw")
    token = sign_in(app_client, "coord")
    page = app_client.post(f"{A}/people/hw/reset", data={"csrf_token": token})
    assert page.status_code == 200 and "当前密码仍然有效" in page.text
    first = code_of(page.text)
    second = code_of(app_client.post(f"{A}/people/hw/reset", data={"csrf_token": token}).text)
    assert access.check_password(store, "hw", PASSWORD)  # the old password works until a code is used
    assert redeem(app_client, first).status_code == 400  # a newer code replaced it
    short = redeem(app_client, second, NEW_PASSWORD, "something else entirely")
    assert short.status_code == 422 and access.check_password(store, "hw", PASSWORD)
    assert redeem(app_client, second, "short").status_code == 422
    assert redeem(app_client, second).status_code == 303
    assert not access.check_password(store, "hw", PASSWORD) and access.check_password(store, "hw", NEW_PASSWORD)
    assert hw_browser.get("/", follow_redirects=False).status_code == 303  # the session before the reset ended
    token = sign_in(app_client, "coord")
    late = code_of(app_client.post(f"{A}/people/hw/reset", data={"csrf_token": token}).text)
    clock.advance(timedelta(hours=24, seconds=1))
    expired = redeem(app_client, late)
    assert expired.status_code == 400 and in_chinese(CODE_REFUSED) in expired.text


def test_a_reset_form_from_another_site_sets_nothing(app_client: TestClient, store: Store) -> None:
    token = sign_in(app_client, "coord")
    code = code_of(app_client.post(f"{A}/people/hw/reset", data={"csrf_token": token}).text)
    app_client.cookies.clear()
    forged = app_client.post("/reset-password", data={"code": code, "password": NEW_PASSWORD,
                                                      "password_again": NEW_PASSWORD, "reset_token": "forged"})
    assert forged.status_code == 403 and access.check_password(store, "hw", PASSWORD)
    assert redeem(app_client, code).status_code == 303  # the code was not spent by the forgery


def test_nobody_reaches_above_their_role(app_client: TestClient, store: Store) -> None:
    token = sign_in(app_client, "coord")
    assert app_client.post(f"{A}/people/admin/reset", data={"csrf_token": token}).status_code == 404
    assert app_client.post(f"{A}/people/stranger/reset", data={"csrf_token": token}).status_code == 404
    both = app_client.post(f"{A}/people/both/reset", data={"csrf_token": token})
    assert both.status_code == 403 and 'id="one-time-code"' not in both.text
    assert app_client.post(f"{A}/people/both/unlock", data={"csrf_token": token}).status_code == 403
    platform = app_client.post(f"{A}/people", data={"csrf_token": token, "username": "boss", "role": "platform_admin",
                                                    "mode": "invite"})
    assert platform.status_code == 403  # only a platform admin gives that role
    assert app_client.post(f"{A}/people/grants", data={"csrf_token": token, "username": "hw", "role": "platform_admin"}
                           ).status_code in (403, 422)
    with store.unit_of_work() as uow:
        assert uow.access.user("boss") is None
        assert [g.role for g in uow.sessions.grants(uow.sessions.user_id("hw"))] == ["member_admin"]

    token = sign_in(app_client, "hw")  # a member admin: its own member's member roles only
    assert app_client.post(f"{A}/people", data={"csrf_token": token, "username": "aud2", "role": "auditor",
                                                "mode": "invite"}).status_code == 403
    assert app_client.post(f"{A}/people", data={"csrf_token": token, "username": "sw2", "role": "member_analyst",
                                                "member": "SW", "mode": "invite"}).status_code == 404
    assert app_client.post(f"{A}/people/sw/reset", data={"csrf_token": token}).status_code == 404
    assert app_client.post(f"{A}/people/coord/reset", data={"csrf_token": token}).status_code == 404
    assert app_client.post(f"{A}/people/analyst/revoke", data={"csrf_token": token}).status_code == 404
    made = app_client.post(f"{A}/people", data={"csrf_token": token, "username": "hw2", "role": "member_analyst",
                                                "member": "HW", "mode": "password", "password": NEW_PASSWORD,
                                                "password_again": NEW_PASSWORD}, follow_redirects=False)
    assert made.status_code == 303 and access.check_password(store, "hw2", NEW_PASSWORD)
    with store.unit_of_work() as uow:
        assert uow.access.user("aud2") is None and uow.access.user("sw2") is None


def test_form_mistakes_are_shown_and_nothing_is_saved(app_client: TestClient, store: Store) -> None:
    token = sign_in(app_client, "coord")
    bad = app_client.post(f"{A}/people", data={"csrf_token": token, "username": "Bad Name",
                                               "role": "member_analyst", "member": "SW", "mode": "invite"})
    assert bad.status_code == 422 and 'value="Bad Name"' in bad.text
    assert in_chinese("a username is 2-64 lowercase letters, digits, '_', '.' or '-'") in bad.text
    taken = app_client.post(f"{A}/people", data={"csrf_token": token, "username": "hw",
                                                 "role": "member_analyst", "member": "SW", "mode": "invite"})
    assert taken.status_code == 409 and in_chinese("user {username!r} already exists", username="hw") in taken.text
    differ = app_client.post(f"{A}/people", data={"csrf_token": token, "username": "wang",
                                                  "role": "member_analyst", "member": "SW", "mode": "password", "password": NEW_PASSWORD, "password_again": "x"})
    assert differ.status_code == 422 and "两次输入的密码不一致" in differ.text
    no_member = app_client.post(f"{A}/people", data={"csrf_token": token, "username": "wang", "role": "member_admin",
                                                     "mode": "invite"})
    assert no_member.status_code == 422
    unknown = app_client.post(f"{A}/people/grants", data={"csrf_token": token, "username": "ghost",
                                                                  "role": "member_analyst", "member": "SW"})
    assert unknown.status_code == 404 and "ghost" in unknown.text
    twice = app_client.post(f"{A}/people/grants", data={"csrf_token": token, "username": "hw",
                                                                "role": "member_analyst", "member": "HW"})
    assert twice.status_code == 409
    with store.unit_of_work() as uow:
        assert uow.access.user("wang") is None


def test_grant_and_revoke_take_effect_at_once(app_client: TestClient, store: Store) -> None:
    analyst = TestClient(app_client.app, base_url="https://testserver")
    sign_in(analyst, "analyst")
    token = sign_in(app_client, "coord")
    revoked = app_client.post(f"{A}/people/analyst/revoke", data={"csrf_token": token}, follow_redirects=False)
    assert revoked.status_code == 303 and revoked.headers["location"] == f"{A}/people?done=revoked"
    assert "analyst" not in listed(app_client.get(f"{A}/people").text)
    assert analyst.get(A, follow_redirects=False).status_code == 303  # no role left: signed out
    mine = app_client.post(f"{A}/people/coord/revoke", data={"csrf_token": token})
    assert mine.status_code == 409 and in_chinese("you cannot take away your own role: ask another administrator") in mine.text
    refused = app_client.post(f"{A}/people/grants", data={"csrf_token": token, "username": "analyst",
                                                          "role": "auditor"}, follow_redirects=False)
    assert refused.status_code == 403  # only a platform admin makes an auditor
    refused = app_client.post(f"{A}/people/auditor/revoke", data={"csrf_token": token}, follow_redirects=False)
    assert refused.status_code == 403  # nor takes one away
    token = sign_in(app_client, "admin")
    granted = app_client.post(f"{A}/people/grants", data={"csrf_token": token, "username": "analyst",
                                                          "role": "auditor"}, follow_redirects=False)
    assert granted.status_code == 303
    sign_in(analyst, "analyst")
    assert analyst.get(f"{A}/journal?from=2026-12-01&to=2026-12-31").status_code == 200  # an auditor now


def test_an_admin_lifts_the_wait_after_failed_sign_ins(app_client: TestClient, store: Store) -> None:
    for _ in range(6):
        assert app_client.post("/sign-in", data=sign_in_form(app_client, "sw", "wrong password!!")).status_code == 401
    assert app_client.post("/sign-in", data=sign_in_form(app_client, "sw")).status_code == 401  # must wait
    token = sign_in(app_client, "coord")
    page = app_client.get(f"{A}/people")
    assert 'data-waiting="true"' in page.text and f'action="{A}/people/sw/unlock"' in page.text
    done = app_client.post(f"{A}/people/sw/unlock", data={"csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"{A}/people?done=unlocked"
    assert 'data-waiting="true"' not in app_client.get(f"{A}/people").text
    sign_in(app_client, "sw")  # at once


def test_changing_ones_own_password_needs_the_current_one(app_client: TestClient, store: Store) -> None:
    other = TestClient(app_client.app, base_url="https://testserver")
    sign_in(other, "auditor")
    token = sign_in(app_client, "auditor")
    page = app_client.get("/account")
    assert page.status_code == 200 and 'href="/account"' in page.text and "审计员" in page.text
    wrong = app_client.post("/account/password", data={"csrf_token": token, "current_password": "not it at all",
                                                       "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD})
    assert wrong.status_code == 403 and access.check_password(store, "auditor", PASSWORD)
    with store.unit_of_work() as uow:
        assert uow.access.user("auditor").failed_sign_ins == 1  # counted like a failed sign-in
    short = app_client.post("/account/password", data={"csrf_token": token, "current_password": PASSWORD,
                                                       "new_password": "short", "new_password_again": "short"})
    assert short.status_code == 422 and access.check_password(store, "auditor", PASSWORD)
    done = app_client.post("/account/password", data={"csrf_token": token, "current_password": PASSWORD,
                                                      "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD})
    assert done.status_code == 200 and "密码已修改" in done.text
    assert access.check_password(store, "auditor", NEW_PASSWORD)
    assert app_client.get("/account").status_code == 200  # this session stays
    assert other.get("/", follow_redirects=False).status_code == 303  # the other one ended


def test_the_coordinator_is_chosen_when_an_alliance_is_founded(app_client: TestClient, store: Store) -> None:
    token = sign_in(app_client, "admin")
    base = {"csrf_token": token, "name": "杭州茶业联盟", "kind": "sme", "structure": "mesh", "currency": "CNY",
            "timezone": "Asia/Shanghai", "parent_code": ""}
    form = app_client.get("/alliances/new").text
    assert 'name="coordinator"' in form and 'value="existing"' in form
    missing = app_client.post("/alliances/new", data={**base, "code": "tea", "coordinator_mode": "existing",
                                                      "coordinator": "ghost"})
    assert missing.status_code == 404 and "ghost" in missing.text
    taken = app_client.post("/alliances/new", data={**base, "code": "tea", "coordinator_mode": "new",
                                                    "coordinator": "hw"})
    assert taken.status_code == 409
    assert [a.code for a in registry.list_alliances(store) if a.code == "tea"] == []  # nothing founded
    made = app_client.post("/alliances/new", data={**base, "code": "tea", "coordinator_mode": "new",
                                                   "coordinator": "tea.boss", "coordinator_name": "茶老板"})
    assert made.status_code == 200 and "tea.boss" in made.text
    code = code_of(made.text)
    with store.unit_of_work() as uow:
        assert [(g.role, g.alliance) for g in uow.sessions.grants(uow.sessions.user_id("tea.boss"))] == [
            ("coordinator", "tea")]
    assert redeem(app_client, code).status_code == 303
    assert app_client.get("/alliances/tea/people").status_code == 200
    token = sign_in(app_client, "admin")
    existing = app_client.post("/alliances/new", data={**base, "csrf_token": token, "code": "tea2",
                                                       "coordinator_mode": "existing", "coordinator": "coord"},
                               follow_redirects=False)
    assert existing.status_code == 303 and existing.headers["location"] == "/alliances/tea2"
    with store.unit_of_work() as uow:
        assert {g.alliance for g in uow.sessions.grants(uow.sessions.user_id("coord"))} == {"cloud-hw", "tea2"}
    token = sign_in(app_client, "coord")  # not a platform admin: founds nothing, whoever it names
    assert app_client.post("/alliances/new", data={**base, "csrf_token": token, "code": "tea3",
                                                   "coordinator": "coord"}).status_code == 403
